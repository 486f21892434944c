"""Shared phones: several residents of one household on one number (a couple, an old mother and the son she lives
with), and which of them an SMS answer from that number is about. (A keypad call asks each of them in turn,
`ivr.flows.ask_each`; who may share a number at all is `kit.people.may_share_phone`.)

`about_whom` is the one rule:

1. the person the reply names ("黄倩 1", "王明 发烧38.5", "1 Huang Qian");
2. else the only one of them still unanswered today;
3. else, for "1" (well) and when the community chose `checkin.shared_phone_answers_for_all`, every one of them still
   unanswered today;
4. else nobody: the sender is asked which of them it is about.

Decisions
- A fever or a call for help is never counted for everybody on the phone, whatever the setting: a report about the
  wrong person turns the wrong resident red and sends a volunteer to ask after the wrong person. "I am well" counted
  for both is harmless, which is why only "1" follows the setting.
- Only residents still living here share a number: a moved-out resident may have left theirs to a new household.
- A name is found at the start or at the end of the reply, ignoring spaces and case, so "黄倩1", "1 黄倩" and
  "huang qian 1" all name her. A reply that names two of them names nobody (the longer name wins when one name
  starts the other, "王明明" over "王明"). Names of one character are never matched: too easily part of a word.
- The community's choice comes from the settings the running kit was started with (`use_settings`, called by the
  runtime), else from the configuration file `$LINLI_CONFIG` names, read when it is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kit.checkin import todays_round_id
from kit.clock import utcnow
from kit.config import CheckinSettings, load_settings
from kit.models import Message, Resident
from kit.retention import still_here
from kit.templates import word

_SEPARATORS = " \t\r\n,，.。:：、;；-"
_settings: CheckinSettings | None = None


def use_settings(settings: CheckinSettings | None) -> None:
    """The check-in settings of the running kit (None: read the configuration file when needed)."""
    global _settings
    _settings = settings


def answers_for_all() -> bool:
    """Whether "1" from a shared phone counts for every resident on it still unanswered today."""
    settings = _settings if _settings is not None else load_settings().checkin
    return bool(settings.shared_phone_answers_for_all)


def on_phone(phone: str | None) -> list[Resident]:
    """The residents still living here with this number, in the order they were registered."""
    if not phone:
        return []
    return list(Resident.select().where((Resident.phone == phone) & still_here()).order_by(Resident.id))


@dataclass(frozen=True)
class Named:
    """The resident a reply names (None: none, or more than one) and the reply without the name."""

    resident: Resident | None
    rest: str


def named_in(body: str, residents: Sequence[Resident]) -> Named:
    """Which of `residents` the reply `body` names at its start or end, and what it says besides."""
    found: list[tuple[int, Resident, str]] = []
    for resident in residents:
        rest = _without_name(body, str(resident.name))
        if rest is not None:
            found.append((_length(str(resident.name)), resident, rest))
    if not found:
        return Named(None, body)
    longest = max(length for length, _, _ in found)
    best = [(resident, rest) for length, resident, rest in found if length == longest]
    if len({resident.id for resident, _ in best}) != 1:
        return Named(None, body)
    resident, rest = best[0]
    if any(_folded(str(other.name)) in _folded(rest) for other in residents if other.id != resident.id):
        return Named(None, body)  # "黄倩 王明 1": both named
    return Named(resident, rest)


def _folded(text: str) -> str:
    return "".join(ch for ch in text.casefold() if not ch.isspace())


def _length(name: str) -> int:
    return sum(1 for ch in name if not ch.isspace())


def _without_name(body: str, name: str) -> str | None:
    """`body` without `name` at its start or end (then stripped of separators), or None when it does not name them."""
    if _length(name) < 2:
        return None
    rest = _after(body, name)
    if rest is None:
        backwards = _after(body[::-1], name[::-1])
        rest = backwards[::-1] if backwards is not None else None
    return rest.strip(_SEPARATORS) if rest is not None else None


def _after(text: str, name: str) -> str | None:
    """What follows `name` at the start of `text` (spaces and case ignored), or None."""
    wanted = list(_folded(name))
    position = 0
    for ch in wanted:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text) or text[position].casefold() != ch:
            return None
        position += 1
    following = text[position : position + 1]
    if following.isascii() and following.isalpha() and wanted[-1].isascii() and wanted[-1].isalpha():
        return None  # "Lin" does not name "Linda 1"
    return text[position:]


def still_unanswered(residents: Sequence[Resident], at: datetime) -> list[Resident]:
    """Those of `residents` whose check-in an answer at `at` would still answer (`kit.checkin.todays_round_id`)."""
    return [resident for resident in residents if todays_round_id(resident.id, at) is not None]


def about_whom(
    residents: Sequence[Resident], named: Resident | None, kind: str, at: datetime, *, for_all: bool | None = None
) -> list[Resident]:
    """Who an answer of `kind` (well, unwell, help) from a phone `residents` share is about; empty: ask which.
    `for_all` overrides the community's setting (`answers_for_all`)."""
    if named is not None:
        return [named]
    if len(residents) == 1:
        return list(residents)
    waiting = still_unanswered(residents, at)
    if len(waiting) == 1:
        return waiting
    if kind == "well" and waiting and (answers_for_all() if for_all is None else for_all):
        return waiting
    return []


def names_of(residents: Sequence[Resident], language: str) -> str:
    """Their names as a list in `language` ("黄倩、王明", "Huang Qian, Wang Ming")."""
    return word("name_separator", language).join(str(r.name) for r in residents)


def link_reply(message_id: int, resident_id: int | None) -> None:
    """Link an inbound message from a shared phone to the resident it turned out to be about (the inbox shows them),
    or to nobody while that is not known."""
    Message.update(resident=resident_id, updated_at=utcnow()).where(Message.id == message_id).execute()
