"""The Kannel gateway end to end against real Kannel: bearerbox, smsbox and fakesmsc on loopback (see
kannel_harness), Linli's real webhook server with the kannel routes, the dispatcher sending through the gateway.

Without Kannel these tests skip (run tests/system-packages.sh); under CI=true they fail instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import requests

from kit.checkin import start_round
from kit.community import community_zone
from kit.config import CheckinSettings, DispatchSettings, Settings
from kit.dispatcher import Dispatcher
from kit.gateway import GatewayError, Outgoing
from kit.models import Community, Message, OptOut, Report, Resident
from kit.residents import ResidentInput, add_resident
from linli.server import WebhookServer
from sms.gateways import kannel
from tests.sms.gateways.kannel_harness import (
    SENDSMS_PASSWORD,
    SENDSMS_USER,
    KannelRig,
    free_port,
    linli_server,
    require_kannel,
    wait_for,
)

WANG, LI, SMITH = "+8613800000001", "+8613800000002", "+8613800000003"
SHORT_CODE = "10690000"
PROMPT_ZH = "今日健康打卡：回复1 身体好，回复2 发烧或咳嗽，回复3 需要帮助。"
PROMPT_EN = "Daily check-in: reply 1 if you are well, 2 if you have fever or cough, 3 if you need help."


@dataclass
class Loop:
    rig: KannelRig
    server: WebhookServer
    gateway: kannel.KannelGateway
    token: str

    def dispatch(self) -> None:
        Dispatcher({"sms": self.gateway}, DispatchSettings(rate_per_second=0), community_zone()).run_once()

    def url(self, path: str) -> str:
        return f"{self.server.url}/kannel/{self.gateway.name}/{path}"


@pytest.fixture
def neighbourhood(community: Community) -> Community:
    add_resident(ResidentInput(name="王芳", phone=WANG, grid="东区", building="3", unit="2", room="201"))
    add_resident(ResidentInput(name="李伯", phone=LI, grid="东区", building="3", unit="1", room="101"))
    add_resident(
        ResidentInput(name="John Smith", phone=SMITH, language="en", grid="东区", building="5", unit="1", room="302")
    )
    return community


@pytest.fixture
def report_grace() -> float | None:
    """How long the routes look again for a report's unknown id: their own grace, unless a test gives less."""
    return None


@pytest.fixture
def loop(tmp_path: Path, neighbourhood: Community, report_grace: float | None) -> Iterator[Loop]:
    require_kannel()
    token = secrets.token_urlsafe(32)
    port = free_port()
    get_url = (
        f"http://127.0.0.1:{port}/kannel/k1/sms?token={token}&from=%p&to=%P&text=%a&id=%I&ts=%T&coding=%c&charset=%C"
    )
    rig = KannelRig(tmp_path, get_url)
    options = {
        "kind": "kannel",
        "send_url": rig.send_url,
        "username": SENDSMS_USER,
        "password": SENDSMS_PASSWORD,
        "from_number": SHORT_CODE,
        "inbound_token": token,
    }
    settings = Settings()
    settings.server.port = port
    gateway = kannel.build("k1", options, settings)

    server = linli_server(settings, gateway, report_grace=report_grace)
    try:
        server.start()
        rig.start()
        rig.phone()
        yield Loop(rig, server, gateway, token)
    finally:
        rig.stop()
        server.stop()


def statuses() -> dict[str, str]:
    return {m.peer: m.status for m in Message.select().where(Message.direction == "out")}


def test_round_goes_out_replies_come_back_and_reports_mark_delivered(loop: Loop) -> None:
    start_round(settings=CheckinSettings(), actor="test")
    loop.dispatch()

    got = loop.rig.received(3)
    assert sorted((m.receiver, m.sender, m.text) for m in got) == [
        (WANG, SHORT_CODE, PROMPT_ZH),
        (LI, SHORT_CODE, PROMPT_ZH),
        (SMITH, SHORT_CODE, PROMPT_EN),
    ]
    assert {m.receiver: m.coding for m in got} == {WANG: "ucs-2", LI: "ucs-2", SMITH: "text"}
    assert {m.provider_id for m in Message.select().where(Message.direction == "out")} == {
        f"kannel:k1:{m.id}" for m in Message.select().where(Message.direction == "out")
    }
    wait_for("delivery reports", lambda: set(statuses().values()) == {"delivered"})

    loop.rig.inject(WANG, SHORT_CODE, "2 38度5")
    loop.rig.inject(SMITH, SHORT_CODE, "1")
    loop.rig.inject(LI, SHORT_CODE, "退订")
    wait_for("the three replies acted on", lambda: _acted_on() == 3)

    inbound = {m.peer: (m.body, m.gateway) for m in Message.select().where(Message.direction == "in")}
    assert inbound == {WANG: ("2 38度5", "k1"), SMITH: ("1", "k1"), LI: ("退订", "k1")}
    wang = Report.get(Report.resident == Resident.get(Resident.phone == WANG).id)
    assert (wang.kind, wang.temperature_c) == ("unwell", 38.5)
    assert Report.get(Report.resident == Resident.get(Resident.phone == SMITH).id).kind == "well"
    assert OptOut.select().where(OptOut.phone == LI).exists()

    # Linli's answers go back out through Kannel too, Chinese in UCS-2.
    loop.dispatch()
    replies = list(Message.select().where((Message.direction == "out") & (Message.kind != "checkin")))
    answers = loop.rig.received(3 + len(replies))[3:]
    assert sorted((m.receiver, m.text) for m in answers) == sorted((r.peer, r.body) for r in replies)
    assert {m.receiver for m in answers} >= {WANG, SMITH}
    assert next(m for m in answers if m.receiver == WANG).coding == "ucs-2"
    wait_for("the answers' delivery reports", lambda: set(statuses().values()) == {"delivered"})


def _acted_on() -> int:
    count: int = Message.select().where((Message.direction == "in") & (Message.status != "received")).count()
    return count


def test_a_retried_reply_is_stored_once(loop: Loop) -> None:
    query = {"token": loop.token, "from": WANG, "to": SHORT_CODE, "text": "1", "id": "b5d3-77", "ts": "1796012730"}
    answers = [requests.get(loop.url("sms"), params=query, timeout=30) for _ in range(2)]
    without_id = {**query, "id": "", "text": "2 发烧"}
    answers += [requests.get(loop.url("sms"), params=without_id, timeout=30) for _ in range(2)]
    assert [(a.status_code, a.text) for a in answers] == [(200, "")] * 4
    rows = Message.select().where(Message.direction == "in").order_by(Message.id)
    assert [(m.body, m.provider_id) for m in rows] == [
        ("1", "b5d3-77"),
        ("2 发烧", kannel.inbound_key("", WANG, "2 发烧", "1796012730")),
    ]


@pytest.mark.parametrize("token", [None, "", "wrong-token-" + "x" * 32])
def test_a_wrong_or_missing_token_is_refused_and_nothing_is_stored(loop: Loop, token: str | None) -> None:
    query = {"from": WANG, "text": "1", "id": "a1"}
    if token is not None:
        query["token"] = token
    inbound = requests.get(loop.url("sms"), params=query, timeout=30)
    report = requests.get(loop.url("dlr"), params={**query, "id": "kannel:k1:1", "status": "1"}, timeout=30)
    assert (inbound.status_code, report.status_code) == (403, 403)
    assert Message.select().count() == 0


@pytest.mark.parametrize("report_grace", [0.25])  # looked up again twice; nothing is being sent meanwhile
def test_a_report_for_a_message_linli_never_sent_is_ignored(loop: Loop, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="sms.gateways.kannel_routes")
    answer = requests.get(
        loop.url("dlr"), params={"token": loop.token, "id": "kannel:k1:999", "status": "1"}, timeout=30
    )
    assert (answer.status_code, answer.text) == (200, "")
    assert Message.select().count() == 0
    said = [r.getMessage() for r in caplog.records if "no such message" in r.getMessage()]
    assert said == ["kannel k1: report delivered for kannel:k1:999: Linli sent no such message"]


def test_the_probe_and_kannel_unreachable(loop: Loop) -> None:
    loop.gateway.probe()  # smsbox up and the user right: nothing raised, nothing sent
    wrong = kannel.KannelGateway("k1", replace(loop.gateway.options, password="not-the-password"))
    with pytest.raises(GatewayError) as refused:
        wrong.probe()
    assert refused.value.permanent and "check gateways.k1.username and password" in str(refused.value)

    loop.rig.stop_smsbox()
    with pytest.raises(GatewayError) as down:
        loop.gateway.probe()
    assert (down.value.permanent, down.value.code) == (False, "unreachable")
    with pytest.raises(GatewayError) as raised:
        loop.gateway.send(Outgoing(1, "sms", WANG, "1", "zh", "checkin"))
    assert not raised.value.permanent
    assert raised.value.code == "unreachable"
    assert "could not be reached" in str(raised.value)
