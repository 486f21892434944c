"""Money in the community's currency, written the way its language writes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.audience import Audience
from kit.community import init_community
from kit.config import DispatchSettings, Settings
from kit.money import Money, community_money, currency_of, locale_of
from kit.notices import preview_notice
from kit.residents import ResidentInput, add_resident


@pytest.mark.parametrize(
    ("configured", "region", "currency"),
    [("", "CN", "CNY"), ("", "GB", "GBP"), ("", "HK", "HKD"), ("usd", "GB", "USD"), (" EUR ", "CN", "EUR")],
)
def test_the_configured_currency_else_the_regions(configured: str, region: str, currency: str) -> None:
    assert currency_of(configured, region) == currency


def test_a_language_babel_does_not_know_in_that_region_falls_back_to_the_language() -> None:
    assert locale_of("en", "GB") == "en_GB"
    assert locale_of("en", "CN") == "en"
    assert locale_of("zh", "CN") == "zh_CN"


def test_amounts_are_written_as_the_community_writes_them() -> None:
    assert Money("CNY", "zh_CN")(1234.5) == "¥1,234.50"
    assert Money("GBP", "en_GB")(0.25) == "£0.25"


def test_an_english_community_in_britain_sees_pounds_in_the_notice_preview(database: Path) -> None:
    init_community("Elm Court", "GB", "Europe/London", ["en"], actor="test")
    add_resident(ResidentInput(name="Tom Smith", phone="+447911123456", language="en"), actor="test")
    preview = preview_notice("Water is off 9-12 tomorrow.", Audience())
    assert preview.currency == "GBP"
    assert preview.money(preview.cost) == "£0.05"
    assert community_money(DispatchSettings()).currency == "GBP"


def test_a_configured_currency_wins_over_the_region(database: Path) -> None:
    init_community("Elm Court", "GB", "Europe/London", ["en"], actor="test")
    add_resident(ResidentInput(name="Tom Smith", phone="+447911123456", language="en"), actor="test")
    settings = Settings(dispatch=DispatchSettings(currency="EUR"))
    preview = preview_notice("Water is off 9-12 tomorrow.", Audience(), settings=settings)
    assert preview.money(preview.cost) == "€0.05"


def test_a_chinese_community_sees_yuan(community: object) -> None:
    assert community_money(DispatchSettings())(3.456) == "¥3.46"
