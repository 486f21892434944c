"""The SQL that picks a notice's recipients: the residents of an audience still living here, counted by how each is
reached (SMS, call, or left out for want of a phone or having opted out).

Decisions
- A household that shares a phone gets a notice once: the message goes to the first of them in the audience (the
  one registered first, in their language), and the others count as reached through it. The preview counts
  people reached and messages sent apart, so its cost is the cost of the messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import peewee

from kit.audience import Audience, residents_in
from kit.models import OptOut, Resident, ResidentTag
from kit.retention import still_here

CANNOT_READ = "cannot-read"


@dataclass
class Recipients:
    """The audience counted by how each person is reached, per language."""

    sms: dict[str, int] = field(default_factory=dict)  # language -> residents who get the SMS
    voice: dict[str, int] = field(default_factory=dict)  # language -> residents who get the call
    in_audience: int = 0
    no_phone: int = 0
    opted_out: int = 0
    cannot_read: int = 0  # reached by a call instead of an SMS because they are tagged cannot-read
    people: int = 0  # reached one way or both
    shared_phone: int = 0  # reached through the message to a phone they share with someone before them


def audience_filter(audience: Audience) -> peewee.ColumnBase:
    """The SQL condition that picks the residents of `audience` (TRUE for everybody)."""
    condition: peewee.ColumnBase = still_here()  # nobody who moved out
    picked = residents_in(audience)
    return condition if picked is None else condition & picked


def tagged_with(*tags: str) -> peewee.ModelSelect:
    return ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag.in_(list(tags)))


def opted_out_condition() -> peewee.ColumnBase:
    return (Resident.opted_out == True) | Resident.phone.in_(OptOut.select(OptOut.phone))  # noqa: E712


def reachable(audience: Audience) -> peewee.ColumnBase:
    """The residents of `audience` a message can reach: with a phone, not opted out."""
    return audience_filter(audience) & Resident.phone.is_null(False) & ~opted_out_condition()


def first_on_phone(condition: peewee.ColumnBase) -> peewee.ColumnBase:
    """Of the residents `condition` picks, those with nobody picked before them (a lower id) on the same phone: one
    per phone. An index lookup per resident (`resident.phone`), then `condition` for the few sharers found (never
    a list of everybody picked, which the database would build again for every chunk of a notice)."""
    sharer = Resident.alias("sharer")
    picked = Resident.select(peewee.SQL("1")).where((Resident.id == sharer.id) & condition)
    earlier = sharer.select(peewee.SQL("1")).where(
        (sharer.phone == Resident.phone) & (sharer.id < Resident.id) & peewee.fn.EXISTS(picked)
    )
    return ~peewee.fn.EXISTS(earlier)


def messaged(audience: Audience) -> peewee.ColumnBase:
    """The residents of `audience` a notice's messages go to: one per phone (`first_on_phone`)."""
    condition = reachable(audience)
    return condition & first_on_phone(condition)


def _flag(condition: peewee.ColumnBase) -> peewee.ColumnBase:
    return peewee.Case(None, [(condition, 1)], 0)


def count_recipients(audience: Audience, channel: str) -> Recipients:
    """Who the notice reaches and how, counted by one grouped query: a handful of rows whatever the size."""
    # Grouped by alias: PostgreSQL would not see the flags' bound parameters in GROUP BY as the same expressions.
    no_phone = _flag(Resident.phone.is_null()).alias("flag_no_phone")
    opted_out = _flag(opted_out_condition()).alias("flag_opted_out")
    cannot_read = _flag(Resident.id.in_(tagged_with(CANNOT_READ))).alias("flag_cannot_read")
    shares = _flag(~first_on_phone(reachable(audience))).alias("flag_shares")
    flags = (no_phone, opted_out, cannot_read, shares)
    query = (
        Resident.select(Resident.language, *flags, peewee.fn.COUNT(Resident.id))
        .where(audience_filter(audience))
        .group_by(Resident.language, *flags)
    )
    found = Recipients()
    for language, lacks_phone, said_stop, cannot, sharing, count in query.tuples():
        found.in_audience += count
        if lacks_phone:
            found.no_phone += count
        elif said_stop:
            found.opted_out += count
        elif sharing:
            found.people += count
            found.shared_phone += count
        else:
            found.people += count
            by_voice = channel != "sms" or bool(cannot)
            by_sms = channel == "both" or (channel == "sms" and not cannot)
            if by_voice:
                found.voice[language] = found.voice.get(language, 0) + count
            if by_sms:
                found.sms[language] = found.sms.get(language, 0) + count
            if channel == "sms" and cannot:
                found.cannot_read += count
    return found
