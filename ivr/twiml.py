"""A Step as TwiML, built with twilio's own builders.

Listening steps become `<Gather input="dtmf">` with the prompts nested in it (so a resident can press a key while
a prompt plays), its action pointing at `/twilio/voice/gather?<state>`. Twilio falls through to the next verb
when nobody presses anything, so a `<Redirect>` to the same URL follows: it arrives without `Digits`, which the
state reads as silence. Final steps say their prompts and `<Hangup/>`.
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.twiml.voice_response import VoiceResponse

from ivr.flows import Step
from ivr.prompts import speak
from ivr.state import CallState

ANSWER_PATH = "/twilio/voice"
GATHER_PATH = "/twilio/voice/gather"
STATUS_PATH = "/twilio/voice/status"


def gather_url(base_url: str, state: CallState) -> str:
    return f"{base_url.rstrip('/')}{GATHER_PATH}?{state.to_query()}"


def answer_url(base_url: str, state: CallState) -> str:
    return f"{base_url.rstrip('/')}{ANSWER_PATH}?{state.to_query()}"


def render(step: Step, *, base_url: str, facts: Mapping[str, str] | None = None) -> VoiceResponse:
    """The TwiML for `step`; `base_url` is the configured public URL Twilio reaches us at."""
    speech = speak(step, facts)
    voice = speech.voice or None
    response = VoiceResponse()
    if step.gather is not None:
        url = gather_url(base_url, step.gather.state)
        gather = response.gather(
            input="dtmf",
            num_digits=step.gather.num_digits,
            timeout=step.gather.timeout,
            action=url,
            method="POST",
            finish_on_key="#",
        )
        for line in speech.lines:
            gather.say(line, voice=voice, language=speech.language)
        response.redirect(url, method="POST")
    else:
        for line in speech.lines:
            response.say(line, voice=voice, language=speech.language)
        response.hangup()
    return response


def render_xml(step: Step, *, base_url: str, facts: Mapping[str, str] | None = None) -> str:
    return str(render(step, base_url=base_url, facts=facts).to_xml())
