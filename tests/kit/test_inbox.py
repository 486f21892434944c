"""Correcting a reply the parser read wrongly."""

from __future__ import annotations

import json

import pytest

from kit import ui_words
from kit.errors import NotFound, ValidationError
from kit.models import Alert, AuditEntry, Community, Message, Report, Resident, Task
from kit.residents import ResidentInput, add_resident
from kit.volunteers import add_volunteer
from sms import router

pytestmark = pytest.mark.each_database  # storage code: runs on SQLite and PostgreSQL


@pytest.fixture
def wang(community: Community) -> int:
    add_volunteer("陈静", "13900139000", grids=["第1网格"], actor="test")
    return int(add_resident(ResidentInput(name="王秀英", phone="13800138000", grid="第1网格"), actor="test").id)


def test_an_unknown_reply_corrected_to_fever_acts_like_a_fever_report(wang: int) -> None:
    from kit.inbox import correct_intent

    message = router.handle("simulator", "SIM-1", "+8613800138000", "身上烫得很 三十八度七吧")
    assert json.loads(message.intent)["intent"] in {"unknown", "unwell"}
    corrected = correct_intent(
        message.id, {"intent": "unwell", "temperature_c": 38.7, "symptoms": ["fever"]}, actor="operator:li"
    )
    assert json.loads(corrected.corrected_intent) == {
        "intent": "unwell", "temperature_c": 38.7, "symptoms": ["fever"], "text": ""
    }  # fmt: skip
    report = Report.select().order_by(Report.id.desc()).first()
    assert (report.kind, report.temperature_c, report.message_id) == ("unwell", 38.7, message.id)
    assert Resident.get_by_id(wang).status == "red"
    assert Alert.select().where(Alert.kind == "fever").count() == 1
    entry = AuditEntry.select().where(AuditEntry.action == "correct").get()
    assert (entry.actor, entry.entity_id) == ("operator:li", message.id)


def test_a_correction_to_help_becomes_a_task_with_the_need(wang: int) -> None:
    from kit.inbox import correct_intent

    message = router.handle("simulator", "SIM-2", "+8613800138000", "药吃完了")
    tasks_before = Task.select().count()
    correct_intent(message.id, {"intent": "help", "text": "买降压药"}, actor="operator:li")
    task = Task.select().order_by(Task.id.desc()).first()
    assert Task.select().count() == tasks_before + 1
    assert (task.kind, task.need, task.resident_id) == ("help", "买降压药", wang)


def test_bad_corrections_are_refused_and_change_nothing(wang: int) -> None:
    from kit.inbox import correct_intent

    message = router.handle("simulator", "SIM-3", "+8613800138000", "???")
    with pytest.raises(ValidationError, match="corrected to well, unwell, help"):
        correct_intent(message.id, {"intent": "stop"}, actor="operator")
    with pytest.raises(ValidationError, match="not a body temperature"):
        correct_intent(message.id, {"intent": "unwell", "temperature_c": 385}, actor="operator")
    with pytest.raises(NotFound):
        correct_intent(999_999, {"intent": "well"}, actor="operator")
    assert Message.get_by_id(message.id).corrected_intent == ""
    assert Report.select().count() == 0


def test_a_message_from_nobody_registered_says_so_with_its_title(wang: int) -> None:
    from kit.inbox import correct_intent

    message = router.handle("simulator", "SIM-4", "+8613700000099", "???")
    with pytest.raises(ValidationError) as caught:
        correct_intent(message.id, {"intent": "well"}, actor="operator")
    assert (caught.value.title, caught.value.message) == (
        "Unknown sender",
        "The message from +8613700000099 is not from a registered resident; register them first.",
    )
    ui_words.use_language("zh")
    assert caught.value.title == "陌生号码"
    assert caught.value.message == "+8613700000099 的短信不是已登记居民发的；请先登记。"


def test_a_reply_goes_to_the_sender_ahead_of_check_ins_and_is_audited(wang: int) -> None:
    from kit.inbox import reply_to
    from kit.outbox import PRIORITY_REPLY

    message = router.handle("simulator", "SIM-R1", "+8613800138000", "求助 买药")
    reply = reply_to(message.id, "  志愿者马上到。 ", actor="operator:li")
    stored = Message.get_by_id(reply.id)
    assert (stored.direction, stored.peer, stored.body, stored.kind) == ("out", message.peer, "志愿者马上到。", "reply")
    assert (stored.priority, stored.resident_id, stored.language) == (PRIORITY_REPLY, wang, message.language)
    entry = AuditEntry.select().where(AuditEntry.action == "reply").get()
    assert (entry.actor, entry.entity_id) == ("operator:li", reply.id)


def test_an_empty_reply_or_a_reply_to_no_incoming_message_is_refused(wang: int) -> None:
    from kit.inbox import reply_to

    message = router.handle("simulator", "SIM-R2", "+8613800138000", "好")
    outgoing = Message.select().where(Message.direction == "out").count()
    with pytest.raises(ValidationError) as empty:
        reply_to(message.id, "   ", actor="operator:li")
    assert empty.value.field == "body"
    with pytest.raises(NotFound):
        reply_to(message.id + 1000, "在吗？", actor="operator:li")
    assert Message.select().where(Message.direction == "out").count() == outgoing
