"""Template-only mode: a message a template gateway could not send is refused when queued, with an alert; what it
can send is queued with its kind and parameters, which reach the gateway."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kit import template_mode, ui_words
from kit.checkin import start_round
from kit.config import CheckinSettings, DispatchSettings, load_settings
from kit.db import transaction
from kit.dispatcher import Dispatcher
from kit.gateway import Outgoing, SendResult
from kit.models import Alert, Community, Message, Resident
from kit.outbox import PRIORITY_REPLY, Draft, queue, queue_many
from kit.residents import ResidentInput, add_resident
from kit.tasks import create_task
from kit.volunteers import add_volunteer

PEER = "+8613800000001"


def template_only(tmp_path: Path, mapped: dict[str, str], **options: object) -> None:
    """The SMS pool is one Tencent Cloud gateway whose templates file maps `mapped` (kind -> id) in zh and en."""
    lines = [f'{kind} = "{template_id}"' for kind, template_id in mapped.items()]
    (tmp_path / "templates.toml").write_text("[zh]\n" + "\n".join(lines) + "\n[en]\n" + "\n".join(lines) + "\n")
    extra = "".join(f"{key} = {value!r}\n".replace("'", '"').replace("True", "true") for key, value in options.items())
    config = tmp_path / "linli.toml"
    config.write_text(
        '[gateway]\nsms = "tc1"\n\n[gateways.tc1]\nkind = "tencent"\ntemplates = "templates.toml"\n'
        f'sign_name = "幸福里社区"\n{extra}',
        encoding="utf-8",
    )
    template_mode.use_settings(load_settings(config))


class Recording:
    name = "recording"
    channel = "sms"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> SendResult:
        self.sent.append(message)
        return SendResult(f"r{message.message_id}")

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        return None


def dispatched() -> list[Outgoing]:
    gateway = Recording()
    settings = DispatchSettings(rate_per_second=0.0)
    Dispatcher({"sms": gateway}, settings, ZoneInfo("Asia/Shanghai"), sleep=lambda s: None).run_once()
    return gateway.sent


def fever_ack(key: str = "ack:1") -> Draft:
    return Draft(
        peer=PEER, body="已记录：发烧38.5度。", kind="reply", key=key, language="zh", priority=PRIORITY_REPLY,
        template="ack_fever", params={"temperature": 38.5},
    )  # fmt: skip


def test_params_are_stored_and_reach_the_gateway_with_the_kind(community: Community) -> None:
    message = queue(fever_ack())
    assert message.status == "queued" and message.kind == "reply"
    [sent] = dispatched()
    assert (sent.kind, dict(sent.params), sent.body) == ("ack_fever", {"temperature": "38.5"}, "已记录：发烧38.5度。")


def test_a_message_without_params_reaches_the_gateway_with_its_own_kind(community: Community) -> None:
    queue(Draft(peer=PEER, body="提醒", kind="reminder", language="zh"))
    [sent] = dispatched()
    assert (sent.kind, dict(sent.params)) == ("reminder", {})


def test_an_unmapped_kind_is_refused_at_queue_time_with_an_alert_and_nothing_queued(
    community: Community, tmp_path: Path
) -> None:
    template_only(tmp_path, {"checkin": "1001"})
    message = queue(fever_ack())
    assert message.status == "skipped"
    assert "has none for ack_fever (zh)" in message.error and "linli templates check tc1" in message.error
    assert Message.select().where(Message.status == "queued").count() == 0
    [alert] = Alert.select()
    assert alert.kind == "template" and "ack_fever" in alert.text and "没有模板编号" in alert.text
    queue(fever_ack("ack:2"))  # the same gap raises one alert, not one per message
    assert Alert.select().count() == 1
    assert dispatched() == []


def test_a_bulk_queue_refuses_only_the_unmapped(community: Community, tmp_path: Path) -> None:
    template_only(tmp_path, {"reminder": "1002"})
    with transaction():
        queue_many([Draft(peer=PEER, body="提醒", kind="reminder", key="r", language="zh"), fever_ack()])
    statuses = dict(Message.select(Message.kind, Message.status).tuples())
    assert statuses == {"reminder": "queued", "reply": "skipped"}


def test_a_mapped_kind_is_queued_and_reaches_the_template_gateway(community: Community, tmp_path: Path) -> None:
    template_only(tmp_path, {"ack_fever": "1003"})
    assert queue(fever_ack()).status == "queued"
    [sent] = dispatched()
    assert (sent.kind, dict(sent.params)) == ("ack_fever", {"temperature": "38.5"})


def test_an_over_long_name_is_refused_with_an_alert(community: Community, tmp_path: Path) -> None:
    template_only(tmp_path, {"second_contact": "1004"})
    name = "阿" * 36
    draft = Draft(peer=PEER, body="...", kind="second_contact", language="zh", params={"name": name, "address": "3-1"})
    message = queue(draft)
    assert message.status == "skipped"
    assert "name of second_contact has 36 characters" in message.error and "at most 35" in message.error
    assert "最多35个字" in Alert.get().text


def test_why_a_message_is_not_queued_is_kept_in_the_readers_language(community: Community, tmp_path: Path) -> None:
    template_only(tmp_path, {"checkin": "1001"})
    ui_words.use_language("zh")  # as the CLI and the terminal UI set it for this community
    message = queue(fever_ack())
    assert message.status == "skipped"
    assert message.error.startswith("没有排队：网关 tc1 只发审批通过的模板，没有 ack_fever（zh）的模板")


def test_a_smaller_limit_from_the_gateway_table(community: Community, tmp_path: Path) -> None:
    template_only(tmp_path, {"second_contact": "1004"}, max_param_chars=3)
    draft = Draft(
        peer=PEER, body="...", kind="second_contact", language="zh", params={"name": "王秀英", "address": "3-1-2"}
    )
    assert queue(draft).status == "skipped"


@pytest.fixture
def wang(community: Community) -> Resident:
    return add_resident(ResidentInput(name="王芳", phone=PEER, grid="东区", building="3", unit="2", room="201"))


def test_a_task_goes_to_the_volunteer_without_the_residents_number(wang: Resident, tmp_path: Path) -> None:
    template_only(tmp_path, {"task_for_volunteer_nophone": "1005"})
    helper = add_volunteer("张三", "+8613900000001", grids=["东区"])
    need = "买米、油、鸡蛋、两箱牛奶、一袋面粉、降压药（硝苯地平，药盒在门口鞋柜上）和一些水果"
    create_task("errand", resident_id=wang.id, need=need, actor="test")
    message = Message.get(Message.peer == helper.phone)
    assert message.status == "queued"
    assert PEER not in message.body and "打印的任务单" in message.body
    [sent] = dispatched()
    assert sent.kind == "task_for_volunteer_nophone" and "phone" not in sent.params
    assert sent.params["name"] == "王芳" and sent.params["address"] == "3-2-201"
    assert len(sent.params["need"]) == 35 and sent.params["need"].endswith("…")  # cut: the full need is on the task


def test_a_checkin_round_with_no_approved_checkin_is_refused_before_anything_is_queued(
    wang: Resident, tmp_path: Path
) -> None:
    template_only(tmp_path, {"reminder": "1002"})
    with pytest.raises(template_mode.TemplateRefused, match="no template for checkin"):
        start_round(settings=CheckinSettings())
    assert Message.select().count() == 0
    assert "checkin" in Alert.get().text


def test_a_checkin_round_goes_out_when_mapped(wang: Resident, tmp_path: Path) -> None:
    template_only(tmp_path, {"checkin": "1001"})
    start_round(settings=CheckinSettings())
    [sent] = dispatched()
    assert (sent.kind, sent.peer) == ("checkin", PEER)
