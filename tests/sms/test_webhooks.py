"""Twilio's SMS webhooks through the real WebhookServer (its own thread and loop) on loopback.

The inbound router is injected: `store` stands in for sms.router.receive (it stores through the outbox, as the
router does) and `Pending` for sms.router.process_pending, so these tests pin the webhook's contract alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
import requests
from aiohttp import web
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from kit import outbox
from kit.config import DispatchSettings, Settings, TwilioSettings
from kit.dispatcher import Dispatcher
from kit.errors import ConfigError
from kit.migrations import LATEST
from kit.models import Message, MessageEvent
from kit.twilio_rules import TwilioSignature
from linli.server import DatabaseThread, WebhookServer
from sms.twilio_gateway import TwilioSmsGateway
from sms.webhooks import CONTEXT, EMPTY_TWIML
from tests.fakes.twilio_server import FakeTwilio

PUBLIC = "https://linli.example.org"
RESIDENT = "+8613800000001"


def store(gateway: str, provider_id: str, peer: str, body: str, *, at: datetime | None = None) -> tuple[Message, bool]:
    return outbox.record_inbound(gateway=gateway, provider_id=provider_id, peer=peer, body=body, at=at)


@dataclass
class Pending:
    """Stands in for process_pending: marks received rows handled; can be made to wait or to fail."""

    calls: int = 0
    handled: list[int] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    ran: threading.Condition = field(default_factory=threading.Condition)
    failures: int = 0

    def __post_init__(self) -> None:
        self.gate.set()

    def __call__(self, limit: int | None = None) -> int:
        self.gate.wait(10)
        try:
            if self.failures:
                self.failures -= 1
                raise RuntimeError("parser exploded")
            rows = list(Message.select().where((Message.direction == "in") & (Message.status == "received")))
            for row in rows:
                outbox.mark_handled(row.id, {"intent": "well"})
                self.handled.append(row.id)
            return len(rows)
        finally:
            with self.ran:
                self.calls += 1
                self.ran.notify_all()

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        with self.ran:
            return self.ran.wait_for(predicate, timeout)


def settings(public_url: str = PUBLIC, auth_token: str = "") -> Settings:
    config = Settings()
    config.twilio.public_url = public_url
    config.twilio.auth_token = auth_token
    return config


@pytest.fixture
def fake(fixed_clock: object) -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def pending() -> Pending:
    return Pending()


@pytest.fixture
def server(community: object, fake: FakeTwilio, pending: Pending) -> Iterator[WebhookServer]:
    with WebhookServer(
        settings(auth_token=fake.auth_token),
        receive=store,
        process_pending=pending,
        record_status=outbox.record_status,
        host="127.0.0.1",
        port=0,
        status_grace=0,
    ) as running:
        # The worker makes a first pass at start-up (rows left from before); let it finish so counts are exact.
        assert pending.wait_until(lambda: pending.calls >= 1)
        yield running


def post_inbound(fake: FakeTwilio, server: WebhookServer, sid: str, body: str = "1", **kw: str) -> requests.Response:
    params = fake.inbound_params(sid, RESIDENT, body)
    return fake.post_signed(server.url + "/twilio/sms", params, signed_url=PUBLIC + "/twilio/sms", **kw)


def inbox() -> list[Message]:
    return list(Message.select().where(Message.direction == "in"))


# --- inbound -------------------------------------------------------------------------------------------------


def test_signed_inbound_is_stored_answered_with_empty_twiml_and_processed(
    fake: FakeTwilio, server: WebhookServer, pending: Pending
) -> None:
    answer = post_inbound(fake, server, "SM" + "a" * 32, "发烧 38.5")

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/xml")
    assert answer.text == EMPTY_TWIML
    root = ElementTree.fromstring(answer.text)
    assert root.tag == "Response" and len(root) == 0
    [row] = inbox()
    assert (row.peer, row.body, row.provider_id, row.gateway) == (RESIDENT, "发烧 38.5", "SM" + "a" * 32, "twilio")
    assert pending.wait_until(lambda: row.id in pending.handled)
    assert Message.get_by_id(row.id).status == "handled"


def test_inbound_is_answered_before_it_is_processed(fake: FakeTwilio, server: WebhookServer, pending: Pending) -> None:
    pending.gate.clear()  # processing is stuck
    try:
        answer = post_inbound(fake, server, "SM" + "b" * 32)
        assert answer.status_code == 200
        assert [m.status for m in inbox()] == ["received"]
    finally:
        pending.gate.set()
    assert pending.wait_until(lambda: len(pending.handled) == 1)


@pytest.mark.parametrize(
    "forgery",
    [
        "no signature",
        "garbage signature",
        "signed for the server's own host",
        "signed for http instead of https",
        "signed for another host",
        "signed with another token",
        "body changed after signing",
    ],
)
def test_badly_signed_inbound_is_refused_and_nothing_is_stored(
    fake: FakeTwilio, server: WebhookServer, forgery: str
) -> None:
    url = server.url + "/twilio/sms"
    params = fake.inbound_params("SM" + "c" * 32, RESIDENT, "1")
    signed_url, token, signature = PUBLIC + "/twilio/sms", fake.auth_token, None
    if forgery == "no signature":
        signature = ""
    elif forgery == "garbage signature":
        signature = "bm90IGEgc2lnbmF0dXJl"
    elif forgery == "signed for the server's own host":
        signed_url = url
    elif forgery == "signed for http instead of https":
        signed_url = "http://linli.example.org/twilio/sms"
    elif forgery == "signed for another host":
        signed_url = "https://evil.example.org/twilio/sms"
    elif forgery == "signed with another token":
        token = "another-token"
    elif forgery == "body changed after signing":
        signature = fake.signature(signed_url, params)
        params = {**params, "Body": "3 需要帮助"}

    answer = fake.post_signed(url, params, signed_url=signed_url, token=token, signature=signature)

    assert answer.status_code == 403
    assert inbox() == []


def test_a_retried_message_sid_is_stored_once(fake: FakeTwilio, server: WebhookServer) -> None:
    answers = [post_inbound(fake, server, "SM" + "d" * 32, "好") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len(inbox()) == 1


def test_unknown_parameters_do_not_matter(fake: FakeTwilio, server: WebhookServer) -> None:
    extra = {"AddOns": '{"status":"successful","results":{}}', "SomethingNew": "x", "NumMedia": "0"}
    params = {**fake.inbound_params("SM" + "e" * 32, RESIDENT, "ok"), **extra}
    answer = fake.post_signed(server.url + "/twilio/sms", params, signed_url=PUBLIC + "/twilio/sms")
    assert answer.status_code == 200
    assert [m.body for m in inbox()] == ["ok"]


def test_a_signed_request_without_a_sid_is_a_bad_request(fake: FakeTwilio, server: WebhookServer) -> None:
    params = {"From": RESIDENT, "Body": "1"}
    answer = fake.post_signed(server.url + "/twilio/sms", params, signed_url=PUBLIC + "/twilio/sms")
    assert answer.status_code == 400
    assert inbox() == []


def test_a_query_string_is_part_of_the_signed_url(fake: FakeTwilio, server: WebhookServer) -> None:
    params = fake.inbound_params("SM" + "f" * 32, RESIDENT, "1")
    good = fake.post_signed(server.url + "/twilio/sms?grid=3", params, signed_url=PUBLIC + "/twilio/sms?grid=3")
    bad = fake.post_signed(server.url + "/twilio/sms?grid=4", params, signed_url=PUBLIC + "/twilio/sms?grid=3")
    assert (good.status_code, bad.status_code) == (200, 403)


def test_a_signature_over_the_url_with_the_default_port_is_accepted(fake: FakeTwilio, server: WebhookServer) -> None:
    answer = post_inbound(fake, server, "SM" + "1" * 32)  # sanity: without the port
    params = fake.inbound_params("SM" + "2" * 32, RESIDENT, "1")
    with_port = fake.post_signed(
        server.url + "/twilio/sms", params, signed_url="https://linli.example.org:443/twilio/sms"
    )
    assert (answer.status_code, with_port.status_code) == (200, 200)


def test_without_a_public_url_every_webhook_is_refused(community: object, fake: FakeTwilio, pending: Pending) -> None:
    with WebhookServer(
        settings(public_url="", auth_token=fake.auth_token),
        receive=store,
        process_pending=pending,
        record_status=outbox.record_status,
        host="127.0.0.1",
        port=0,
    ) as bare:
        answer = fake.post_signed(bare.url + "/twilio/sms", fake.inbound_params("SM" + "3" * 32, RESIDENT, "1"))
    assert answer.status_code == 403
    assert inbox() == []


def test_the_public_url_can_come_from_the_environment(
    community: object, fake: FakeTwilio, pending: Pending, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_PUBLIC_URL", "https://tunnel.example.net")
    with WebhookServer(
        settings(public_url="", auth_token=fake.auth_token),
        receive=store,
        process_pending=pending,
        record_status=outbox.record_status,
        host="127.0.0.1",
        port=0,
    ) as running:
        params = fake.inbound_params("SM" + "4" * 32, RESIDENT, "1")
        answer = fake.post_signed(
            running.url + "/twilio/sms", params, signed_url="https://tunnel.example.net/twilio/sms"
        )
    assert answer.status_code == 200
    assert len(inbox()) == 1


def test_a_failing_processor_does_not_stop_the_worker(
    fake: FakeTwilio, server: WebhookServer, pending: Pending
) -> None:
    pending.failures = 1
    before = pending.calls
    post_inbound(fake, server, "SM" + "5" * 32)
    assert pending.wait_until(lambda: pending.calls > before)  # the failing pass
    post_inbound(fake, server, "SM" + "6" * 32)
    assert pending.wait_until(lambda: len(pending.handled) == 2)


def test_wake_from_another_thread_runs_a_pass(server: WebhookServer, pending: Pending) -> None:
    before = pending.calls
    threading.Thread(target=server.wake).start()
    assert pending.wait_until(lambda: pending.calls > before)


# --- status callbacks ----------------------------------------------------------------------------------------


@pytest.fixture
def sent_message(fake: FakeTwilio, server: WebhookServer) -> tuple[Message, str]:
    gateway = TwilioSmsGateway(settings_for_gateway(fake))
    message = outbox.queue(outbox.Draft(peer=RESIDENT, body="今天身体好吗？", kind="checkin"))
    Dispatcher({"sms": gateway}, DispatchSettings(rate_per_second=0), ZoneInfo("Asia/Shanghai")).run_once()
    stored = Message.get_by_id(message.id)
    assert stored.status == "sent"
    return stored, str(stored.provider_id)


def settings_for_gateway(fake: FakeTwilio) -> TwilioSettings:
    return TwilioSettings(
        account_sid=fake.account_sid,
        auth_token=fake.auth_token,
        from_number=fake.number,
        public_url=PUBLIC,
        api_base=fake.url,
    )


def history(message: Message) -> list[str]:
    return sorted(e.status for e in MessageEvent.select().where(MessageEvent.message == message.id))


def test_status_callbacks_out_of_order_end_delivered_with_full_history(
    fake: FakeTwilio, server: WebhookServer, sent_message: tuple[Message, str]
) -> None:
    message, sid = sent_message
    answers = [fake.send_status(sid, status, deliver_to=server.url) for status in ("delivered", "sending", "sent")]
    assert [a.status_code for a in answers] == [204, 204, 204]
    assert Message.get_by_id(message.id).status == "delivered"
    assert history(message) == ["delivered", "queued", "sending", "sent"]


def test_a_repeated_status_callback_is_recorded_once(
    fake: FakeTwilio, server: WebhookServer, sent_message: tuple[Message, str]
) -> None:
    message, sid = sent_message
    for _ in range(3):
        assert fake.send_status(sid, "delivered", deliver_to=server.url).status_code == 204
    assert history(message).count("delivered") == 1


def test_undelivered_keeps_the_error(
    fake: FakeTwilio, server: WebhookServer, sent_message: tuple[Message, str]
) -> None:
    message, sid = sent_message
    answer = fake.send_status(
        sid, "undelivered", deliver_to=server.url, error_code="30003", ErrorMessage="Unreachable destination handset"
    )
    assert answer.status_code == 204
    stored = Message.get_by_id(message.id)
    assert (stored.status, stored.error_code) == ("undelivered", "30003")
    assert stored.error == "Unreachable destination handset"


def test_status_callback_with_unknown_parameters(
    fake: FakeTwilio, server: WebhookServer, sent_message: tuple[Message, str]
) -> None:
    message, sid = sent_message
    answer = fake.send_status(sid, "delivered", deliver_to=server.url, RawDlrDoneDate="2611200901", ChannelPrefix="sms")
    assert answer.status_code == 204
    assert Message.get_by_id(message.id).status == "delivered"


def test_badly_signed_status_callback_changes_nothing(
    fake: FakeTwilio, server: WebhookServer, sent_message: tuple[Message, str]
) -> None:
    message, sid = sent_message
    params = fake.status_params(sid, "failed", error_code="30008")
    answer = fake.post_signed(server.url + "/twilio/sms/status", params)  # signed for the local URL
    assert answer.status_code == 403
    assert Message.get_by_id(message.id).status == "sent"
    assert "failed" not in history(message)


def test_status_for_an_unknown_sid_is_accepted_and_ignored(fake: FakeTwilio, server: WebhookServer) -> None:
    params = fake.status_params("SM" + "9" * 32, "delivered")
    answer = fake.post_signed(server.url + "/twilio/sms/status", params, signed_url=PUBLIC + "/twilio/sms/status")
    assert answer.status_code == 204
    assert MessageEvent.select().count() == 0


# --- the app -------------------------------------------------------------------------------------------------


def test_healthz_reports_schema_and_queue(server: WebhookServer) -> None:
    outbox.queue_many([outbox.Draft(peer=f"+86138000000{i:02d}", body="通知", kind="notice") for i in range(3)])
    answer = requests.get(server.url + "/healthz", timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"ok": True, "schema_version": LATEST, "queued": 3}


def test_extra_routes_are_added_with_the_shared_context(community: object, pending: Pending) -> None:
    def add_voice(app: web.Application) -> None:
        context = app[CONTEXT]

        async def ping(request: web.Request) -> web.Response:
            return web.json_response({"signature_configured": context.signature.configured})

        app.router.add_get("/twilio/voice/ping", ping)

    with WebhookServer(
        settings(auth_token="t"),
        receive=store,
        process_pending=pending,
        record_status=outbox.record_status,
        extra_routes=[add_voice],
        host="127.0.0.1",
        port=0,
    ) as running:
        answer = requests.get(running.url + "/twilio/voice/ping", timeout=10)
    assert answer.json() == {"signature_configured": True}


def test_a_port_in_use_is_a_config_error(server: WebhookServer, pending: Pending, database: Path) -> None:
    clash = WebhookServer(
        settings(),
        receive=store,
        process_pending=pending,
        record_status=outbox.record_status,
        host="127.0.0.1",
        port=server.port,
    )
    with pytest.raises(ConfigError, match=r"server\.port"):
        clash.start()


def test_the_server_runs_on_its_own_thread_and_loop(server: WebhookServer) -> None:
    assert server._thread is not None and server._thread is not threading.current_thread()
    assert server._loop is not None and server._loop.is_running()


# --- the signature -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pairs",
    [
        [],
        [("Body", "发烧 38.5 ℃ 😷"), ("From", "+8613800000001"), ("MessageSid", "SM" + "a" * 32)],
        [("MediaUrl0", "https://x/1"), ("Body", ""), ("body", "lower"), ("Body2", "x")],
        [("Tag", "b"), ("Tag", "a"), ("Tag", "b"), ("Other", "1")],  # repeated names and values
    ],
)
def test_our_signature_is_the_one_twilio_computes(pairs: list[tuple[str, str]]) -> None:
    form = MultiDict(pairs)
    url = PUBLIC + "/twilio/sms?grid=3&x=%E4%B8%80"
    expected = RequestValidator("secret").compute_signature(url, form)
    assert TwilioSignature(PUBLIC, "secret").compute(url, form) == expected
    assert TwilioSignature(PUBLIC, "secret").valid("/twilio/sms?grid=3&x=%E4%B8%80", form, expected)
    assert not TwilioSignature(PUBLIC, "other").valid("/twilio/sms?grid=3&x=%E4%B8%80", form, expected)


def test_sha256_signatures_named_in_the_settings_header_are_checked_by_twilio_python() -> None:
    params = {"MessageSid": "SM1", "Body": "1"}
    signature = RequestValidator("secret").compute_signature(PUBLIC + "/twilio/sms", params, "HMAC_SHA256")
    checker = TwilioSignature(PUBLIC, "secret")
    assert checker.valid("/twilio/sms", params, signature, "key=k1,algorithm=HMAC_SHA256")
    assert not checker.valid("/twilio/sms", params, signature)  # as SHA1 it does not match
    assert not checker.valid("/twilio/sms", params, signature, "algorithm=HMAC_MD5")


# --- the server's threads ------------------------------------------------------------------------------------


async def test_the_database_thread_commits_a_burst_together_and_a_failure_alone(community: object) -> None:
    thread = DatabaseThread()
    thread.start()
    started, gate = threading.Event(), threading.Event()

    def hold() -> bool:
        started.set()
        return gate.wait(10)

    def store_then_fail() -> None:
        store("twilio", "SM-failing", RESIDENT, "x")
        raise RuntimeError("boom")

    try:
        first = asyncio.ensure_future(thread.run(hold))
        assert await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        burst = [
            asyncio.ensure_future(thread.run(lambda: store("twilio", "SM-a", RESIDENT, "a")[1])),
            asyncio.ensure_future(thread.run(store_then_fail)),
            asyncio.ensure_future(thread.run(lambda: store("twilio", "SM-b", RESIDENT, "b")[1])),
        ]
        await asyncio.sleep(0)  # let the three reach the thread's queue while it is busy
        gate.set()
        results = await asyncio.gather(first, *burst, return_exceptions=True)
    finally:
        await asyncio.get_running_loop().run_in_executor(None, thread.stop)

    assert results[0] is True and results[1] is True and results[3] is True
    assert isinstance(results[2], RuntimeError)
    assert sorted(m.provider_id for m in inbox()) == ["SM-a", "SM-b"]  # the failing call's row is gone
    assert (thread.calls, thread.commits) == (4, 2)


def test_the_worker_also_runs_on_its_slow_timer(community: object, pending: Pending) -> None:
    with WebhookServer(
        settings(auth_token="t"),
        receive=store,
        process_pending=pending,
        record_status=outbox.record_status,
        host="127.0.0.1",
        port=0,
        process_every=0.01,
    ):
        assert pending.wait_until(lambda: pending.calls >= 3)  # never woken: the timer alone


def test_with_the_real_router_a_stop_opts_the_number_out(community: object, fake: FakeTwilio) -> None:
    from sms import router

    processed = threading.Condition()
    total: list[int] = []

    def process_pending(limit: int | None = None) -> int:
        count = router.process_pending(limit)
        with processed:
            total.append(count)
            processed.notify_all()
        return count

    with WebhookServer(
        settings(auth_token=fake.auth_token),
        receive=router.receive,
        process_pending=process_pending,
        record_status=outbox.record_status,
        host="127.0.0.1",
        port=0,
    ) as running:
        answer = post_inbound(fake, running, "SM" + "7" * 32, "STOP")
        assert answer.status_code == 200 and answer.text == EMPTY_TWIML
        with processed:
            assert processed.wait_for(lambda: sum(total) >= 1, 10)
    assert outbox.is_opted_out(RESIDENT)
    assert [m.status for m in inbox()] == ["handled"]
