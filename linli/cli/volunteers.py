"""`linli volunteers ...`: register volunteers, list who covers which grid, approve or decline the sign-ups that came
by SMS, and edit, pause, resume or deactivate a volunteer."""

from __future__ import annotations

from collections.abc import Iterable

import click

from kit import ui_words
from kit.outbox import opted_out_among
from kit.permissions import WORK
from kit.phones import display_phone
from kit.volunteer_signups import approve_signup, decline_signup, pending_signups
from kit.volunteers import (
    VolunteerView,
    add_volunteer,
    deactivate,
    get_volunteer,
    list_volunteers,
    pause,
    resume,
    update,
)
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_json, echo_plain, echo_table

COLUMNS = ("id", "name", "phone", "skills", "grids", "points", "active", "opted_out")
SIGNUP_COLUMNS = ("id", "phone", "name", "grid", "skills", "they_sent")
ACTIVE = {"active": "active.yes", "paused": "active.paused"}  # the ACTIVE column's word; otherwise "active.no"


@click.group()
def volunteers() -> None:
    """Register volunteers, see who covers which grid, approve sign-ups, pause or deactivate a volunteer.

    \b
    Example:
      linli volunteers list --grid 第1网格
      linli volunteers pending
    """


@volunteers.command("add")
@click.option("--name", required=True, help="Full name, e.g. 李明.")
@click.option("--phone", required=True, help="The mobile tasks are sent to by SMS.")
@click.option(
    "--skill",
    "skills",
    multiple=True,
    help="errands, medical, counselling or driving (跑腿, 医疗, 心理, 开车 too); repeat or use a comma list.",
)
@click.option("--grid", "grids", multiple=True, help="A grid the volunteer covers; repeat for more. Made if new.")
@click.option("--language", help="Language for the volunteer's SMS. Default: the community's first.")
@pass_kit
def add(kit: Kit, name: str, phone: str, skills: tuple[str, ...], grids: tuple[str, ...], language: str | None) -> None:
    """Register a volunteer, with skills and the grids they cover.

    \b
    Example:
      linli volunteers add --name 李明 --phone 13900139000 --skill errands,driving --grid 第1网格 --grid 第2网格
    """
    actor = kit.allow(WORK)
    volunteer = add_volunteer(name, phone, skills=",".join(skills), grids=grids, language=language, actor=actor)
    phone = display_phone(volunteer.phone)
    if grids:
        echo_plain(_say("added_covering", id=volunteer.id, name=volunteer.name, phone=phone, grids=_listed(grids)))
    else:
        echo_plain(_say("added", id=volunteer.id, name=volunteer.name, phone=phone))


@volunteers.command("list")
@click.option("--grid", help="Only volunteers covering this grid.")
@click.option("--json", "as_json", is_flag=True, help="Print the volunteers as a JSON list.")
@pass_kit
def list_(kit: Kit, grid: str | None, as_json: bool) -> None:
    """List volunteers with their skills, grids and neighbour points.

    \b
    Example:
      linli volunteers list --grid 第1网格 --json
    """
    kit.open(create=False)
    views = list_volunteers(grid)
    if as_json:
        echo_json([view.as_dict() for view in views])
        return
    opted_out = opted_out_among(v.phone for v in views)  # texted STOP: gets no tasks, whatever ACTIVE says
    rows = [
        [
            str(v.id),
            v.name,
            display_phone(v.phone),
            _skills(v.skills),
            _listed(v.grids),
            str(v.points),
            _say(ACTIVE.get(v.status, "active.no")),
            _say("opted_out.yes") if v.phone in opted_out else "",
        ]
        for v in views
    ]
    echo_table([_say(f"col.{column}") for column in COLUMNS], rows, empty=_say("none"))


# --- sign-ups by SMS --------------------------------------------------------------------------------------------


@volunteers.command("pending")
@click.option("--json", "as_json", is_flag=True, help="Print the sign-ups as a JSON list.")
@pass_kit
def pending(kit: Kit, as_json: bool) -> None:
    """List the sign-ups that came by SMS (JOIN / 报名 志愿者) and wait to be approved or declined.

    \b
    Example:
      linli volunteers pending
    """
    kit.open(create=False)
    signups = pending_signups()
    if as_json:
        echo_json([signup.as_dict() for signup in signups])
        return
    rows = [
        [
            str(s.id),
            display_phone(s.phone),
            s.name or "?",
            s.grid or (_say("no_such_grid", grid=s.grid_asked) if s.grid_asked else ""),
            _skills(s.skills),
            s.text,
        ]
        for s in signups
    ]
    echo_table([_say(f"col.{column}") for column in SIGNUP_COLUMNS], rows, empty=_say("no_signups"))


@volunteers.command("approve")
@click.argument("signup_id", type=int)
@click.option("--name", help="Their name, when the number is nobody we know (the list shows '?').")
@click.option("--grid", "grids", multiple=True, help="The grid they cover instead of the one they asked for.")
@pass_kit
def approve(kit: Kit, signup_id: int, name: str | None, grids: tuple[str, ...]) -> None:
    """Approve a sign-up: they become a volunteer and are told by SMS.

    \b
    Example:
      linli volunteers approve 3 --name 李明
      linli volunteers approve 4 --grid 第3网格
    """
    actor = kit.allow(WORK)
    volunteer = approve_signup(signup_id, actor, name=name, grids=grids or None)
    echo_plain(_say("approved", id=signup_id, volunteer=volunteer.id, name=volunteer.name))


@volunteers.command("decline")
@click.argument("signup_id", type=int)
@click.option("--why", default="", help="Why, in a few words; it is in the SMS they get.")
@pass_kit
def decline(kit: Kit, signup_id: int, why: str) -> None:
    """Decline a sign-up; the person is told by SMS (with --why, the reason too).

    \b
    Example:
      linli volunteers decline 3 --why "第3网格的志愿者已经够了"
    """
    actor = kit.allow(WORK)
    declined = decline_signup(signup_id, actor, why=why)
    echo_plain(_say("declined", id=signup_id, phone=display_phone(declined.phone)))


# --- a volunteer's duty -----------------------------------------------------------------------------------------


def _say(key: str, **values: object) -> str:
    return ui_words.say(f"cli.volunteers.{key}", **values)


def _listed(words: Iterable[str]) -> str:
    return _say("separator").join(words)


def _skills(skills: Iterable[str]) -> str:
    """Skills as the reader says them (跑腿、开车; errands, driving)."""
    return _listed(ui_words.say(f"volunteers.skill.{skill}") for skill in skills)


def _said(volunteer_id: str, state: str) -> str:
    view = _view(volunteer_id)
    return _say(state, id=view.id, name=view.name)


def _view(key: str) -> VolunteerView:
    volunteer = get_volunteer(key)
    return next(view for view in list_volunteers() if view.id == volunteer.id)


@volunteers.command("pause")
@click.argument("volunteer_id")
@pass_kit
def pause_(kit: Kit, volunteer_id: str) -> None:
    """Take a volunteer off duty: no tasks, no door-knocks; tasks offered and not accepted go to others now.

    \b
    Example:
      linli volunteers pause 3
    """
    actor = kit.allow(WORK)
    pause(get_volunteer(volunteer_id).id, actor)
    echo_plain(_said(volunteer_id, "paused"))


@volunteers.command("resume")
@click.argument("volunteer_id")
@pass_kit
def resume_(kit: Kit, volunteer_id: str) -> None:
    """Put a paused (or deactivated) volunteer back on duty.

    \b
    Example:
      linli volunteers resume 3
    """
    actor = kit.allow(WORK)
    resume(get_volunteer(volunteer_id).id, actor)
    echo_plain(_said(volunteer_id, "on_duty"))


@volunteers.command("deactivate")
@click.argument("volunteer_id")
@pass_kit
def deactivate_(kit: Kit, volunteer_id: str) -> None:
    """Take a volunteer off the list (points and history kept); their open tasks go to others now.

    \b
    Example:
      linli volunteers deactivate 3
    """
    actor = kit.allow(WORK)
    deactivate(get_volunteer(volunteer_id).id, actor)
    echo_plain(_said(volunteer_id, "inactive"))


@volunteers.command("edit")
@click.argument("volunteer_id")
@click.option("--name", help="Full name.")
@click.option("--phone", help="The mobile tasks are sent to.")
@click.option("--grid", "grids", multiple=True, help="A grid they cover; repeat for more. Replaces their grids.")
@click.option("--skills", help="errands, medical, counselling, driving (跑腿, 医疗, 心理, 开车); replaces theirs.")
@click.option("--language", help="Language for their SMS.")
@pass_kit
def edit(
    kit: Kit,
    volunteer_id: str,
    name: str | None,
    phone: str | None,
    grids: tuple[str, ...],
    skills: str | None,
    language: str | None,
) -> None:
    """Change a volunteer's name, phone, grids, skills or language; what is not given stays as it is.

    \b
    Example:
      linli volunteers edit 3 --grid 第2网格 --grid 第3网格 --skills errands,medical
    """
    actor = kit.allow(WORK)
    key = get_volunteer(volunteer_id).id
    update(key, actor=actor, name=name, phone=phone, grids=grids or None, skills=skills, language=language)
    view = _view(str(key))
    covered, able = _listed(view.grids) or _say("nothing"), _skills(view.skills) or _say("nothing")
    shown = display_phone(view.phone)
    echo_plain(
        _say("edited", id=view.id, name=view.name, phone=shown, grids=covered, skills=able, speaks=view.language)
    )
