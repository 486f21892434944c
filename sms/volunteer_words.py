"""A volunteer's words in a reply, for `sms.parser`: an answer to a task ("accept 12", "不接12号", "pause"), the whole
message, and a sign-up ("join grid 3 errands", "报名 志愿者 第3网格 跑腿") with what follows its words.

The phrases are the keyword tables' optional keys accept, decline, pause and join; the parser hands them in already
turned into regex alternations (longest first, Latin words whole), and builds the intent from what `read` finds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, NamedTuple

Kind = Literal["accept", "decline", "pause", "join"]
_TASK_NUMBER = r"[\W_]*(?:(?:no|task|任务|第)\W*)?(?P<number>[0-9]{1,6})?\s*号?\s*(?:任务)?\W*$"


class Said(NamedTuple):
    kind: Kind
    task_number: int | None  # accept, decline: the task number, when given
    rest: int | None  # join: where what follows the sign-up's words starts


def answers_pattern(accept: str, decline: str, pause: str) -> re.Pattern[str]:
    """The whole message is an answer word, with a task number or without."""
    return re.compile(rf"^\W*(?:(?P<decline>{decline})|(?P<accept>{accept})|(?P<pause>{pause})){_TASK_NUMBER}")


def join_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """The message starts with a sign-up phrase; a space in a phrase may be left out ("报名志愿者")."""
    ordered = sorted(set(phrases), key=lambda p: (-len(p), p))
    spaced = "|".join(r"\s*".join(map(re.escape, phrase.split(" "))) for phrase in ordered) or "(?!)"
    return re.compile(rf"^\W*(?:{spaced})(?:(?<![a-z0-9])|(?![a-z0-9]))\W*(?P<rest>.*)$")


def read(folded: str, answers: re.Pattern[str], join: re.Pattern[str]) -> Said | None:
    """What a folded reply says as a volunteer, or None. A pause takes no number ("暂停 3" is not a pause)."""
    answer = answers.match(folded)
    if answer is not None and not (answer.group("pause") and answer.group("number")):
        kind: Kind = "pause" if answer.group("pause") else "decline" if answer.group("decline") else "accept"
        number = answer.group("number")
        return Said(kind, int(number) if number and kind != "pause" else None, None)
    signed_up = join.match(folded)
    return Said("join", None, signed_up.start("rest")) if signed_up is not None else None
