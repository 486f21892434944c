"""Answers recorded by hand (by phone, at the door, by an operator) and how a door-knock ends."""

from __future__ import annotations

import pytest

from kit import audit
from kit.answers_by_hand import close_door_knock, record_by_hand
from kit.checkin import advance_ladder, start_round
from kit.clock import FixedClock
from kit.config import CheckinSettings
from kit.errors import Conflict, NotFound, ValidationError
from kit.models import Alert, CheckinAsk, CheckinRound, Community, Message, Report, Resident, Task
from kit.reports import record_report
from kit.residents import ResidentInput, add_resident
from kit.tasks import create_task
from kit.volunteers import add_volunteer

SETTINGS = CheckinSettings()
OPERATOR = "operator:小李"


@pytest.fixture
def street(community: Community) -> CheckinRound:
    """Two residents with phones (one answers by SMS, the twin by hand), one without (a door-knock), a volunteer."""
    for name, phone in (("王芳", "+8613800000001"), ("陈姐", "+8613800000003"), ("李伯", None)):
        add_resident(ResidentInput(name=name, phone=phone, grid="东区", building="1", unit="1", room=name))
    add_volunteer("张志愿", "+8613900000009", grids=["东区"])
    return start_round(settings=SETTINGS)


def resident(name: str) -> Resident:
    return Resident.get(Resident.name == name)


def ask_of(name: str) -> CheckinAsk:
    return CheckinAsk.get(CheckinAsk.resident == resident(name).id)


def alert_kinds(name: str) -> list[str]:
    return sorted(a.kind for a in Alert.select().where(Alert.resident == resident(name).id))


def knock_of(name: str) -> Task:
    return Task.get((Task.resident == resident(name).id) & (Task.kind == "door_knock"))


# (what the operator heard, what the same answer by SMS is, as sms.router records it)
SAME_ANSWERS = [
    (("well", None, ""), ("well", None, (), "")),
    (("unwell", 37.6, ""), ("unwell", 37.6, ("fever",), "")),
    (("unwell", 38.6, ""), ("unwell", 38.6, ("fever",), "")),
    (("well", 38.6, ""), ("unwell", 38.6, ("fever",), "")),  # a fever is not "well", as the parser reads "1 38.6"
    (("help", None, "买药"), ("help", None, (), "买药")),
]


@pytest.mark.parametrize(("by_hand", "by_sms"), SAME_ANSWERS)
def test_an_answer_by_phone_acts_as_the_same_answer_by_sms(
    street: CheckinRound, by_hand: tuple[str, float | None, str], by_sms: tuple[str, float | None, tuple[str, ...], str]
) -> None:
    kind, celsius, symptoms, need = by_sms
    record_report(resident("王芳").id, kind, temperature_c=celsius, symptoms=symptoms, need=need, channel="sms")
    said, temperature, asked = by_hand
    outcome = record_by_hand(
        resident("陈姐").id, said, channel="phone", actor=OPERATOR, temperature_c=temperature, need=asked
    )

    report = Report.get_by_id(outcome.report_id)
    sms = Report.get(Report.resident == resident("王芳").id)
    assert (report.channel, report.round_id, report.kind) == ("phone", street.id, sms.kind)
    assert (report.temperature_c, report.symptoms) == (sms.temperature_c, sms.symptoms)
    assert resident("陈姐").status == resident("王芳").status
    assert alert_kinds("陈姐") == alert_kinds("王芳")
    assert (ask_of("陈姐").stage, ask_of("陈姐").outcome) == ("answered", sms.kind)
    helps = [t.need for t in Task.select().where((Task.kind == "help") & (Task.resident == resident("陈姐").id))]
    assert helps == ([need] if kind == "help" else [])
    assert outcome.ack_id is None  # the resident heard it from a person: no SMS acknowledgement
    assert not Message.select().where((Message.kind == "reply") & (Message.resident == resident("陈姐").id)).exists()
    entry = audit.recent(entity="report", entity_id=outcome.report_id)[0]
    assert (entry.actor, entry.action) == (OPERATOR, "answer")


def test_a_resident_not_asked_today_still_gets_a_report_for_today(street: CheckinRound) -> None:
    late = add_resident(ResidentInput(name="新来的", phone="+8613800000005", grid="东区", room="9"))
    outcome = record_by_hand(late.id, "unwell", channel="operator", actor=OPERATOR, temperature_c=37.5)
    report = Report.get_by_id(outcome.report_id)
    assert (report.channel, report.round_id, report.at) == ("operator", None, street.started_at)
    assert (outcome.answered, Resident.get_by_id(late.id).status) == (0, "yellow")


def test_an_answer_by_phone_cancels_the_needless_door_knock(street: CheckinRound) -> None:
    record_by_hand(resident("李伯").id, "well", channel="phone", actor=OPERATOR)
    assert knock_of("李伯").state == "cancelled"
    assert (ask_of("李伯").stage, ask_of("李伯").outcome) == ("answered", "well")


def test_an_answer_at_the_door_is_the_door_knock_done(street: CheckinRound) -> None:
    record_by_hand(resident("李伯").id, "well", channel="door", actor=OPERATOR)
    assert knock_of("李伯").state == "done"
    assert (ask_of("李伯").stage, ask_of("李伯").outcome) == ("answered", "well")


def test_a_door_knock_closed_with_a_fever_records_the_answer(street: CheckinRound) -> None:
    knock = knock_of("李伯")
    result = close_door_knock(knock.id, "unwell", temperature_c=38.6, actor=OPERATOR)
    assert result.report is not None
    report = Report.get_by_id(result.report.report_id)
    assert (report.channel, report.kind, report.temperature_c, report.round_id) == ("door", "unwell", 38.6, street.id)
    assert knock_of("李伯").state == "done"
    assert (ask_of("李伯").stage, ask_of("李伯").outcome) == ("answered", "unwell")
    assert (resident("李伯").status, alert_kinds("李伯")) == ("red", ["fever", "red"])
    closed = audit.recent(entity="task", entity_id=knock.id)
    assert any(e.action == "door-knock" and e.actor == OPERATOR and '"volunteer"' in e.detail for e in closed)


def test_help_at_the_door_becomes_a_help_task(street: CheckinRound) -> None:
    result = close_door_knock(knock_of("李伯").id, "help", need="买米", actor=OPERATOR)
    assert result.report is not None and result.report.task_id is not None
    assert Task.get_by_id(result.report.task_id).need == "买米"


def test_nobody_home_keeps_the_ladder_going(street: CheckinRound, fixed_clock: FixedClock) -> None:
    first = knock_of("李伯")
    result = close_door_knock(first.id, "nobody_home", actor=OPERATOR)
    assert result.report is None and not Report.select().exists()
    assert Task.get_by_id(first.id).state == "done"  # the visit counts
    second = Task.get_by_id(result.second_knock)
    assert (second.kind, second.state, second.round_id) == ("door_knock", "assigned", street.id)
    ask = ask_of("李伯")
    assert (ask.stage, ask.task_id, ask.next_step_at) == ("door_knock", second.id, second.due_at)
    alert = Alert.get_by_id(result.alert_id)
    assert (alert.kind, alert.severity, alert.resident_id) == ("nobody_home", "urgent", resident("李伯").id)
    assert "李伯" in alert.text and f"任务{second.id}" in alert.text
    fixed_clock.advance(hours=SETTINGS.door_knock_deadline_hours, minutes=1)
    assert advance_ladder(settings=SETTINGS).alerted == 1  # the second knock not done in time: the ladder alerts
    assert ask_of("李伯").stage == "alerted"


def test_moved_away_marks_the_resident_moved_out(street: CheckinRound) -> None:
    result = close_door_knock(knock_of("李伯").id, "moved_away", actor=OPERATOR)
    assert result.report is None and not Report.select().exists()
    assert resident("李伯").moved_out_at is not None
    assert (ask_of("李伯").stage, ask_of("李伯").outcome) == ("answered", "moved_out")
    assert knock_of("李伯").state == "done"


def test_bad_answers_are_refused(street: CheckinRound) -> None:
    chen = resident("陈姐").id
    with pytest.raises(ValidationError) as error:
        record_by_hand(chen, "unwell", channel="phone", actor=OPERATOR, temperature_c=45)
    assert error.value.field == "temperature_c" and "34–43 °C" in error.value.message and "45" in error.value.message
    with pytest.raises(ValidationError, match="phone, door, operator"):
        record_by_hand(chen, "well", channel="sms", actor=OPERATOR)
    with pytest.raises(ValidationError, match="well, unwell, help"):
        record_by_hand(chen, "fine", channel="phone", actor=OPERATOR)
    with pytest.raises(NotFound):
        record_by_hand(9999, "well", channel="phone", actor=OPERATOR)
    assert not Report.select().exists()


def test_a_door_knock_closes_only_with_an_outcome_once(street: CheckinRound) -> None:
    knock = knock_of("李伯")
    with pytest.raises(ValidationError, match="nobody_home"):
        close_door_knock(knock.id, "", actor=OPERATOR)
    errand = create_task("errand", resident_id=resident("王芳").id, need="买菜", actor="test")
    with pytest.raises(ValidationError, match="not a door-knock"):
        close_door_knock(errand.id, "well", actor=OPERATOR)
    close_door_knock(knock.id, "well", actor=OPERATOR)
    with pytest.raises(Conflict, match="already done"):
        close_door_knock(knock.id, "nobody_home", actor=OPERATOR)
    assert Report.select().count() == 1
