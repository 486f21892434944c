"""Where a call is in its menu: a small immutable value carried in the call's URLs.

Twilio asks our webhook for the next instructions after every key press. Each URL we hand it carries the whole
state (`flow=checkin&s=temp&n=0&rid=42&mid=7&lang=zh`), so a process that restarts mid-call loses nothing and
nothing about a call is kept in memory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

FLOW_STEPS: dict[str, tuple[str, ...]] = {
    "checkin": ("menu", "temp", "help"),  # the daily health check (also known callers on the hotline)
    "hotline": ("ask", "number"),  # an unknown caller on the community number
    "notice": ("play",),  # a notice read out
}
MAX_TRIES = 2  # a step is asked at most twice: a wrong key or silence repeats it once
MAX_PLAYS = 5  # a notice is read at most this many times in one call
MAX_SHARING = 8  # residents asked one after another on one shared phone's call, at most

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_CALLER = re.compile(r"^\+?[0-9]{3,16}$")


class BadState(ValueError):
    """A state from a URL that this version of Linli cannot read."""


@dataclass(frozen=True)
class CallState:
    flow: str
    step: str
    language: str
    tries: int = 0  # how many times this step has already been asked and not answered
    resident_id: int | None = None
    message_id: int | None = None  # the outbox row of an outbound call (the notice text lives there)
    caller: str = ""  # hotline: the caller's number as the network showed it; "" when withheld
    plays: int = 0  # notice: how many times it has been read
    # check-in on a phone a household shares: each of them is asked by name (`shared`), `resident_id` now and the
    # residents in `then` after them, in turn
    shared: bool = False
    then: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.step not in FLOW_STEPS.get(self.flow, ()):
            raise BadState(f"unknown step {self.flow}/{self.step}")
        if not _LANGUAGE.match(self.language):
            raise BadState(f"bad language {self.language!r}")
        if not 0 <= self.tries < MAX_TRIES:
            raise BadState(f"bad try count {self.tries}")
        if not 0 <= self.plays <= MAX_PLAYS:
            raise BadState(f"bad play count {self.plays}")
        if self.caller and not _CALLER.match(self.caller):
            raise BadState(f"bad caller {self.caller!r}")
        if len(self.then) > MAX_SHARING or (self.then and not self.shared):
            raise BadState(f"bad residents to ask next {self.then!r}")

    @property
    def step_key(self) -> str:
        """Names this point of the call uniquely: a replayed request for it is recognised by (call, step_key)."""
        key = f"{self.flow}.{self.step}.{self.tries}"
        if self.shared:  # each resident on a shared phone answers the same questions in turn
            key = f"{key}.r{self.resident_id}"
        return f"{key}.p{self.plays}" if self.plays else key

    def at(self, step: str, *, tries: int = 0, **changes: object) -> CallState:
        """The state of the next step (or of this one asked again, with `tries`)."""
        return replace(self, step=step, tries=tries, **changes)  # type: ignore[arg-type]

    def to_query(self) -> str:
        """The state as URL query parameters, in a fixed order."""
        pairs: list[tuple[str, str]] = [("flow", self.flow), ("s", self.step), ("n", str(self.tries))]
        if self.resident_id is not None:
            pairs.append(("rid", str(self.resident_id)))
        if self.message_id is not None:
            pairs.append(("mid", str(self.message_id)))
        if self.caller:
            pairs.append(("c", self.caller))
        if self.plays:
            pairs.append(("p", str(self.plays)))
        if self.shared:
            pairs.append(("sh", "1"))
        if self.then:
            pairs.append(("then", ".".join(str(resident_id) for resident_id in self.then)))
        pairs.append(("lang", self.language))
        return urlencode(pairs)

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> CallState:
        """The state from a URL's query parameters (other parameters are ignored); BadState if it is not one."""
        try:
            return cls(
                flow=params["flow"],
                step=params["s"],
                language=params["lang"],
                tries=int(params.get("n", "0")),
                resident_id=_optional_int(params.get("rid")),
                message_id=_optional_int(params.get("mid")),
                caller=params.get("c", ""),
                plays=int(params.get("p", "0")),
                shared=params.get("sh", "") == "1",
                then=_id_list(params.get("then", "")),
            )
        except KeyError as missing:
            raise BadState(f"missing {missing}") from None
        except ValueError as error:
            if isinstance(error, BadState):
                raise
            raise BadState(str(error)) from None


def _id_list(text: str) -> tuple[int, ...]:
    """Resident ids as a URL carries them: "12.13"."""
    return tuple(int(_optional_int(part) or 0) for part in text.split(".")) if text else ()


def _optional_int(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    if not (text.isascii() and text.isdigit()):
        raise BadState(f"not a number: {text!r}")
    return int(text)


def speakable_language(code: str | None, default: str = "zh") -> str:
    """`code` if a state can carry it, else `default` (a language code from the register may be anything)."""
    return code if code and _LANGUAGE.match(code) else default


# What Twilio puts in `From` when the caller's number is withheld (the keypad spellings of ANONYMOUS,
# RESTRICTED, UNKNOWN, UNAVAIL, BLOCKED), besides words and an empty value.
WITHHELD = frozenset({"+266696687", "+7378742833", "+86282452253", "+8656696", "+2562533"})


def caller_number(raw: str | None) -> str:
    """The caller's number if the network showed one, else ""."""
    text = (raw or "").strip()
    if text in WITHHELD or not _CALLER.match(text):
        return ""
    return text
