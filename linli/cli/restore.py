"""`linli restore BACKUP`: put a backup back in place of the database, safely (kit.restore)."""

from __future__ import annotations

import click

from kit import audit, ui_words
from kit.db import transaction
from kit.errors import StorageError
from kit.models import Community
from kit.permissions import RESTORE
from kit.restore import restore_database
from linli.cli.context import Kit, is_missing_file, pass_kit
from linli.cli.output import echo_plain


@click.command("restore")
@click.argument("backup_file", metavar="BACKUP", type=click.Path(dir_okay=False))
@click.option(
    "--identity",
    metavar="KEYFILE",
    help="For an encrypted backup (linli backup --encrypt): the age secret key file (from age-keygen).",
)
@pass_kit
def restore(kit: Kit, backup_file: str, identity: str | None) -> None:
    """Replace the database with a backup made by `linli backup`; the old file is kept aside.

    Stop every Linli using the database first (the operators' UI, linli serve, cron jobs):
    restore refuses while anything has it open. The backup is copied beside the database
    and checked (integrity check, a schema this Linli knows) before anything changes; then
    the old database is kept as NAME.before-restore-YYYYmmdd-HHMMSS (UTC), its stale -wal
    and -shm are taken away, and the checked copy takes its place in one rename.
    Only an admin may restore, once operators are set up.

    \b
    Example:
      linli restore ~/backups/linli-2026-11-20.sqlite3
      linli restore --identity ~/.config/linli/backup-key.txt /media/usb/linli-1120.sqlite3.age
    """
    actor = _allowed_actor(kit)
    result = restore_database(backup_file, kit.db_path, identity=identity)
    kit.open(create=True, identify=False)
    with transaction():
        audit.record(actor, "restore", "database", None, backup=backup_file, kept=str(result.kept or ""))
    community = Community.select().first()
    if community is not None:  # the restored community's words
        ui_words.use_language(community.language_list[0])
    said = {"path": result.path, "backup": backup_file, "version": result.schema_version}
    if result.kept:
        echo_plain(ui_words.say_count("cli.restore.done_kept", result.residents, kept=result.kept, **said))
    else:
        echo_plain(ui_words.say_count("cli.restore.done", result.residents, **said))


def _allowed_actor(kit: Kit) -> str:
    """Check that whoever runs this may restore, against the database being replaced, then close it again.

    A database that is missing, damaged or not yet a community cannot be asked; whoever can reach its file can
    replace it by hand anyway, so restore goes ahead."""
    if is_missing_file(kit.db_path):
        return kit.actor
    try:
        return kit.allow(RESTORE)
    except StorageError:
        return kit.actor
    finally:
        kit.close()  # restore needs the database to itself
