"""kit.localtime: a clock time as people write it, and the error that names the setting it came from."""

from __future__ import annotations

from datetime import time

import pytest

from kit import ui_words
from kit.errors import ConfigError
from kit.localtime import parse_hhmm


def test_a_time_is_hours_and_minutes() -> None:
    assert parse_hhmm(" 21:05 ") == time(21, 5)


@pytest.mark.parametrize(
    ("what", "english", "chinese"),
    [
        (None, "The time '9pm' should look like 21:00.", "时间“9pm”应写成 21:00 这样。"),
        (
            "checkin.time",
            "The checkin.time '9pm' should look like 21:00.",
            "checkin.time 的时间“9pm”应写成 21:00 这样。",
        ),
    ],
)
def test_a_time_that_is_not_one_names_the_setting(what: str | None, english: str, chinese: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_hhmm("9pm", what)
    assert raised.value.message == english
    ui_words.use_language("zh")
    assert raised.value.message == chinese
