"""A need in free text nothing else was understood in is a help request with the whole reply as its need; a negated
sign is not, and a sign never changes a reply the parser reads another way."""

from __future__ import annotations

import pytest

from sms.parser import Intent, parse_reply


@pytest.mark.parametrize(
    ("reply", "language", "need"),
    [
        ("家里没米了，也不会网上买", "zh", "家里没米了,也不会网上买"),
        ("老伴摔倒了", "zh", "老伴摔倒了"),
        ("想去医院看病，没人陪", "zh", "想去医院看病,没人陪"),
        ("降压药吃完了要买药", "zh", "降压药吃完了要买药"),
        ("家里没米了", "en", "家里没米了"),  # every table is tried, whatever the sender's language
        ("I fell in the kitchen", "en", "I fell in the kitchen"),
        ("my mum needs her medicine", "en", "my mum needs her medicine"),
        ("we are out of rice, hungry", "en", "we are out of rice, hungry"),
        ("ｉ ｆｅｌｌ ｄｏｗｎ", "en", "i fell down"),  # full-width letters
        ("老伴摔倒了", "en", "老伴摔倒了"),
        ("ＨＯＳＰＩＴＡＬ", "zh", "HOSPITAL"),
    ],
)
def test_a_need_in_free_text_is_a_help_request_with_that_text(reply: str, language: str, need: str) -> None:
    assert parse_reply(reply, language) == Intent("help", text=need)


@pytest.mark.parametrize(
    ("reply", "language"),
    [
        ("我没摔倒", "zh"),
        ("不用去医院", "zh"),
        ("I didn't fall", "en"),
        ("no hospital please", "en"),
    ],
)
def test_a_negated_sign_is_not_a_need(reply: str, language: str) -> None:
    assert parse_reply(reply, language) == Intent("unknown")


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        ("摔了一跤，现在没事了", "well"),
        ("去医院看过了，身体好", "well"),
        ("fell yesterday but fine now", "well"),
        ("发烧38.5，想去医院", "unwell"),
    ],
)
def test_a_sign_does_not_change_a_reply_read_another_way(reply: str, kind: str) -> None:
    assert parse_reply(reply, "zh").kind == kind
