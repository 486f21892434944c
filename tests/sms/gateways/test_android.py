"""The Android phone gateway against a stand-in of SMS Gateway for Android's local server (tests/fakes)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from click.testing import CliRunner

from kit import clock, outbox
from kit.alerts import open_alerts
from kit.config import DispatchSettings, Settings
from kit.dispatcher import Dispatcher
from kit.errors import ConfigError
from kit.gateway import GatewayError, Outgoing
from kit.models import Community, GatewayHealth, Message, MessageEvent
from linli.cli.gateways_android import register_command
from linli.server import WebhookServer
from sms.gateways import android
from sms.gateways.android_api import message_key
from sms.gateways.android_events import signature_for
from sms.webhooks import CONTEXT
from tests.fakes.android_app import PASSWORD, SIGNING_KEY, USERNAME, FakeAndroidApp

RESIDENT = "+8613800000001"
NAME = "phone1"


def options(url: str, **more: Any) -> dict[str, Any]:
    return {
        "kind": "android", "url": url, "username": USERNAME, "password": PASSWORD,
        "webhook_secret": SIGNING_KEY, "rate_per_minute": 20, **more,
    }  # fmt: skip


def store(gateway: str, provider_id: str, peer: str, body: str, *, at: Any = None) -> tuple[Message, bool]:
    return outbox.record_inbound(gateway=gateway, provider_id=provider_id, peer=peer, body=body, at=at)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def phone(fixed_clock: clock.FixedClock) -> Iterator[FakeAndroidApp]:
    with FakeAndroidApp(clock=fixed_clock.now) as app:
        yield app


@pytest.fixture
def server(community: object) -> Iterator[WebhookServer]:
    holder: dict[str, android.AndroidGateway] = {}

    def add_routes(app: web.Application) -> None:
        android.mount(app, holder["gateway"], app[CONTEXT])  # the server's own context, as linli.gateways does

    port = free_port()
    settings = Settings()
    holder["gateway"] = android.build(NAME, options("http://127.0.0.1:1", callback_url=f"http://127.0.0.1:{port}"),
                                      settings)  # fmt: skip
    with WebhookServer(
        settings, receive=store, process_pending=lambda limit=None: 0, record_status=outbox.record_status,
        extra_routes=[add_routes], host="127.0.0.1", port=port,
    ) as running:  # fmt: skip
        yield running


@pytest.fixture
def gateway(phone: FakeAndroidApp, server: WebhookServer) -> android.AndroidGateway:
    built = android.build(NAME, options(phone.url, callback_url=server.url), Settings())
    android.register_webhooks(built)
    return built


def dispatch(gateway: android.AndroidGateway) -> None:
    Dispatcher({"sms": gateway}, DispatchSettings(rate_per_second=0), ZoneInfo("Asia/Shanghai")).run_once()


def send_one(gateway: android.AndroidGateway, body: str = "今天身体好吗？") -> Message:
    queued = outbox.queue(outbox.Draft(peer=RESIDENT, body=body, kind="checkin"))
    dispatch(gateway)
    return Message.get_by_id(queued.id)


def statuses(message: Message) -> list[str]:
    return [e.status for e in MessageEvent.select().where(MessageEvent.message == message.id).order_by(MessageEvent.id)]


def events_url(server: WebhookServer) -> str:
    return server.url + f"/android/{NAME}/events"


# --- sending and delivery reports ------------------------------------------------------------------------------


def test_a_send_reaches_the_phone_with_a_delivery_report_and_its_states_come_back_by_signed_webhook(
    phone: FakeAndroidApp, gateway: android.AndroidGateway
) -> None:
    sent = send_one(gateway)

    [(key, record)] = phone.messages.items()
    assert (sent.status, sent.provider_id, sent.gateway) == ("sent", key, NAME)
    assert record["request"]["phoneNumbers"] == [RESIDENT]
    assert record["request"]["textMessage"] == {"text": "今天身体好吗？"}
    assert record["request"]["withDeliveryReport"] is True
    assert phone.advance(key, "Sent") == [204]
    assert phone.advance(key, "Delivered") == [204]
    assert Message.get_by_id(sent.id).status == "delivered"
    assert statuses(sent)[-2:] == ["sent_by_phone", "delivered"]


def test_a_failed_report_records_the_phones_reason(phone: FakeAndroidApp, gateway: android.AndroidGateway) -> None:
    sent = send_one(gateway)

    assert phone.advance(str(sent.provider_id), "Failed", reason="RESULT_ERROR_NO_SERVICE") == [204]

    failed = Message.get_by_id(sent.id)
    assert (failed.status, failed.error) == ("failed", "RESULT_ERROR_NO_SERVICE")
    assert not open_alerts()  # not Android's SMS limit: nothing for the phone's owner to change


def test_the_same_report_twice_is_applied_once(phone: FakeAndroidApp, gateway: android.AndroidGateway) -> None:
    sent = send_one(gateway)
    phone.advance(str(sent.provider_id), "Delivered")
    phone.advance(str(sent.provider_id), "Delivered")

    assert statuses(sent).count("delivered") == 1


def test_a_send_retried_after_a_lost_answer_is_not_a_second_sms(
    phone: FakeAndroidApp, gateway: android.AndroidGateway, community: object
) -> None:
    message = Outgoing(message_id=7, channel="sms", peer=RESIDENT, body="通知", language="zh", kind="notice")

    first = gateway.send(message)
    again = gateway.send(message)

    assert first.provider_id == again.provider_id == message_key(message)
    assert len(phone.messages) == 1
    assert gateway.find_sent(message, clock.utcnow()) == first.provider_id  # Pending on the phone: it has it
    other = Outgoing(message_id=8, channel="sms", peer=RESIDENT, body="通知", language="zh", kind="notice")
    assert gateway.find_sent(other, clock.utcnow()) is None


def test_a_bad_number_is_a_permanent_failure(phone: FakeAndroidApp, gateway: android.AndroidGateway) -> None:
    bad = Outgoing(message_id=1, channel="sms", peer="12", body="x", language="zh", kind="notice")

    with pytest.raises(GatewayError) as refused:
        gateway.send(bad)

    assert refused.value.permanent
    assert "Invalid phone number" in str(refused.value)


def test_a_wrong_password_says_which_settings_to_fix_and_keeps_the_message(
    phone: FakeAndroidApp, community: object
) -> None:
    wrong = android.build(NAME, options(phone.url, password="not-the-password"), Settings())
    message = Outgoing(message_id=1, channel="sms", peer=RESIDENT, body="x", language="zh", kind="notice")

    with pytest.raises(GatewayError) as refused:
        wrong.send(message)

    assert (refused.value.code, refused.value.permanent) == ("auth", False)
    assert "gateways.phone1.username and password" in str(refused.value)


def test_an_unreachable_phone_is_a_transient_failure_and_the_message_waits(community: object) -> None:
    gateway = android.build(NAME, options(f"http://127.0.0.1:{free_port()}"), Settings())

    sent = send_one(gateway)

    assert sent.status == "queued"  # retried later with backoff
    assert "did not answer" in sent.error
    with pytest.raises(GatewayError) as unreachable:
        gateway.find_sent(Outgoing(sent.id, "sms", RESIDENT, sent.body, "zh", "checkin"), clock.utcnow())
    assert (unreachable.value.code, unreachable.value.permanent) == ("connection", False)


def test_a_phone_that_does_not_answer_in_time_is_a_transient_failure(community: object) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        gateway = android.build(NAME, options(f"http://127.0.0.1:{silent.getsockname()[1]}"), Settings())
        gateway.api.timeout = 0.2
        message = Outgoing(message_id=1, channel="sms", peer=RESIDENT, body="x", language="zh", kind="notice")

        with pytest.raises(GatewayError) as timed_out:
            gateway.send(message)

    assert (timed_out.value.code, timed_out.value.permanent) == ("connection", False)


# --- inbound and the webhook's checks ------------------------------------------------------------------------


def test_an_inbound_sms_delivered_twice_is_stored_once(phone: FakeAndroidApp, gateway: android.AndroidGateway) -> None:
    key, first = phone.receive_sms(RESIDENT, "发烧 38.5", message_id="in-1")
    _, again = phone.receive_sms(RESIDENT, "发烧 38.5", message_id="in-1")

    assert first == again == [204]
    [row] = Message.select().where(Message.direction == "in")
    assert (row.peer, row.body, row.provider_id, row.gateway) == (RESIDENT, "发烧 38.5", key, NAME)


@pytest.mark.parametrize(
    "signature", ["", "0" * 64, "not hex at all"], ids=["missing", "wrong", "garbage"]
)  # fmt: skip
def test_a_wrong_or_missing_signature_is_refused_and_nothing_stored(
    phone: FakeAndroidApp, server: WebhookServer, signature: str
) -> None:
    body = phone.event_body("sms:received", {"messageId": "x1", "sender": RESIDENT, "message": "2"})

    answer = phone.post_signed(events_url(server), body, signature=signature)

    assert answer.status_code == 403
    assert not Message.select().where(Message.direction == "in").exists()


def test_a_signature_with_another_key_is_refused(phone: FakeAndroidApp, server: WebhookServer) -> None:
    body = phone.event_body("sms:received", {"messageId": "x1", "sender": RESIDENT, "message": "2"})
    other = FakeAndroidApp(signing_key="somebody-elses-key-0123456789")

    answer = phone.post_signed(events_url(server), body, signature=other.signature(body, str(int(now_ts()))))

    assert answer.status_code == 403
    assert not Message.select().where(Message.direction == "in").exists()


@pytest.mark.parametrize("offset", [-301, 301, 10**30], ids=["old", "future", "absurd"])
def test_a_timestamp_more_than_five_minutes_off_is_refused(
    phone: FakeAndroidApp, server: WebhookServer, offset: int
) -> None:
    body = phone.event_body("sms:received", {"messageId": "x1", "sender": RESIDENT, "message": "2"})

    answer = phone.post_signed(events_url(server), body, timestamp=str(int(now_ts()) + offset))

    assert answer.status_code == 403
    assert not Message.select().where(Message.direction == "in").exists()
    assert phone.post_signed(events_url(server), body, timestamp=str(int(now_ts()) - 299)).status_code == 204


def test_a_delivery_report_for_a_message_linli_never_sent_changes_nothing(
    phone: FakeAndroidApp, server: WebhookServer, gateway: android.AndroidGateway
) -> None:
    sent = send_one(gateway)
    body = phone.event_body("sms:delivered", {"messageId": "somebody-elses", "recipient": RESIDENT})

    answer = phone.post_signed(events_url(server), body)

    assert answer.status_code == 204  # answered, so the app does not retry it for ever
    assert Message.get_by_id(sent.id).status == "sent"
    assert MessageEvent.select().count() == len(statuses(sent))


def test_a_report_that_beats_the_dispatchers_write_is_asked_for_again(
    phone: FakeAndroidApp, server: WebhookServer, gateway: android.AndroidGateway
) -> None:
    queued = outbox.queue(outbox.Draft(peer=RESIDENT, body="x", kind="checkin"))
    Message.update(status="sending").where(Message.id == queued.id).execute()
    key = message_key(Outgoing(queued.id, "sms", RESIDENT, "x", "", "checkin"))
    body = phone.event_body("sms:sent", {"messageId": key, "recipient": RESIDENT})

    assert phone.post_signed(events_url(server), body).status_code == 503


def test_android_s_sms_limit_raises_the_alert_about_the_phone(
    phone: FakeAndroidApp, gateway: android.AndroidGateway
) -> None:
    sent = send_one(gateway)

    phone.advance(str(sent.provider_id), "Failed", reason="RESULT_ERROR_LIMIT_EXCEEDED")

    [alert] = open_alerts()
    assert alert.kind == "gateway_stuck" and "始终允许" in alert.text


# --- stuck messages -------------------------------------------------------------------------------------------


def test_a_message_stuck_pending_makes_the_phone_unhealthy_alerts_and_is_never_sent_again(
    phone: FakeAndroidApp, gateway: android.AndroidGateway, fixed_clock: clock.FixedClock
) -> None:
    sent = send_one(gateway)
    fixed_clock.advance(minutes=29)
    assert android.check_stuck(gateway) == 0
    fixed_clock.advance(minutes=2)

    assert android.check_stuck(gateway) == 1

    health = GatewayHealth.get(GatewayHealth.name == "sms:phone1")
    assert health.consecutive_failures >= Settings().dispatch.failover_after_failures
    assert "stuck on the phone" in health.last_error
    [alert] = open_alerts()
    assert alert.kind == "gateway_stuck"
    assert "phone1" in alert.text and "电池优化" in alert.text and "始终允许" in alert.text
    with pytest.raises(GatewayError):
        gateway.probe()  # the pool keeps it out
    dispatch(gateway)
    assert len(phone.messages) == 1 and Message.get_by_id(sent.id).status == "sent"

    phone.advance(str(sent.provider_id), "Sent")
    assert android.check_stuck(gateway) == 0
    assert GatewayHealth.get(GatewayHealth.name == "sms:phone1").consecutive_failures == 0
    gateway.probe()


def test_the_runtimes_poll_checks_for_stuck_messages_at_most_once_a_minute(
    phone: FakeAndroidApp, gateway: android.AndroidGateway, fixed_clock: clock.FixedClock
) -> None:
    send_one(gateway)
    fixed_clock.advance(minutes=31)
    asked = len(phone.requests)

    assert gateway.poll(store) == 0
    assert gateway.poll(store) == 0

    assert len(phone.requests) == asked + 1 and len(open_alerts()) == 1
    fixed_clock.advance(minutes=1)
    gateway.poll(store)
    assert len(phone.requests) == asked + 2


def test_the_stuck_check_applies_a_state_whose_webhook_was_lost(
    phone: FakeAndroidApp, gateway: android.AndroidGateway, fixed_clock: clock.FixedClock
) -> None:
    sent = send_one(gateway)
    phone.hooks.clear()  # the phone's reports do not reach Linli
    phone.advance(str(sent.provider_id), "Delivered")
    fixed_clock.advance(minutes=31)

    assert android.check_stuck(gateway) == 0
    assert Message.get_by_id(sent.id).status == "delivered"
    assert not open_alerts()


# --- registering the webhooks ----------------------------------------------------------------------------------


def test_register_adds_each_event_once(phone: FakeAndroidApp, gateway: android.AndroidGateway) -> None:
    assert [outcome for _, outcome in android.register_webhooks(gateway)] == ["present"] * 4
    moved = android.build(NAME, options(phone.url, callback_url="http://127.0.0.1:9"), Settings())

    assert [outcome for _, outcome in android.register_webhooks(moved)] == ["updated"] * 4

    assert sorted(h["event"] for h in phone.hooks.values()) == sorted(android.EVENTS)
    assert {h["url"] for h in phone.hooks.values()} == {"http://127.0.0.1:9/android/phone1/events"}


def test_register_on_a_fresh_phone_adds_the_four_events(phone: FakeAndroidApp, community: object) -> None:
    built = android.build(NAME, options(phone.url, callback_url="http://127.0.0.1:8080"), Settings())

    assert android.register_webhooks(built) == [(event, "added") for event in android.EVENTS]
    assert len(phone.hooks) == 4


# --- configuration ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"password": None}, "gateways.phone1.password is missing"),
        ({"webhook_secret": ""}, "gateways.phone1.webhook_secret is missing"),
        ({"url": "192.168.1.23"}, "gateways.phone1.url should be a URL"),
        ({"sim_number": 4}, "gateways.phone1.sim_number must be 1, 2 or 3"),
        ({"stuck_after_minutes": 0}, "gateways.phone1.stuck_after_minutes"),
        ({"device": "/dev/ttyUSB0"}, "Unknown setting gateways.phone1.device"),
    ],
)
def test_a_missing_or_wrong_setting_is_one_clear_line(change: dict[str, Any], named: str) -> None:
    table = {key: value for key, value in {**options("http://127.0.0.1:8080"), **change}.items() if value is not None}

    with pytest.raises(ConfigError) as refused:
        android.build(NAME, table, Settings())

    assert named in str(refused.value) and "\n" not in str(refused.value)


def test_the_callback_url_defaults_to_the_address_that_reaches_the_phone() -> None:
    built = android.build(NAME, options("http://127.0.0.1:8080"), Settings())

    assert built.events_url == f"http://127.0.0.1:{Settings().server.port}/android/phone1/events"


# --- helpers -----------------------------------------------------------------------------------------------------


def now_ts() -> float:
    """The fixed clock's now, as the app's X-Timestamp counts it."""
    return clock.utcnow().replace(tzinfo=ZoneInfo("UTC")).timestamp()


def test_linli_checks_the_signature_the_app_computes() -> None:
    body = json.dumps({"event": "sms:sent", "payload": {"messageId": "短信"}}, ensure_ascii=False).encode()

    assert signature_for("k", body, "1700000000") == FakeAndroidApp(signing_key="k").signature(body, "1700000000")


# --- linli gateways register -------------------------------------------------------------------------------------


def write_config(path: Path, phone_url: str) -> Path:
    path.write_text(
        f'[gateway]\nsms = ["{NAME}"]\n\n[gateways.{NAME}]\nkind = "android"\nurl = "{phone_url}"\n'
        f'username = "{USERNAME}"\npassword = "{PASSWORD}"\nwebhook_secret = "{SIGNING_KEY}"\n'
        'callback_url = "http://127.0.0.1:8080"\n',
        encoding="utf-8",
    )
    return path


def test_the_register_command_registers_once_and_says_so(
    phone: FakeAndroidApp, community: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_CONFIG", str(write_config(tmp_path / "linli.toml", phone.url)))

    first = CliRunner().invoke(register_command, [NAME], catch_exceptions=False)
    again = CliRunner().invoke(register_command, [NAME], catch_exceptions=False)

    assert first.exit_code == again.exit_code == 0
    assert first.output.count(" 已登记 -> http://127.0.0.1:8080/android/phone1/events") == 4
    assert again.output.count(" 早已登记 -> ") == 4
    assert len(phone.hooks) == 4


def test_an_english_community_reads_the_register_command_in_english(
    phone: FakeAndroidApp, community: Community, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Community.update(languages="en").execute()
    monkeypatch.setenv("LINLI_CONFIG", str(write_config(tmp_path / "linli.toml", phone.url)))

    result = CliRunner().invoke(register_command, [NAME], catch_exceptions=False)

    assert result.output.splitlines()[0] == (
        "phone1: sms:received registered -> http://127.0.0.1:8080/android/phone1/events"
    )


def test_the_register_command_refuses_a_name_that_is_not_a_phone(
    phone: FakeAndroidApp, community: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_CONFIG", str(write_config(tmp_path / "linli.toml", phone.url)))

    result = CliRunner().invoke(register_command, ["modem1"])

    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == '没有 kind = "android" 的 [gateways.modem1]；已配置的安卓手机有：phone1。'
    assert result.exception.text("en") == (
        'There is no [gateways.modem1] with kind = "android"; the Android phones configured are: phone1.'
    )
    assert not phone.hooks
