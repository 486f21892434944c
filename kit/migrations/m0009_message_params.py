"""Messages as (kind, language, parameters): the values an outbox message was rendered with, as a JSON object, so a
template gateway can send the provider's approved template with them instead of the rendered text."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator
from playhouse.migrate import migrate as apply


def migrate(db: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(db)
    apply(migrator.add_column("message", "params", peewee.TextField(null=True)))
