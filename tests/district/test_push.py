"""A community pushes its day to a real district server on a loopback port, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from kit import ui_words
from kit.clock import FixedClock
from kit.config import DistrictSettings
from kit.district import revoke_community
from kit.district_models import DistrictGridFigures, DistrictPush, DistrictReport
from kit.district_outbox import DistrictRefused, DistrictUnreachable, push_day, push_due, push_pending
from kit.district_view import district_status
from kit.residents import ResidentInput, add_resident
from linli.district.server import DistrictServer
from linli.district_push import http_sender
from tests.district.conftest import GRIDS, TODAY, post

pytestmark = pytest.mark.each_database


def stored() -> tuple[int, int]:
    return DistrictReport.select().count(), DistrictGridFigures.select().count()


UNKNOWN_TOKEN = "This token is not known to the district. Ask the district for the community's token."


def pushed_state() -> str:
    return str(DistrictPush.get(DistrictPush.day == TODAY).state)


def test_a_day_is_pushed_and_the_district_sees_each_grid(neighbourhood: Any, push_settings: DistrictSettings) -> None:
    receipt = push_day(TODAY, http_sender(push_settings), retry_minutes=5)
    assert receipt == {"ok": True, "community": "幸福里社区", "date": "2026-11-20", "grids": GRIDS, "replaced": False}
    (community,) = district_status(TODAY).communities
    assert community.reported and community.last_reported == TODAY
    assert (community.totals["residents"], community.totals["asked"], community.totals["answered"]) == (30, 30, 2)
    assert community.totals["fever"] == 1
    assert [grid["grid"] for grid in community.grids] == [f"第{n}网格" for n in range(1, GRIDS + 1)]
    assert pushed_state() == "pushed"


def test_the_same_push_twice_is_stored_once(neighbourhood: Any, push_settings: DistrictSettings) -> None:
    send = http_sender(push_settings)
    push_day(TODAY, send, retry_minutes=5)
    again = push_day(TODAY, send, retry_minutes=5)
    assert again["replaced"] is True
    assert stored() == (1, GRIDS)
    assert district_status(TODAY).totals["residents"] == 30


def test_a_push_with_new_numbers_replaces_the_earlier_one(neighbourhood: Any, push_settings: DistrictSettings) -> None:
    send = http_sender(push_settings)
    push_day(TODAY, send, retry_minutes=5)
    add_resident(ResidentInput(name="新来的", phone="+8613911112222", grid="第11网格"))
    push_day(TODAY, send, retry_minutes=5)
    (community,) = district_status(TODAY).communities
    assert community.totals["residents"] == 31
    assert [grid["grid"] for grid in community.grids][-1] == "第11网格"
    assert stored() == (1, GRIDS + 1)


def test_a_wrong_token_is_refused_with_401_and_nothing_is_stored(
    neighbourhood: Any, push_settings: DistrictSettings
) -> None:
    wrong = DistrictSettings(url=push_settings.url, token="not-the-token")
    with pytest.raises(DistrictRefused) as refused:
        push_day(TODAY, http_sender(wrong), retry_minutes=5)
    assert refused.value.status == 401
    assert "not known" in refused.value.message
    assert stored() == (0, 0)
    assert pushed_state() == "pending"  # a fixed token pushes it next time


def test_a_revoked_token_is_refused_with_401_and_nothing_is_stored(
    neighbourhood: Any, push_settings: DistrictSettings
) -> None:
    assert revoke_community("幸福里社区", actor="test") is True
    with pytest.raises(DistrictRefused) as refused:
        push_day(TODAY, http_sender(push_settings), retry_minutes=5)
    assert refused.value.status == 401 and "revoked" in refused.value.message
    assert stored() == (0, 0)


def test_the_districts_answers_stay_english_and_the_community_reads_its_own_words(
    neighbourhood: Any, push_settings: DistrictSettings
) -> None:
    ui_words.use_language("zh")  # the community's (and a Chinese district's) words
    status, answer = post(push_settings.url, "not-the-token", b"{}")
    assert (status, answer["error"]) == (401, UNKNOWN_TOKEN)
    status, answer = post(push_settings.url, push_settings.token, b"[]")
    assert answer["error"] == "The body must be a JSON object: the day's figures from linli report push."
    wrong = DistrictSettings(url=push_settings.url, token="not-the-token")
    with pytest.raises(DistrictRefused) as refused:
        push_day(TODAY, http_sender(wrong), retry_minutes=5)
    assert refused.value.title == "区里拒收了上报"
    assert refused.value.message == f"区里拒收了 2026-11-20 的数字（401）：{UNKNOWN_TOKEN}"
    assert DistrictPush.get(DistrictPush.day == TODAY).last_error == refused.value.message


def test_no_token_at_all_is_401(server: DistrictServer, token: str) -> None:
    status, answer = post(server.url, None, b"{}")
    assert status == 401 and "token" in answer["error"].lower()
    assert stored() == (0, 0)


@pytest.mark.parametrize("offset", [timedelta(days=2), timedelta(days=-401)], ids=["future", "far-past"])
def test_a_day_in_the_future_or_far_past_is_refused(
    neighbourhood: Any, push_settings: DistrictSettings, offset: timedelta
) -> None:
    day = TODAY + offset
    with pytest.raises(DistrictRefused) as refused:
        push_day(day, http_sender(push_settings), retry_minutes=5)
    assert refused.value.status == 422
    assert str(day) in refused.value.message
    assert stored() == (0, 0)
    assert DistrictPush.get(DistrictPush.day == day).state == "refused"  # not tried again on its own


def body(**changes: Any) -> dict[str, Any]:
    good: dict[str, Any] = {
        "community": "幸福里社区",
        "date": "2026-11-20",
        "as_of": "2026-11-20T01:00:00Z",
        "figures": ["asked"],
        "grids": [{"grid": "第1网格", "asked": 3, "answered": 2}],
        "totals": {"asked": 3, "answered": 2},
    }
    good.update(changes)
    return good


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "JSON object"),
        (json.dumps(body(date="20.11.2026")).encode(), "YYYY-MM-DD"),
        (json.dumps(body(as_of=None)).encode(), "as_of"),
        (json.dumps(body(grids="第1网格")).encode(), "list"),
        (json.dumps(body(residents=[{"name": "王芳"}])).encode(), "unexpected fields: residents"),
        (json.dumps(body(grids=[{"grid": "第1网格", "name": "王芳"}])).encode(), "name must be a count"),
        (json.dumps(body(grids=[{"grid": "第1网格", "phone": "+8613800000001"}])).encode(), "must be a count"),
        (json.dumps(body(grids=[{"grid": "第1网格", "asked": -1}])).encode(), "must be a count"),
        (json.dumps(body(grids=[{"grid": "第1网格", "asked": 1.5}])).encode(), "must be a count"),
        (json.dumps(body(grids=[{"grid": "第1网格", "asked": True}])).encode(), "must be a count"),
        (json.dumps(body(grids=[{"grid": "13800000001", "asked": 1}])).encode(), "phone number"),
        (json.dumps(body(grids=[{"grid": "a\x1b]0;x", "asked": 1}])).encode(), "one line"),
        (json.dumps(body(grids=[{"grid": "1"}, {"grid": "1"}])).encode(), "twice"),
        (json.dumps(body(grids=[{"asked": 1}])).encode(), "label"),
        (json.dumps(body(totals={"asked": "三"})).encode(), "must be a count"),
        (json.dumps(body(totals="王芳 13800000001")).encode(), "'totals'"),
        (json.dumps(body(grids=[{"grid": "1", "王芳": 1}])).encode(), "snake_case"),
        (json.dumps(body(figures=["asked", "王芳 13800000001"])).encode(), "'figures'"),
        (json.dumps(body(community={"name": "王芳"})).encode(), "'community'"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_malformed_body_is_refused_with_422_and_nothing_is_stored(
    server: DistrictServer, token: str, raw: bytes, why: str
) -> None:
    status, answer = post(server.url, token, raw)
    assert status == 422, answer
    assert why in answer["error"]
    assert stored() == (0, 0)


def test_a_body_over_the_limit_is_refused(server: DistrictServer, token: str) -> None:
    grids = [{"grid": f"网格{n}", "asked": n} for n in range(20_000)]
    status, _ = post(server.url, token, json.dumps(body(grids=grids)).encode())
    assert status == 413
    assert stored() == (0, 0)


def test_unknown_figures_are_ignored_and_named_in_the_receipt(server: DistrictServer, token: str) -> None:
    grids = [{"grid": "第1网格", "asked": 3, "vaccinated": 7}]
    status, answer = post(server.url, token, json.dumps(body(grids=grids)).encode())
    assert status == 200
    assert answer["ignored"] == ["vaccinated"] and "vaccinated" in answer["note"]
    (community,) = district_status(TODAY).communities
    assert community.grids == [{"grid": "第1网格", "asked": 3}]


def test_an_offline_push_is_kept_and_sent_when_the_district_is_back(
    neighbourhood: Any, server: DistrictServer, token: str, district_settings: DistrictSettings, fixed_clock: FixedClock
) -> None:
    port = server.port
    settings = DistrictSettings(url=server.url, token=token, retry_minutes=5)
    server.stop()  # the district is down
    send = http_sender(settings)
    with pytest.raises(DistrictUnreachable):
        push_day(TODAY, send, retry_minutes=5)
    assert pushed_state() == "pending"
    assert push_pending(send, retry_minutes=5).pushed == []  # waits before trying again
    assert DistrictPush.get(DistrictPush.day == TODAY).attempts == 1
    with DistrictServer(district_settings, port=port):
        assert push_pending(send, retry_minutes=5).pushed == []  # still waiting: nothing sent
        fixed_clock.advance(minutes=5)
        assert push_pending(send, retry_minutes=5).pushed == [TODAY]
    assert pushed_state() == "pushed"
    assert stored() == (1, GRIDS)


def test_the_scheduled_push_sends_the_day_once_at_the_set_time(
    neighbourhood: Any, push_settings: DistrictSettings, fixed_clock: FixedClock
) -> None:
    settings = DistrictSettings(url=push_settings.url, token=push_settings.token, push_at="21:00")
    send = http_sender(settings)
    assert push_due(settings, send).pushed == []  # 09:00: not yet
    fixed_clock.set(datetime(2026, 11, 20, 13, 0, tzinfo=timezone.utc))  # 21:00 in Shanghai
    run = push_due(settings, send)
    assert run.queued_today and run.pushed == [TODAY]
    again = push_due(settings, send)
    assert not again.queued_today and again.pushed == []
    assert stored() == (1, GRIDS)


def test_the_request_has_no_names_phones_or_addresses_and_is_under_10_kb(
    neighbourhood: list[ResidentInput], push_settings: DistrictSettings, wire: list[bytes]
) -> None:
    push_day(TODAY, http_sender(push_settings), retry_minutes=5)
    (raw,) = wire
    assert len(raw) < 10_000
    text = raw.decode("utf-8")
    digits = "".join(ch for ch in text if ch.isdigit())
    for one in neighbourhood:
        for secret in (one.name, one.building, one.room, one.notes):
            assert secret not in text
        for phone in (one.phone, one.second_phone):
            assert phone[3:] not in text and phone[3:] not in digits
    assert json.loads(text)["grids"][0]["grid"] == "第1网格"  # grid labels are what travels
