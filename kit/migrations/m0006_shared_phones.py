"""Shared phones: several residents of one household may give the same number (a couple, a carer's mobile).

The unique index on `resident.phone` becomes a plain one of the same name: lookups by number stay as fast, and
`kit.shared_phones` decides which of the residents on a number a reply is about.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator
from playhouse.migrate import migrate as apply


def migrate(db: peewee.Database) -> None:
    migrator = SchemaMigrator.from_database(db)
    apply(
        migrator.drop_index("resident", "resident_phone"),
        migrator.add_index("resident", ("phone",), False),
    )
