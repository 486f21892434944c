"""Twilio's error codes and webhook signatures: one set of rules, followed the same way by the SMS and the voice
gateway."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from ivr.twilio_voice import gateway_error as call_error
from kit.twilio_rules import PERMANENT_CODES, TRANSIENT_CODES, TRANSIENT_STATUSES, TwilioSignature, twilio_error
from sms.twilio_gateway import gateway_error as sms_error

PEER = "+8613800000001"
SHARED = [(400, code) for code in PERMANENT_CODES] + [(503, code) for code in TRANSIENT_CODES]
SHARED += [(status, 0) for status in sorted(TRANSIENT_STATUSES)] + [(500, 0), (400, 21205), (418, 0), (302, 0)]


@pytest.mark.parametrize(("status", "code"), SHARED)
def test_both_channels_classify_a_twilio_error_the_same_way(status: int, code: int) -> None:
    error = TwilioRestException(status, "https://api.twilio.com/x", msg="Unable to create record: Nope.", code=code)
    by_sms, by_call = sms_error(error, PEER), call_error(error, PEER)
    assert (by_sms.permanent, by_sms.opted_out, by_sms.code) == (by_call.permanent, by_call.opted_out, by_call.code)
    assert str(by_sms).replace("message", "call").replace("take", "place") == str(by_call)


@pytest.mark.parametrize(
    ("status", "code", "permanent", "opted_out"),
    [
        (400, 21211, True, False),  # not a valid number, for either channel
        (429, 20429, False, False),  # too many requests: later
        (401, 20003, False, False),  # our credentials: the number is fine
        (400, 21205, True, False),  # anything else Twilio refuses for good
        (503, 0, False, False),
    ],
)
def test_the_shared_codes(status: int, code: int, permanent: bool, opted_out: bool) -> None:
    for channel in ("sms", "voice"):
        error = twilio_error(code, status, "Nope", channel=channel, peer=PEER)
        assert (error.permanent, error.opted_out) == (permanent, opted_out)


def test_codes_that_belong_to_one_channel() -> None:
    assert twilio_error(21610, 400, "Unsubscribed", channel="sms").opted_out  # replied STOP: no more SMS ...
    assert not twilio_error(21610, 400, "Unsubscribed", channel="voice").opted_out  # ... which says nothing of calls
    assert twilio_error(30006, 400, "Landline", channel="sms").permanent  # a landline takes no SMS ...
    assert twilio_error(13224, 400, "Invalid", channel="voice").permanent  # ... and the voice API's own codes


def test_a_code_twilio_sends_as_text_or_not_at_all_is_read_not_fatal() -> None:
    error = twilio_error("oops", None, "Strange", channel="voice")
    assert (error.code, error.permanent) == ("0", False)
    assert "Strange" in str(error)


@pytest.mark.parametrize("algorithm", ["HMAC_SHA1", "HMAC_SHA256"])
def test_the_signature_is_twilios(algorithm: str) -> None:
    form = {"Body": "好", "From": PEER, "MessageSid": "SM1"}
    expected = RequestValidator("secret").compute_signature("https://linli.example.org/twilio/sms", form, algorithm)
    checker = TwilioSignature("https://linli.example.org", "secret")
    assert checker.valid("/twilio/sms", form, expected, f"algorithm={algorithm}")
    assert not TwilioSignature("https://linli.example.org", "other").valid("/twilio/sms", form, expected)
