"""Keeping people's data no longer than needed: old health reports, messages, volunteer sign-ups and audit entries
are purged, and the residents who moved out are anonymised, by `linli purge` and once a day by the scheduler.

Decisions:
- How long is a setting (`[retention]`, 90 days by default, as epidemic-era rules asked); 0 keeps that kind for
  ever. The days count from when a row was made (a report's `at`, a message's `created_at`, an entry's `at`).
- A message still on its way (queued or sending out, received but not yet handled in) is never purged, however
  old: the dispatcher and the router still own it. Its status history goes with it.
- A volunteer sign-up (a phone, a name, what they texted) is kept as long as messages are, once an operator has
  decided it; one still waiting for an answer is never purged. The volunteer an approval made stays.
- Rows go in chunks of `CHUNK`, each chunk in its own short transaction, so a purge never holds the write lock for
  long (the dispatcher and the webhooks keep writing meanwhile) and a purge that is stopped halfway has done part
  of the work and can simply run again.
- Anonymising keeps the row (ids in tasks, rounds and figures stay whole) and removes what says who the person was
  or how they are: the name becomes a placeholder, phones, notes, birth year, the address link and the tags go
  (a tag such as 独居老人 or chronic says something about the person), health is reset, and the texts that may name
  them (their messages, the raw text of their reports, their tasks' needs and notes, alert texts and the details of
  the audit entries about them) are removed.
- The audit trail records each purge as counts only, never what was removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import peewee

from kit import audit, clock, ui_words
from kit.community import community_zone
from kit.config import RetentionSettings
from kit.db import transaction
from kit.errors import ConfigError, Conflict
from kit.jsonable import record_dict
from kit.localtime import at_local
from kit.models import Alert, AuditEntry, Message, MessageEvent, Report, Resident, ResidentTag, Task
from kit.volunteer_models import VolunteerSignup

CHUNK = 500  # rows per transaction: each commits in a few milliseconds
RESIDENT_CHUNK = 50  # residents anonymised per transaction (each with their messages, reports and tasks)
IN_FLIGHT = ("queued", "sending", "received")  # still owned by the dispatcher or the router
PLACEHOLDER = "已迁出 #{id}"  # "moved out": what an anonymised resident's name becomes


@dataclass
class PurgeReport:
    """What one purge removed (or, with `dry_run`, would remove)."""

    reports: int = 0
    messages: int = 0
    message_events: int = 0
    signups: int = 0
    audit_entries: int = 0
    anonymised: int = 0
    dry_run: bool = False

    @property
    def total(self) -> int:
        return self.reports + self.messages + self.signups + self.audit_entries + self.anonymised

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self)

    def describe(self) -> str:
        """One line in the reader's language: 'purged 3 health reports, 120 messages (240 status events), 7 audit
        entries; anonymised 1 resident who moved out' (or 'would purge ...' on a dry run)."""
        return ui_words.say(
            "cli.purge.would_purge" if self.dry_run else "cli.purge.purged",
            reports=ui_words.say_count("cli.purge.reports", self.reports),
            messages=ui_words.say_count("cli.purge.messages", self.messages),
            events=ui_words.say_count("cli.purge.events", self.message_events),
            signups=ui_words.say_count("cli.purge.signups", self.signups),
            audit=ui_words.say_count("cli.purge.audit", self.audit_entries),
            residents=ui_words.say_count("cli.purge.residents", self.anonymised),
        )


def check_retention(settings: RetentionSettings) -> None:
    """Refuse negative days: 0 means for ever, anything else is a number of days."""
    for name in ("reports_days", "messages_days", "audit_days", "anonymise_after_days"):
        if getattr(settings, name) < 0:
            raise ConfigError("retention.negative_days", name=name)


def cutoff(days: int, now: datetime | None = None) -> datetime | None:
    """Naive UTC before which rows kept `days` days are old; None when `days` is 0 (kept for ever)."""
    if days <= 0:
        return None
    return (now or clock.utcnow()) - timedelta(days=days)


def purge(settings: RetentionSettings, *, dry_run: bool = False, actor: str = "cli") -> PurgeReport:
    """Purge what is older than the settings allow and anonymise who moved out long enough ago; with `dry_run`,
    only count. The audit trail gets one entry with the counts (not on a dry run, nor when nothing was done)."""
    check_retention(settings)
    now = clock.utcnow()
    report = PurgeReport(dry_run=dry_run)
    old_reports, old_messages = cutoff(settings.reports_days, now), cutoff(settings.messages_days, now)
    old_entries, moved_before = cutoff(settings.audit_days, now), cutoff(settings.anonymise_after_days, now)
    if settings.anonymise_after_days == 0:
        moved_before = now  # 0 days after moving out: at once
    if moved_before is not None:
        report.anonymised = _in_chunks(_moved_out(moved_before), _anonymise, dry_run, size=RESIDENT_CHUNK)
    if old_reports is not None:
        report.reports = _in_chunks(Report.select(Report.id).where(Report.at < old_reports), _delete_reports, dry_run)
    if old_messages is not None:
        decided = VolunteerSignup.select(VolunteerSignup.id).where(
            (VolunteerSignup.created_at < old_messages) & (VolunteerSignup.status != "pending")
        )
        report.signups = _in_chunks(decided, _delete_signups, dry_run)
        old = Message.select(Message.id).where((Message.created_at < old_messages) & Message.status.not_in(IN_FLIGHT))
        if dry_run:
            report.message_events = MessageEvent.select().where(MessageEvent.message.in_(old)).count()
        report.messages = _in_chunks(old, lambda ids: _delete_messages(ids, report), dry_run)
    if old_entries is not None:
        old_audit = AuditEntry.select(AuditEntry.id).where(AuditEntry.at < old_entries)
        report.audit_entries = _in_chunks(old_audit, _delete_audit_entries, dry_run)
    if report.total and not dry_run:
        with transaction():
            audit.record(actor, "purge", "retention", None, **_counts(report))
    return report


def _counts(report: PurgeReport) -> dict[str, int]:
    return {name: value for name, value in report.as_dict().items() if name != "dry_run"}


def _in_chunks(
    query: peewee.ModelSelect, act: Callable[[list[int]], None], dry_run: bool, *, size: int | None = None
) -> int:
    """Run `act` on the ids `query` selects, `size` at a time, each chunk in its own transaction, until `query`
    selects nothing more (`act` takes its rows out of it); returns the count."""
    if dry_run:
        return int(query.count())
    size = size or CHUNK
    done = 0
    model = query.model
    while True:
        with transaction():
            ids = [row[0] for row in query.order_by(model.id).limit(size).tuples()]
            if ids:
                act(ids)
        done += len(ids)
        if len(ids) < size:
            return done


def _delete_reports(ids: list[int]) -> None:
    Report.delete().where(Report.id.in_(ids)).execute()


def _delete_messages(ids: list[int], report: PurgeReport) -> None:
    report.message_events += MessageEvent.delete().where(MessageEvent.message.in_(ids)).execute()
    Report.update(message=None).where(Report.message.in_(ids)).execute()
    Message.delete().where(Message.id.in_(ids)).execute()


def _delete_signups(ids: list[int]) -> None:
    VolunteerSignup.delete().where(VolunteerSignup.id.in_(ids)).execute()


def _delete_audit_entries(ids: list[int]) -> None:
    AuditEntry.delete().where(AuditEntry.id.in_(ids)).execute()


# --- moving out and anonymising ---------------------------------------------------------------------------------


def still_here() -> peewee.Expression:
    """The residents who have not moved out: check-in rounds and notices reach only them (an anonymised resident,
    with no phone left, would otherwise be put on the door-knock list every day)."""
    return Resident.moved_out_at.is_null()


def _moved_out(before: datetime | None = None) -> peewee.ModelSelect:
    """Residents who moved out (at or before `before`) and are not anonymised yet."""
    moved = Resident.moved_out_at.is_null(False) & Resident.anonymised_at.is_null()
    if before is not None:
        moved &= Resident.moved_out_at <= before
    return Resident.select(Resident.id).where(moved)


def _anonymise(ids: list[int]) -> None:
    now = clock.utcnow()
    for resident_id in ids:
        name = PLACEHOLDER.format(id=resident_id)
        Resident.update(
            name=name,
            phone=None,
            second_phone=None,
            notes="",
            birth_year=None,
            household=None,
            status="green",
            monitoring="none",
            monitoring_until=None,
            search_text=name,
            anonymised_at=now,
            updated_at=now,
        ).where(Resident.id == resident_id).execute()
    ResidentTag.delete().where(ResidentTag.resident.in_(ids)).execute()
    theirs = Message.select(Message.id).where(Message.resident.in_(ids) & Message.status.not_in(IN_FLIGHT))
    message_ids = [row[0] for row in theirs.tuples()]
    for start in range(0, len(message_ids), CHUNK):
        _delete_messages(message_ids[start : start + CHUNK], PurgeReport())
    Report.update(text="").where(Report.resident.in_(ids)).execute()
    Task.update(need="", notes="").where(Task.resident.in_(ids)).execute()
    Alert.update(text="").where(Alert.resident.in_(ids)).execute()
    AuditEntry.update(detail="").where((AuditEntry.entity == "resident") & AuditEntry.entity_id.in_(ids)).execute()


def set_moved_out(resident_id: int, on: date | None = None, *, undo: bool = False, actor: str = "cli") -> Resident:
    """Record that a resident moved out (on local date `on`, default now), or with `undo` that they did not; their
    details are removed `retention.anonymise_after_days` later. An anonymised resident cannot be brought back."""
    from kit.residents import get_resident

    with transaction():
        resident = get_resident(resident_id)
        if resident.anonymised_at is not None:
            raise Conflict("retention.anonymised", id=resident.id)
        old = resident.moved_out_at
        if undo:
            new = None
        elif on is None:
            new = clock.utcnow()
        else:
            new = at_local(on, time(0, 0), community_zone())
        Resident.update(moved_out_at=new, updated_at=clock.utcnow()).where(Resident.id == resident.id).execute()
        audit.record(actor, "moved-out", "resident", resident.id, old=old, new=new)
    return Resident.get_by_id(resident.id)


def retention_figures(settings: RetentionSettings) -> dict[str, Any]:
    """The retention in force, and how many moved-out residents wait to be anonymised, for `linli status`."""
    return {
        "reports_days": settings.reports_days,
        "messages_days": settings.messages_days,
        "audit_days": settings.audit_days,
        "anonymise_after_days": settings.anonymise_after_days,
        "moved_out_waiting": _moved_out().count(),
    }
