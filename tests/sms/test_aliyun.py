"""Alibaba Cloud SMS through the stand-in (tests/fakes/aliyun_sms.py): SendSms and SendBatchSms with the approved
template, each documented error code as permanent or transient with its alert, QuerySendDetails polling, and keys
that never reach a log. The push routes for replies and reports: test_aliyun_push.py."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kit import clock
from kit.config import Settings
from kit.errors import ConfigError
from kit.gateway import GatewayError, Outgoing, SendResult
from kit.models import Alert, Community, Message, MessageEvent
from sms import router
from sms.gateways import aliyun
from tests.fakes.aliyun_sms import ACCESS_KEY_ID, ACCESS_KEY_SECRET, SIGN_NAME, FakeAliyunSms

NAME = "aliyun"
PEER = "+8613800000001"
TOKEN = "push-token-0123456789abcdefghijklmnop"


@pytest.fixture
def fake() -> Iterator[FakeAliyunSms]:
    with FakeAliyunSms() as server:
        yield server


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    path = tmp_path / "templates-aliyun.toml"
    path.write_text('[zh]\ncheckin = "SMS_100001"\nnotice_water_off = "SMS_100002"\n', "utf-8")
    return path


def options(fake: FakeAliyunSms, templates_file: Path, **more: Any) -> dict[str, Any]:
    return {
        "kind": "aliyun",
        "access_key_id": ACCESS_KEY_ID,
        "access_key_secret": ACCESS_KEY_SECRET,
        "sign_name": SIGN_NAME,
        "templates": str(templates_file),
        "endpoint": fake.url,
        "push_token": TOKEN,
        **more,
    }


@pytest.fixture
def gateway(community: Community, fake: FakeAliyunSms, templates: Path) -> aliyun.AliyunGateway:
    return aliyun.build(NAME, options(fake, templates), Settings())


def checkin(message_id: int = 1, peer: str = PEER) -> Outgoing:
    return Outgoing(message_id, "sms", peer, "今日健康打卡：……", "zh", "checkin")


def notice(message_id: int = 2, **params: str) -> Outgoing:
    return Outgoing(message_id, "sms", PEER, "社区通知：……", "zh", "notice_water_off", params)


def sends(fake: FakeAliyunSms, action: str = "SendSms") -> list[dict[str, str]]:
    return [params for name, params in fake.calls if name == action]


def sent_row(provider_id: str, peer: str = PEER) -> Message:
    row: Message = Message.create(
        direction="out", peer=peer, status="sent", gateway=NAME, provider_id=provider_id, sent_at=clock.utcnow()
    )
    return row


# --- sending -------------------------------------------------------------------------------------------------


def test_a_checkin_prompt_goes_as_its_approved_template(gateway: aliyun.AliyunGateway, fake: FakeAliyunSms) -> None:
    result = gateway.send(checkin())

    [request] = sends(fake)
    assert request["TemplateCode"] == "SMS_100001"
    assert request["SignName"] == SIGN_NAME
    assert request["PhoneNumbers"] == "13800000001"
    assert json.loads(request["TemplateParam"]) == {}
    assert request["OutId"] == "linli:1"
    assert result.provider_id == fake.records[0]["BizId"]


def test_parameters_go_as_a_json_object_of_named_variables(gateway: aliyun.AliyunGateway, fake: FakeAliyunSms) -> None:
    gateway.send(notice(place="3号楼", date="12月1日"))

    [request] = sends(fake)
    assert request["TemplateCode"] == "SMS_100002"
    assert json.loads(request["TemplateParam"]) == {"date": "12月1日", "place": "3号楼"}


def test_a_batch_goes_100_numbers_per_send_batch_sms(gateway: aliyun.AliyunGateway, fake: FakeAliyunSms) -> None:
    results = gateway.send_batch([checkin(n, f"+86138{n:08d}") for n in range(1, 151)])

    batches = sends(fake, "SendBatchSms")
    assert [len(json.loads(b["PhoneNumberJson"])) for b in batches] == [100, 50]
    assert json.loads(batches[0]["SignNameJson"]) == [SIGN_NAME] * 100
    assert json.loads(batches[1]["TemplateParamJson"]) == [{}] * 50
    assert all(isinstance(r, SendResult) for r in results)


def test_an_unmapped_kind_is_refused_before_any_request(gateway: aliyun.AliyunGateway, fake: FakeAliyunSms) -> None:
    with pytest.raises(GatewayError) as raised:
        gateway.send(Outgoing(3, "sms", PEER, "提醒：……", "zh", "reminder"))

    assert raised.value.permanent and raised.value.code == "unmapped"
    assert fake.calls == []


def _template_rejected(fake: FakeAliyunSms) -> None:
    fake.templates.pop("SMS_100001")


def _bad_sign(fake: FakeAliyunSms) -> None:
    fake.sign_names = {"别的社区"}


def _rate_limited(fake: FakeAliyunSms) -> None:
    fake.number_errors["13800000001"] = "isv.BUSINESS_LIMIT_CONTROL"


def _throttled(fake: FakeAliyunSms) -> None:
    fake.error = "Throttling.User"


def _expired_key(fake: FakeAliyunSms) -> None:
    fake.key_ids = set()


def _no_balance(fake: FakeAliyunSms) -> None:
    fake.error = "isv.OUT_OF_SERVICE"


@pytest.mark.parametrize(
    ("setup", "peer", "code", "permanent", "alert"),
    [
        (_template_rejected, PEER, "isv.SMS_TEMPLATE_ILLEGAL", True, "模板"),
        (_bad_sign, PEER, "isv.SMS_SIGNATURE_ILLEGAL", True, "签名"),
        (_rate_limited, PEER, "isv.BUSINESS_LIMIT_CONTROL", False, None),
        (_throttled, PEER, "Throttling.User", False, None),
        (lambda fake: None, "+861380000", "isv.MOBILE_NUMBER_ILLEGAL", True, None),
        (_expired_key, PEER, "InvalidAccessKeyId.NotFound", True, "密钥"),
        (_no_balance, PEER, "isv.OUT_OF_SERVICE", False, "充值"),
    ],
    ids=["template", "signature", "rate-limit", "throttling", "invalid-number", "key", "balance"],
)
def test_each_refusal_maps_to_permanent_or_transient(
    gateway: aliyun.AliyunGateway,
    fake: FakeAliyunSms,
    setup: Callable[[FakeAliyunSms], None],
    peer: str,
    code: str,
    permanent: bool,
    alert: str | None,
) -> None:
    setup(fake)

    with pytest.raises(GatewayError) as raised:
        gateway.send(checkin(peer=peer))

    assert raised.value.code == code
    assert raised.value.permanent is permanent
    assert fake.records == []  # nothing half-sent
    alerts = list(Alert.select())
    if alert is None:
        assert alerts == []
    else:
        [only] = alerts
        assert alert in only.text and NAME in only.text


def test_an_expired_key_alerts_once_saying_what_to_fix(gateway: aliyun.AliyunGateway, fake: FakeAliyunSms) -> None:
    fake.key_ids = set()

    for n in (1, 2):
        with pytest.raises(GatewayError):
            gateway.send(checkin(n))

    [alert] = list(Alert.select())
    assert "gateways.aliyun" in alert.text and "ALIBABA_CLOUD_ACCESS_KEY_ID" in alert.text
    assert ACCESS_KEY_SECRET not in alert.text and ACCESS_KEY_ID not in alert.text


def test_a_refused_batch_fails_each_of_its_messages(gateway: aliyun.AliyunGateway, fake: FakeAliyunSms) -> None:
    fake.sign_names = set()

    results = gateway.send_batch([checkin(n, f"+86138{n:08d}") for n in range(1, 4)])

    assert all(isinstance(r, GatewayError) and r.code == "isv.SMS_SIGNATURE_ILLEGAL" for r in results)
    assert fake.records == []


def test_alibaba_out_of_reach_is_transient(gateway: aliyun.AliyunGateway, fake: FakeAliyunSms) -> None:
    fake.stop()

    with pytest.raises(GatewayError) as raised:
        gateway.send(checkin())

    assert raised.value.code == "unreachable" and not raised.value.permanent


# --- status by QuerySendDetails ------------------------------------------------------------------------------


def test_a_delivered_message_is_marked_delivered_once(gateway: aliyun.AliyunGateway, fake: FakeAliyunSms) -> None:
    biz_id = gateway.send(checkin()).provider_id
    row = sent_row(biz_id)
    assert gateway.poll(router.receive) == 0
    assert Message.get_by_id(row.id).status == "sent"  # still waiting for the report

    fake.deliver(biz_id)
    gateway.poll(router.receive)
    gateway.poll(router.receive)

    assert Message.get_by_id(row.id).status == "delivered"
    assert MessageEvent.select().where(MessageEvent.message == row.id).count() == 1


def test_a_failed_send_is_marked_undelivered_with_its_code(gateway: aliyun.AliyunGateway, fake: FakeAliyunSms) -> None:
    biz_id = gateway.send(checkin()).provider_id
    row = sent_row(biz_id)
    fake.deliver(biz_id, status=2, err_code="MK:0012")

    gateway.poll(router.receive)

    found = Message.get_by_id(row.id)
    assert (found.status, found.error_code) == ("undelivered", "MK:0012")


def test_a_page_with_records_linli_does_not_know_is_ignored_and_logged_once(
    gateway: aliyun.AliyunGateway, fake: FakeAliyunSms, caplog: pytest.LogCaptureFixture
) -> None:
    row = sent_row("")
    row.provider_id = f"out:{row.id}"  # as find_sent names a message it found after a crash
    row.save()
    stray = {"BizId": "77^0", "PhoneNum": "13800000001", "SendStatus": 2, "ErrCode": "MK:0001"}
    fake.strays.append({**stray, "OutId": "someone-else", "TemplateCode": "SMS_9", "Content": "", "SendDate": ""})
    fake.strays.append({**stray, "OutId": f"linli:{row.id}", "SendStatus": 3, "ErrCode": "DELIVERED"})
    caplog.set_level(logging.INFO, logger="sms.gateways.cloud_sms")

    gateway.poll(router.receive)
    gateway.poll(router.receive)

    assert Message.get_by_id(row.id).status == "delivered"
    lines = [r.getMessage() for r in caplog.records]
    assert lines.count("gateway aliyun: a send record Linli does not know (someone-else) was ignored") == 1


def test_find_sent_finds_the_message_by_its_out_id(
    gateway: aliyun.AliyunGateway, fake: FakeAliyunSms, fixed_clock: clock.FixedClock
) -> None:
    since = clock.utcnow()
    gateway.send(checkin(5))

    assert gateway.find_sent(checkin(5), since) == "out:5"
    with pytest.raises(GatewayError) as raised:
        gateway.find_sent(checkin(6), since)
    assert raised.value.code == "unsettled"
    fixed_clock.advance(minutes=30)
    assert gateway.find_sent(checkin(6), since) is None


# --- settings and keys -------------------------------------------------------------------------------------------


def test_keys_come_from_the_environment(
    community: Community, fake: FakeAliyunSms, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ACCESS_KEY_SECRET)
    built = aliyun.build(NAME, options(fake, templates, access_key_id="", access_key_secret="***"), Settings())

    assert built.send(checkin()).provider_id


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"access_key_secret": ""}, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        ({"push_token": "short"}, "push_token"),
        ({"templates": "/nowhere/templates.toml"}, "does not exist"),
        ({"secret_key": "x"}, "secret_key"),
    ],
)
def test_a_wrong_setting_is_one_config_line(
    community: Community,
    fake: FakeAliyunSms,
    templates: Path,
    change: dict[str, Any],
    match: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", raising=False)
    with pytest.raises(ConfigError, match=match):
        aliyun.build(NAME, options(fake, templates, **change), Settings())


def test_keys_never_reach_logs_errors_or_reprs(
    gateway: aliyun.AliyunGateway, fake: FakeAliyunSms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    biz_id = gateway.send(checkin(1)).provider_id
    sent_row(biz_id)
    gateway.poll(router.receive)
    fake.key_ids = set()
    with pytest.raises(GatewayError) as raised:
        gateway.send(checkin(2))

    said = caplog.text + str(raised.value) + repr(gateway.cloud) + "".join(a.text for a in Alert.select())
    assert caplog.records
    assert ACCESS_KEY_SECRET not in said
    assert ACCESS_KEY_ID not in said


def test_each_poll_goes_on_from_the_last_row_asked_about(
    gateway: aliyun.AliyunGateway, fake: FakeAliyunSms, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aliyun, "CHECKS_PER_POLL", 2)
    rows = [sent_row(gateway.send(checkin(n, f"+86138{n:08d}")).provider_id, f"+86138{n:08d}") for n in (1, 2, 3)]
    fake.calls.clear()

    gateway.poll(router.receive)  # rows 1 and 2, whose reports have not come
    gateway.poll(router.receive)  # row 3, then round again

    asked = [params["PhoneNumber"] for action, params in fake.calls if action == "QuerySendDetails"]
    assert asked == ["13800000001", "13800000002", "13800000003"]
    assert all(Message.get_by_id(row.id).status == "sent" for row in rows)


def test_the_key_ids_and_push_token_are_secrets_linli_config_never_prints() -> None:
    from kit.config import is_secret

    keys = ("secret_id", "secret_key", "access_key_id", "access_key_secret", "push_token")
    assert all(is_secret(f"gateways.{NAME}.{key}") for key in keys)
