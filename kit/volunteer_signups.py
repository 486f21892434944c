"""Sign-ups: people who asked by SMS to volunteer (JOIN / 报名 志愿者, `kit.volunteer_replies`), waiting for an
operator to approve or decline them.

Decisions
- A sign-up waits as a `VolunteerSignup` row; approving one makes the volunteer (or brings back a deactivated one
  with that number) and tells them by SMS, declining tells them too.
- A grid they asked for that does not exist is never made from a text message: the operator names one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kit import audit
from kit.clock import utcnow
from kit.db import transaction
from kit.errors import Conflict, NotFound, ValidationError
from kit.jsonable import record_dict
from kit.models import Grid, Volunteer
from kit.outbox import PRIORITY_TASK, Draft, queue
from kit.skills import parse_skills
from kit.templates import render
from kit.volunteer_models import VolunteerSignup
from kit.volunteers import add_volunteer, clean_name, cover_grids


@dataclass(frozen=True)
class SignupView:
    """A sign-up as an operator reads it."""

    id: int
    phone: str
    name: str  # "" when the number is nobody we know: the operator names them when approving
    language: str
    text: str  # what they sent
    grid: str  # the grid asked for, when it exists
    grid_asked: str  # the grid as they wrote it
    skills: tuple[str, ...]
    status: str
    created_at: datetime
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self)


def pending_signups() -> list[SignupView]:
    """The sign-ups waiting for an operator, oldest first."""
    signups = list(VolunteerSignup.select().where(VolunteerSignup.status == "pending").order_by(VolunteerSignup.id))
    names = dict(Grid.select(Grid.id, Grid.name).where(Grid.id.in_([s.grid_id for s in signups])).tuples())
    return [_signup_view(signup, names.get(signup.grid_id, "")) for signup in signups]


def _signup_view(row: VolunteerSignup, grid: str) -> SignupView:
    return SignupView(
        id=row.id,
        phone=row.phone,
        name=row.name,
        language=row.language,
        text=row.text,
        grid=grid,
        grid_asked=row.grid_asked,
        skills=tuple(skill for skill in row.skills.split(",") if skill),
        status=row.status,
        created_at=row.created_at,
        reason=row.reason,
    )


def _pending(signup_id: int) -> VolunteerSignup:
    signup = VolunteerSignup.get_or_none(VolunteerSignup.id == signup_id)
    if signup is None:
        raise NotFound("volunteers.no_signup", id=signup_id)
    if signup.status != "pending":
        decided = "volunteers.signup_approved" if signup.status == "approved" else "volunteers.signup_declined"
        raise Conflict(decided, id=signup_id)
    return signup


def approve_signup(
    signup_id: int, actor: str, *, name: str | None = None, grids: Iterable[str] | None = None
) -> Volunteer:
    """Make the volunteer a sign-up asked to be (`name` and `grids` override what the text gave) and tell them by
    SMS. A deactivated volunteer with that number comes back, with the grid and skills asked for added."""
    with transaction():
        signup = _pending(signup_id)
        chosen = (name or "").strip() or signup.name
        if not chosen:
            raise ValidationError("volunteers.signup_no_name", id=signup.id, phone=signup.phone, field="name")
        covered = list(grids) if grids is not None else [] if signup.grid_id is None else [signup.grid.name]
        if grids is None and signup.grid_id is None and signup.grid_asked:
            raise ValidationError("volunteers.signup_no_grid", id=signup.id, grid=signup.grid_asked, field="grid")
        volunteer = Volunteer.get_or_none(Volunteer.phone == signup.phone)
        if volunteer is not None and volunteer.active:
            raise Conflict("volunteers.signup_is_volunteer", phone=signup.phone, id=volunteer.id, name=volunteer.name)
        if volunteer is None:
            volunteer = add_volunteer(
                chosen, signup.phone, skills=signup.skills, grids=covered, language=signup.language, actor=actor
            )
        else:
            skills = ",".join(parse_skills([*volunteer.skill_list, *parse_skills(signup.skills)]))
            Volunteer.update(active=True, paused_at=None, name=clean_name(chosen), skills=skills).where(
                Volunteer.id == volunteer.id
            ).execute()
            cover_grids(volunteer.id, covered)
            audit.record(actor, "resume", "volunteer", volunteer.id, was="inactive", signup=signup.id)
        _decide(signup, "approved", "approve", actor, volunteer=volunteer.id)
        _tell(signup, "signup_approved", name=chosen)
    return Volunteer.get_by_id(volunteer.id)


def decline_signup(signup_id: int, actor: str, *, why: str = "") -> SignupView:
    """Decline a sign-up and tell the person by SMS (with `why`, when given)."""
    with transaction():
        signup = _pending(signup_id)
        why = " ".join(why.split())
        _decide(signup, "declined", "decline", actor, reason=why)
        if why:
            _tell(signup, "signup_declined_why", why=why)
        else:
            _tell(signup, "signup_declined")
    return _signup_view(signup, "")


def _decide(signup: VolunteerSignup, status: str, action: str, actor: str, **fields: Any) -> None:
    VolunteerSignup.update(status=status, decided_at=utcnow(), decided_by=actor, **fields).where(
        VolunteerSignup.id == signup.id
    ).execute()
    signup.status = status
    signup.reason = fields.get("reason", "")
    audit.record(actor, action, "signup", signup.id, **fields)


def _tell(signup: VolunteerSignup, template: str, **values: object) -> None:
    queue(
        Draft(
            peer=signup.phone,
            body=render(template, signup.language, **values),
            kind="volunteer",
            template=template,
            params=values,
            key=f"signup:{signup.id}:{template}",
            language=signup.language,
            priority=PRIORITY_TASK,
        )
    )
