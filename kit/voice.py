"""The register as a voice call sees it: who is calling, whose call this is, what a notice says, and what a call has
already stored.

Decisions: a call keeps no state in memory, so everything a later request needs is read back here. Each key press is
an inbox row of the gateway's voice inbox with the provider id "<call>:<step>", and a call's one outcome is the row
"<call>:outcome" (`step_id`); this module is the one home of that convention, for writing and for reading it back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kit import shared_phones
from kit.clock import utcnow
from kit.models import Community, Message, MessageEvent, Resident

OUTCOME_STEP = "outcome"  # the step of the inbox row that marks a call's one outcome


@dataclass(frozen=True)
class Caller:
    resident_id: int
    name: str
    language: str


class Register:
    """What a call needs to know about people and messages, read from the kit's database (the `Directory` of
    `ivr.calls`)."""

    def caller(self, phone: str) -> Caller | None:
        """The resident with this phone number (on a phone a household shares, the first of them registered)."""
        found = self.household(phone, waiting=False)
        return _caller(Resident.get_or_none(Resident.id == found[0])) if found else None

    def household(self, phone: str, *, waiting: bool) -> tuple[int, ...]:
        """The residents still living here with this number, in the order they were registered; with `waiting`, only
        those still unanswered today."""
        residents = shared_phones.on_phone(phone)
        if waiting:
            residents = shared_phones.still_unanswered(residents, utcnow())
        return tuple(resident.id for resident in residents)

    def resident(self, resident_id: int) -> Caller | None:
        return _caller(Resident.get_or_none(Resident.id == resident_id))

    def notice_text(self, message_id: int) -> str:
        """The text of the outbox row of a voice notice ("" when there is no such row)."""
        message = Message.get_or_none(Message.id == message_id)
        return str(message.body) if message is not None else ""

    def community_name(self) -> str:
        community = Community.select().first()
        return str(community.name) if community is not None else ""

    def default_language(self) -> str:
        community = Community.select().first()
        return str(community.language) if community is not None else "zh"

    def resident_for_message(self, message_id: int, peer: str) -> int | None:
        """The resident an outbox row is for (by the row, else by its number)."""
        message = Message.get_or_none(Message.id == message_id)
        if message is not None and message.resident_id is not None:
            return int(message.resident_id)
        known = self.caller(peer)
        return known.resident_id if known else None


def _caller(resident: Resident | None) -> Caller | None:
    if resident is None:
        return None
    return Caller(resident_id=resident.id, name=resident.name, language=resident.language)


def step_id(call_sid: str, step: str) -> str:
    """The provider id of the inbox row that holds what happened at `step` of call `call_sid`."""
    return f"{call_sid}:{step}"


def resident_outcome_id(call_sid: str, resident_id: int) -> str:
    """The provider id of the row that marks the outcome for one resident of a shared phone, asked before the last
    (whose outcome is the call's own, `OUTCOME_STEP`). Outside the "<call>:" range on purpose: it is not a key press
    (`last_key_press`)."""
    return f"{call_sid}#{resident_id}:{OUTCOME_STEP}"


def has_outcome(inbox_gateway: str, call_sid: str) -> bool:
    """Whether the call's one outcome is recorded already."""
    return bool(
        Message.select()
        .where(
            (Message.direction == "in")
            & (Message.gateway == inbox_gateway)
            & (Message.provider_id == step_id(call_sid, OUTCOME_STEP))
        )
        .exists()
    )


def last_key_press(inbox_gateway: str, call_sid: str) -> Message | None:
    """The last key-press row of a call (not its outcome row), or None before the first key."""
    # Every inbox row of one call: provider ids "<call>:<step>" sort between "<call>:" and "<call>;".
    row: Message | None = (
        Message.select()
        .where(
            (Message.direction == "in")
            & (Message.gateway == inbox_gateway)
            & (Message.provider_id >= f"{call_sid}:")
            & (Message.provider_id < f"{call_sid};")
            & (Message.provider_id != step_id(call_sid, OUTCOME_STEP))
        )
        .order_by(Message.id.desc())
        .first()
    )
    return row


def call_in_flight(gateway: str, key: str, statuses: Iterable[str]) -> Message | None:
    """The newest outbound voice row of `gateway` in one of `statuses` whose call id or number is `key`."""
    row: Message | None = (
        Message.select()
        .where(
            (Message.direction == "out")
            & (Message.channel == "voice")
            & (Message.gateway == gateway)
            & (Message.status.in_(list(statuses)))
            & ((Message.provider_id == key) | (Message.peer == key))
        )
        .order_by(Message.id.desc())
        .first()
    )
    return row


def was_answered(message_id: int) -> bool:
    """Whether the call of outbox row `message_id` was ever reported in progress."""
    return bool(
        MessageEvent.select()
        .where((MessageEvent.message == message_id) & (MessageEvent.status == "in-progress"))
        .exists()
    )


def call_ids_in_use(call_ids: Iterable[str], gateway: str, *, other_than: int | None = None) -> set[str]:
    """Which of these provider call ids an outbox row of `gateway` (other than row `other_than`) already holds."""
    wanted = list(call_ids)
    if not wanted:
        return set()
    condition = (Message.direction == "out") & (Message.gateway == gateway) & (Message.provider_id.in_(wanted))
    if other_than is not None:
        condition &= Message.id != other_than
    return {str(provider_id) for (provider_id,) in Message.select(Message.provider_id).where(condition).tuples()}
