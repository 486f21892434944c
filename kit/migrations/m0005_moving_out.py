"""Moving out: when a resident left the community, and when their personal details were removed (kit.retention)."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator
from playhouse.migrate import migrate as apply


def migrate(db: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(db)
    apply(
        migrator.add_column("resident", "moved_out_at", peewee.DateTimeField(null=True)),
        migrator.add_column("resident", "anonymised_at", peewee.DateTimeField(null=True)),
        migrator.add_index("resident", ("moved_out_at",), False),
    )
