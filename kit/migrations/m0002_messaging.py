"""Messaging: the durable inbox/outbox and its status history, check-in rounds and the ladder, reports, tasks,
alerts, notices, opt-outs, gateway health and job runs."""

from __future__ import annotations

from datetime import datetime, timezone

import peewee


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def migrate(db: peewee.Database) -> None:
    class Base(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Resident(Base):
        class Meta:
            table_name = "resident"

    class Volunteer(Base):
        class Meta:
            table_name = "volunteer"

    class Grid(Base):
        class Meta:
            table_name = "grid"

    class CheckinRound(Base):
        local_date = peewee.DateField()
        audience = peewee.TextField(default="all")
        started_at = peewee.DateTimeField(default=_now)
        asked = peewee.IntegerField(default=0)
        created_by = peewee.TextField(default="scheduler")

        class Meta:
            indexes = ((("local_date", "audience"), True),)

    class Task(Base):
        kind = peewee.TextField(default="help")
        state = peewee.TextField(default="open", index=True)
        resident = peewee.ForeignKeyField(Resident, null=True, backref="tasks", on_delete="SET NULL")
        volunteer = peewee.ForeignKeyField(Volunteer, null=True, backref="tasks", on_delete="SET NULL")
        grid = peewee.ForeignKeyField(Grid, null=True, on_delete="SET NULL")
        need = peewee.TextField(default="")
        source = peewee.TextField(default="operator")
        round = peewee.ForeignKeyField(CheckinRound, null=True, on_delete="SET NULL")
        due_at = peewee.DateTimeField(null=True, index=True)
        created_at = peewee.DateTimeField(default=_now)
        assigned_at = peewee.DateTimeField(null=True)
        done_at = peewee.DateTimeField(null=True)
        escalated_at = peewee.DateTimeField(null=True)
        notes = peewee.TextField(default="")
        points = peewee.IntegerField(default=1)

    class Message(Base):
        direction = peewee.TextField()
        channel = peewee.TextField(default="sms")
        peer = peewee.TextField(index=True)
        body = peewee.TextField(default="")
        language = peewee.TextField(default="")
        kind = peewee.TextField(default="")
        status = peewee.TextField(index=True)
        gateway = peewee.TextField(default="")
        provider_id = peewee.TextField(null=True, index=True)
        key = peewee.TextField(null=True, unique=True)
        resident = peewee.ForeignKeyField(Resident, null=True, backref="messages", on_delete="SET NULL")
        volunteer = peewee.ForeignKeyField(Volunteer, null=True, backref="messages", on_delete="SET NULL")
        round = peewee.ForeignKeyField(CheckinRound, null=True, on_delete="SET NULL")
        task = peewee.ForeignKeyField(Task, null=True, on_delete="SET NULL")
        notice_id = peewee.IntegerField(null=True, index=True)
        segments = peewee.IntegerField(default=1)
        priority = peewee.IntegerField(default=5)
        attempts = peewee.IntegerField(default=0)
        not_before = peewee.DateTimeField(default=_now)
        expires_at = peewee.DateTimeField(null=True)
        claimed_at = peewee.DateTimeField(null=True)
        claimed_by = peewee.TextField(default="")
        sent_at = peewee.DateTimeField(null=True)
        created_at = peewee.DateTimeField(default=_now)
        updated_at = peewee.DateTimeField(default=_now)
        error_code = peewee.TextField(default="")
        error = peewee.TextField(default="")
        intent = peewee.TextField(default="")
        corrected_intent = peewee.TextField(default="")

        class Meta:
            indexes = ((("direction", "status", "channel", "not_before"), False),)

    class MessageEvent(Base):
        message = peewee.ForeignKeyField(Message, backref="events", on_delete="CASCADE")
        status = peewee.TextField()
        at = peewee.DateTimeField(default=_now)
        detail = peewee.TextField(default="")

        class Meta:
            indexes = ((("message", "status"), True),)

    class CheckinAsk(Base):
        round = peewee.ForeignKeyField(CheckinRound, backref="asks", on_delete="CASCADE")
        resident = peewee.ForeignKeyField(Resident, backref="asks", on_delete="CASCADE")
        stage = peewee.TextField(default="asked", index=True)
        next_step_at = peewee.DateTimeField(null=True, index=True)
        answered_at = peewee.DateTimeField(null=True)
        outcome = peewee.TextField(default="")
        task = peewee.ForeignKeyField(Task, null=True, on_delete="SET NULL")
        updated_at = peewee.DateTimeField(default=_now)

        class Meta:
            indexes = ((("round", "resident"), True),)

    class Report(Base):
        resident = peewee.ForeignKeyField(Resident, backref="reports", on_delete="CASCADE")
        at = peewee.DateTimeField(default=_now, index=True)
        channel = peewee.TextField(default="sms")
        kind = peewee.TextField()
        temperature_c = peewee.FloatField(null=True)
        symptoms = peewee.TextField(default="")
        text = peewee.TextField(default="")
        message = peewee.ForeignKeyField(Message, null=True, on_delete="SET NULL")
        round = peewee.ForeignKeyField(CheckinRound, null=True, on_delete="SET NULL")

    class Alert(Base):
        kind = peewee.TextField()
        severity = peewee.TextField(default="warning")
        resident = peewee.ForeignKeyField(Resident, null=True, on_delete="SET NULL")
        task = peewee.ForeignKeyField(Task, null=True, on_delete="SET NULL")
        text = peewee.TextField()
        key = peewee.TextField(null=True, unique=True)
        created_at = peewee.DateTimeField(default=_now, index=True)
        acknowledged_at = peewee.DateTimeField(null=True)
        acknowledged_by = peewee.TextField(default="")

    class Notice(Base):
        body = peewee.TextField()
        audience = peewee.TextField(default="{}")
        channel = peewee.TextField(default="sms")
        fingerprint = peewee.TextField(unique=True)
        recipients = peewee.IntegerField(default=0)
        segments = peewee.IntegerField(default=0)
        cost = peewee.FloatField(default=0.0)
        created_by = peewee.TextField(default="cli")
        created_at = peewee.DateTimeField(default=_now)

    class OptOut(Base):
        phone = peewee.TextField(unique=True)
        at = peewee.DateTimeField(default=_now)
        source = peewee.TextField(default="sms")

    class GatewayHealth(Base):
        name = peewee.TextField(unique=True)
        last_success_at = peewee.DateTimeField(null=True)
        last_failure_at = peewee.DateTimeField(null=True)
        consecutive_failures = peewee.IntegerField(default=0)
        last_error = peewee.TextField(default="")

    class JobRun(Base):
        job = peewee.TextField()
        key = peewee.TextField()
        at = peewee.DateTimeField(default=_now)

        class Meta:
            indexes = ((("job", "key"), True),)

    class Setting(Base):
        key = peewee.TextField(unique=True)
        value = peewee.TextField(default="")
        updated_at = peewee.DateTimeField(default=_now)

    db.create_tables(
        [
            CheckinRound,
            Task,
            Message,
            MessageEvent,
            CheckinAsk,
            Report,
            Alert,
            Notice,
            OptOut,
            GatewayHealth,
            JobRun,
            Setting,
        ]
    )
