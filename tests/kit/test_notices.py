"""kit.notices: the preview's numbers, the audience, sending once and only once, voice for those who cannot read."""

from __future__ import annotations

from typing import Any

import pytest

from kit import outbox, ui_words
from kit.config import DispatchSettings, Settings
from kit.errors import Conflict, ValidationError
from kit.models import AuditEntry, Community, Message, Notice
from kit.notices import Audience, delivery_counts, get_notice, list_notices, preview_notice, send_notice
from kit.residents import ResidentInput, add_resident

pytestmark = pytest.mark.each_database  # notices fill the outbox: runs on SQLite and PostgreSQL

GSM_BODY = "Masks are handed out at the north gate tomorrow 9:00-11:00. Bring your ID card."
# 100 Chinese characters: UCS-2, 2 segments of 67.
CHINESE_BODY = ("明天上午九点到十一点在小区北门发放口罩，请带好身份证。" * 4)[:100]


@pytest.fixture
def neighbours(community: Community) -> dict[str, int]:
    """Six residents: three reachable by SMS, one who cannot read, one without a phone, one who opted out."""
    people: list[dict[str, Any]] = [
        {"name": "王秀英", "phone": "13800138000", "grid": "第1网格", "tags": "独居老人"},
        {"name": "李建国", "phone": "13700137000", "grid": "第2网格", "status": "red"},
        {"name": "张桂兰", "phone": None, "grid": "第1网格", "tags": "高龄"},
        {"name": "Tom Smith", "phone": "13600136000", "grid": "第1网格", "language": "en"},
        {"name": "刘大爷", "phone": "13500135000", "grid": "第2网格", "tags": "不识字"},
        {"name": "陈阿姨", "phone": "13300133000", "grid": "第1网格", "tags": "独居老人"},
    ]
    ids = {person["name"]: add_resident(ResidentInput(**person), actor="test").id for person in people}
    outbox.opt_out("+8613300133000")
    return ids


def test_a_gsm_preview_counts_recipients_segments_and_cost(neighbours: dict[str, int]) -> None:
    preview = preview_notice(GSM_BODY, Audience())
    assert (preview.in_audience, preview.recipients) == (6, 4)
    assert (preview.sms_recipients, preview.voice_recipients, preview.cannot_read) == (3, 1, 1)
    assert (preview.no_phone, preview.opted_out) == (1, 1)
    assert (preview.encoding, preview.segments_per_message, preview.total_segments) == ("GSM-7", 1, 3)
    assert (preview.sms_cost, preview.call_minutes, preview.voice_cost, preview.cost) == (0.15, 1, 0.1, 0.25)
    assert preview.currency == "CNY"
    assert preview.non_gsm == () and preview.suggestions == {} and preview.warnings == ()
    assert Notice.select().count() == 0 and Message.select().count() == 0  # a preview changes nothing


def test_a_chinese_preview_is_ucs2_with_no_suggestion(neighbours: dict[str, int]) -> None:
    preview = preview_notice(CHINESE_BODY, settings=Settings(dispatch=DispatchSettings(sms_segment_price=0.1)))
    assert (preview.encoding, preview.segments_per_message, preview.total_segments) == ("UCS-2", 2, 6)
    assert preview.sms_cost == 0.6
    assert preview.suggestions == {"，": ",", "。": "."}
    assert [str(warning) for warning in preview.warnings] == [
        "The text is 2 SMS segments long: each recipient costs 2 messages."
    ]


def test_smart_quotes_are_named_with_what_they_cost_and_the_replacement(neighbours: dict[str, int]) -> None:
    body = "Notice: the “clinic” opens at 9. " * 4 + "Bring ID."  # 141 characters
    preview = preview_notice(body, Audience(), "sms")
    assert (preview.encoding, preview.segments_per_message) == ("UCS-2", 3)
    assert preview.non_gsm == ("“", "”")
    assert preview.suggestions == {"“": '"', "”": '"'}
    assert str(preview.warnings[0]) == (
        '“smart quotes” force UCS-2: 3 segments instead of 1. Replace “ -> ", ” -> " to stay in GSM-7.'
    )


def test_a_warning_is_read_in_the_readers_language_and_english_in_json(neighbours: dict[str, int]) -> None:
    body = "Notice: the “clinic” opens at 9… " * 4
    preview = preview_notice(body, Audience(), "sms", bodies={"en": "In English: the “clinic” opens… " * 4})
    ui_words.use_language("zh")
    said = "弯引号“”和省略号让短信改用 UCS-2 编码：要分 2 条，本来只要 1 条。"
    replace = '把 “ -> "，” -> "，… -> ... 替换掉，就能保持 GSM-7。'
    assert [str(warning) for warning in preview.warnings][:2] == [said + replace, "en 译文里的" + said + replace]
    assert preview.as_dict()["warnings"][1] == (
        "“smart quotes” and the ellipsis in the en text force UCS-2: 2 segments instead of 1. "
        'Replace “ -> ", ” -> ", … -> ... to stay in GSM-7.'
    )


@pytest.mark.parametrize(
    ("audience", "reached", "in_audience"),
    [
        (Audience.of(grids=["第1网格"]), {"王秀英", "Tom Smith"}, 4),
        (Audience.of(grids=["第1网格", "第2网格"]), {"王秀英", "Tom Smith", "李建国", "刘大爷"}, 6),
        (Audience.of(tags=["独居老人"]), {"王秀英"}, 2),
        (Audience.of(statuses=["RED"]), {"李建国"}, 1),
        (Audience.of(grids=["第2网格"], tags=["cannot read"]), {"刘大爷"}, 1),
        (Audience.of(languages=["english"]), {"Tom Smith"}, 1),
    ],
)
def test_the_audience_filters_by_grid_tag_status_and_language(
    neighbours: dict[str, int], audience: Audience, reached: set[str], in_audience: int
) -> None:
    preview = preview_notice(GSM_BODY, audience)
    assert preview.in_audience == in_audience
    notice = send_notice(GSM_BODY, audience, confirm=True, actor="test")
    by_id = {resident_id: name for name, resident_id in neighbours.items()}
    queued = {by_id[m.resident_id] for m in Message.select().where(Message.notice_id == notice.id)}
    assert queued == reached


def test_an_unknown_grid_is_refused_with_the_grids_there_are(neighbours: dict[str, int]) -> None:
    with pytest.raises(ValidationError, match="No grid named 第9网格; grids are: 第1网格, 第2网格"):
        preview_notice(GSM_BODY, Audience.of(grids=["第9网格"]))


def test_the_audience_has_one_stable_json_form() -> None:
    audience = Audience.of(grids=["第2网格", "第1网格", "第2网格"], tags=["独居老人"], statuses=["红"])
    assert audience.as_json() == '{"grids":["第1网格","第2网格"],"statuses":["red"],"tags":["elderly-alone"]}'
    assert Audience.from_json(audience.as_json()) == audience
    assert Audience().as_json() == "{}" and Audience().describe() == "everybody"
    assert audience.describe() == "grid 第1网格 or 第2网格; tag elderly alone; status RED"
    with pytest.raises(ValidationError, match="Unknown audience field"):
        Audience.from_dict({"streets": ["x"]})


def test_sending_needs_confirmation_and_queues_nothing_without_it(neighbours: dict[str, int]) -> None:
    with pytest.raises(ValidationError, match="pass --yes"):
        send_notice(GSM_BODY, Audience(), actor="test", confirm=False)
    assert Notice.select().count() == 0 and Message.select().count() == 0


@pytest.mark.parametrize(("body", "problem"), [("   ", "is empty"), ("x" * 1601, "1,601 characters; at most 1,600")])
def test_an_empty_or_too_long_body_is_refused(neighbours: dict[str, int], body: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        send_notice(body, Audience(), actor="test", confirm=True)
    with pytest.raises(ValidationError, match=problem):
        preview_notice(body)
    assert Notice.select().count() == 0


def test_sending_queues_one_message_per_recipient_in_one_go(neighbours: dict[str, int]) -> None:
    notice = send_notice(f"  {GSM_BODY} ", Audience(), actor="organizer", confirm=True)
    assert (notice.body, notice.recipients, notice.segments, notice.cost) == (GSM_BODY, 4, 3, 0.25)
    rows = {
        (m.key, m.channel, m.kind, m.language, m.status, m.priority, m.segments)
        for m in Message.select().where(Message.notice_id == notice.id)
    }
    n, ids = notice.id, neighbours
    assert rows == {
        (f"notice:{n}:{ids['王秀英']}", "sms", "notice", "zh", "queued", outbox.PRIORITY_NOTICE, 1),
        (f"notice:{n}:{ids['李建国']}", "sms", "notice", "zh", "queued", outbox.PRIORITY_NOTICE, 1),
        (f"notice:{n}:{ids['Tom Smith']}", "sms", "notice", "en", "queued", outbox.PRIORITY_NOTICE, 1),
        (f"notice:{n}:{ids['刘大爷']}:voice", "voice", "voice_notice", "zh", "queued", outbox.PRIORITY_NOTICE, 0),
    }
    assert delivery_counts(notice.id) == {"queued": 4}
    entry = AuditEntry.get((AuditEntry.entity == "notice") & (AuditEntry.entity_id == notice.id))
    assert (entry.actor, entry.action) == ("organizer", "send")


def test_the_same_notice_is_never_sent_twice(neighbours: dict[str, int]) -> None:
    first = send_notice(GSM_BODY, Audience.of(grids=["第1网格"]), actor="test", confirm=True)
    before = Message.select().count()
    again = GSM_BODY.upper().replace(" ", "  ")  # the same words, however they are spaced or cased
    with pytest.raises(Conflict) as caught:
        send_notice(again, Audience.of(grids=["第1网格"]), actor="test", confirm=True)
    assert str(caught.value) == f"This notice was already sent on 2026-11-20 to 2 people (notice #{first.id})."
    assert Message.select().count() == before and Notice.select().count() == 1
    preview = preview_notice(GSM_BODY, Audience.of(grids=["第1网格"]))
    assert preview.already_sent is not None and preview.already_sent.id == first.id
    assert str(preview.warnings[-1]).endswith("; it will not be sent again.")
    ui_words.use_language("zh")
    assert caught.value.title == "通知已发过"
    assert str(preview.warnings[-1]) == f"这条通知已在 2026-11-20 发给 2 人（第 {first.id} 号通知），不会再发。"
    other = send_notice(GSM_BODY, Audience.of(grids=["第2网格"]), actor="test", confirm=True)  # another audience
    assert other.id != first.id and Message.select().count() == before + 2


def test_voice_and_both_channels(neighbours: dict[str, int]) -> None:
    voice = preview_notice(GSM_BODY, channel="voice")
    assert (voice.sms_recipients, voice.voice_recipients, voice.total_segments, voice.cannot_read) == (0, 4, 0, 0)
    assert (voice.call_minutes, voice.cost) == (4, 0.4)
    notice = send_notice(GSM_BODY, channel="both", actor="test", confirm=True)
    assert delivery_counts(notice.id, "sms") == {"queued": 4}
    assert delivery_counts(notice.id, "voice") == {"queued": 4}
    assert notice.recipients == 4


def test_translations_go_to_residents_of_their_language(neighbours: dict[str, int]) -> None:
    english = "Masks at the north gate tomorrow, 9 to 11."
    preview = preview_notice(CHINESE_BODY, bodies={"英文": english})
    assert [(v.language, v.sms_recipients, v.info.segments) for v in preview.versions] == [("", 2, 2), ("en", 1, 1)]
    assert preview.total_segments == 5
    notice = send_notice(CHINESE_BODY, bodies={"en": english}, actor="test", confirm=True)
    tom = Message.get((Message.notice_id == notice.id) & (Message.resident == neighbours["Tom Smith"]))
    wang = Message.get((Message.notice_id == notice.id) & (Message.resident == neighbours["王秀英"]))
    assert (tom.body, wang.body) == (english, CHINESE_BODY)


def test_nobody_reachable_is_refused(neighbours: dict[str, int]) -> None:
    with pytest.raises(ValidationError, match="1 without a phone, 0 opted out"):
        send_notice(GSM_BODY, Audience.of(tags=["高龄"]), actor="test", confirm=True)


def test_notices_are_listed_newest_first(neighbours: dict[str, int]) -> None:
    first = send_notice("First notice.", actor="test", confirm=True)
    second = send_notice("Second notice.", Audience.of(statuses=["red"]), actor="test", confirm=True)
    assert [summary.id for summary in list_notices()] == [second.id, first.id]
    shown = get_notice(second.id)
    assert (shown.recipients, shown.audience, shown.local_date) == (1, Audience(statuses=("red",)), "2026-11-20")
