"""Replies cost money like any SMS: a daily limit per number, the daily budget, and never a reply to a machine."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from kit.clock import FixedClock
from kit.config import DispatchSettings
from kit.db import transaction
from kit.dispatcher import Dispatcher, DispatchReport
from kit.models import Alert, Community, Message, Report, Resident
from kit.outbox import PRIORITY_NOTICE, Draft, queue_many
from kit.residents import ResidentInput, add_resident
from kit.spending import REPLY_LIMIT
from sms.router import REPEATS, handle
from sms.simulator import SimulatorGateway

WANG = "+8613800000001"
PRICE = DispatchSettings().sms_segment_price


@pytest.fixture
def wang(community: Community) -> Resident:
    return add_resident(ResidentInput(name="王芳", phone=WANG, grid="东区", room="201"))


def dispatch(**settings: object) -> DispatchReport:
    chosen = DispatchSettings(rate_per_second=0, **settings)  # type: ignore[arg-type]
    dispatcher = Dispatcher({"sms": SimulatorGateway()}, chosen, ZoneInfo("Asia/Shanghai"), sleep=lambda s: None)
    return dispatcher.run_once()


def to_wang(status: str | None = None) -> list[Message]:
    query = Message.select().where((Message.direction == "out") & (Message.peer == WANG))
    if status == "sent":
        query = query.where(Message.sent_at.is_null(False))
    elif status is not None:
        query = query.where(Message.status == status)
    return list(query.order_by(Message.id))


def a_hundred_texts(first: int = 0) -> None:
    for n in range(first, first + 100):
        handle("simulator", f"SM{n}", WANG, f"1 谢谢 {n}")  # all different: not a loop


def test_a_hundred_texts_from_one_number_get_the_daily_limit_of_replies(wang: Resident) -> None:
    a_hundred_texts()
    assert Report.select().count() == 100  # every report is kept; only the answers are limited
    report = dispatch(max_replies_per_number_per_day=5)
    assert len(to_wang("sent")) == 5
    skipped = to_wang("skipped")
    assert len(skipped) == 95 and {m.error for m in skipped} == {REPLY_LIMIT}
    assert report.skipped == 95


def test_during_a_budget_hold_a_hundred_texts_get_no_reply_beyond_the_budget(
    wang: Resident, fixed_clock: FixedClock
) -> None:
    with transaction():  # the morning's notices spent all but two segments of the budget
        queue_many(
            [Draft(peer=f"+86139000{i:05d}", body="通知", kind="notice", key=f"n:{i}", priority=PRIORITY_NOTICE)
             for i in range(8)]
        )  # fmt: skip
    budget = {"daily_budget": 10 * PRICE, "max_replies_per_number_per_day": 5}
    dispatch(**budget)
    a_hundred_texts()
    report = dispatch(**budget)
    assert len(to_wang("sent")) == 2  # at most the limit, and none once the budget is reached
    assert report.held == {"sms": "daily budget reached"}
    (alert,) = Alert.select().where(Alert.kind == "budget")
    assert alert.text.startswith("今天的短信预算（¥") and "dispatch.daily_budget" in alert.text
    a_hundred_texts(first=100)
    assert dispatch(**budget).sent == 0
    assert len(to_wang("sent")) == 2
    fixed_clock.advance(hours=24)  # a new day, a new budget: still no more than the limit to one number
    dispatch(**budget)
    assert len(to_wang("sent")) == 2 + 5


def test_no_limit_when_the_setting_is_zero(wang: Resident) -> None:
    a_hundred_texts()
    dispatch(max_replies_per_number_per_day=0)
    assert len(to_wang("sent")) == 100


@pytest.mark.parametrize(
    "text",
    [
        "【自动回复】您好，我现在有事不在，稍后联系您。",
        "Auto-Reply: I am out of the office until Monday.",
        "我正在开车，稍后回复",
    ],
)
def test_an_auto_reply_is_never_answered(wang: Resident, text: str) -> None:
    message = handle("simulator", "SM1", WANG, text)
    assert message.status == "handled"
    assert '"intent": "auto_reply"' in message.intent
    assert to_wang() == []
    assert Report.select().count() == 0  # a machine's answer is not the resident's


def test_the_same_text_again_and_again_is_answered_no_more(wang: Resident) -> None:
    for n in range(10):
        handle("simulator", f"SM{n}", WANG, "1")
    assert len(to_wang()) == REPEATS - 1
    assert Report.select().count() == 10
    handle("simulator", "SM-new", WANG, "2 发烧")  # something new is answered
    assert len(to_wang()) == REPEATS


def test_a_reply_that_is_not_understood_sent_again_and_again_is_answered_once(wang: Resident) -> None:
    for n in range(10):
        handle("simulator", f"SM{n}", WANG, "收到")
    assert [m.kind for m in to_wang()] == ["reply"]
