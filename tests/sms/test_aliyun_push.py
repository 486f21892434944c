"""Alibaba Cloud's HTTP pushes of replies (SmsUp) and delivery reports (SmsReport) on Linli's aiohttp app: the token,
replies stored once however often Alibaba pushes them, reports applied once, and nothing stored without the token."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from kit import clock, outbox
from kit.config import Settings
from kit.models import Community, Message, MessageEvent
from sms import router
from sms.gateways import aliyun
from sms.webhooks import Receive, RecordStatus, run_inline
from tests.fakes.aliyun_sms import ACCESS_KEY_ID, ACCESS_KEY_SECRET, SIGN_NAME

NAME = "aliyun"
TOKEN = "push-token-0123456789abcdefghijklmnop"


@dataclass
class Context:
    receive: Receive = router.receive
    record_status: RecordStatus = outbox.record_status
    run_blocking: Any = run_inline
    woken: list[int] = field(default_factory=list)

    @property
    def wake(self) -> Callable[[], None]:
        return lambda: self.woken.append(1)


@pytest.fixture
def gateway(community: Community, tmp_path: Path) -> aliyun.AliyunGateway:
    path = tmp_path / "templates.toml"
    path.write_text('[zh]\ncheckin = "SMS_100001"\n', "utf-8")
    table = {
        "kind": "aliyun",
        "access_key_id": ACCESS_KEY_ID,
        "access_key_secret": ACCESS_KEY_SECRET,
        "sign_name": SIGN_NAME,
        "templates": str(path),
        "push_token": TOKEN,
    }
    return aliyun.build(NAME, table, Settings())


def post(gateway: aliyun.AliyunGateway, context: Context, path: str, body: Any) -> tuple[int, Any]:
    """POST `body` (JSON) to `path` on an app with the gateway's routes; the status and the decoded answer."""

    async def go() -> tuple[int, Any]:
        app = web.Application()
        aliyun.mount(app, gateway, context)
        async with TestClient(TestServer(app)) as client:
            response = await client.post(path, data=json.dumps(body, ensure_ascii=False).encode())
            text = await response.text()
            return response.status, json.loads(text) if response.content_type == "application/json" else text

    return asyncio.run(go())


def up(sequence_id: int | None, text: str = "1", phone: str = "13800000001") -> dict[str, Any]:
    record: dict[str, Any] = {
        "phone_number": phone,
        "send_time": "2026-11-30 16:01:00",
        "content": text,
        "sign_name": SIGN_NAME,
        "dest_code": "",
    }
    if sequence_id is not None:
        record["sequence_id"] = sequence_id
    return record


def test_the_same_reply_pushed_twice_is_stored_once(gateway: aliyun.AliyunGateway) -> None:
    context = Context()

    first = post(gateway, context, f"/aliyun/{NAME}/up?token={TOKEN}", [up(101), up(101)])
    second = post(gateway, context, f"/aliyun/{NAME}/up?token={TOKEN}", [up(101)])

    assert first == (200, {"code": 0, "msg": "成功"}) and second[0] == 200
    [stored] = list(Message.select().where(Message.direction == "in"))
    assert (stored.peer, stored.body, stored.gateway) == ("+8613800000001", "1", NAME)
    assert context.woken == [1]  # the inbound worker is woken for the new reply only


def test_a_reply_without_sequence_id_is_stored_once_by_its_content(gateway: aliyun.AliyunGateway) -> None:
    context = Context()

    post(gateway, context, f"/aliyun/{NAME}/up?token={TOKEN}", [up(None, "2")])
    post(gateway, context, f"/aliyun/{NAME}/up?token={TOKEN}", [up(None, "2")])

    assert Message.select().where(Message.direction == "in").count() == 1


@pytest.mark.parametrize("query", ["", "?token=wrong-token-0123456789abcdefghijkl"])
def test_a_push_without_the_token_is_refused_and_nothing_stored(gateway: aliyun.AliyunGateway, query: str) -> None:
    status, _ = post(gateway, Context(), f"/aliyun/{NAME}/up{query}", [up(102)])

    assert status == 403
    assert Message.select().count() == 0


def test_a_body_that_is_not_records_is_refused(gateway: aliyun.AliyunGateway) -> None:
    status, _ = post(gateway, Context(), f"/aliyun/{NAME}/up?token={TOKEN}", "hello")

    assert status == 400


def test_a_report_pushed_twice_is_applied_once(gateway: aliyun.AliyunGateway) -> None:
    row = Message.create(
        direction="out",
        peer="+8613800000001",
        status="sent",
        gateway=NAME,
        provider_id="9001^0",
        sent_at=clock.utcnow(),
    )
    report = {
        "phone_number": "13800000001",
        "send_time": "2026-11-30 16:00:00",
        "report_time": "2026-11-30 16:00:05",
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": "1",
        "biz_id": "9001^0",
        "out_id": f"linli:{row.id}",
    }
    unknown = {**report, "biz_id": "12345^0"}

    answers = [post(gateway, Context(), f"/aliyun/{NAME}/report?token={TOKEN}", [report, unknown]) for _ in range(2)]

    assert [status for status, _ in answers] == [200, 200]
    assert Message.get_by_id(row.id).status == "delivered"
    assert MessageEvent.select().where(MessageEvent.message == row.id).count() == 1


def test_without_a_push_token_no_route_is_added(community: Community, tmp_path: Path) -> None:
    path = tmp_path / "templates.toml"
    path.write_text("[zh]\n", "utf-8")
    table = {"access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET, "sign_name": "x"}
    built = aliyun.build(NAME, {**table, "templates": str(path)}, Settings())
    app = web.Application()

    aliyun.mount(app, built, Context())

    assert list(app.router.routes()) == []
