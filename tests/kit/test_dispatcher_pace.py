"""The dispatcher claims only a few seconds' worth of messages at a slow pace, so replies do not wait long."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from kit.config import DispatchSettings
from kit.db import transaction
from kit.dispatcher import Dispatcher
from kit.models import Community, Message
from kit.outbox import PRIORITY_NOTICE, PRIORITY_REPLY, Draft, queue, queue_many
from sms.simulator import SimulatorGateway

pytestmark = pytest.mark.each_database  # storage code: runs on SQLite and PostgreSQL


def test_a_reply_goes_out_within_a_few_sends_of_a_long_broadcast(community: Community) -> None:
    sent: list[str] = []

    class Recording(SimulatorGateway):
        def send(self, message):  # type: ignore[no-untyped-def]
            sent.append(message.kind)
            return super().send(message)

    with transaction():
        queue_many(
            [Draft(peer=f"+86138000{i:05d}", body="notice", kind="notice", key=f"n:{i}", priority=PRIORITY_NOTICE)
             for i in range(100)]
        )  # fmt: skip
    dispatcher = Dispatcher(
        {"sms": Recording()}, DispatchSettings(rate_per_second=1.0), ZoneInfo("Asia/Shanghai"), sleep=lambda s: None
    )
    dispatcher.step()  # claims the first few notices
    queue(Draft(peer="+8613900000001", body="已记录", kind="ack", key="ack:1", priority=PRIORITY_REPLY))
    dispatcher.step()
    assert sent[:5] == ["notice"] * 5
    assert sent[5] == "ack"
    assert len(sent) == 10  # five seconds of sending per claim at one a second
    assert Message.select().where(Message.status == "delivered").count() == 10
