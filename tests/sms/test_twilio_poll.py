"""Inbound SMS by polling the (fake) Twilio REST API: high-water mark, dedupe by sid, outbound ignored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kit import outbox
from kit.clock import FixedClock
from kit.config import TwilioSettings
from kit.errors import ConfigError
from kit.gateway import GatewayError, Outgoing
from kit.models import Message, get_setting
from sms.twilio_gateway import TwilioSmsGateway
from sms.twilio_poll import MARK_KEY, InboundPoller, poll_inbound
from tests.fakes.twilio_server import FakeTwilio

RESIDENT = "+8613800000001"


def store(gateway: str, provider_id: str, peer: str, body: str, *, at: datetime | None = None) -> tuple[Message, bool]:
    return outbox.record_inbound(gateway=gateway, provider_id=provider_id, peer=peer, body=body, at=at)


@pytest.fixture
def fake(fixed_clock: FixedClock) -> Iterator[FakeTwilio]:
    with FakeTwilio(clock=fixed_clock.now) as server:
        yield server


@pytest.fixture
def settings(fake: FakeTwilio) -> TwilioSettings:
    return TwilioSettings(
        account_sid=fake.account_sid, auth_token=fake.auth_token, from_number=fake.number, api_base=fake.url
    )


@pytest.fixture
def gateway(settings: TwilioSettings) -> TwilioSmsGateway:
    return TwilioSmsGateway(settings)


def inbox() -> list[tuple[str, str, str]]:
    rows = Message.select().where(Message.direction == "in").order_by(Message.created_at, Message.id)
    return [(m.provider_id, m.peer, m.body) for m in rows]


def test_new_inbound_messages_are_stored_with_their_send_time(
    fake: FakeTwilio, gateway: TwilioSmsGateway, settings: TwilioSettings, database: Path, fixed_clock: FixedClock
) -> None:
    at = fixed_clock.now() - timedelta(minutes=5)
    sid = fake.add_inbound(RESIDENT, "1", at=at)
    assert poll_inbound(gateway, settings, store) == 1
    assert inbox() == [(sid, RESIDENT, "1")]
    [row] = Message.select().where(Message.direction == "in")
    assert row.created_at == at.replace(tzinfo=None)
    assert row.status == "received"


def test_polling_again_stores_nothing_twice(
    fake: FakeTwilio, gateway: TwilioSmsGateway, settings: TwilioSettings, database: Path
) -> None:
    fake.add_inbound(RESIDENT, "1")
    fake.add_inbound("+8613800000002", "2")
    assert poll_inbound(gateway, settings, store) == 2
    assert poll_inbound(gateway, settings, store) == 0
    assert poll_inbound(gateway.client, settings, store) == 0  # a bare twilio Client works too
    assert len(inbox()) == 2


def test_the_high_water_mark_moves_to_the_newest_message(
    fake: FakeTwilio, gateway: TwilioSmsGateway, settings: TwilioSettings, database: Path, fixed_clock: FixedClock
) -> None:
    fake.add_inbound(RESIDENT, "early", at=fixed_clock.now() - timedelta(minutes=20))
    fake.add_inbound(RESIDENT, "late", at=fixed_clock.now() - timedelta(minutes=2))
    assert poll_inbound(gateway, settings, store) == 2
    assert get_setting(MARK_KEY) == (fixed_clock.now() - timedelta(minutes=2)).replace(tzinfo=None).isoformat()

    fixed_clock.advance(hours=3)
    fake.add_inbound(RESIDENT, "next", at=fixed_clock.now())
    assert poll_inbound(gateway, settings, store) == 1
    assert [body for _, _, body in inbox()] == ["early", "late", "next"]
    assert get_setting(MARK_KEY) == fixed_clock.now().replace(tzinfo=None).isoformat()


def test_messages_older_than_the_mark_are_not_read_again(
    fake: FakeTwilio, gateway: TwilioSmsGateway, settings: TwilioSettings, database: Path, fixed_clock: FixedClock
) -> None:
    fake.add_inbound(RESIDENT, "now", at=fixed_clock.now())
    assert poll_inbound(gateway, settings, store) == 1
    # Listed late with an old send date, well before the mark: the day filter and the margin leave it out.
    fake.add_inbound(RESIDENT, "two days old", at=fixed_clock.now() - timedelta(days=2))
    assert poll_inbound(gateway, settings, store) == 0
    assert [body for _, _, body in inbox()] == ["now"]


def test_a_message_listed_late_within_the_margin_is_still_picked_up(
    fake: FakeTwilio, gateway: TwilioSmsGateway, settings: TwilioSettings, database: Path, fixed_clock: FixedClock
) -> None:
    fake.add_inbound(RESIDENT, "second", at=fixed_clock.now())
    assert poll_inbound(gateway, settings, store) == 1
    fake.add_inbound("+8613800000002", "first, listed late", at=fixed_clock.now() - timedelta(minutes=3))
    assert poll_inbound(gateway, settings, store) == 1
    assert len(inbox()) == 2


def test_the_first_poll_looks_back_one_hour_only(
    fake: FakeTwilio, gateway: TwilioSmsGateway, settings: TwilioSettings, database: Path, fixed_clock: FixedClock
) -> None:
    fake.add_inbound(RESIDENT, "yesterday", at=fixed_clock.now() - timedelta(days=1))
    fake.add_inbound(RESIDENT, "just now", at=fixed_clock.now() - timedelta(minutes=1))
    assert poll_inbound(gateway, settings, store) == 1
    assert [body for _, _, body in inbox()] == ["just now"]


def test_outbound_messages_are_ignored(
    fake: FakeTwilio, gateway: TwilioSmsGateway, settings: TwilioSettings, database: Path
) -> None:
    fake.add_outbound(fake.number, "a message we sent to ourselves")
    notice = Outgoing(message_id=1, channel="sms", peer=RESIDENT, body="通知", language="zh", kind="notice")
    gateway.send(notice)  # and one to a resident
    assert poll_inbound(gateway, settings, store) == 0
    assert inbox() == []


def test_messages_to_other_numbers_are_ignored(
    fake: FakeTwilio, gateway: TwilioSmsGateway, settings: TwilioSettings, database: Path
) -> None:
    fake.add_inbound(RESIDENT, "to another of our numbers", to="+15005550009")
    assert poll_inbound(gateway, settings, store) == 0


def test_paging_reads_every_page(
    fake: FakeTwilio, gateway: TwilioSmsGateway, settings: TwilioSettings, database: Path, fixed_clock: FixedClock
) -> None:
    for i in range(450):
        fake.add_inbound(f"+86138{i:08d}", f"reply {i}", at=fixed_clock.now() - timedelta(seconds=i))
    assert poll_inbound(gateway, settings, store) == 450
    pages = [path for method, path in fake.requests if method == "GET"]
    assert len(pages) == 3  # 200 a page


def test_an_error_keeps_the_mark(
    fake: FakeTwilio, gateway: TwilioSmsGateway, settings: TwilioSettings, database: Path
) -> None:
    fake.add_inbound(RESIDENT, "1")
    assert poll_inbound(gateway, settings, store) == 1
    mark = get_setting(MARK_KEY)
    fake.add_inbound(RESIDENT, "2")
    fake.fail_next(1, 503)
    with pytest.raises(GatewayError):
        poll_inbound(gateway, settings, store)
    assert get_setting(MARK_KEY) == mark
    assert poll_inbound(gateway, settings, store) == 1


def test_the_poller_wakes_the_worker_only_for_new_messages(
    fake: FakeTwilio, gateway: TwilioSmsGateway, settings: TwilioSettings, database: Path
) -> None:
    woken: list[int] = []
    poller = InboundPoller(gateway, settings, store, on_new=lambda: woken.append(1))
    fake.add_inbound(RESIDENT, "1")
    assert poller.poll_once() == 1
    assert poller.poll_once() == 0
    fake.fail_next(1, 500)
    assert poller.poll_once() == 0
    assert "Could not fetch inbound SMS" in poller.last_error
    assert woken == [1]


def test_polling_needs_our_number(gateway: TwilioSmsGateway, database: Path) -> None:
    settings = TwilioSettings(account_sid="AC1", auth_token="t", messaging_service_sid="MG1")
    with pytest.raises(ConfigError, match=r"twilio\.from_number"):
        poll_inbound(gateway, settings, store)
