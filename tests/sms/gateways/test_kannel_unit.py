"""The Kannel gateway without Kannel: its settings, the sendsms request it makes, how it reads sendsms's answers,
and its two routes on the real webhook server (on loopback), including a report for a row left 'sending'."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests

from kit import outbox
from kit.clock import FixedClock, utcnow
from kit.config import DispatchSettings, Settings, load_settings
from kit.dispatcher import Dispatcher
from kit.errors import ConfigError
from kit.gateway import GatewayError, Outgoing
from kit.models import Community, Message
from linli.gateways import build_gateways, provider_routes
from linli.server import WebhookServer, sms_handlers
from sms.gateways import kannel
from tests.sms.gateways.kannel_harness import linli_server

TOKEN = "Zq3v_8YtK2mW-pLx9cR4nB7hJ1sD6fG0aE5uV"  # a fixed random-looking token: test ids stay the same
PEER = "+8613800000001"
REPORT_GRACE = 0.25  # seconds a report for an unknown id is looked up again: twice, no dispatcher races these tests
OPTIONS: dict[str, Any] = {
    "kind": "kannel",
    "rate_per_minute": 30,
    "send_url": "http://127.0.0.1:13013/cgi-bin/sendsms",
    "username": "linli",
    "password": "s3cret-sendsms-pass",
    "inbound_token": TOKEN,
}


def gateway(**changes: Any) -> kannel.KannelGateway:
    settings = Settings()
    settings.server.port = 8181
    return kannel.build("k1", {**OPTIONS, **changes}, settings)


def outgoing(body: str, message_id: int = 42) -> Outgoing:
    return Outgoing(message_id, "sms", PEER, body, "zh", "checkin")


# --- settings -------------------------------------------------------------------------------------------


def test_defaults() -> None:
    options = gateway().options
    assert options.callback_url == "http://127.0.0.1:8181"
    assert options.dlr_mask == 27 == kannel.DLR_DELIVERED | kannel.DLR_UNDELIVERED | 8 | 16
    assert (options.smsc, options.from_number) == ("", "")


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"send_url": None}, "gateways.k1.send_url is missing"),
        ({"username": ""}, "gateways.k1.username is missing"),
        ({"password": None}, "gateways.k1.password is missing"),
        ({"password": "changeme"}, "gateways.k1.password is a placeholder"),
        ({"inbound_token": None}, "gateways.k1.inbound_token is missing"),
        ({"inbound_token": "short-token"}, "gateways.k1.inbound_token must be a random secret of at least 32"),
        ({"inbound_token": "x" * 31 + "%"}, "gateways.k1.inbound_token must be a random secret"),
        ({"send_url": "127.0.0.1:13013"}, "gateways.k1.send_url must be an http:// URL"),
        ({"callback_url": "ftp://x"}, "gateways.k1.callback_url must be an http:// URL"),
        ({"dlr_mask": 64}, "gateways.k1.dlr_mask must be a whole number from 0 to 31"),
        ({"timeout": 0}, "gateways.k1.timeout must be a number of seconds above 0"),
        ({"smsc": 5}, "gateways.k1.smsc must be text"),
        ({"sendurl": "http://x"}, "gateways.k1.sendurl is not a Kannel setting"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(changes: dict[str, Any], said: str) -> None:
    options = {key: value for key, value in {**OPTIONS, **changes}.items() if value is not None}
    with pytest.raises(ConfigError) as raised:
        kannel.build("k1", options, Settings())
    assert str(raised.value).startswith(said)
    assert "\n" not in str(raised.value)


def test_a_name_that_cannot_be_in_a_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="name may hold only"):
        kannel.build("k 1/x", OPTIONS, Settings())


# --- the sendsms request ----------------------------------------------------------------------------------


def sent_query(gate: kannel.KannelGateway, body: str) -> dict[str, list[str]]:
    url = gate.sendsms_url(outgoing(body))
    assert url.startswith("http://127.0.0.1:13013/cgi-bin/sendsms?")
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_chinese_goes_as_ucs2_with_a_dlr_url_carrying_our_id() -> None:
    query = sent_query(gateway(from_number="10690000", smsc="modem1"), "今日健康打卡：回复1")
    assert query == {
        "username": ["linli"],
        "password": ["s3cret-sendsms-pass"],
        "to": [PEER],
        "text": ["今日健康打卡：回复1"],
        "charset": ["UTF-8"],
        "from": ["10690000"],
        "smsc": ["modem1"],
        "coding": ["2"],
        "dlr-mask": ["27"],
        "dlr-url": [f"http://127.0.0.1:8181/kannel/k1/dlr?token={TOKEN}&id=kannel:k1:42&status=%d&answer=%A"],
    }


def test_gsm_text_goes_without_ucs2() -> None:
    query = sent_query(gateway(), "Daily check-in: reply 1 & 2 {ok}")
    assert "coding" not in query and "from" not in query and "smsc" not in query
    assert query["text"] == ["Daily check-in: reply 1 & 2 {ok}"]


def test_no_dlr_mask_means_no_dlr_url() -> None:
    query = sent_query(gateway(dlr_mask=0), "1")
    assert "dlr-url" not in query and "dlr-mask" not in query


@pytest.mark.parametrize(
    ("status", "body", "result"),
    [(202, "0: Accepted for delivery", "sent"), (202, "3: Queued for later delivery", "queued")],
)
def test_accepted_answers(status: int, body: str, result: str) -> None:
    answer = kannel.answer_of("k1", "kannel:k1:7", status, body)
    assert (answer.provider_id, answer.status) == ("kannel:k1:7", result)


@pytest.mark.parametrize(
    ("status", "body", "permanent"),
    [
        (403, "Authorization failed for sendsms", True),
        (400, "Missing receiver number, rejected", True),
        (403, "Number(s) has/have been denied by white- and/or black-lists.", True),
        (400, "Sender missing and no global set, rejected", True),
        (503, "4: Temporal failure, try again later.", False),
        (500, "", False),
        (202, "something else", False),
    ],
)
def test_refusals(status: int, body: str, permanent: bool) -> None:
    with pytest.raises(GatewayError) as raised:
        kannel.answer_of("k1", "kannel:k1:7", status, body)
    assert raised.value.permanent is permanent
    assert raised.value.code == str(status)


def test_a_missing_sender_names_the_setting() -> None:
    with pytest.raises(GatewayError, match=r"set gateways\.k1\.from_number, or global-sender in kannel\.conf"):
        kannel.answer_of("k1", "kannel:k1:7", 400, "Sender missing and no global set, rejected")


def test_a_closed_port_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(GatewayError) as raised:
        gateway(send_url=f"http://127.0.0.1:{port}/cgi-bin/sendsms").send(outgoing("1"))
    assert (raised.value.permanent, raised.value.code) == (False, "unreachable")


def test_a_kannel_that_never_answers_times_out_transiently() -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        gate = gateway(send_url=f"http://127.0.0.1:{port}/cgi-bin/sendsms", timeout=0.3)
        with pytest.raises(GatewayError) as raised:
            gate.send(outgoing("1"))
    assert (raised.value.permanent, raised.value.code) == (False, "unreachable")


def test_a_sendsms_answer_over_http() -> None:
    class Answer(threading.Thread):
        """A one-request HTTP server answering like smsbox refusing the user."""

        def __init__(self) -> None:
            super().__init__(daemon=True)
            self.listener = socket.create_server(("127.0.0.1", 0))
            self.port = self.listener.getsockname()[1]

        def run(self) -> None:
            connection, _ = self.listener.accept()
            with connection:
                connection.recv(65536)
                body = b"Authorization failed for sendsms"
                head = f"HTTP/1.1 403 Forbidden\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                connection.sendall(head.encode() + body)
            self.listener.close()

    server = Answer()
    server.start()
    with pytest.raises(GatewayError) as raised:
        gateway(send_url=f"http://127.0.0.1:{server.port}/cgi-bin/sendsms").send(outgoing("1"))
    server.join(10)
    assert raised.value.permanent
    assert "check gateways.k1.username and password" in str(raised.value)


# --- mapping --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("1", "delivered"),
        ("2", "undelivered"),
        ("4", "queued"),
        ("8", "sent"),
        ("16", "failed"),
        ("3", None),
        ("", None),
        ("x", None),
        ("-1", None),
    ],
)
def test_dlr_status(value: str, status: str | None) -> None:
    assert kannel.dlr_status(value) == status


def test_inbound_key() -> None:
    assert kannel.inbound_key("ac13-bb", "+86138", "1", "17") == "ac13-bb"
    hashed = kannel.inbound_key("", "+86138", "1", "17")
    assert hashed.startswith("h:") and hashed == kannel.inbound_key(" ", "+86138", "1", "17")
    assert hashed != kannel.inbound_key("", "+86138", "1", "18")
    assert hashed != kannel.inbound_key("", "+86138", "2", "17")


def test_find_sent_waits_for_kannels_report_then_says_not_sent(fixed_clock: FixedClock) -> None:
    claimed = utcnow()
    since = claimed - timedelta(minutes=1)  # what the reconciler passes
    gate = gateway()
    with pytest.raises(GatewayError) as raised:
        gate.find_sent(outgoing("1"), since)
    assert not raised.value.permanent and raised.value.code == "unsettled"
    fixed_clock.advance(seconds=kannel.SETTLE.total_seconds() - 1)
    with pytest.raises(GatewayError):
        gate.find_sent(outgoing("1"), since)
    fixed_clock.advance(seconds=1)
    assert gate.find_sent(outgoing("1"), since) is None


# --- the routes, on the real server -----------------------------------------------------------------------


@pytest.fixture
def server(community: Community) -> Iterator[WebhookServer]:

    settings = Settings()
    settings.server.port = 0
    with linli_server(settings, gateway(), process_pending=lambda limit=None: 0, report_grace=REPORT_GRACE) as running:
        yield running


def get(server: WebhookServer, path: str, query: str) -> requests.Response:
    return requests.get(f"{server.url}/kannel/k1/{path}?{query}", timeout=30)


@pytest.mark.parametrize(
    "query",
    [
        f"token={TOKEN}&text=1",  # no sender
        f"token={TOKEN}&from=%2B8613800000001",  # no text
        f"token={TOKEN}&from=%2B8613800000001&text=%FF%FE",  # not UTF-8
        f"token={TOKEN}&from=%2B8613800000001&text=%D8%00&charset=UTF-16BE",  # a lone surrogate
    ],
)
def test_a_bad_inbound_is_400_and_stores_nothing(server: WebhookServer, query: str) -> None:
    assert get(server, "sms", query).status_code == 400
    assert Message.select().count() == 0


def test_ucs2_text_named_utf16_is_decoded(server: WebhookServer) -> None:
    text = "%00%32%00%20%90%00%8B%A2"  # "2 退订" in UTF-16BE, as Kannel passes it without mo-recode
    answer = get(server, "sms", f"token={TOKEN}&from=%2B8613800000001&text={text}&id=u1&coding=2&charset=UTF-16BE")
    assert (answer.status_code, answer.text) == (200, "")
    assert Message.get().body == "2 退订"


@pytest.mark.parametrize("query", [f"token={TOKEN}&id=kannel:k1:1&status=3", f"token={TOKEN}&status=1"])
def test_a_bad_report_is_400(server: WebhookServer, query: str) -> None:
    assert get(server, "dlr", query).status_code == 400


def test_a_report_for_a_row_left_sending_gives_it_its_id(server: WebhookServer) -> None:
    """Its dispatcher died after Kannel took it: the report proves Kannel had it, so it is not sent again."""
    message = outbox.queue(outbox.Draft(peer=PEER, body="今日健康打卡", kind="checkin"))
    Message.update(status="sending", gateway="k1", claimed_at=utcnow(), claimed_by="gone:1:1").where(
        Message.id == message.id
    ).execute()
    answer = get(server, "dlr", f"token={TOKEN}&id=kannel:k1:{message.id}&status=8&answer=ACK%2F")
    assert answer.status_code == 200
    row = Message.get_by_id(message.id)
    assert (row.status, row.provider_id) == ("sent", f"kannel:k1:{message.id}")


def test_a_report_does_not_take_another_gateways_row(server: WebhookServer) -> None:
    message = outbox.queue(outbox.Draft(peer=PEER, body="1", kind="checkin"))
    Message.update(status="sending", gateway="k2").where(Message.id == message.id).execute()
    assert get(server, "dlr", f"token={TOKEN}&id=kannel:k1:{message.id}&status=1").status_code == 200
    assert Message.get_by_id(message.id).status == "sending"


# --- after a crash --------------------------------------------------------------------------------------


def test_a_row_left_sending_by_a_dead_dispatcher_waits_for_kannels_report_before_it_is_queued_again(
    community: Community, fixed_clock: FixedClock
) -> None:
    message = outbox.queue(outbox.Draft(peer=PEER, body="今日健康打卡", kind="checkin"))
    dead = f"{socket.gethostname()}:{2**22 + 7}:0"  # no such process
    Message.update(status="sending", gateway="k1", claimed_at=utcnow(), claimed_by=dead, attempts=1).where(
        Message.id == message.id
    ).execute()
    dispatcher = Dispatcher({"sms": gateway()}, DispatchSettings(rate_per_second=0), ZoneInfo("Asia/Shanghai"))

    report = dispatcher.reconcile()
    assert (report.reconciled_sent, report.reconciled_requeued) == (0, 0)
    assert Message.get_by_id(message.id).status == "sending"  # not sent again while Kannel may have it

    fixed_clock.advance(seconds=kannel.SETTLE.total_seconds())
    report = dispatcher.reconcile()
    assert report.reconciled_requeued == 1  # no report came: Kannel never had it
    assert Message.get_by_id(message.id).status == "queued"


# --- through the registry -------------------------------------------------------------------------------


def test_the_registry_builds_it_and_the_server_mounts_its_routes(community: Community, tmp_path: Path) -> None:
    config = tmp_path / "linli.toml"
    config.write_text(
        f"""
[server]
port = 0

[gateway]
sms = ["k1"]

[gateways.k1]
kind = "kannel"
send_url = "http://127.0.0.1:13013/cgi-bin/sendsms"
username = "linli"
password = "s3cret-sendsms-pass"
inbound_token = "{TOKEN}"
rate_per_minute = 30
""",
        encoding="utf-8",
    )
    settings = load_settings(config, env={})
    gateways = build_gateways(settings)
    assert isinstance(gateways["sms"], kannel.KannelGateway) and gateways["sms"].name == "k1"
    handlers = sms_handlers()
    handlers["process_pending"] = lambda limit=None: 0
    with WebhookServer(settings, **handlers, extra_routes=provider_routes(gateways), host="127.0.0.1") as server:
        refused = get(server, "sms", "token=nope&from=%2B8613800000001&text=1&id=r1")
        answer = get(server, "sms", f"token={TOKEN}&from=%2B8613800000001&text=1&id=r1")
    assert (refused.status_code, answer.status_code, answer.text) == (403, 200, "")
    assert [(m.gateway, m.provider_id, m.body) for m in Message.select()] == [("k1", "r1", "1")]


def test_a_table_missing_send_url_stops_the_build_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "linli.toml"
    config.write_text(
        f'[gateway]\nsms = ["x"]\n\n[gateways.x]\nkind = "kannel"\nusername = "linli"\npassword = "pw-1234567"\n'
        f'inbound_token = "{TOKEN}"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        build_gateways(load_settings(config, env={}))
    assert str(raised.value) == (
        "gateways.x.send_url is missing: the Kannel gateway needs it (see the README's Kannel part)."
    )
