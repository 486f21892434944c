"""Alibaba Cloud's HTTP pushes on Linli's webhook server, for a gateway with a `push_token`: replies (SmsUp, 上行)
and delivery reports (SmsReport). In Alibaba's console (消息回执设置, HTTP 批量推送) give the addresses

    https://<linli>/aliyun/NAME/up?token=<push_token>
    https://<linli>/aliyun/NAME/report?token=<push_token>

Each push is a JSON array of records; Linli answers {"code": 0, "msg": "成功"} once every record is stored, else a
503 so Alibaba pushes again.

Decisions
- Alibaba does not sign its pushes, so the address carries the gateway's push_token, a long random secret compared
  in constant time before the body is read; without it the answer is 403 and nothing is stored. Serve it over
  https (a reverse proxy), as the token travels in the address.
- Receipts are not idempotent on Alibaba's side: a reply is stored once under its sequence_id (or, without one, a
  digest of number, time and text) through sms.router.receive; a report goes through kit.outbox.record_status,
  which records each status of a message once. A report for a message Linli does not know is logged once.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any

from aiohttp import web

from sms.gateways.aliyun import AliyunGateway
from sms.gateways.cloud_sms import stable_id
from sms.gateways.kannel import token_matches
from sms.webhooks import ProviderContext

log = logging.getLogger(__name__)

ANSWER = {"code": 0, "msg": "成功"}
MAX_BODY = 1024 * 1024


class AliyunRoutes:
    def __init__(self, gateway: AliyunGateway, context: ProviderContext) -> None:
        self.gateway = gateway
        self.context = context

    @property
    def up_path(self) -> str:
        return f"/aliyun/{self.gateway.name}/up"

    @property
    def report_path(self) -> str:
        return f"/aliyun/{self.gateway.name}/report"

    def add_to(self, app: web.Application) -> None:
        app.router.add_post(self.up_path, self.up)
        app.router.add_post(self.report_path, self.report)

    async def _records(self, request: web.Request) -> list[dict[str, Any]] | web.Response:
        """The pushed records, or the answer to give: 403 without the token, 400 for a body that is not a JSON array
        of objects."""
        if not token_matches(self.gateway.push_token, request.query.get("token", "")):
            return web.Response(status=403, text="Forbidden: the token does not match.\n")
        raw = await request.content.read(MAX_BODY + 1)
        try:
            records = json.loads(raw.decode("utf-8")) if len(raw) <= MAX_BODY else None
        except (UnicodeDecodeError, ValueError):
            records = None
        if isinstance(records, dict):
            records = [records]
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            return web.Response(status=400, text="Expected a JSON array of records.\n")
        return records

    async def up(self, request: web.Request) -> web.Response:
        records = await self._records(request)
        if isinstance(records, web.Response):
            return records
        new = 0
        for record in records:
            peer, body = str(record.get("phone_number") or ""), str(record.get("content") or "")
            if not peer:
                log.info("aliyun %s: a pushed reply without a number was ignored", self.gateway.name)
                continue
            key = reply_id(record)
            try:
                _, created = await self.context.run_blocking(
                    partial(self.context.receive, self.gateway.name, key, peer, body)
                )
            except Exception:
                log.exception("aliyun %s: could not store pushed reply %s", self.gateway.name, key)
                return web.Response(status=503, text="Could not store the reply; push it again.\n")
            new += int(created)
        if new:
            self.context.wake()
        return web.json_response(ANSWER)

    async def report(self, request: web.Request) -> web.Response:
        records = await self._records(request)
        if isinstance(records, web.Response):
            return records
        for record in records:
            try:
                await self.context.run_blocking(partial(self._apply, record))
            except Exception:
                log.exception("aliyun %s: could not record a pushed report", self.gateway.name)
                return web.Response(status=503, text="Could not record the report; push it again.\n")
        return web.json_response(ANSWER)

    def _apply(self, record: dict[str, Any]) -> None:
        biz_id = str(record.get("biz_id") or "")
        digits = "".join(ch for ch in str(record.get("phone_number") or "") if ch.isdigit())
        success = record.get("success") in (True, "true", "True")
        status = "delivered" if success else "undelivered"
        code = "" if success else str(record.get("err_code") or "")
        for provider_id in (biz_id, f"{biz_id}/{digits}"):
            if (
                biz_id
                and self.context.record_status(
                    provider_id, status, gateway=self.gateway.name, error_code=code, error=code
                )
                is not None
            ):
                return
        self.gateway.unknown.info(
            f"report:{biz_id}",
            "aliyun %s: a report for %s, a message Linli does not know, was ignored",
            self.gateway.name,
            biz_id[:40],
        )


def reply_id(record: dict[str, Any]) -> str:
    """The id a pushed reply is stored once under: Alibaba's sequence_id, else a digest of number, time and text."""
    sequence = str(record.get("sequence_id") or "").strip()
    if sequence:
        return f"aliyun:{sequence}"
    parts = (str(record.get(k) or "") for k in ("phone_number", "send_time", "content", "dest_code"))
    return stable_id("aliyun", *parts)
