"""Tencent Cloud SMS through the stand-in (tests/fakes/tencent_sms.py): templates and parameters, batches of 200,
each documented error code as permanent or transient with its alert, polling reports and replies, and keys that
never reach a log."""

from __future__ import annotations

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
from sms.gateways import tencent
from tests.fakes.tencent_sms import APP_ID, SECRET_ID, SECRET_KEY, SIGN_NAME, FakeTencentSms

NAME = "tencent"
PEER = "+8613800000001"


@pytest.fixture
def fake() -> Iterator[FakeTencentSms]:
    with FakeTencentSms() as server:
        yield server


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    path = tmp_path / "templates-tencent.toml"
    path.write_text('[zh]\ncheckin = "100001"\nnotice_water_off = 100002\n\n[en]\ncheckin = "100001"\n', "utf-8")
    return path


def options(fake: FakeTencentSms, templates_file: Path, **more: Any) -> dict[str, Any]:
    return {
        "kind": "tencent",
        "secret_id": SECRET_ID,
        "secret_key": SECRET_KEY,
        "sdk_app_id": APP_ID,
        "sign_name": f"【{SIGN_NAME}】",
        "templates": str(templates_file),
        "endpoint": fake.url,
        **more,
    }


@pytest.fixture
def gateway(community: Community, fake: FakeTencentSms, templates: Path) -> tencent.TencentGateway:
    return tencent.build(NAME, options(fake, templates), Settings())


def checkin(message_id: int = 1, peer: str = PEER, language: str = "zh") -> Outgoing:
    return Outgoing(message_id, "sms", peer, "今日健康打卡：……", language, "checkin")


def notice(message_id: int = 2, **params: str) -> Outgoing:
    return Outgoing(message_id, "sms", PEER, "社区通知：……", "zh", "notice_water_off", params)


def sent_row(serial: str, peer: str = PEER) -> Message:
    now = clock.utcnow()
    return Message.create(
        direction="out", peer=peer, status="sent", gateway=NAME, provider_id=serial, kind="checkin", sent_at=now
    )


# --- sending -------------------------------------------------------------------------------------------------


def test_a_checkin_prompt_goes_as_its_approved_template(gateway: tencent.TencentGateway, fake: FakeTencentSms) -> None:
    result = gateway.send(checkin())

    assert result.provider_id.startswith("2640:")
    [request] = fake.sends()
    assert request["TemplateId"] == "100001"
    assert request["SmsSdkAppId"] == APP_ID
    assert request["SignName"] == SIGN_NAME  # the 【】 of the setting are not part of the signature
    assert request["PhoneNumberSet"] == [PEER]
    assert request["TemplateParamSet"] == []
    assert request["SessionContext"] == "linli:1"


def test_parameters_go_in_the_order_the_template_declares(
    gateway: tencent.TencentGateway, fake: FakeTencentSms
) -> None:
    gateway.send(notice(place="3号楼", date="12月1日"))  # the text reads {date}{place}停水

    [request] = fake.sends()
    assert request["TemplateId"] == "100002"
    assert request["TemplateParamSet"] == ["12月1日", "3号楼"]


def test_250_numbers_with_the_same_parameters_take_two_requests(
    gateway: tencent.TencentGateway, fake: FakeTencentSms
) -> None:
    messages = [checkin(n, f"+86138{n:08d}") for n in range(1, 251)]

    results = gateway.send_batch(messages)

    assert [len(r["PhoneNumberSet"]) for r in fake.sends()] == [200, 50]
    assert all(isinstance(r, SendResult) for r in results)
    assert len({r.provider_id for r in results if isinstance(r, SendResult)}) == 250


def test_two_messages_to_one_number_go_in_separate_requests(
    gateway: tencent.TencentGateway, fake: FakeTencentSms
) -> None:
    results = gateway.send_batch([checkin(1), checkin(2)])

    assert [r["PhoneNumberSet"] for r in fake.sends()] == [[PEER], [PEER]]
    assert all(isinstance(r, SendResult) for r in results)


def test_an_unmapped_kind_is_refused_before_any_request(gateway: tencent.TencentGateway, fake: FakeTencentSms) -> None:
    with pytest.raises(GatewayError) as raised:
        gateway.send(checkin(language="fr"))

    assert raised.value.permanent and raised.value.code == "unmapped"
    assert "checkin" in str(raised.value)
    assert fake.calls == []


def test_an_over_long_parameter_is_refused_before_any_request(
    gateway: tencent.TencentGateway, fake: FakeTencentSms
) -> None:
    with pytest.raises(GatewayError) as raised:
        gateway.send(notice(date="12月1日", place="幸福里社区" * 8))

    assert raised.value.permanent and raised.value.code == "param_too_long"
    assert fake.calls == []


def _template_rejected(fake: FakeTencentSms) -> None:
    fake.templates.pop("100001")


def _bad_sign(fake: FakeTencentSms) -> None:
    fake.sign_names = {"别的社区"}


def _rate_limited(fake: FakeTencentSms) -> None:
    fake.number_errors[PEER] = "LimitExceeded.PhoneNumberThirtySecondLimit"


def _api_rate_limited(fake: FakeTencentSms) -> None:
    fake.error = "RequestLimitExceeded"


def _expired_key(fake: FakeTencentSms) -> None:
    fake.secret_ids = set()


def _blacklisted(fake: FakeTencentSms) -> None:
    fake.number_errors[PEER] = "FailedOperation.PhoneNumberInBlacklist"


@pytest.mark.parametrize(
    ("setup", "peer", "code", "permanent", "alert"),
    [
        (_template_rejected, PEER, "FailedOperation.TemplateIncorrectOrUnapproved", True, "模板"),
        (_bad_sign, PEER, "FailedOperation.SignatureIncorrectOrUnapproved", True, "签名"),
        (_rate_limited, PEER, "LimitExceeded.PhoneNumberThirtySecondLimit", False, None),
        (_api_rate_limited, PEER, "RequestLimitExceeded", False, None),
        (lambda fake: None, "+86123", "InvalidParameterValue.IncorrectPhoneNumber", True, None),
        (_blacklisted, PEER, "FailedOperation.PhoneNumberInBlacklist", True, None),
        (_expired_key, PEER, "AuthFailure.SecretIdNotFound", True, "密钥"),
    ],
    ids=["template", "signature", "number-rate-limit", "api-rate-limit", "invalid-number", "blacklist", "key"],
)
def test_each_refusal_maps_to_permanent_or_transient(
    gateway: tencent.TencentGateway,
    fake: FakeTencentSms,
    setup: Callable[[FakeTencentSms], None],
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
    assert fake.sent == []  # nothing half-sent
    alerts = list(Alert.select())
    if alert is None:
        assert alerts == []
    else:
        [only] = alerts
        assert alert in only.text
        assert f"gateways.{NAME}" in only.text or f"linli templates check {NAME}" in only.text


def test_an_expired_key_alerts_once_saying_what_to_fix(gateway: tencent.TencentGateway, fake: FakeTencentSms) -> None:
    fake.secret_ids = set()

    for n in (1, 2, 3):
        with pytest.raises(GatewayError):
            gateway.send(checkin(n))

    [alert] = list(Alert.select())
    assert "gateways.tencent" in alert.text and "TENCENTCLOUD_SECRET_ID" in alert.text
    assert SECRET_KEY not in alert.text and SECRET_ID not in alert.text


def test_a_rejected_template_in_a_batch_fails_each_message_and_sends_none(
    gateway: tencent.TencentGateway, fake: FakeTencentSms
) -> None:
    fake.templates.pop("100001")

    results = gateway.send_batch([checkin(n, f"+86138{n:08d}") for n in range(1, 4)])

    assert all(isinstance(r, GatewayError) and r.permanent for r in results)
    assert fake.sent == []


# --- polling ---------------------------------------------------------------------------------------------------


def test_a_report_handed_twice_is_recorded_once(gateway: tencent.TencentGateway, fake: FakeTencentSms) -> None:
    serial = gateway.send(checkin()).provider_id
    row = sent_row(serial)
    fake.report(serial, PEER)
    fake.report(serial, PEER)

    gateway.poll(router.receive)
    fake.report(serial, PEER)
    gateway.poll(router.receive)

    assert Message.get_by_id(row.id).status == "delivered"
    assert MessageEvent.select().where(MessageEvent.message == row.id).count() == 1


def test_a_failed_report_marks_the_message_undelivered(gateway: tencent.TencentGateway, fake: FakeTencentSms) -> None:
    serial = gateway.send(checkin()).provider_id
    row = sent_row(serial)
    fake.report(serial, PEER, status="FAIL", description="MK:0001")

    gateway.poll(router.receive)

    found = Message.get_by_id(row.id)
    assert (found.status, found.error_code) == ("undelivered", "MK:0001")


def test_a_page_with_reports_linli_does_not_know_is_ignored_and_logged_once(
    gateway: tencent.TencentGateway, fake: FakeTencentSms, caplog: pytest.LogCaptureFixture
) -> None:
    serial = gateway.send(checkin()).provider_id
    row = sent_row(serial)
    fake.report("2640:not-linli", "+8613900000009")
    fake.report(serial, PEER)
    caplog.set_level(logging.INFO, logger="sms.gateways.cloud_sms")

    gateway.poll(router.receive)
    fake.report("2640:not-linli", "+8613900000009")
    gateway.poll(router.receive)

    assert Message.get_by_id(row.id).status == "delivered"
    assert Message.select().count() == 1
    assert [r.getMessage() for r in caplog.records].count(
        "gateway tencent: a delivery report for 2640:not-linli, a message Linli does not know, was ignored"
    ) == 1


def test_the_same_reply_delivered_twice_is_stored_once(gateway: tencent.TencentGateway, fake: FakeTencentSms) -> None:
    fake.reply(PEER, "1")
    fake.reply(PEER, "1")

    first = gateway.poll(router.receive)
    fake.reply(PEER, "1")
    second = gateway.poll(router.receive)

    assert (first, second) == (1, 0)
    [stored] = list(Message.select().where(Message.direction == "in"))
    assert (stored.peer, stored.body, stored.gateway) == (PEER, "1", NAME)


def test_two_replies_at_different_times_are_two_messages(gateway: tencent.TencentGateway, fake: FakeTencentSms) -> None:
    fake.reply(PEER, "1", at="2026-11-30 16:01:00")
    fake.reply(PEER, "1", at="2026-12-01 16:01:00")

    assert gateway.poll(router.receive) == 2


def test_polls_run_until_a_short_page(gateway: tencent.TencentGateway, fake: FakeTencentSms) -> None:
    for n in range(150):
        fake.reply(f"+86138{n:08d}", "1")

    assert gateway.poll(router.receive) == 150
    assert [a for a, _ in fake.calls].count("PullSmsReplyStatus") == 2


def test_a_poll_that_cannot_reach_tencent_raises(gateway: tencent.TencentGateway, fake: FakeTencentSms) -> None:
    fake.stop()

    with pytest.raises(GatewayError) as raised:
        gateway.poll(router.receive)

    assert raised.value.code == "unreachable" and not raised.value.permanent


# --- after a crash ----------------------------------------------------------------------------------------------


def test_find_sent_finds_the_message_by_its_session_context(
    gateway: tencent.TencentGateway, fake: FakeTencentSms
) -> None:
    since = clock.utcnow()
    serial = gateway.send(checkin(7)).provider_id

    assert gateway.find_sent(checkin(7), since) == serial


def test_find_sent_waits_then_says_not_sent(
    gateway: tencent.TencentGateway, fake: FakeTencentSms, fixed_clock: clock.FixedClock
) -> None:
    since = clock.utcnow()
    with pytest.raises(GatewayError) as raised:
        gateway.find_sent(checkin(8), since)
    assert raised.value.code == "unsettled" and not raised.value.permanent

    fixed_clock.advance(minutes=tencent.SETTLE.total_seconds() / 60 + 2)
    assert gateway.find_sent(checkin(8), since) is None


# --- settings and keys -------------------------------------------------------------------------------------------


def test_keys_come_from_the_environment(
    community: Community, fake: FakeTencentSms, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
    built = tencent.build(NAME, options(fake, templates, secret_id="", secret_key=""), Settings())

    assert built.send(checkin()).provider_id.startswith("2640:")


def test_a_missing_key_names_the_setting_and_the_variable(
    community: Community, fake: FakeTencentSms, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"gateways\.tencent\.secret_key .*TENCENTCLOUD_SECRET_KEY"):
        tencent.build(NAME, options(fake, templates, secret_key=""), Settings())


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"sdk_app_id": "app"}, "sdk_app_id"),
        ({"sign_name": ""}, "sign_name"),
        ({"templates": ""}, "templates"),
        ({"endpoint": "ftp://x"}, "endpoint"),
        ({"shoe_size": 42}, "shoe_size"),
    ],
)
def test_a_wrong_setting_is_one_config_line(
    community: Community, fake: FakeTencentSms, templates: Path, change: dict[str, Any], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        tencent.build(NAME, options(fake, templates, **change), Settings())


def test_keys_never_reach_logs_errors_or_reprs(
    gateway: tencent.TencentGateway, fake: FakeTencentSms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gateway.send(checkin(1))
    fake.reply(PEER, "2")
    gateway.poll(router.receive)
    fake.secret_ids = set()
    with pytest.raises(GatewayError) as raised:
        gateway.send(checkin(2))

    said = caplog.text + str(raised.value) + repr(gateway) + repr(gateway.cloud)
    said += "".join(a.text for a in Alert.select())
    assert caplog.records  # the SDK and the gateway did log
    assert SECRET_KEY not in said
    assert SECRET_ID not in said


def test_the_kind_is_registered(community: Community, fake: FakeTencentSms, templates: Path) -> None:
    from linli.gateways import build_gateways

    settings = Settings()
    settings.gateway.sms = [NAME]
    settings.gateways = {NAME: options(fake, templates)}
    built = build_gateways(settings)

    assert isinstance(built["sms"], tencent.TencentGateway)


def test_the_dispatcher_sends_queued_messages_as_templates_and_polling_closes_the_loop(
    gateway: tencent.TencentGateway, fake: FakeTencentSms
) -> None:
    from zoneinfo import ZoneInfo

    from kit import outbox
    from kit.config import DispatchSettings
    from kit.dispatcher import Dispatcher

    prompt = outbox.queue(outbox.Draft(peer=PEER, body="今日健康打卡：……", kind="checkin", language="zh"))
    water = outbox.queue(
        outbox.Draft(
            peer="+8613800000002",
            body="社区通知：12月1日3号楼停水……",
            kind="notice",
            language="zh",
            template="notice_water_off",
            params={"date": "12月1日", "place": "3号楼"},
        )
    )

    Dispatcher({"sms": gateway}, DispatchSettings(rate_per_second=0), ZoneInfo("Asia/Shanghai")).run_once()

    assert [(r["TemplateId"], r["TemplateParamSet"]) for r in fake.sends()] == [
        ("100001", []),
        ("100002", ["12月1日", "3号楼"]),
    ]
    rows = [Message.get_by_id(m.id) for m in (prompt, water)]
    assert [row.status for row in rows] == ["sent", "sent"]
    for row in rows:
        fake.report(str(row.provider_id), row.peer)
    fake.reply(PEER, "1")

    assert gateway.poll(router.receive) == 1
    assert [Message.get_by_id(m.id).status for m in (prompt, water)] == ["delivered", "delivered"]
