"""Twilio's voice webhooks, added to the kit's one aiohttp application.

- `POST /twilio/voice`: a call was answered. Outbound calls carry their menu state in the URL; an inbound call
  (no state) is the community hotline.
- `POST /twilio/voice/gather?<state>`: the keys the resident pressed (`Digits`), or nothing (the `<Redirect>`
  after a silent `<Gather>`).
- `POST /twilio/voice/status`: the call's status (`CallStatus`): the outbox row takes it, and a completed call
  without an outcome gets the one its last state means.

Every request is authenticated first, exactly as the SMS routes do it (`sms.webhooks.verified_form`: the
X-Twilio-Signature over the configured public URL plus the path and query, never the Host the request claims);
anything else gets 403 before a parameter is used or a row is written. Database work runs through the server's
`run_blocking`. After authentication, a fault on our side still answers with a polite goodbye in the caller's
language rather than Twilio's "application error".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from aiohttp import web

from ivr import flows
from ivr.calls import Directory, RecordOutcome, Turn, VoiceCalls
from ivr.state import BadState, CallState, speakable_language
from ivr.twiml import ANSWER_PATH, GATHER_PATH, STATUS_PATH, render_xml
from kit.config import TwilioSettings
from kit.twilio_rules import TwilioSignature
from sms.webhooks import CONTEXT, RunBlocking, run_inline, verified_form

log = logging.getLogger(__name__)


def add_voice_routes(
    app: web.Application,
    settings: TwilioSettings,
    *,
    record_outcome: RecordOutcome | None = None,
    validate: TwilioSignature | None = None,
    directory: Directory | None = None,
    run_blocking: RunBlocking[Any] | None = None,
) -> VoiceCalls:
    """Add the three voice routes to `app` and return the VoiceCalls behind them.

    Defaults: `validate` and `run_blocking` from the server's `app[sms.webhooks.CONTEXT]` when there is one (else a
    TwilioSignature from `settings` and inline calls); `record_outcome` is `ivr.outcomes.record_outcome` (reports
    and tasks through the kit); `directory` reads the kit's register. Without a public URL and an auth token every
    request is refused (403)."""
    context = app.get(CONTEXT)
    if validate is None:
        validate = (
            context.signature if context is not None else TwilioSignature(settings.public_url, settings.auth_token)
        )
    if run_blocking is None:
        run_blocking = context.run_blocking if context is not None else run_inline
    if record_outcome is None:
        from ivr.outcomes import record_outcome as record_with_kit

        record_outcome = record_with_kit
    if directory is None:
        from kit.voice import Register

        directory = Register()
    calls = VoiceCalls("twilio", record_outcome=record_outcome, directory=directory)
    routes = _VoiceRoutes(calls, validate, run_blocking)
    app.router.add_post(ANSWER_PATH, routes.answer)
    app.router.add_post(GATHER_PATH, routes.gather)
    app.router.add_post(STATUS_PATH, routes.status)
    return calls


class _VoiceRoutes:
    def __init__(self, calls: VoiceCalls, signature: TwilioSignature, run_blocking: RunBlocking[Any]) -> None:
        self.calls = calls
        self.signature = signature
        self.run_blocking = run_blocking

    @property
    def base_url(self) -> str:
        return self.signature.public_url

    async def answer(self, request: web.Request) -> web.Response:
        def start(form: Mapping[str, str], call_sid: str, peer: str, state: CallState | None) -> Turn:
            return self.calls.answer(call_sid=call_sid, peer=peer, state=state)

        # An outbound call carries its state from the start; an inbound call (the hotline) has none yet.
        return await self._turn(request, start, "answer", needs_state="flow" in request.query)

    async def gather(self, request: web.Request) -> web.Response:
        def keys(form: Mapping[str, str], call_sid: str, peer: str, state: CallState | None) -> Turn:
            assert state is not None
            return self.calls.gather(call_sid=call_sid, peer=peer, state=state, digits=form.get("Digits"))

        return await self._turn(request, keys, "take the keys of", needs_state=True)

    async def _turn(
        self,
        request: web.Request,
        act: Callable[[Mapping[str, str], str, str, CallState | None], Turn],
        doing: str,
        *,
        needs_state: bool,
    ) -> web.Response:
        """One step of a call: check the signature, read the state from the URL, run `act` on the database thread
        and answer with TwiML; anything that goes wrong on our side is answered with a spoken apology, never
        Twilio's error message."""
        form = await verified_form(request, self.signature)
        if form is None:
            return _forbidden()
        call_sid, peer = form.get("CallSid", ""), _peer(form)
        if not call_sid:
            return web.Response(status=400, text="CallSid is required.\n")
        language = speakable_language(request.query.get("lang"), "")
        try:
            state = CallState.from_query(request.query) if needs_state else None
            turn = await self.run_blocking(partial(act, form, call_sid, peer, state))
        except BadState as error:
            log.error("call %s came back with a state this Linli cannot read: %s", call_sid, error)
            return await self._apology(language)
        except Exception:
            log.exception("could not %s call %s", doing, call_sid)
            return await self._apology(language)
        return self._twiml(turn)

    async def status(self, request: web.Request) -> web.Response:
        form = await verified_form(request, self.signature)
        if form is None:
            return _forbidden()
        call_sid, status = form.get("CallSid", ""), form.get("CallStatus", "")
        if not call_sid or not status:
            return web.Response(status=400, text="CallSid and CallStatus are required.\n")
        try:
            await self.run_blocking(
                partial(self.calls.status_changed, call_sid=call_sid, status=status, peer=_peer(form))
            )
        except Exception:
            log.exception("could not record status %s of call %s", status, call_sid)
            return web.Response(status=503, text="Could not record the status; try again.\n")
        return web.Response(status=204)

    def _twiml(self, turn: Turn) -> web.Response:
        xml = render_xml(turn.step, base_url=self.base_url, facts=turn.facts)
        return web.Response(text=xml, content_type="text/xml", charset="utf-8")

    async def _apology(self, language: str) -> web.Response:
        if not language:
            try:
                language = speakable_language(await self.run_blocking(self.calls.directory.default_language))
            except Exception:
                log.exception("could not read the community's language")
                language = "zh"
        xml = render_xml(flows.apology(language), base_url=self.base_url)
        return web.Response(text=xml, content_type="text/xml", charset="utf-8")


def _peer(form: Mapping[str, str]) -> str:
    """The resident's side of the call: who we called, or who called us."""
    if form.get("Direction", "inbound").startswith("outbound"):
        return form.get("To", "")
    return form.get("From", "")


def _forbidden() -> web.Response:
    return web.Response(status=403, text="Forbidden: the X-Twilio-Signature does not match.\n")
