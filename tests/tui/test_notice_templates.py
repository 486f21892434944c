"""The Notices screen in template-only mode: an approved notice template and its values instead of free text, the
exact text with the signature in the preview, and the kind and values queued; free text as before otherwise."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea

from kit import template_mode
from kit.config import Settings, load_settings
from kit.demo import DemoSummary
from kit.message_kinds import decode
from kit.models import Message, Notice
from kit.templates import render, text
from tests.tui.conftest import MakeApp, settle
from tui.app import LinliApp
from tui.dialogs.confirm import ConfirmDialog
from tui.screens.notices import NoticesScreen

CONFIG = """
[gateway]
sms = "ali1"

[gateways.ali1]
kind = "aliyun"
templates = "ali.toml"
sign_name = "幸福里社区"
"""
BODY = render("notice_water_off", "zh", date="12月1日", place="3号楼")
SIGNED = f"【幸福里社区】{BODY}"


@pytest.fixture
def settings(town: DemoSummary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The SMS pool is one Alibaba Cloud gateway with notice_water_off approved in zh and en."""
    monkeypatch.chdir(tmp_path)
    mapped = 'notice_water_off = "SMS_7"\n'
    (tmp_path / "ali.toml").write_text(f"[zh]\n{mapped}[en]\n{mapped}", encoding="utf-8")
    (tmp_path / "linli.toml").write_text(CONFIG, encoding="utf-8")
    loaded = load_settings(tmp_path / "linli.toml")
    template_mode.use_settings(loaded)
    return loaded


def app_with(settings: Settings) -> LinliApp:
    return LinliApp(
        settings,
        language="en",
        actor="test-operator",
        watch_clock=False,
        inbox_poll_seconds=0.5,
        pause_scale=0.0,
        zone=ZoneInfo("Asia/Shanghai"),
        community_name="幸福里社区",
    )


async def notices(app: LinliApp, pilot: Pilot[None]) -> NoticesScreen:
    await app.switch_mode("notices")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, NoticesScreen)
    return screen


async def fill(screen: NoticesScreen, pilot: Pilot[None], **values: str) -> None:
    screen.query_one("#notice-template", Select).value = "notice_water_off"
    await settle(pilot)
    for name, value in values.items():
        screen.query_one(f"#param-{name}", Input).value = value
    await settle(pilot)


def preview(screen: NoticesScreen) -> str:
    return str(screen.query_one("#preview").render())


async def test_the_form_offers_the_approved_templates_and_their_fields(settings: Settings) -> None:
    app = app_with(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await notices(app, pilot)
        assert not screen.query_one("#notice-body", TextArea).display
        choice = screen.query_one("#notice-template", Select)
        labels = [str(label) for label, _ in choice._options]
        assert f"notice_water_off: {text('notice_water_off', 'zh')}" in labels
        assert "Choose an approved notice template." in preview(screen)
        await fill(screen, pilot)
        fields = [field.name for field in screen.query(".template-value").results(Input)]
        assert fields == ["date", "place"]
        labels = [str(label.render()) for label in screen.query(".template-param Label")]
        assert labels == ["date:", "place:"]


async def test_the_preview_shows_the_exact_text_with_the_signature(settings: Settings) -> None:
    app = app_with(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await notices(app, pilot)
        await fill(screen, pilot, date="12月1日")
        assert "notice_water_off needs place" in preview(screen)
        await fill(screen, pilot, date="12月1日", place="3号楼")
        shown = preview(screen)
        assert f"Text (ali1): {SIGNED}" in shown.replace("\n", "")
        assert "recipients" in shown


async def test_sending_queues_the_notice_with_its_template_and_values(settings: Settings) -> None:
    app = app_with(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await notices(app, pilot)
        await fill(screen, pilot, date="12月1日", place="3号楼")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#confirm")
        await settle(pilot)
        assert screen.query_one("#param-place", Input).value == ""
    notice = Notice.get()
    assert notice.body == BODY
    sms = list(Message.select().where(Message.notice_id == notice.id, Message.channel == "sms"))
    assert sms
    for message in sms:
        assert decode(message.params) == ("notice_water_off", {"date": "12月1日", "place": "3号楼"})


async def test_outside_template_only_mode_the_free_text_stays(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await notices(app, pilot)
        assert screen.query_one("#notice-body", TextArea).display
        assert not screen.query("#notice-template")
