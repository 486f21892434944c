"""`linli residents answer`: a check-in answer given by phone, at the door or to an operator."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit import audit
from kit.checkin import start_round
from kit.community import init_community
from kit.config import CheckinSettings
from kit.models import Alert, CheckinAsk, Community, Report, Resident, Task
from kit.residents import ResidentInput, add_resident
from kit.volunteers import add_volunteer
from tests.cli_run import Run, one_line_error


@pytest.fixture
def asked(community: Community) -> Resident:
    """王秀英, asked in today's round, and a volunteer for her grid."""
    add_volunteer("张志愿", "+8613900000009", grids=["第1网格"])
    resident = add_resident(ResidentInput(name="王秀英", phone="13800138000", grid="第1网格", room="201"))
    start_round(settings=CheckinSettings())
    return resident


def test_an_answer_by_phone_with_a_chinese_temperature(run: Run, asked: Resident) -> None:
    result = run("--operator", "小李", "residents", "answer", "13800138000", "unwell", "--temperature", "38度5")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"已记录 #{asked.id} 王秀英 的回答（电话）：不适 38.5 °C；状态 红。\n"
    report = Report.get()
    assert (report.channel, report.kind, report.temperature_c, report.symptoms) == ("phone", "unwell", 38.5, "fever")
    assert CheckinAsk.get().stage == "answered"
    assert Resident.get_by_id(asked.id).status == "red"
    assert sorted(a.kind for a in Alert.select()) == ["fever", "red"]
    assert audit.recent(entity="report", entity_id=report.id)[0].actor == "小李"


def test_help_at_the_door_without_a_need(run: Run, asked: Resident) -> None:
    result = run("residents", "answer", str(asked.id), "help", "--via", "door")
    assert result.exit_code == 0, result.output
    task = Task.get(Task.kind == "help")
    assert result.stdout.endswith(f"求助任务 #{task.id} 已派出。\n")
    assert (Report.get().channel, task.need) == ("door", "")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("9999", "well"), "找不到：找不到居民 9999。"),
        (("13800138000", "unwell", "--temperature", "45"), "“45”不是体温（应在 34–43 °C 之间）"),
        (("13800138000", "unwell", "--temperature", "发烧"), "“发烧”不是体温"),
        (("13800138000", "fine"), "“fine”不是回答类型，请用：well, unwell, help。"),
        (("13800138000", "well", "--via", "sms"), "“sms”不是回答的来源，请用：phone, door, operator。"),
    ],
)
def test_bad_answers_are_one_line(run: Run, asked: Resident, args: tuple[str, ...], error: str) -> None:
    assert error in one_line_error(run("residents", "answer", *args))
    assert not Report.select().exists()


def test_an_english_community_reads_english(run: Run, database: Path | str) -> None:
    init_community("Riverside", "CN", "Asia/Shanghai", ["en", "zh"], actor="test")
    add_resident(ResidentInput(name="Mary", phone="13800138000", grid="East"))
    line = one_line_error(run("residents", "answer", "13800138000", "well", "--via", "sms"))
    assert line == "Please check the input: 'sms' is not a way an answer comes; use one of: phone, door, operator."
    line = one_line_error(run("residents", "answer", "13800138000", "unwell", "--temperature", "45"))
    assert line.endswith("'45' is not a body temperature (it should be 34–43 °C); enter it as e.g. 38.5.")
