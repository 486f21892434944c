"""The Kannel gateway's two routes on Linli's webhook server: the sms-service (replies in) and the dlr-url
(delivery reports). See sms/gateways/kannel.py for the URLs and the why.

Each request goes through the plain phases: authenticate (the token, in constant time, before anything is read),
record (through the server's `receive` / `record_status`, idempotent), answer (200 with an empty body, so Kannel
sends nothing back). Parsing and acting on a reply happen later, in the inbound worker woken here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from urllib.parse import parse_qsl

from aiohttp import web

from kit.clock import utcnow
from kit.models import Message
from sms.gateways.kannel import KannelGateway, dlr_status, inbound_key, token_matches
from sms.webhooks import STATUS_GRACE_SECONDS, ProviderContext

log = logging.getLogger(__name__)

UTF16_NAMES = {"utf-16be", "utf-16", "ucs-2", "ucs2", "utf16be"}  # how Kannel may name the charset of UCS-2 text


class KannelRoutes:
    def __init__(
        self, gateway: KannelGateway, context: ProviderContext, *, grace: float = STATUS_GRACE_SECONDS
    ) -> None:
        self.gateway = gateway
        self.context = context
        self.grace = grace

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(self.gateway.inbound_path, self.inbound)
        app.router.add_get(self.gateway.dlr_path, self.report)

    def _query(self, request: web.Request) -> dict[str, str] | None:
        """The query, decoded strictly: UTF-8, or the charset Kannel names (UTF-16BE for UCS-2 text without
        mo-recode). None when it is not text."""
        raw = request.raw_path.partition("?")[2]
        pairs = parse_qsl(raw, keep_blank_values=True, encoding="latin-1")  # bytes, one char each
        as_bytes = {key: value.encode("latin-1") for key, value in pairs}
        try:
            query = {key: value.decode("utf-8") for key, value in as_bytes.items() if key != "text"}
            if "text" in as_bytes:
                charset = query.get("charset", "").strip().lower()
                encoding = "utf-16-be" if charset in UTF16_NAMES else "utf-8"
                query["text"] = as_bytes["text"].decode(encoding)
        except UnicodeDecodeError:
            return None
        return query

    def _allowed(self, request: web.Request) -> bool:
        token = request.query.get("token", "")
        return token_matches(self.gateway.options.inbound_token, token)

    async def inbound(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return _forbidden()
        query = self._query(request)
        if query is None:
            return web.Response(status=400, text="The text is not UTF-8 (set mo-recode = true in kannel.conf).\n")
        sender, text = query.get("from", "").strip(), query.get("text")
        if not sender or text is None:
            return web.Response(status=400, text="from and text are required.\n")
        key = inbound_key(query.get("id", ""), sender, text, query.get("ts", ""))
        call = partial(self.context.receive, self.gateway.name, key, sender, text)
        try:
            _, created = await self.context.run_blocking(call)
        except Exception:
            log.exception("kannel %s: could not store inbound message %s", self.gateway.name, key)
            return web.Response(status=503, text="Could not store the message; try again.\n")
        if created:
            self.context.wake()
        return web.Response(status=200)  # empty: Kannel sends no reply (omit-empty = true)

    async def report(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return _forbidden()
        provider_id = request.query.get("id", "")
        status = dlr_status(request.query.get("status", ""))
        if not provider_id or status is None:
            return web.Response(status=400, text="id and a status of 1, 2, 4, 8 or 16 are required.\n")
        answer = request.query.get("answer", "")[:300] if status in ("failed", "undelivered") else ""
        record = partial(self.context.record_status, provider_id, status, gateway=self.gateway.name, error=answer)
        try:
            found = await self._record(provider_id, record)
        except Exception:
            log.exception("kannel %s: could not record status %s for %s", self.gateway.name, status, provider_id)
            return web.Response(status=503, text="Could not record the status; try again.\n")
        if found is None:
            log.info("kannel %s: report %s for %s: Linli sent no such message", self.gateway.name, status, provider_id)
        return web.Response(status=200)

    async def _record(self, provider_id: str, record: Callable[[], Message | None]) -> Message | None:
        """Record the report; a report can beat the dispatcher's commit of the id, so look again for a moment, then
        take the row if it is still 'sending' (its dispatcher is gone: the report proves Kannel had it)."""
        found: Message | None = await self.context.run_blocking(record)
        loop = asyncio.get_running_loop()
        deadline, delay = loop.time() + self.grace, 0.1
        while found is None and loop.time() < deadline:
            await asyncio.sleep(min(delay, max(deadline - loop.time(), 0)))
            delay *= 2
            found = await self.context.run_blocking(record)
        if found is None and self._message_id(provider_id) is not None:
            adopt = partial(adopt_in_flight, self.gateway.name, provider_id, self._message_id(provider_id) or 0)
            if await self.context.run_blocking(adopt):
                found = await self.context.run_blocking(record)
        return found

    def _message_id(self, provider_id: str) -> int | None:
        prefix = self.gateway.provider_id(0)[:-1]
        rest = provider_id[len(prefix) :] if provider_id.startswith(prefix) else ""
        return int(rest) if rest.isdigit() else None


def adopt_in_flight(gateway: str, provider_id: str, message_id: int) -> bool:
    """Give a row still 'sending' through `gateway` the id Kannel reported on; False when there is none."""
    updated = (
        Message.update(provider_id=provider_id, updated_at=utcnow())
        .where(
            (Message.id == message_id)
            & (Message.direction == "out")
            & (Message.status == "sending")
            & (Message.gateway == gateway)
            & (Message.provider_id.is_null() | (Message.provider_id == ""))
        )
        .execute()
    )
    return bool(updated)


def _forbidden() -> web.Response:
    return web.Response(status=403, text="Forbidden: the token does not match.\n")
