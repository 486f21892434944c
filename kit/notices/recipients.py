"""The SQL that picks a notice's recipients: the residents of an audience still living here, counted by how each is
reached (SMS, call, or left out for want of a phone or having opted out)."""

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


def audience_filter(audience: Audience) -> peewee.ColumnBase:
    """The SQL condition that picks the residents of `audience` (TRUE for everybody)."""
    condition: peewee.ColumnBase = still_here()  # nobody who moved out
    picked = residents_in(audience)
    return condition if picked is None else condition & picked


def tagged_with(*tags: str) -> peewee.ModelSelect:
    return ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag.in_(list(tags)))


def opted_out_condition() -> peewee.ColumnBase:
    return (Resident.opted_out == True) | Resident.phone.in_(OptOut.select(OptOut.phone))  # noqa: E712


def _flag(condition: peewee.ColumnBase) -> peewee.ColumnBase:
    return peewee.Case(None, [(condition, 1)], 0)


def count_recipients(audience: Audience, channel: str) -> Recipients:
    """Who the notice reaches and how, counted by one grouped query: a handful of rows whatever the size."""
    # Grouped by alias: PostgreSQL would not see the flags' bound parameters in GROUP BY as the same expressions.
    no_phone = _flag(Resident.phone.is_null()).alias("flag_no_phone")
    opted_out = _flag(opted_out_condition()).alias("flag_opted_out")
    cannot_read = _flag(Resident.id.in_(tagged_with(CANNOT_READ))).alias("flag_cannot_read")
    query = (
        Resident.select(Resident.language, no_phone, opted_out, cannot_read, peewee.fn.COUNT(Resident.id))
        .where(audience_filter(audience))
        .group_by(Resident.language, no_phone, opted_out, cannot_read)
    )
    found = Recipients()
    for language, lacks_phone, said_stop, cannot, count in query.tuples():
        found.in_audience += count
        if lacks_phone:
            found.no_phone += count
        elif said_stop:
            found.opted_out += count
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
