"""Fixtures for the voice tests: residents with phones, an outcome recorder stand-in, a placed call."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ivr.calls import CallFacts
from ivr.flows import Outcome
from kit import outbox
from kit.clock import utcnow
from kit.models import Community, Message, Resident
from kit.residents import ResidentInput, add_resident

WANG = "+8613800000001"  # 王秀英, speaks Chinese
CHEN = "+8613800000002"  # Mary Chen, speaks English
STRANGER = "+8613900000009"  # nobody in the register


@dataclass
class Recorder:
    """Stands in for ivr.outcomes.record_outcome: remembers what it was given."""

    seen: list[tuple[CallFacts, Outcome]] = field(default_factory=list)

    def __call__(self, facts: CallFacts, outcome: Outcome) -> None:
        self.seen.append((facts, outcome))

    @property
    def outcomes(self) -> list[Outcome]:
        return [outcome for _, outcome in self.seen]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def wang(community: Community) -> Resident:
    return add_resident(ResidentInput(name="王秀英", phone=WANG, language="zh", grid="1号网格"), actor="test")


@pytest.fixture
def chen(community: Community) -> Resident:
    return add_resident(ResidentInput(name="Mary Chen", phone=CHEN, language="en", grid="1号网格"), actor="test")


def placed_call(
    resident: Resident, *, sid: str = "CA0001", kind: str = "checkin_call", body: str = "", gateway: str = "twilio"
) -> Message:
    """A voice outbox row as the dispatcher leaves it once the provider took the call."""
    queued = outbox.queue(
        outbox.Draft(
            peer=resident.phone,
            body=body,
            kind=kind,
            channel="voice",
            language=resident.language,
            resident_id=resident.id,
        )
    )
    Message.update(status="sent", provider_id=sid, gateway=gateway, sent_at=utcnow()).where(
        Message.id == queued.id
    ).execute()
    return Message.get_by_id(queued.id)


def rows_of_call(sid: str, gateway: str = "twilio-voice") -> list[Message]:
    """The inbox rows of one call, oldest first."""
    return list(
        Message.select()
        .where((Message.direction == "in") & (Message.gateway == gateway) & Message.provider_id.startswith(f"{sid}:"))
        .order_by(Message.id)
    )
