"""The volunteers' side of the register as peewee models: tasks they declined, sign-ups by SMS (migration 0007) and
the neighbour points ledger (migration 0008). The rest of the schema is in `kit.models`; change a migration and
its model together."""

from __future__ import annotations

import peewee

from kit.clock import utcnow
from kit.models import BaseModel, CheckinRound, Grid, Message, Resident, Task, Volunteer

# --- volunteers by SMS (migration 0007) ------------------------------------------------------------------------

SIGNUP_STATUSES = ("pending", "approved", "declined")


class TaskDecline(BaseModel):
    """A volunteer who declined a task, or let its offer lapse: the next offer of that task skips them."""

    task = peewee.ForeignKeyField(Task, backref="declines", on_delete="CASCADE")
    volunteer = peewee.ForeignKeyField(Volunteer, backref="declines", on_delete="CASCADE")
    at = peewee.DateTimeField(default=utcnow)
    reason = peewee.TextField(default="declined")  # declined, no_answer, paused

    class Meta:
        indexes = ((("task", "volunteer"), True),)


class VolunteerSignup(BaseModel):
    """Someone who texted JOIN / 报名 志愿者, waiting for an operator to approve or decline them."""

    phone = peewee.TextField(index=True)  # E.164
    name = peewee.TextField(default="")  # known when the number is a resident's; else the operator gives it
    language = peewee.TextField(default="zh")
    text = peewee.TextField(default="")  # what they sent, as they sent it
    grid = peewee.ForeignKeyField(Grid, null=True, on_delete="SET NULL")  # the grid asked for, when it exists
    grid_asked = peewee.TextField(default="")  # the grid as they wrote it
    skills = peewee.TextField(default="")  # comma-separated, as Volunteer.skills
    status = peewee.TextField(default="pending", index=True)  # SIGNUP_STATUSES
    message = peewee.ForeignKeyField(Message, null=True, on_delete="SET NULL")
    volunteer = peewee.ForeignKeyField(Volunteer, null=True, on_delete="SET NULL")  # once approved
    created_at = peewee.DateTimeField(default=utcnow)
    decided_at = peewee.DateTimeField(null=True)
    decided_by = peewee.TextField(default="")
    reason = peewee.TextField(default="")  # why it was declined, as the operator wrote it


# --- neighbour points (migration 0008) -------------------------------------------------------------------------

POINT_REASONS = ("task", "second_contact")  # a task done; an answer given for a neighbour the ladder asked about


class PointEntry(BaseModel):
    """One award of neighbour points (邻里积分), the ledger `kit.points` writes: who helped (a resident, a volunteer,
    both when one person is in both lists, or only the number of a second contact who is in neither), the neighbour
    helped, the grid, how many points and what for. `key` makes each award once (`task:{id}`, ...)."""

    key = peewee.TextField(unique=True)
    resident = peewee.ForeignKeyField(Resident, null=True, backref="point_entries", on_delete="SET NULL")
    volunteer = peewee.ForeignKeyField(Volunteer, null=True, backref="point_entries", on_delete="SET NULL")
    phone = peewee.TextField(null=True)  # E.164; only for a helper who is neither a resident nor a volunteer
    neighbour = peewee.ForeignKeyField(Resident, null=True, backref="helped_entries", on_delete="SET NULL")
    grid = peewee.ForeignKeyField(Grid, null=True, on_delete="SET NULL")
    points = peewee.IntegerField()
    reason = peewee.TextField()  # POINT_REASONS
    task = peewee.ForeignKeyField(Task, null=True, on_delete="SET NULL")
    round = peewee.ForeignKeyField(CheckinRound, null=True, on_delete="SET NULL")
    at = peewee.DateTimeField(default=utcnow, index=True)
