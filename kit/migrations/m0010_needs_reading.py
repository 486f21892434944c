"""Replies nobody understood wait for a person to read them (kit.needs_reading): since when a message has, indexed so
Today counts them without reading the whole inbox.

Decisions
- The last day's replies nobody understood or corrected join the queue; older ones were shown in the Inbox before
  the queue existed, and a queue of last month's messages would bury today's.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import peewee
from playhouse.migrate import SchemaMigrator
from playhouse.migrate import migrate as apply


def migrate(db: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(db)
    apply(
        migrator.add_column("message", "needs_reading_since", peewee.DateTimeField(null=True)),
        migrator.add_index("message", ("needs_reading_since",), False),
    )

    class Message(peewee.Model):
        direction = peewee.TextField()
        channel = peewee.TextField()
        status = peewee.TextField()
        intent = peewee.TextField()
        corrected_intent = peewee.TextField()
        created_at = peewee.DateTimeField()
        needs_reading_since = peewee.DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "message"

    since = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=1)
    Message.update(needs_reading_since=Message.created_at).where(
        (Message.direction == "in")
        & (Message.channel == "sms")
        & (Message.status == "handled")
        & Message.intent.contains('"intent": "unknown"')
        & (Message.corrected_intent == "")
        & (Message.created_at >= since)
    ).execute()
