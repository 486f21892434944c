"""Message kinds: every text Linli sends, its parameters (its placeholders), and the outbox row's stored form."""

from __future__ import annotations

import pytest

from kit.errors import ValidationError
from kit.message_kinds import (
    WITHOUT_PHONE,
    cut,
    decode,
    encode,
    get_kind,
    kind_names,
    notice_kinds,
    ordered,
    parameters_of,
)
from kit.templates import languages


def test_parameters_are_the_placeholders_each_once_in_order() -> None:
    assert parameters_of("任务{task}：{name} {address}，完成后回复：完成 {task}") == ("task", "name", "address")
    assert parameters_of("no placeholders") == ()
    assert get_kind("task_for_volunteer").parameters("zh") == ("task", "kind", "name", "address", "phone", "need")


def test_kinds_are_the_texts_sent_not_the_alerts_or_voice_prompts() -> None:
    names = kind_names()
    assert {"checkin", "reminder", "ack_fever", "second_contact", "door_knock_for_volunteer"} <= set(names)
    assert not [name for name in names if name.startswith("alert_")]
    assert "checkin_call" not in names
    with pytest.raises(ValidationError, match="No message kind"):
        get_kind("alert_send_failed")


def test_every_kind_has_the_same_parameters_in_every_language() -> None:
    for name in kind_names():
        kind = get_kind(name)
        found = {code: set(kind.parameters(code)) for code in languages()}
        assert len({frozenset(p) for p in found.values()}) == 1, (name, found)


def test_the_variant_without_a_phone_has_no_phone_and_notices_are_declared_as_data() -> None:
    for kind, variant in WITHOUT_PHONE.items():
        assert "phone" in get_kind(kind).parameters("zh")
        assert "phone" not in get_kind(variant).all_parameters()
    notices = {kind.name: kind.all_parameters() for kind in notice_kinds()}
    assert notices["notice_water_off"] == ("date", "place")
    assert get_kind("notice_water_off").purpose("zh") == "社区停水通知"


def test_stored_params_round_trip_as_text() -> None:
    stored = encode("ack_fever", {"temperature": 38.5})
    assert decode(stored) == ("ack_fever", {"temperature": "38.5"})
    assert decode(None) == ("", {}) and decode("") == ("", {})


def test_cut_marks_what_was_cut() -> None:
    assert cut("买米和油", 10) == "买米和油"
    assert cut("买米、油、鸡蛋和两箱牛奶", 5) == "买米、油…"


def test_values_in_the_order_of_the_text_for_numbered_variables() -> None:
    params = {"address": "3-2-201", "name": "王芳"}
    assert ordered("second_contact", "zh", params) == ["王芳", "3-2-201"]
