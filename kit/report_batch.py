"""Many health reports at once: the nine o'clock burst of replies, recorded with a handful of statements.

`record_reports` ends exactly as `kit.reports.record_report` called for each report in turn: the same reports,
check-in answers, statuses and audit entries, alerts, help tasks and acknowledgements. The rules are
`kit.reports`' (status, alerts, acknowledgement) and `kit.checkin.answers`' (which asks an answer answers); this
module only does their writing in bulk.

Decisions
- One report per resident in a call: a second report about the same resident depends on what the first changed
  (its status, its answered asks), so the caller cuts its batch there (`sms.batch` does).
- Reads are one query per question for the whole batch (residents, open asks, alerts raised today, the people
  alerts name), writes one statement per table (reports, answers, audit entries, alerts, acknowledgements and
  their events) and one UPDATE per status value.
- Door-knocks an answer made needless are cancelled (`cancel_needless`, one at a time: they are few), and help
  requests become tasks, one report after another in the order given: each changes whom the next task goes to.
  The volunteers and their loads are read once (`kit.assignment`'s rule picks each one), and the tasks, their
  audit entries and the volunteers' SMS (`kit.tasks.assignment_draft`) are written together, as
  `kit.tasks.create_task` would leave them one by one: in a burst a sixth of the replies may ask for help, and
  create_task reads every volunteer and every load again for each (about 20 ms on 5,000 residents).
  tests/sms/test_batch.py compares the two on mixed inboxes, so a change to one that the other misses fails there.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kit import audit, reports
from kit.alerts import language_read_once, raise_alerts
from kit.assignment import Helper, alert_nobody, best_for, helpers_by_grid, task_loads, task_words
from kit.bulk import insert_rows, reserve_ids
from kit.checkin.answers import OpenAsk, answered_by, cancel_needless, mark_answered, open_asks
from kit.clock import utcnow
from kit.community import community_zone
from kit.errors import NotFound
from kit.escalation import help_due_at
from kit.localtime import local_date
from kit.models import Report, Resident, Task
from kit.outbox import Draft, queue_each
from kit.people import people
from kit.tasks import assignment_draft


@dataclass(frozen=True)
class ReportRequest:
    """One report for `record_reports`: the arguments of `kit.reports.record_report`."""

    resident_id: int
    kind: str
    temperature_c: float | None = None
    symptoms: tuple[str, ...] = ()
    text: str = ""
    need: str | None = None
    channel: str = "sms"
    message_id: int | None = None
    at: datetime | None = None
    acknowledge: bool | None = None
    actor: str | None = None


@dataclass
class _Report:
    """A request on its way: what was read and decided for it."""

    request: ReportRequest
    resident: Resident
    at: datetime
    found: tuple[str, ...]
    answers: list[OpenAsk]
    report_id: int = 0
    before: str = ""
    after: str = ""
    alerts: tuple[str, ...] = ()
    task_id: int | None = None
    ack_id: int | None = None


def record_reports(requests: Sequence[ReportRequest]) -> list[reports.ReportOutcome]:
    """Store and act on `requests` (one per resident) in the caller's transaction, as `record_report` would one
    after another. Raises what `record_report` raises for the first request it would refuse; then nothing of the
    batch should be kept (the caller rolls back and may take the reports one at a time)."""
    if not requests:
        return []
    if len({r.resident_id for r in requests}) != len(requests):
        raise ValueError("record_reports takes one report per resident; cut the batch where a resident comes again")
    batch = _read(requests)
    _store_reports(batch)
    mark_answered([(ask, item.request.kind, item.at) for item in batch for ask in item.answers])
    _change_statuses(batch)
    with language_read_once():
        _raise_alerts(batch)
        _create_help_tasks(batch)
    _acknowledge(batch)
    return [
        reports.ReportOutcome(i.report_id, i.before, i.after, i.alerts, i.task_id, i.ack_id, len(i.answers))
        for i in batch
    ]


def _read(requests: Sequence[ReportRequest]) -> list[_Report]:
    """The residents and their open asks, for all requests at once."""
    for request in requests:
        reports.check_kind(request.kind)
    ids = [r.resident_id for r in requests]
    columns = (Resident.id, Resident.name, Resident.phone, Resident.language, Resident.status, Resident.grid)
    residents = {r.id: r for r in Resident.select(*columns).where(Resident.id.in_(ids))}
    for resident_id in ids:
        if resident_id not in residents:
            raise NotFound("report.no_resident", id=resident_id)
    now, zone = utcnow(), community_zone()
    times = [r.at or now for r in requests]
    asks = open_asks(ids, {local_date(at, zone) for at in times})
    return [
        _Report(
            r,
            residents[r.resident_id],
            at,
            reports.symptoms_of(r.symptoms),
            answered_by(asks.get(r.resident_id, []), at, zone),
        )
        for r, at in zip(requests, times)
    ]


def _actor(item: _Report) -> str:
    return item.request.actor or reports.actor_for(item.resident, item.request.channel)


def _store_reports(batch: list[_Report]) -> None:
    ids = reserve_ids(Report, len(batch))
    fields = [
        Report.id, Report.resident, Report.at, Report.channel, Report.kind, Report.temperature_c, Report.symptoms,
        Report.text, Report.message, Report.round,
    ]  # fmt: skip
    rows = []
    for report_id, item in zip(ids, batch):
        item.report_id = report_id
        r = item.request
        round_id = item.answers[0].round_id if item.answers else None
        rows.append(
            (report_id, item.resident.id, item.at, r.channel, r.kind, r.temperature_c, ",".join(item.found), r.text,
             r.message_id, round_id)
        )  # fmt: skip
    insert_rows(Report, fields, rows)


def _change_statuses(batch: list[_Report]) -> None:
    """Statuses only go up (`kit.reports.status_for`): one UPDATE per new status, one audit entry per change."""
    changed: dict[str, list[int]] = defaultdict(list)
    entries: list[tuple[str, str, str, int | None, dict[str, Any]]] = []
    for item in batch:
        item.before = item.resident.status
        item.after = reports.status_for(item.before, item.request.kind, item.request.temperature_c, item.found)
        if item.after != item.before:
            changed[item.after].append(item.resident.id)
            detail = {"old": item.before, "new": item.after, "reason": f"report {item.report_id}"}
            entries.append((_actor(item), "status", "resident", item.resident.id, detail))
    now = utcnow()
    for status, resident_ids in changed.items():
        Resident.update(status=status, updated_at=now).where(Resident.id.in_(resident_ids)).execute()
    if entries:
        audit.record_many(entries)


def _raise_alerts(batch: list[_Report]) -> None:
    zone = community_zone()
    due = {
        item.resident.id: reports.alerts_due(
            item.resident.id,
            item.request.temperature_c,
            item.found,
            item.at,
            turned_red=item.after == "red" != item.before,
            zone=zone,
        )
        for item in batch
    }
    wanted = [alert for alerts in due.values() for alert in alerts]
    if not wanted:
        return
    named = people([alert.resident_id for alert in wanted])
    raised = raise_alerts([alert.new_alert(named[alert.resident_id]) for alert in wanted])
    for item in batch:
        item.alerts = tuple(alert.kind for alert in due[item.resident.id] if alert.key in raised)


def _create_help_tasks(batch: list[_Report]) -> None:
    """Cancel the door-knocks the answers made needless and turn help requests into tasks, one report after another
    in the order they came (each changes whom the next task goes to), as `kit.tasks.create_task` and `give_task`
    would one at a time, with the volunteers and their loads read once and the tasks, audit entries and SMS
    written together."""
    helpers, by_grid = helpers_by_grid()
    loads = task_loads()
    given: Counter[int] = Counter()  # tasks of this batch, not written yet, per volunteer
    ids = reserve_ids(Task, sum(1 for item in batch if item.request.kind == "help"))
    tasks: list[tuple[_Report, int, str, int | None]] = []
    for item in batch:
        if cancel_needless(item.answers, item.request.channel):
            loads = task_loads() + given
        if item.request.kind != "help":
            continue
        need = (item.request.text if item.request.need is None else item.request.need).strip()
        chosen = best_for(need, by_grid.get(item.resident.grid_id, []), helpers, loads)
        if chosen is not None:
            loads[chosen] += 1
            given[chosen] += 1
        item.task_id = ids[len(tasks)]
        tasks.append((item, item.task_id, need, chosen))
    if tasks:
        _write_help_tasks(tasks, helpers)


def _write_help_tasks(tasks: list[tuple[_Report, int, str, int | None]], helpers: dict[int, Helper]) -> None:
    now, zone = utcnow(), community_zone()
    persons = people([item.resident.id for item, *_ in tasks])
    rows, entries, drafts = [], [], []
    for item, task_id, need, chosen in tasks:
        due_at, resident_id = help_due_at(item.at), item.resident.id
        assigned = None if chosen is None else now
        rows.append(
            ("help", "open" if chosen is None else "assigned", resident_id, chosen, item.resident.grid_id, need,
             item.request.channel, None, due_at, now, assigned, 1, assigned, None, task_id)
        )  # fmt: skip
        entries.append(
            (_actor(item), "create", "task", task_id, {"kind": "help", "resident": resident_id, "need": need})
        )
        if chosen is not None:
            entries.append((_actor(item), "assign", "task", task_id, {"volunteer": chosen, "previous": None}))
            person = persons.get(resident_id)
            drafts.append(assignment_draft(task_id, "help", need, due_at, helpers[chosen], person, zone))
    fields = [
        Task.kind, Task.state, Task.resident, Task.volunteer, Task.grid, Task.need, Task.source, Task.round,
        Task.due_at, Task.created_at, Task.assigned_at, Task.points, Task.offered_at, Task.accepted_at, Task.id,
    ]  # fmt: skip
    insert_rows(Task, fields, rows)
    audit.record_many(entries)
    queue_each(drafts)
    for item, task_id, _, chosen in tasks:
        if chosen is None:  # one alert per grid per day: the first of them raises it
            what = task_words(task_id, "help", item.resident.name)
            alert_nobody(item.resident.grid_id, what, task_id=task_id, resident_id=item.resident.id)


def _acknowledge(batch: list[_Report]) -> None:
    acknowledged: list[tuple[_Report, Draft]] = []
    for item in batch:
        r = item.request
        if reports.acknowledges(r.channel, r.acknowledge) and item.resident.phone:
            key = reports.ack_key(r.message_id, item.report_id)
            draft = reports.ack_draft(item.resident, r.kind, r.temperature_c, item.found, item.task_id, key)
            acknowledged.append((item, draft))
    for (item, _), ack_id in zip(acknowledged, queue_each([draft for _, draft in acknowledged])):
        item.ack_id = ack_id
