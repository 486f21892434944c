"""The register as a call sees it: who is calling, whose call this is, what a notice says."""

from __future__ import annotations

from collections.abc import Iterable

from ivr.calls import Caller
from kit.models import Community, Message, Resident


class KitDirectory:
    """`ivr.calls.Directory` over the kit's database."""

    def caller(self, phone: str) -> Caller | None:
        if not phone:
            return None
        return _caller(Resident.get_or_none(Resident.phone == phone))

    def resident(self, resident_id: int) -> Caller | None:
        return _caller(Resident.get_or_none(Resident.id == resident_id))

    def notice_text(self, message_id: int) -> str:
        message = Message.get_or_none(Message.id == message_id)
        return message.body if message is not None else ""

    def community_name(self) -> str:
        community = Community.select().first()
        return community.name if community is not None else ""

    def default_language(self) -> str:
        community = Community.select().first()
        return community.language if community is not None else "zh"

    def resident_for_message(self, message_id: int, peer: str) -> int | None:
        message = Message.get_or_none(Message.id == message_id)
        if message is not None and message.resident_id is not None:
            return int(message.resident_id)
        known = self.caller(peer)
        return known.resident_id if known else None


def _caller(resident: Resident | None) -> Caller | None:
    if resident is None:
        return None
    return Caller(resident_id=resident.id, name=resident.name, language=resident.language)


def call_ids_in_use(call_ids: Iterable[str], gateway: str, *, other_than: int | None = None) -> set[str]:
    """Which of these provider call ids an outbox row of `gateway` (other than row `other_than`) already holds."""
    wanted = list(call_ids)
    if not wanted:
        return set()
    condition = (Message.direction == "out") & (Message.gateway == gateway) & (Message.provider_id.in_(wanted))
    if other_than is not None:
        condition &= Message.id != other_than
    return {provider_id for (provider_id,) in Message.select(Message.provider_id).where(condition).tuples()}
