"""What a volunteer (or someone who wants to be one) says by SMS, and what they are told back: a sign-up (JOIN / 报名
志愿者), ACCEPT / 接 and DECLINE / 不接 a task, PAUSE / 暂停 and back on duty (RESUME / 恢复, any start word).

The SMS router asks `concerns` whether a parsed reply is one of these, then `answer` acts on it and returns the
reply to queue (the router queues it, so its rules on repeats and daily caps hold for these replies too).

Decisions
- A bad answer changes nothing and says so plainly: a task that does not exist or is someone else's, a task already
  done or cancelled, a pause when paused, an ACCEPT while paused (their offered tasks went to others when they
  paused), a JOIN from a volunteer or from a number whose sign-up already waits.
- From a volunteer on the list, a start word means back on duty as well as "send me texts again"; from anybody
  else (a deactivated volunteer included) it only opts the number back in, as before.
- A sign-up's language is the resident's when the number is one; else Chinese when the text has Chinese in it and
  English when it does not (among the community's languages), so "JOIN" is answered in English.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from kit import audit, outbox
from kit.alerts import alert_text, raise_alert
from kit.community import get_community
from kit.errors import Conflict, NotFound
from kit.models import Grid, Message, Resident, Task, Volunteer
from kit.skills import skills_mentioned
from kit.task_offers import accept_task, accepted_by, decline_task, offered_to
from kit.vocabulary import fold
from kit.volunteer_models import VolunteerSignup
from kit.volunteers import pause, resume

INTENTS = ("join", "accept", "decline", "pause")
_GRID_NUMBER = re.compile(r"(?:grid|网格|第)\s*(?:no\.?|#)?\s*(\d{1,4})|(\d{1,4})\s*号?\s*网格")
_CHINESE_NUMBER = re.compile("[一二三四五六七八九十]+")
_CJK = re.compile(r"[\u3400-\u9fff]")


class Answer(NamedTuple):
    """What `answer` did, for the router: a word for the logs, and the reply to queue in `language`."""

    outcome: str
    template: str
    language: str
    values: dict[str, Any]


def concerns(kind: str, volunteer: Volunteer | None) -> bool:
    """Whether a reply of intent `kind` from someone who is `volunteer` (or None) is for `answer`."""
    if kind == "join":
        return True
    if volunteer is None:
        return False
    return kind in INTENTS or (kind == "start" and volunteer.active)


def answer(
    kind: str,
    *,
    message: Message,
    resident: Resident | None,
    volunteer: Volunteer | None,
    task_number: int | None = None,
    text: str = "",
) -> Answer:
    """Act on a sign-up or a volunteer's answer (`concerns` said yes) and say what to reply."""
    if kind == "join" or volunteer is None:  # `concerns` lets nothing else through without a volunteer
        return sign_up(message, text, resident, volunteer)
    actor = f"sms:{volunteer.phone}"
    if not volunteer.active:
        return _say(volunteer, "not-active", "volunteer_not_active")
    if kind == "start":
        return _back_on_duty(volunteer, actor)
    if kind == "pause":
        if volunteer.paused_at is not None:
            return _say(volunteer, "already-paused", "volunteer_already_paused")
        pause(volunteer.id, actor)
        kept = accepted_by(volunteer.id)
        if kept:
            return _say(volunteer, "paused", "volunteer_paused_keeps", tasks=", ".join(map(str, kept)))
        return _say(volunteer, "paused", "volunteer_paused")
    if kind == "accept" and volunteer.paused_at is not None:
        return _say(volunteer, "paused", "volunteer_paused_cannot_accept")
    return _answer_task(kind, task_number, volunteer, actor)


def _say(volunteer: Volunteer, outcome: str, template: str, **values: Any) -> Answer:
    return Answer(outcome, template, volunteer.language, values)


def _back_on_duty(volunteer: Volunteer, actor: str) -> Answer:
    was_out = outbox.opt_in(volunteer.phone)
    if volunteer.paused_at is not None:
        resume(volunteer.id, actor)
        return _say(volunteer, "resumed", "volunteer_resumed")
    if was_out:
        return _say(volunteer, "start", "opted_in")
    return _say(volunteer, "on-duty", "volunteer_on_duty")


def _answer_task(kind: str, number: int | None, volunteer: Volunteer, actor: str) -> Answer:
    """ACCEPT or DECLINE task `number` (without a number: their one task waiting, if there is exactly one)."""
    if number is None:
        waiting = offered_to(volunteer.id) + ([] if kind == "accept" else accepted_by(volunteer.id))
        if len(waiting) != 1:
            return _say(volunteer, "which", f"task_{kind}_which")
        number = waiting[0]
    try:
        if kind == "accept":
            accept_task(number, volunteer_id=volunteer.id, actor=actor)
        else:
            decline_task(number, volunteer_id=volunteer.id, actor=actor)
    except NotFound:
        return _say(volunteer, "not-found", "task_not_yours", task=number)
    except Conflict:
        state = Task.get_by_id(number).state
        template = "task_already_done" if state == "done" else "task_was_cancelled"
        return _say(volunteer, state, template, task=number)
    said = "accepted" if kind == "accept" else "declined"
    return _say(volunteer, said, f"task_{said}", task=number)


# --- sign-ups -----------------------------------------------------------------------------------------------------


def sign_up(message: Message, text: str, resident: Resident | None, volunteer: Volunteer | None) -> Answer:
    """A JOIN text: a pending sign-up with the grid and skills it names, an operator alerted (once per sign-up), the
    sender told it was received. Nothing new from a volunteer on the list or a number whose sign-up already waits."""
    if volunteer is not None and volunteer.active:
        return _say(volunteer, "already-volunteer", "signup_already_volunteer")
    language = resident.language if resident is not None else _language_of(message.body)
    if (
        VolunteerSignup.select()
        .where((VolunteerSignup.phone == message.peer) & (VolunteerSignup.status == "pending"))
        .exists()
    ):
        return Answer("already-pending", "signup_already_pending", language, {})
    grid_id, grid_asked = read_grid(text)
    signup = VolunteerSignup.create(
        phone=message.peer,
        name=resident.name if resident is not None else "",
        language=language,
        text=message.body,
        grid=grid_id,
        grid_asked=grid_asked,
        skills=",".join(skills_mentioned(text)),
        message=message.id,
        created_at=message.created_at,
    )
    audit.record(f"sms:{message.peer}", "sign-up", "signup", signup.id, grid=grid_asked, skills=signup.skills)
    raise_alert(
        "volunteer_signup",
        alert_text("alert_volunteer_signup", phone=message.peer, text=message.body[:200]),
        key=f"volunteer_signup:{signup.id}",
        severity="info",
    )
    return Answer("signup", "signup_received", language, {})


def read_grid(text: str) -> tuple[int | None, str]:
    """The grid a sign-up names: (its id, its name) when a grid's name is in the text ("第3网格") or its number is
    ("grid 3", "3号网格", "第三网格" for the only grid numbered 3); (None, what they wrote) when no grid has that
    number; (None, "") when the text names no grid."""
    folded = _arabic(fold(text))
    grids = sorted(Grid.select(Grid.id, Grid.name).tuples(), key=lambda row: -len(row[1]))
    for grid_id, name in grids:
        if fold(name) and fold(name) in folded:
            return int(grid_id), str(name)
    found = _GRID_NUMBER.search(folded)
    if found is None:
        return None, ""
    number = str(int(found.group(1) or found.group(2)))
    numbered = [(grid_id, name) for grid_id, name in grids if re.findall(r"\d+", _arabic(fold(name))) == [number]]
    if len(numbered) == 1:
        return int(numbered[0][0]), str(numbered[0][1])
    return None, found.group(0).strip()


def _arabic(text: str) -> str:
    """Chinese numerals up to 99 as digits: 第三网格 -> 第3网格, 十二 -> 12."""

    def digits(found: re.Match[str]) -> str:
        run = found.group()
        values = {char: index for index, char in enumerate("一二三四五六七八九", start=1)}
        if "十" not in run:
            return "".join(str(values[char]) for char in run)
        tens, _, ones = run.partition("十")
        return str(values.get(tens[-1:], 1) * 10 + values.get(ones[:1], 0))

    return _CHINESE_NUMBER.sub(digits, text)


def _language_of(text: str) -> str:
    community = get_community()
    guess = "zh" if _CJK.search(text) else "en"
    return guess if guess in community.language_list else community.language
