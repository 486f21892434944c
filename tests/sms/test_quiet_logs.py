"""Logs at INFO, as `linli serve` writes them: one Linli line per message sent, and nothing from the provider's
client (twilio-python logs each request in about ten lines, a lookup's URL with the resident's number in it)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from kit import outbox
from kit.clock import FixedClock, utcnow
from kit.config import DispatchSettings, TwilioSettings
from kit.dispatcher import Dispatcher
from kit.gateway import Outgoing
from kit.models import Community
from linli.logs import QUIET_LOGGERS, quiet_provider_logs
from sms.twilio_gateway import TwilioSmsGateway
from tests.fakes.twilio_server import FakeTwilio

PEERS = ("+8613800000001", "+8613800000002", "+8613800000003")
BODY = "王秀英您好，今天身体好吗？回复1"


@pytest.fixture
def fake(fixed_clock: FixedClock) -> Iterator[FakeTwilio]:
    with FakeTwilio(clock=fixed_clock.now) as server:
        yield server


@pytest.fixture
def gateway(fake: FakeTwilio) -> TwilioSmsGateway:
    settings = TwilioSettings(
        account_sid=fake.account_sid, auth_token=fake.auth_token, from_number=fake.number, api_base=fake.url
    )
    return TwilioSmsGateway(settings)


@pytest.fixture(autouse=True)
def levels_put_back() -> Iterator[None]:
    saved = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def send_three_and_look_one_up(gateway: TwilioSmsGateway) -> list[int]:
    ids = [outbox.queue(outbox.Draft(peer=peer, body=BODY, kind="checkin")).id for peer in PEERS]
    report = Dispatcher({"sms": gateway}, DispatchSettings(rate_per_second=0), ZoneInfo("Asia/Shanghai")).run_once()
    assert report.sent == 3
    asked = Outgoing(message_id=ids[0], channel="sms", peer=PEERS[0], body=BODY, language="zh", kind="checkin")
    assert gateway.find_sent(asked, utcnow() - timedelta(minutes=1))  # a lookup by number, as reconciling does
    return ids


def from_provider(record: logging.LogRecord) -> bool:
    return record.name.split(".")[0] in ("twilio", "aiohttp")


def test_twilio_python_alone_logs_numbers_at_info(
    community: Community, gateway: TwilioSmsGateway, caplog: pytest.LogCaptureFixture
) -> None:
    """Why the provider's loggers are quieted: left as they are, they write the resident's number."""
    caplog.set_level(logging.INFO)
    send_three_and_look_one_up(gateway)
    provider = [record.getMessage() for record in caplog.records if from_provider(record)]
    assert len(provider) > 3 * 5
    assert any(PEERS[0].lstrip("+") in line for line in provider)


def test_at_info_the_provider_says_nothing_and_linli_one_line_per_message(
    community: Community, gateway: TwilioSmsGateway, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_provider_logs()
    caplog.set_level(logging.INFO)

    ids = send_three_and_look_one_up(gateway)

    assert [record.name for record in caplog.records if from_provider(record)] == []
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 3
    assert [line.split()[:2] for line in lines] == [["message", str(message_id)] for message_id in ids]
    assert all("sms twilio" in line for line in lines)
    for line in lines:
        assert BODY not in line and not any(peer.lstrip("+")[-8:] in line for peer in PEERS)
