"""The Today screen's capacity line: how many SMS today and when they are out, with "!" when late."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from textual.content import Content
from textual.widgets import Static, TextArea

from kit.config import Settings
from kit.demo import DemoSummary
from kit.models import Message
from tests.tui.conftest import MakeApp, settle
from tui.app import LinliApp
from tui.screens.today import TodayScreen


def app_with(settings: Settings, language: str = "en") -> LinliApp:
    return LinliApp(
        settings, language=language, actor="test-operator", watch_clock=False, inbox_poll_seconds=0.5,
        pause_scale=0.0, zone=ZoneInfo("Asia/Shanghai"), community_name="幸福里社区",
    )  # fmt: skip


async def capacity_text(app: LinliApp) -> Content:
    """What the Today screen shows under the round: plain text and its styles."""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TodayScreen)
        rendered = screen.query_one("#capacity", Static).render()
        assert isinstance(rendered, Content)
        return rendered


def reds(content: Content) -> list[str]:
    """The stretches of `content` shown in red."""
    return [content.plain[span.start : span.end].strip() for span in content.spans if "red" in str(span.style)]


async def test_the_day_that_fits_says_when_the_sms_are_out(town: DemoSummary) -> None:
    text = await capacity_text(app_with(Settings()))  # the simulator: 60 a minute
    assert text.plain.startswith("SMS: ")
    assert "(reminder at 12:00)" in text.plain
    assert "!" not in text.plain and reds(text) == []


async def test_a_late_day_is_said_in_red_words_with_a_mark(town: DemoSummary) -> None:
    slow = Settings()
    slow.dispatch.rate_per_second = 0.005  # one SMS every 200 seconds: the round takes all day
    text = await capacity_text(app_with(slow, language="zh"))
    first = text.plain.splitlines()[0]
    assert first.startswith("! 短信：今日需 ") and "发不完" in first
    assert reds(text) == [first]
    assert "再加一台像 simulator 的网关" in text.plain  # what would fix it


async def test_the_notice_preview_says_when_the_last_recipient_gets_it(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("notices")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#notice-body", TextArea).text = "明天上午9点在小区门口免费测体温。"
        await settle(pilot)
        preview = str(screen.query_one("#preview", Static).render())
    queued = Message.select().where(Message.status == "queued").count()
    assert "The last recipient gets it at about 09:" in preview
    assert f"(after the {queued:,} already queued)" in preview
