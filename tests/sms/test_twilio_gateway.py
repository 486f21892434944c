"""The Twilio SMS gateway against a fake Twilio REST server on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kit import outbox
from kit.clock import FixedClock, utcnow
from kit.config import DispatchSettings, TwilioSettings
from kit.dispatcher import Dispatcher
from kit.errors import ConfigError
from kit.gateway import Gateway, GatewayError, Outgoing
from kit.models import Message, MessageEvent
from kit.twilio_rules import ApiBaseHttpClient
from sms.twilio_gateway import TwilioSmsGateway
from tests.fakes.twilio_server import FakeTwilio

PEER = "+8613800000001"
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def fake(fixed_clock: FixedClock) -> Iterator[FakeTwilio]:
    with FakeTwilio(clock=fixed_clock.now) as server:
        yield server


def settings_for(fake: FakeTwilio, **overrides: str) -> TwilioSettings:
    values = {
        "account_sid": fake.account_sid,
        "auth_token": fake.auth_token,
        "from_number": fake.number,
        "public_url": "https://linli.example.org",
        "api_base": fake.url,
    }
    values.update(overrides)
    return TwilioSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def gateway(fake: FakeTwilio) -> TwilioSmsGateway:
    return TwilioSmsGateway(settings_for(fake))


def outgoing(body: str = "今天身体好吗？回复1", peer: str = PEER, message_id: int = 1) -> Outgoing:
    return Outgoing(message_id=message_id, channel="sms", peer=peer, body=body, language="zh", kind="checkin")


def dispatcher(gateway: Gateway) -> Dispatcher:
    return Dispatcher({"sms": gateway}, DispatchSettings(rate_per_second=0), ZONE)


def queue_one(body: str = "今天身体好吗？回复1", peer: str = PEER) -> Message:
    return outbox.queue(outbox.Draft(peer=peer, body=body, kind="checkin"))


# --- sending ---------------------------------------------------------------------------------------------------


def test_is_a_gateway(gateway: TwilioSmsGateway) -> None:
    assert isinstance(gateway, Gateway)
    assert (gateway.name, gateway.channel) == ("twilio", "sms")


def test_send_posts_from_body_and_status_callback(fake: FakeTwilio, gateway: TwilioSmsGateway) -> None:
    result = gateway.send(outgoing("你好，邻居"))

    [sent] = fake.sent()
    assert (sent["to"], sent["from"], sent["body"]) == (PEER, fake.number, "你好，邻居")
    assert sent["status_callback"] == "https://linli.example.org/twilio/sms/status"
    assert result.provider_id == sent["sid"]
    assert result.provider_id.startswith("SM") and len(result.provider_id) == 34
    assert result.status == "queued"


def test_send_through_a_messaging_service(fake: FakeTwilio) -> None:
    gateway = TwilioSmsGateway(settings_for(fake, from_number="", messaging_service_sid="MG" + "1" * 32))
    gateway.send(outgoing())
    [sent] = fake.sent()
    assert sent["messaging_service_sid"] == "MG" + "1" * 32


def test_no_status_callback_without_a_public_url(fake: FakeTwilio) -> None:
    TwilioSmsGateway(settings_for(fake, public_url="")).send(outgoing())
    [sent] = fake.sent()
    assert sent["status_callback"] is None


def test_api_base_with_a_path_is_honoured(fake: FakeTwilio, database: Path) -> None:
    gateway = TwilioSmsGateway(settings_for(fake, api_base=fake.url + "/compat/"))
    sid = gateway.send(outgoing()).provider_id
    assert gateway.find_sent(outgoing(), utcnow() - timedelta(minutes=1)) == sid
    assert fake.requests, "the fake saw no request"
    assert all(path.startswith("/compat/2010-04-01/Accounts/") for _, path in fake.requests)
    assert fake.sent()[0]["api_prefix"] == "/compat"


def test_paging_links_are_rebased_too() -> None:
    client = ApiBaseHttpClient("http://127.0.0.1:9/compat")
    link = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?To=%2B86&Page=1&PageToken=PA1"
    rebased = "http://127.0.0.1:9/compat/2010-04-01/Accounts/AC1/Messages.json?To=%2B86&Page=1&PageToken=PA1"
    assert client.rebase(link) == rebased
    assert client.rebase("https://api.sydney.au1.twilio.com/2010-04-01/x").startswith("http://127.0.0.1:9/compat/")
    assert client.rebase("https://example.org/a") == "https://example.org/a"
    assert ApiBaseHttpClient("https://api.twilio.com").rebase(link) == link


@pytest.mark.parametrize(
    ("status", "code", "permanent", "opted_out"),
    [
        (400, 21211, True, False),  # invalid To
        (400, 21614, True, False),  # not SMS-capable
        (400, 30006, True, False),  # landline
        (400, 21610, True, True),  # unsubscribed: replied STOP
        (429, 20429, False, False),  # too many requests
        (500, None, False, False),
        (503, 30001, False, False),  # queue overflow
        (401, 20003, False, False),  # our credentials: fix the account, the message is fine
    ],
)
def test_error_mapping(
    fake: FakeTwilio, gateway: TwilioSmsGateway, status: int, code: int | None, permanent: bool, opted_out: bool
) -> None:
    fake.fail_next(1, status, code=code, message="Injected")
    with pytest.raises(GatewayError) as caught:
        gateway.send(outgoing())
    assert (caught.value.permanent, caught.value.opted_out) == (permanent, opted_out)
    assert caught.value.code == str(code or status)
    assert fake.sent() == []


def test_unreachable_provider_is_transient(fake: FakeTwilio) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    gateway = TwilioSmsGateway(settings_for(fake, api_base=closed))
    with pytest.raises(GatewayError) as caught:
        gateway.send(outgoing())
    assert not caught.value.permanent
    assert caught.value.code == "connection"


def test_an_answer_lost_after_twilio_took_the_message_is_not_a_failure(
    fake: FakeTwilio, gateway: TwilioSmsGateway, database: Path
) -> None:
    fake.fail_next(1, drop=True)  # accepted, then the connection breaks before the answer
    result = gateway.send(outgoing())
    [sent] = fake.sent()
    assert result.provider_id == sent["sid"]


# --- through the dispatcher ------------------------------------------------------------------------------------


def test_dispatcher_sends_and_records_the_sid(fake: FakeTwilio, gateway: TwilioSmsGateway, community: object) -> None:
    message = queue_one()
    report = dispatcher(gateway).run_once()
    assert report.sent == 1
    stored = Message.get_by_id(message.id)
    assert stored.status == "sent"
    assert stored.provider_id == fake.sent()[0]["sid"]
    assert stored.gateway == "twilio"


def test_permanent_error_fails_the_message(fake: FakeTwilio, gateway: TwilioSmsGateway, community: object) -> None:
    message = queue_one()
    fake.fail_next(1, 400, code=21211, message="The 'To' number is not a valid phone number.")
    report = dispatcher(gateway).run_once()
    assert report.failed == 1
    stored = Message.get_by_id(message.id)
    assert (stored.status, stored.error_code) == ("failed", "21211")
    assert "not a valid phone number" in stored.error
    assert not outbox.is_opted_out(PEER)


def test_unsubscribed_number_is_opted_out(fake: FakeTwilio, gateway: TwilioSmsGateway, community: object) -> None:
    first = queue_one("第一条")
    fake.fail_next(1, 400, code=21610, message="Attempt to send to unsubscribed recipient")
    dispatcher(gateway).run_once()
    assert Message.get_by_id(first.id).status == "failed"
    assert outbox.is_opted_out(PEER)
    later = queue_one("第二条")
    assert later.status == "skipped"
    assert fake.sent() == []


def test_transient_error_retries_with_backoff(
    fake: FakeTwilio, gateway: TwilioSmsGateway, community: object, fixed_clock: FixedClock
) -> None:
    message = queue_one()
    fake.fail_next(1, 500)
    first = dispatcher(gateway).run_once()
    assert first.retried == 1
    stored = Message.get_by_id(message.id)
    assert stored.status == "queued"
    assert stored.not_before == utcnow() + timedelta(seconds=30)

    assert dispatcher(gateway).run_once().sent == 0  # not yet due
    fixed_clock.advance(seconds=30)
    assert dispatcher(gateway).run_once().sent == 1
    assert Message.get_by_id(message.id).status == "sent"
    assert len(fake.sent()) == 1


# --- reconciliation ------------------------------------------------------------------------------------------


def test_find_sent_finds_a_message_already_sent(fake: FakeTwilio, gateway: TwilioSmsGateway, database: Path) -> None:
    sid = gateway.send(outgoing()).provider_id
    assert gateway.find_sent(outgoing(), utcnow() - timedelta(minutes=1)) == sid


def test_find_sent_ignores_other_bodies_older_messages_and_inbound(
    fake: FakeTwilio, gateway: TwilioSmsGateway, database: Path
) -> None:
    now = utcnow()
    fake.add_outbound(PEER, "今天身体好吗？回复1", at=fake.clock() - timedelta(hours=2))  # same words, earlier
    fake.add_outbound(PEER, "另一条通知", at=fake.clock())  # another body, now
    fake.add_outbound("+8613800000002", "今天身体好吗？回复1", at=fake.clock())  # another number
    fake.add_inbound(PEER, "今天身体好吗？回复1", to=PEER)  # not ours to find
    assert gateway.find_sent(outgoing(), now - timedelta(minutes=1)) is None


def test_find_sent_finds_a_message_still_queued_without_a_send_date(fake: FakeTwilio, database: Path) -> None:
    fake.send_at_once = False  # Twilio lists queued messages with date_sent null; the DateSent filter misses them
    gateway = TwilioSmsGateway(settings_for(fake))
    sid = gateway.send(outgoing()).provider_id
    assert gateway.find_sent(outgoing(), utcnow() - timedelta(minutes=1)) == sid


def test_find_sent_skips_a_sid_the_outbox_holds_for_another_message(
    fake: FakeTwilio, gateway: TwilioSmsGateway, community: object
) -> None:
    first, second = queue_one("好的"), queue_one("好的")
    dispatcher(gateway).step(limit=1)
    assert Message.get_by_id(first.id).status == "sent"
    asked = outgoing("好的", message_id=second.id)
    assert gateway.find_sent(asked, utcnow() - timedelta(minutes=1)) is None


def test_find_sent_errors_are_transient(fake: FakeTwilio, gateway: TwilioSmsGateway, database: Path) -> None:
    fake.fail_next(1, 500)
    with pytest.raises(GatewayError) as caught:
        gateway.find_sent(outgoing(), utcnow() - timedelta(minutes=1))
    assert not caught.value.permanent


def _claim_as_dead_dispatcher(message: Message) -> None:
    dead = f"{socket.gethostname()}:999999999:0"
    Message.update(status="sending", claimed_at=utcnow(), claimed_by=dead, attempts=1, gateway="twilio").where(
        Message.id == message.id
    ).execute()


def test_dispatcher_reconciles_a_send_that_reached_twilio(
    fake: FakeTwilio, gateway: TwilioSmsGateway, community: object
) -> None:
    reached, lost = queue_one("已送达的"), queue_one("没送到的", peer="+8613800000002")
    sid = gateway.send(outgoing("已送达的", message_id=reached.id)).provider_id  # then the dispatcher died
    _claim_as_dead_dispatcher(reached)
    _claim_as_dead_dispatcher(lost)

    report = dispatcher(gateway).run_once()

    assert (report.reconciled_sent, report.reconciled_requeued, report.sent) == (1, 1, 1)
    assert Message.get_by_id(reached.id).provider_id == sid
    event = MessageEvent.get((MessageEvent.message == reached.id) & (MessageEvent.status == "sent"))
    assert event.detail == "reconciled"
    assert Message.get_by_id(lost.id).status == "sent"
    assert sorted(m["body"] for m in fake.sent()) == sorted(["已送达的", "没送到的"])  # nothing twice


def test_reconciliation_waits_while_twilio_cannot_be_asked(
    fake: FakeTwilio, gateway: TwilioSmsGateway, community: object
) -> None:
    message = queue_one()
    _claim_as_dead_dispatcher(message)
    fake.fail_next(1, 503)
    report = dispatcher(gateway).reconcile()
    assert (report.reconciled_sent, report.reconciled_requeued) == (0, 0)
    assert Message.get_by_id(message.id).status == "sending"


# --- configuration -------------------------------------------------------------------------------------------


def test_missing_credentials_name_the_settings_and_variables() -> None:
    with pytest.raises(ConfigError) as caught:
        TwilioSmsGateway(TwilioSettings(from_number="+15005550006"))
    text = str(caught.value)
    assert "twilio.account_sid" in text and "TWILIO_ACCOUNT_SID" in text
    assert "twilio.auth_token" in text and "TWILIO_AUTH_TOKEN" in text

    with pytest.raises(ConfigError) as caught:
        TwilioSmsGateway(TwilioSettings(account_sid="AC1", from_number="+15005550006"))
    assert "TWILIO_AUTH_TOKEN" in str(caught.value) and "ACCOUNT_SID" not in str(caught.value)


def test_missing_sender_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"twilio\.from_number"):
        TwilioSmsGateway(TwilioSettings(account_sid="AC1", auth_token="t"))


def test_a_bad_api_base_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"twilio\.api_base"):
        TwilioSmsGateway(TwilioSettings(account_sid="AC1", auth_token="t", from_number="+1", api_base="api.example"))
