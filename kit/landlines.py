"""Numbers that cannot take an SMS: landlines (010-6552 9988), 400 service numbers and the like.

Such a resident is registered with their number and tagged `landline`; a check-in round then calls them or sends a
volunteer to the door instead of texting a phone that will never show the message (`sms_unreachable`).

Decisions:
- Whether a number takes SMS comes from phonenumbers' number type: MOBILE, and FIXED_LINE_OR_MOBILE (where a plan
  cannot tell the two apart, as in North America: better one SMS too many than a resident never asked by SMS), take
  SMS; every other type (FIXED_LINE, SHARED_COST, TOLL_FREE, VOIP, UNKNOWN, ...) does not.
- The region's mobile pattern is tried first, straight from phonenumbers' metadata: most numbers in a register are
  mobiles, and a register of 100,000 should not parse every number a second time.
- The mark is a tag, not a column: a volunteer sees it with the other tags, can write 座机 in a sheet's tag column,
  and a round selects it like `no-phone`.
"""

from __future__ import annotations

import dataclasses

import peewee

from kit.models import Resident, ResidentTag
from kit.phones import LANDLINE, takes_sms
from kit.residents import ResidentRecord

__all__ = ["LANDLINE", "mark_landline", "sms_unreachable", "takes_sms"]


def mark_landline(record: ResidentRecord) -> tuple[ResidentRecord, bool]:
    """`record` with the `landline` tag added when its phone cannot take SMS, and whether that is so."""
    if record.phone is None or takes_sms(record.phone):
        return record, False
    if LANDLINE in record.tags:
        return record, True
    return dataclasses.replace(record, tags=(*record.tags, LANDLINE)), True


def sms_unreachable() -> peewee.Expression:
    """The residents whose own number cannot take SMS (tagged `landline`): a round calls them or knocks instead."""
    return Resident.id.in_(ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag == LANDLINE))
