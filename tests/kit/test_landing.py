"""The landing (kit.landing): what the webhook process stores, in a file of its own, until the inbound worker moves
it into the database (sms.batch.take_landed, through kit.outbox.record_inbound_all)."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from kit.landing import Landing, landing_path
from kit.models import Community, Message, MessageEvent
from kit.outbox import record_inbound, record_inbound_all
from kit.residents import ResidentInput, add_resident
from sms.batch import take_landed

WANG = "+8613800000001"
EARLY = datetime(2026, 11, 20, 1, 0, 5)


@pytest.fixture
def landing(tmp_path: Path) -> Iterator[Landing]:
    opened = Landing(tmp_path / "linli.landing.sqlite3")
    yield opened
    opened.close()


def land(landing: Landing, provider_id: str, peer: str = WANG, body: str = "1", at: datetime = EARLY) -> bool:
    with landing.transaction():
        _, created = landing.receive("twilio", provider_id, peer, body, at=at)
    return created


def test_the_landing_lives_beside_its_database_readable_by_its_owner_only(tmp_path: Path) -> None:
    assert landing_path(tmp_path / "linli.sqlite3") == tmp_path / "linli.landing.sqlite3"
    assert landing_path("/srv/district.db") == Path("/srv/district.landing.db")
    Landing(landing_path(tmp_path / "linli.sqlite3")).close()
    assert stat.S_IMODE((tmp_path / "linli.landing.sqlite3").stat().st_mode) == 0o600


def test_a_copy_of_a_message_the_landing_holds_is_refused(landing: Landing) -> None:
    assert land(landing, "SM1", body="1") is True
    assert land(landing, "SM1", body="1") is False  # the provider's retry
    assert land(landing, "SM2", body="好") is True
    assert [(m.provider_id, m.body, m.at) for m in landing.landed(10)] == [("SM1", "1", EARLY), ("SM2", "好", EARLY)]


def test_what_a_failed_transaction_landed_is_gone(landing: Landing) -> None:
    with pytest.raises(RuntimeError), landing.transaction():
        landing.receive("twilio", "SM1", WANG, "1")
        raise RuntimeError("the disk is full")
    assert landing.landed(10) == []


def test_a_message_is_durable_once_its_transaction_ends(landing: Landing) -> None:
    land(landing, "SM1", body="2 38度5")
    other = sqlite3.connect(landing.path)  # as the inbound worker, in its own process, reads it
    assert other.execute("SELECT provider_id, body FROM landed").fetchall() == [("SM1", "2 38度5")]
    other.close()


def test_taking_moves_the_landed_messages_into_the_database_in_order_and_forgets_them(
    community: Community, landing: Landing
) -> None:
    wang = add_resident(ResidentInput(name="王芳", phone=WANG, grid="东区", language="en"))
    land(landing, "SM1", body="1")
    land(landing, "SM2", peer="13800000002", body="好")  # as some gateways send it: written in E.164 here

    assert take_landed(landing) == 2

    moved = list(Message.select().where(Message.direction == "in").order_by(Message.id))
    assert [(m.provider_id, m.peer, m.body, m.status, m.created_at) for m in moved] == [
        ("SM1", WANG, "1", "received", EARLY),
        ("SM2", "+8613800000002", "好", "received", EARLY),
    ]
    assert (moved[0].resident_id, moved[0].language) == (wang.id, "en")
    assert moved[1].resident_id is None
    assert [e.status for e in MessageEvent.select().where(MessageEvent.message.in_(moved))] == ["received"] * 2
    assert landing.landed(10) == []
    assert take_landed(landing) == 0


def test_a_move_interrupted_before_the_landing_forgot_records_nothing_twice(
    community: Community, landing: Landing
) -> None:
    land(landing, "SM1", body="1")
    # the database committed the move, then the worker stopped before the landing's DELETE:
    record_inbound_all([(m.gateway, m.provider_id, m.peer, m.body, m.at) for m in landing.landed(10)])
    land(landing, "SM2", body="好")

    take_landed(landing)

    assert [m.provider_id for m in Message.select().where(Message.direction == "in").order_by(Message.id)] == [
        "SM1",
        "SM2",
    ]
    assert landing.landed(10) == []


def test_a_retry_landed_again_after_its_first_copy_was_moved_is_dropped(community: Community, landing: Landing) -> None:
    record_inbound(gateway="twilio", provider_id="SM1", peer=WANG, body="1")  # stored (and moved) before
    assert land(landing, "SM1", body="1") is True  # the landing forgot it: it lands again

    assert take_landed(landing) == 1  # taken from the landing ...
    assert Message.select().where(Message.provider_id == "SM1").count() == 1  # ... and recorded once
    assert landing.landed(10) == []


def test_recording_many_is_recording_each(community: Community) -> None:
    add_resident(ResidentInput(name="王芳", phone=WANG, grid="东区"))
    record_inbound(gateway="twilio", provider_id="ONE", peer=WANG, body="1", at=EARLY)
    record_inbound_all([("kannel", "TWO", WANG, "好", EARLY)])
    one, two = Message.select().where(Message.direction == "in").order_by(Message.id)
    columns = [field.name for field in Message._meta.sorted_fields if field.name not in {"id", "provider_id", "key"}]
    differ = {name for name in columns if getattr(one, name) != getattr(two, name)}
    assert differ == {"gateway", "body"}
    assert two.key == "in:kannel:TWO"
