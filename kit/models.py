"""The community register as peewee models: the current shape of the schema.

Migrations in `kit.migrations` hold frozen copies; change both together (a new numbered migration, then here).
The district's tables (migration 0004) live in `kit.district_models`; the volunteers' answers and sign-ups by SMS and
the neighbour points (migrations 0007, 0008) in `kit.volunteer_models`.
Times are stored as naive UTC datetimes.
"""

from __future__ import annotations

import peewee

from kit.clock import utcnow
from kit.db import database

HEALTH_STATUSES = ("green", "yellow", "red")
MONITORING_CATEGORIES = ("none", "close_contact", "home_quarantine", "confirmed", "recovered")


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Community(BaseModel):
    """The one community this database looks after."""

    name = peewee.TextField()
    region = peewee.CharField(max_length=2)
    timezone = peewee.TextField()
    languages = peewee.TextField()  # comma-separated, the default first: "zh,en"
    created_at = peewee.DateTimeField(default=utcnow)

    @property
    def language(self) -> str:
        return str(self.languages).split(",")[0]

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]


class Grid(BaseModel):
    """网格: the block one volunteer is responsible for."""

    name = peewee.TextField(unique=True)
    created_at = peewee.DateTimeField(default=utcnow)


class Household(BaseModel):
    """An address: building, unit, room (楼栋, 单元, 房号)."""

    grid = peewee.ForeignKeyField(Grid, null=True, backref="households", on_delete="SET NULL")
    building = peewee.TextField(default="")
    unit = peewee.TextField(default="")
    room = peewee.TextField(default="")

    class Meta:
        indexes = ((("building", "unit", "room"), True),)

    @property
    def address(self) -> str:
        return format_address(self.building, self.unit, self.room)


class Resident(BaseModel):
    name = peewee.TextField()
    phone = peewee.TextField(null=True, index=True)  # E.164; shared by a household since migration 0006
    second_phone = peewee.TextField(null=True)  # a family member's number, E.164
    language = peewee.TextField(default="zh")
    birth_year = peewee.IntegerField(null=True)
    status = peewee.TextField(default="green", index=True)
    monitoring = peewee.TextField(default="none", index=True)
    monitoring_until = peewee.DateField(null=True)
    opted_out = peewee.BooleanField(default=False)
    opted_out_at = peewee.DateTimeField(null=True)
    notes = peewee.TextField(default="")
    grid = peewee.ForeignKeyField(Grid, null=True, backref="residents", on_delete="SET NULL")
    household = peewee.ForeignKeyField(Household, null=True, backref="residents", on_delete="SET NULL")
    search_text = peewee.TextField(default="")  # folded name, phone digits, address: what search matches
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    moved_out_at = peewee.DateTimeField(null=True, index=True)  # migration 0005: left the community
    anonymised_at = peewee.DateTimeField(null=True)  # migration 0005: personal details removed (kit.retention)


class ResidentTag(BaseModel):
    resident = peewee.ForeignKeyField(Resident, backref="tag_rows", on_delete="CASCADE")
    tag = peewee.TextField(index=True)

    class Meta:
        indexes = ((("resident", "tag"), True),)


class Volunteer(BaseModel):
    name = peewee.TextField()
    phone = peewee.TextField(unique=True)
    language = peewee.TextField(default="zh")
    skills = peewee.TextField(default="")  # comma-separated: errands, medical, counselling, driving
    points = peewee.IntegerField(default=0)
    active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)
    paused_at = peewee.DateTimeField(null=True)  # migration 0007: off duty since then (PAUSE / 暂停)

    @property
    def skill_list(self) -> list[str]:
        return [s for s in self.skills.split(",") if s]

    @property
    def status(self) -> str:
        """active (on duty), paused (off duty for now) or inactive (no longer a volunteer)."""
        return "inactive" if not self.active else "paused" if self.paused_at is not None else "active"


class VolunteerGrid(BaseModel):
    volunteer = peewee.ForeignKeyField(Volunteer, backref="grid_rows", on_delete="CASCADE")
    grid = peewee.ForeignKeyField(Grid, backref="volunteer_rows", on_delete="CASCADE")

    class Meta:
        indexes = ((("volunteer", "grid"), True),)


class AuditEntry(BaseModel):
    """Who did what, when, to which record."""

    at = peewee.DateTimeField(default=utcnow, index=True)
    actor = peewee.TextField()
    action = peewee.TextField()
    entity = peewee.TextField()
    entity_id = peewee.IntegerField(null=True)
    detail = peewee.TextField(default="")  # JSON

    class Meta:
        indexes = ((("actor", "at"), False),)  # added by migration 0003, for `linli audit --operator`


REGISTRY_MODELS = [Community, Grid, Household, Resident, ResidentTag, Volunteer, VolunteerGrid, AuditEntry]


def format_address(building: str, unit: str, room: str) -> str:
    """'3-2-201' style, skipping parts that are empty."""
    return "-".join(part for part in (building, unit, room) if part)


# --- messaging, check-ins, tasks, notices (migration 0002) ---------------------------------------------------

MESSAGE_OUT_STATUSES = (
    "queued",  # waiting to be sent (not before `not_before`)
    "sending",  # claimed by a dispatcher; the provider may or may not have it (reconciled after a crash)
    "sent",  # the provider accepted it
    "delivered",
    "undelivered",
    "failed",  # permanently: invalid number, unsubscribed, too many attempts
    "expired",  # could not go out before `expires_at`; dropped
    "skipped",  # never sent: the number opted out
    "cancelled",
)
MESSAGE_IN_STATUSES = ("received", "handled", "error")
TASK_KINDS = ("help", "errand", "delivery", "door_knock", "call_back")
TASK_STATES = ("open", "assigned", "accepted", "done", "cancelled")
LADDER_STAGES = ("asked", "reminded", "called", "second_contact", "door_knock", "alerted", "answered", "opted_out")


class CheckinRound(BaseModel):
    """One daily ask to an audience ("all", "monitored", "grid:NAME", "tag:NAME") on a local date."""

    local_date = peewee.DateField()
    audience = peewee.TextField(default="all")
    started_at = peewee.DateTimeField(default=utcnow)
    asked = peewee.IntegerField(default=0)
    created_by = peewee.TextField(default="scheduler")

    class Meta:
        indexes = ((("local_date", "audience"), True),)


class Task(BaseModel):
    """Work for a volunteer: a help request, an errand, a door-knock, a call-back."""

    kind = peewee.TextField(default="help")
    state = peewee.TextField(default="open", index=True)
    resident = peewee.ForeignKeyField(Resident, null=True, backref="tasks", on_delete="SET NULL")
    volunteer = peewee.ForeignKeyField(Volunteer, null=True, backref="tasks", on_delete="SET NULL")
    grid = peewee.ForeignKeyField(Grid, null=True, on_delete="SET NULL")
    need = peewee.TextField(default="")  # what is needed, in the resident's words
    source = peewee.TextField(default="operator")  # sms, voice, ladder, operator
    round = peewee.ForeignKeyField(CheckinRound, null=True, on_delete="SET NULL")
    due_at = peewee.DateTimeField(null=True, index=True)
    created_at = peewee.DateTimeField(default=utcnow)
    assigned_at = peewee.DateTimeField(null=True)
    done_at = peewee.DateTimeField(null=True)
    escalated_at = peewee.DateTimeField(null=True)
    notes = peewee.TextField(default="")
    points = peewee.IntegerField(default=1)
    offered_at = peewee.DateTimeField(null=True, index=True)  # migration 0007: offered, not accepted yet, since
    accepted_at = peewee.DateTimeField(null=True)  # migration 0007: the volunteer said they will do it


class Message(BaseModel):
    """A row of the durable inbox (direction "in") or outbox (direction "out")."""

    direction = peewee.TextField()  # in, out
    channel = peewee.TextField(default="sms")  # sms, voice
    peer = peewee.TextField(index=True)  # the other side's number, E.164
    body = peewee.TextField(default="")
    language = peewee.TextField(default="")
    kind = peewee.TextField(default="")  # checkin, reminder, notice, task, reply, second_contact, ...
    params = peewee.TextField(null=True)  # outbound: its kind (kit.message_kinds) and values, a JSON object
    status = peewee.TextField(index=True)
    gateway = peewee.TextField(default="")
    provider_id = peewee.TextField(null=True, index=True)
    key = peewee.TextField(null=True, unique=True)  # idempotency: the same key is queued once
    resident = peewee.ForeignKeyField(Resident, null=True, backref="messages", on_delete="SET NULL")
    volunteer = peewee.ForeignKeyField(Volunteer, null=True, backref="messages", on_delete="SET NULL")
    round = peewee.ForeignKeyField(CheckinRound, null=True, on_delete="SET NULL")
    task = peewee.ForeignKeyField(Task, null=True, on_delete="SET NULL")
    notice_id = peewee.IntegerField(null=True, index=True)
    segments = peewee.IntegerField(default=1)
    priority = peewee.IntegerField(default=5)  # lower goes first: replies before broadcasts
    attempts = peewee.IntegerField(default=0)
    not_before = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField(null=True)
    claimed_at = peewee.DateTimeField(null=True)  # when the current attempt started
    claimed_by = peewee.TextField(default="")  # the dispatcher (host:pid:start) that holds the attempt
    sent_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    error_code = peewee.TextField(default="")
    error = peewee.TextField(default="")
    intent = peewee.TextField(default="")  # inbound: the parsed intent as JSON
    corrected_intent = peewee.TextField(default="")  # inbound: an operator's correction, as JSON
    needs_reading_since = peewee.DateTimeField(null=True, index=True)  # migration 0010: not understood, not read yet

    class Meta:
        indexes = ((("direction", "status", "channel", "not_before"), False),)


class MessageEvent(BaseModel):
    """The status history of a message: every callback or change, once per status."""

    message = peewee.ForeignKeyField(Message, backref="events", on_delete="CASCADE")
    status = peewee.TextField()
    at = peewee.DateTimeField(default=utcnow)
    detail = peewee.TextField(default="")

    class Meta:
        indexes = ((("message", "status"), True),)


class CheckinAsk(BaseModel):
    """One resident's place on the check-in ladder for one round."""

    round = peewee.ForeignKeyField(CheckinRound, backref="asks", on_delete="CASCADE")
    resident = peewee.ForeignKeyField(Resident, backref="asks", on_delete="CASCADE")
    stage = peewee.TextField(default="asked", index=True)
    next_step_at = peewee.DateTimeField(null=True, index=True)
    answered_at = peewee.DateTimeField(null=True)
    outcome = peewee.TextField(default="")  # well, unwell, help, unreachable
    task = peewee.ForeignKeyField(Task, null=True, on_delete="SET NULL")
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("round", "resident"), True),)


class Report(BaseModel):
    """One health report from a resident: by SMS, keypad, door visit or operator entry."""

    resident = peewee.ForeignKeyField(Resident, backref="reports", on_delete="CASCADE")
    at = peewee.DateTimeField(default=utcnow, index=True)
    channel = peewee.TextField(default="sms")  # sms, voice, door, operator
    kind = peewee.TextField()  # well, unwell, help
    temperature_c = peewee.FloatField(null=True)
    symptoms = peewee.TextField(default="")  # comma-separated: fever, cough, breathing
    text = peewee.TextField(default="")  # the raw reply
    message = peewee.ForeignKeyField(Message, null=True, on_delete="SET NULL")
    round = peewee.ForeignKeyField(CheckinRound, null=True, on_delete="SET NULL")


class Alert(BaseModel):
    """Something an operator must look at now."""

    kind = peewee.TextField()  # fever, red, unreachable, gateway, task_overdue, unknown_sender
    severity = peewee.TextField(default="warning")  # info, warning, urgent
    resident = peewee.ForeignKeyField(Resident, null=True, on_delete="SET NULL")
    task = peewee.ForeignKeyField(Task, null=True, on_delete="SET NULL")
    text = peewee.TextField()
    key = peewee.TextField(null=True, unique=True)  # the same problem is raised once
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    acknowledged_at = peewee.DateTimeField(null=True)
    acknowledged_by = peewee.TextField(default="")


class Notice(BaseModel):
    """A broadcast: body, audience, channel, cost, delivery."""

    body = peewee.TextField()
    audience = peewee.TextField(default="{}")  # JSON: grids, tags, statuses
    channel = peewee.TextField(default="sms")  # sms, voice, both
    fingerprint = peewee.TextField(unique=True)  # body + audience: the same notice is sent once
    recipients = peewee.IntegerField(default=0)
    segments = peewee.IntegerField(default=0)
    cost = peewee.FloatField(default=0.0)
    created_by = peewee.TextField(default="cli")
    created_at = peewee.DateTimeField(default=utcnow)


class OptOut(BaseModel):
    """A number that said STOP (or 退订): nothing is sent to it until it says START."""

    phone = peewee.TextField(unique=True)
    at = peewee.DateTimeField(default=utcnow)
    source = peewee.TextField(default="sms")


class GatewayHealth(BaseModel):
    name = peewee.TextField(unique=True)  # e.g. "sms:twilio"
    last_success_at = peewee.DateTimeField(null=True)
    last_failure_at = peewee.DateTimeField(null=True)
    consecutive_failures = peewee.IntegerField(default=0)
    last_error = peewee.TextField(default="")


class JobRun(BaseModel):
    """A scheduled job that ran for a key (e.g. the check-in round for a date): run once, never twice."""

    job = peewee.TextField()
    key = peewee.TextField()
    at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("job", "key"), True),)


class Setting(BaseModel):
    """Small pieces of state the kit keeps between runs (e.g. the inbound polling high-water mark)."""

    key = peewee.TextField(unique=True)
    value = peewee.TextField(default="")
    updated_at = peewee.DateTimeField(default=utcnow)


MESSAGING_MODELS = [
    CheckinRound, Task, Message, MessageEvent, CheckinAsk, Report, Alert, Notice, OptOut, GatewayHealth, JobRun,
    Setting,
]  # fmt: skip


def get_setting(key: str, default: str = "") -> str:
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row is not None else default


def put_setting(key: str, value: str) -> None:
    Setting.insert(key=key, value=value, updated_at=utcnow()).on_conflict(
        conflict_target=[Setting.key], update={Setting.value: value, Setting.updated_at: utcnow()}
    ).execute()


# --- operators (migration 0003) --------------------------------------------------------------------------------

OPERATOR_ROLES = ("admin", "operator", "viewer")


class Operator(BaseModel):
    """A person who runs the kit (TUI or CLI): a role and a PIN or passphrase, stored only as a hash."""

    name = peewee.TextField(unique=True)
    role = peewee.TextField(default="operator")  # admin, operator, viewer (kit.permissions says what each may do)
    pin_hash = peewee.TextField()  # "scrypt$n$r$p$salt$hash" (kit.operators)
    active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
