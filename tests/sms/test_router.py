"""The inbound router: record, parse, act, reply, each message once and all of its effects together."""

from __future__ import annotations

import json

import pytest

import kit.reports
import sms.router
from kit.errors import ConfigError, NotFound
from kit.models import Alert, AuditEntry, Community, Message, OptOut, Report, Resident, Task, Volunteer
from kit.outbox import Draft, queue
from kit.residents import ResidentInput, add_resident
from kit.tasks import create_task
from kit.volunteers import add_volunteer
from sms.router import handle, process, process_pending, receive

pytestmark = pytest.mark.each_database  # storage code: runs on SQLite and PostgreSQL

WANG = "+8613800000001"
DAUGHTER = "+8613800000002"
ZHANG = "+8613900000009"
STRANGER = "+8613700000000"


@pytest.fixture
def people(community: Community) -> tuple[Resident, Volunteer]:
    resident = add_resident(ResidentInput(name="王芳", phone=WANG, second_phone=DAUGHTER, grid="东区", room="201"))
    volunteer = add_volunteer("张三", ZHANG, grids=["东区"])
    return resident, volunteer


def replies_to(phone: str) -> list[str]:
    return [
        m.body
        for m in Message.select().where((Message.direction == "out") & (Message.peer == phone)).order_by(Message.id)
    ]


def test_receive_normalises_the_number_and_links_the_resident(people: tuple[Resident, Volunteer]) -> None:
    message, created = receive("simulator", "SM1", "138 0000 0001", "1")
    assert created
    assert (message.peer, message.resident_id, message.status, message.language) == (
        WANG,
        people[0].id,
        "received",
        "zh",
    )
    again, created_again = receive("simulator", "SM1", "138 0000 0001", "1")
    assert (again.id, created_again) == (message.id, False)
    assert Report.select().count() == 0  # receive records, nothing else


def test_receive_keeps_a_number_it_cannot_read(people: tuple[Resident, Volunteer]) -> None:
    message, _ = receive("simulator", "SM2", " 10086 ", "你好")
    assert message.peer == "10086"


def test_process_acts_once_and_stores_the_intent(people: tuple[Resident, Volunteer]) -> None:
    message, _ = receive("simulator", "SM1", WANG, "2 38.6")
    assert process(message.id) == "unwell"
    assert process(message.id) == "already"
    stored = Message.get_by_id(message.id)
    assert stored.status == "handled"
    assert json.loads(stored.intent) == {
        "intent": "unwell",
        "symptoms": ["fever"],
        "task_number": None,
        "temperature_c": 38.6,
        "text": "",
    }
    assert Report.select().count() == 1
    assert replies_to(WANG) == ["已记录：发烧38.6度。网格员会尽快联系您，请在家休息。"]


def test_a_help_report_keeps_the_raw_reply_and_the_task_the_need(people: tuple[Resident, Volunteer]) -> None:
    handle("simulator", "SM1", WANG, "3 帮我买降压药")
    report = Report.get()
    assert (report.kind, report.text, report.channel) == ("help", "3 帮我买降压药", "sms")
    task = Task.get()
    assert (task.need, task.source, task.volunteer_id) == ("买降压药", "sms", people[1].id)


def test_process_of_an_unknown_id_does_nothing(people: tuple[Resident, Volunteer]) -> None:
    assert process(12345) == "already"


def test_stop_needs_no_reply_and_start_gets_one(people: tuple[Resident, Volunteer]) -> None:
    assert handle("simulator", "SM1", WANG, "退订").status == "handled"
    assert OptOut.select().where(OptOut.phone == WANG).exists()
    assert replies_to(WANG) == []
    handle("simulator", "SM2", WANG, "订阅")
    assert not OptOut.select().where(OptOut.phone == WANG).exists()
    assert replies_to(WANG) == ["已恢复接收社区通知。回复TD可退订。"]


def test_a_stranger_can_stop_but_gets_no_welcome_back_unless_stopped(people: tuple[Resident, Volunteer]) -> None:
    handle("simulator", "SM1", STRANGER, "START")
    assert replies_to(STRANGER) == []
    handle("simulator", "SM2", STRANGER, "STOP")
    assert OptOut.select().where(OptOut.phone == STRANGER).exists()
    handle("simulator", "SM3", STRANGER, "START")
    assert replies_to(STRANGER) == ["已恢复接收社区通知。回复TD可退订。"]
    assert Alert.select().count() == 0  # stop and start are not "unknown senders"


def test_done_from_a_resident_is_not_understood(people: tuple[Resident, Volunteer]) -> None:
    message = handle("simulator", "SM1", WANG, "完成 1")
    assert json.loads(message.intent)["intent"] == "done"
    assert replies_to(WANG) == ["没看懂您的回复。请回复数字：1 身体好，2 发烧或咳嗽，3 需要帮助。"]


def test_done_alone_closes_the_volunteers_only_task(people: tuple[Resident, Volunteer]) -> None:
    resident, volunteer = people
    task = create_task("errand", resident_id=resident.id, need="买菜", actor="test")
    assert task.volunteer_id == volunteer.id
    message, _ = receive("simulator", "SM1", ZHANG, "完成")
    assert process(message.id) == "done"
    assert Task.get_by_id(task.id).state == "done"


def test_done_alone_with_two_tasks_asks_for_the_number(people: tuple[Resident, Volunteer]) -> None:
    resident, _ = people
    create_task("errand", resident_id=resident.id, need="买菜", actor="test")
    create_task("errand", resident_id=resident.id, need="买药", actor="test")
    message, _ = receive("simulator", "SM1", ZHANG, "done")
    assert process(message.id) == "not-found"
    assert replies_to(ZHANG)[-1] == "没有找到您的任务。请回复：完成 任务编号"
    assert Task.select().where(Task.state == "done").count() == 0


def test_volunteer_gibberish_gets_the_volunteer_menu_once(people: tuple[Resident, Volunteer]) -> None:
    Resident.delete().execute()  # the volunteer is not also a resident
    handle("simulator", "SM1", ZHANG, "收到")
    handle("simulator", "SM2", ZHANG, "好的好的")  # "well" from a volunteer who is not a resident: not understood
    assert replies_to(ZHANG) == [
        "没看懂您的回复。请回复“接”“不接”或“完成”加任务编号，例如：完成 12；暂停接单请回复：暂停"
    ]


def test_a_second_contacts_reply_without_being_asked_is_an_unknown_sender(people: tuple[Resident, Volunteer]) -> None:
    handle("simulator", "SM1", DAUGHTER, "1")
    assert [a.kind for a in Alert.select()] == ["unknown_sender"]
    assert Report.select().count() == 0


def test_a_second_contacts_other_reply_goes_to_an_operator(people: tuple[Resident, Volunteer]) -> None:
    resident, _ = people
    queue(Draft(peer=DAUGHTER, body="...", kind="second_contact", key="checkin:1:1:second", resident_id=resident.id))
    message, _ = receive("simulator", "SM1", DAUGHTER, "我妈去我家住了")
    assert process(message.id) == "family"
    alert = Alert.get()
    assert (alert.kind, alert.resident_id) == ("family_reply", resident.id)
    assert "我妈去我家住了" in alert.text
    assert replies_to(DAUGHTER) == ["..."]


def test_a_failure_undoes_every_effect_of_the_message(
    people: tuple[Resident, Volunteer], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(draft: Draft) -> Message:
        raise ConfigError("templates.no_text", option="ack_fever", lang="zh")

    monkeypatch.setattr(kit.reports, "queue", broken)
    message, _ = receive("simulator", "SM1", WANG, "2 39")
    assert process(message.id) == "error"
    stored = Message.get_by_id(message.id)
    assert (stored.status, stored.error) == ("error", "No text 'ack_fever' in data/templates for language 'zh'.")
    assert Report.select().count() == 0
    assert Resident.get_by_id(people[0].id).status == "green"
    assert [alert.kind for alert in Alert.select()] == ["inbound_error"]  # only the operator's: read it by hand
    assert AuditEntry.select().where(AuditEntry.action == "status").count() == 0


def test_process_pending_handles_the_backlog_and_survives_a_bad_message(
    people: tuple[Resident, Volunteer], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = receive("simulator", "SM1", WANG, "1")
    second, _ = receive("simulator", "SM2", STRANGER, "hello")
    third, _ = receive("simulator", "SM3", WANG, "3 买药")
    original = sms.router._act

    def flaky(message: Message, *args: object) -> str:
        if message.id == second.id:
            raise RuntimeError("disk full")
        return original(message, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(sms.router, "_act", flaky)
    assert process_pending() == 3
    assert [Message.get_by_id(m.id).status for m in (first, second, third)] == ["handled", "error", "handled"]
    assert Message.get_by_id(second.id).error == "RuntimeError: disk full"
    assert process_pending() == 0
    assert [r.kind for r in Report.select().order_by(Report.id)] == ["well", "help"]


def test_process_pending_respects_the_limit(people: tuple[Resident, Volunteer]) -> None:
    for n in range(3):
        receive("simulator", f"SM{n}", WANG, "1")
    assert process_pending(limit=2) == 2
    assert Message.select().where(Message.status == "received").count() == 1


def test_report_errors_are_kept_on_the_message(
    people: tuple[Resident, Volunteer], monkeypatch: pytest.MonkeyPatch
) -> None:
    def gone(*args: object, **kwargs: object) -> None:
        raise NotFound("No resident 1.")

    monkeypatch.setattr(sms.router, "record_report", gone)
    message = handle("simulator", "SM1", WANG, "1")
    assert (message.status, message.error) == ("error", "No resident 1.")
