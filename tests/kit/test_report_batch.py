"""Many reports at once (kit.report_batch) and many messages queued at once (kit.outbox.queue_each): the same
rows as one at a time, with the same guarantees."""

from __future__ import annotations

import pytest

from kit.models import Alert, Community, Message, MessageEvent, Report, Resident, Task
from kit.outbox import Draft, opt_out, queue, queue_each
from kit.report_batch import ReportRequest, record_reports
from kit.reports import record_report
from kit.residents import ResidentInput, add_resident
from kit.volunteers import add_volunteer


@pytest.fixture
def three(community: Community) -> list[int]:
    add_volunteer("张三", "+8613900000009", grids=["东区"])
    return [
        add_resident(ResidentInput(name=name, phone=f"+86138000000{n:02d}", grid="东区", room=f"{n}01")).id
        for n, name in enumerate(("王芳", "李四", "陈姐"))
    ]


def test_queue_each_queues_a_key_once_skips_opted_out_numbers_and_gives_every_row_its_event(
    community: Community,
) -> None:
    first = queue(Draft(peer="+8613800000001", body="早", kind="reply", key="k1"))
    opt_out("+8613800000003")
    drafts = [
        Draft(peer="+8613800000001", body="again", kind="reply", key="k1"),  # queued before: that row
        Draft(peer="+8613800000002", body="一", kind="reply", key="k2"),
        Draft(peer="+8613800000002", body="二", kind="reply", key="k2"),  # twice here: the first one
        Draft(peer="+8613800000003", body="三", kind="reply", key="k3"),  # opted out
        Draft(peer="+8613800000002", body="no key", kind="reply"),
    ]

    ids = queue_each(drafts)

    assert ids[0] == first.id and ids[1] == ids[2] and len(set(ids)) == 4
    rows = {m.id: (m.body, m.status, m.error) for m in Message.select()}
    assert [rows[i] for i in ids] == [
        ("早", "queued", ""),
        ("一", "queued", ""),
        ("一", "queued", ""),
        ("三", "skipped", "opted out"),
        ("no key", "queued", ""),
    ]
    events = sorted((e.message_id, e.status) for e in MessageEvent.select())
    assert events == sorted({(i, rows[i][1]) for i in ids})
    assert queue_each([]) == []


def test_reports_together_end_as_one_at_a_time(community: Community, three: list[int]) -> None:
    requests = [
        ReportRequest(three[0], "unwell", temperature_c=39.1, symptoms=("fever",), text="2 39.1", message_id=None),
        ReportRequest(three[1], "help", text="3 买药", need="买药"),
        ReportRequest(three[2], "well", text="1", channel="voice"),
    ]
    together = record_reports(requests)
    assert [(o.status_before, o.status, o.alerts) for o in together] == [
        ("green", "red", ("fever", "red")),
        ("green", "green", ()),
        ("green", "green", ()),
    ]
    assert together[1].task_id is not None and together[2].ack_id is None  # a voice report is not texted
    [task] = Task.select()
    assert (task.id, task.need, task.state) == (together[1].task_id, "买药", "assigned")
    raised = {(a.kind, a.key) for a in Alert.select()}
    acks = {m.key: m.body for m in Message.select().where(Message.key.startswith("ack:"))}

    Report.delete().execute()
    Alert.delete().execute()
    Message.delete().execute()
    Task.delete().execute()
    Resident.update(status="green").execute()
    alone = [
        record_report(
            r.resident_id, r.kind, temperature_c=r.temperature_c, symptoms=r.symptoms, text=r.text, need=r.need,
            channel=r.channel, message_id=r.message_id,
        )
        for r in requests
    ]  # fmt: skip

    assert [(o.status_before, o.status, o.alerts, o.answered) for o in alone] == [
        (o.status_before, o.status, o.alerts, o.answered) for o in together
    ]
    assert {(a.kind, a.key) for a in Alert.select()} == raised
    assert {m.key.rsplit(":", 1)[0] for m in Message.select().where(Message.key.startswith("ack:"))} == {
        key.rsplit(":", 1)[0] for key in acks
    }


def test_reports_together_are_one_per_resident(community: Community, three: list[int]) -> None:
    with pytest.raises(ValueError, match="one report per resident"):
        record_reports([ReportRequest(three[0], "well"), ReportRequest(three[0], "unwell")])
    assert Report.select().count() == 0
