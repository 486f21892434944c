"""What a call reads back from the kit (kit.voice): who is calling, and what the call has stored so far."""

from __future__ import annotations

from kit import outbox, voice
from kit.models import Community, Resident
from kit.voice import Caller, Register
from tests.ivr.conftest import STRANGER, WANG, placed_call


def test_the_register_knows_callers_by_number_and_the_rows_they_were_sent(wang: Resident, community: Community) -> None:
    register = Register()
    assert register.caller(WANG) == Caller(resident_id=wang.id, name="王秀英", language="zh")
    assert register.caller(STRANGER) is None and register.caller("") is None
    notice = placed_call(wang, sid="CA-N", kind="notice_call", body="明早停水")
    assert register.notice_text(notice.id) == "明早停水"
    assert register.notice_text(notice.id + 1000) == ""
    assert register.resident_for_message(notice.id + 1000, WANG) == wang.id  # no such row: by the number
    assert (register.community_name(), register.default_language()) == (community.name, community.language)


def test_a_calls_last_key_press_is_its_own_and_never_its_outcome(wang: Resident) -> None:
    def store(provider_id: str, body: str) -> None:
        outbox.record_inbound(gateway="twilio-voice", provider_id=provider_id, peer=WANG, body=body, channel="voice")

    store(voice.step_id("CA1", "menu"), "2")
    store(voice.step_id("CA1", "temperature"), "385")
    store(voice.step_id("CA10", "menu"), "1")  # another call whose id starts alike
    assert not voice.has_outcome("twilio-voice", "CA1")
    store(voice.step_id("CA1", voice.OUTCOME_STEP), "unwell")
    last = voice.last_key_press("twilio-voice", "CA1")
    assert last is not None and (last.provider_id, last.body) == ("CA1:temperature", "385")
    assert voice.has_outcome("twilio-voice", "CA1") and not voice.has_outcome("simulator-voice", "CA1")
    assert voice.last_key_press("twilio-voice", "CA2") is None


def test_call_ids_other_rows_hold_are_in_use(wang: Resident) -> None:
    mine = placed_call(wang, sid="CA-A")
    placed_call(wang, sid="CA-B")
    assert voice.call_ids_in_use(["CA-A", "CA-B", "CA-C"], "twilio") == {"CA-A", "CA-B"}
    assert voice.call_ids_in_use(["CA-A", "CA-B"], "twilio", other_than=mine.id) == {"CA-B"}
    assert voice.call_ids_in_use([], "twilio") == set()
