"""The Twilio voice gateway against a recording stand-in for Twilio's REST API (no network)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
from twilio.http import HttpClient
from twilio.http.response import Response

from ivr.twilio_voice import TwilioVoiceGateway
from kit import outbox
from kit.clock import utcnow
from kit.config import DispatchSettings, TwilioSettings
from kit.dispatcher import Dispatcher
from kit.errors import ConfigError
from kit.gateway import Gateway, GatewayError, Outgoing
from kit.models import Message, Resident
from tests.ivr.conftest import WANG

ACCOUNT = "AC" + "f" * 32
OURS = "+15005550006"
PUBLIC = "https://linli.example.org"


def call_json(
    sid: str, *, to: str = WANG, created: datetime | None = None, direction: str = "outbound-api"
) -> dict[str, Any]:
    return {
        "sid": sid, "account_sid": ACCOUNT, "to": to, "from": OURS, "status": "queued", "direction": direction,
        "date_created": format_datetime(created or datetime.now(timezone.utc)),
    }  # fmt: skip


@dataclass
class FakeApi(HttpClient):  # type: ignore[misc]
    """Answers twilio-python's requests as Twilio would, and remembers them."""

    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    answers: list[Response | Exception] = field(default_factory=list)
    listed: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(None, False)

    def request(self, method: str, uri: str, params: Any = None, data: Any = None, **kwargs: Any) -> Response:
        self.requests.append((method, uri, {"params": params or {}, "data": data or {}}))
        if self.answers:
            answer = self.answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        if method == "POST":
            return Response(201, json.dumps(call_json(f"CA{len(self.requests):032d}")))
        return Response(200, json.dumps({"calls": self.listed, "next_page_uri": None}))


def settings(**overrides: str) -> TwilioSettings:
    values = {"account_sid": ACCOUNT, "auth_token": "token", "from_number": OURS, "public_url": PUBLIC}
    return TwilioSettings(**(values | overrides))  # type: ignore[arg-type]


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def gateway(community: object, api: FakeApi) -> TwilioVoiceGateway:
    return TwilioVoiceGateway(settings(), http_client=api)


def queue_call(resident: Resident, kind: str = "checkin_call", body: str = "") -> Message:
    return outbox.queue(
        outbox.Draft(peer=WANG, body=body, kind=kind, channel="voice", language="zh", resident_id=resident.id)
    )


def outgoing(message: Message) -> Outgoing:
    return Outgoing(message.id, "voice", message.peer, message.body, message.language, message.kind)


def test_it_is_a_voice_gateway(gateway: TwilioVoiceGateway) -> None:
    assert isinstance(gateway, Gateway)
    assert (gateway.name, gateway.channel) == ("twilio", "voice")


def test_a_check_in_call_carries_its_menu_state(wang: Resident, gateway: TwilioVoiceGateway, api: FakeApi) -> None:
    message = queue_call(wang)
    result = gateway.send(outgoing(message))
    assert result.provider_id.startswith("CA") and result.status == "queued"
    method, uri, sent = api.requests[0]
    assert method == "POST"
    assert urlsplit(uri).path == f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
    assert sent["data"] == {
        "To": WANG,
        "From": OURS,
        "Url": f"{PUBLIC}/twilio/voice?flow=checkin&s=menu&n=0&rid={wang.id}&mid={message.id}&lang=zh",
        "Method": "POST",
        "StatusCallback": f"{PUBLIC}/twilio/voice/status",
        "StatusCallbackMethod": "POST",
        "StatusCallbackEvent": ["answered", "completed"],
        "Timeout": 30,
    }


def test_a_voice_notice_starts_the_notice_menu(wang: Resident, gateway: TwilioVoiceGateway, api: FakeApi) -> None:
    message = queue_call(wang, kind="voice_notice", body="明天停水。")
    gateway.send(outgoing(message))
    url = api.requests[0][2]["data"]["Url"]
    assert dict(parse_qsl(urlsplit(url).query)) == {
        "flow": "notice", "s": "play", "n": "0", "rid": str(wang.id), "mid": str(message.id), "p": "1", "lang": "zh",
    }  # fmt: skip


def test_a_message_that_is_not_a_call_is_refused_for_good(
    wang: Resident, gateway: TwilioVoiceGateway, api: FakeApi
) -> None:
    with pytest.raises(GatewayError) as refused:
        gateway.send(outgoing(queue_call(wang, kind="checkin")))
    assert refused.value.permanent
    assert api.requests == []


def error(status: int, code: int | None, message: str = "nope") -> Response:
    return Response(status, json.dumps({"code": code, "message": message, "status": status}))


@pytest.mark.parametrize(
    ("answer", "permanent"),
    [
        (error(400, 21211, "Invalid 'To' Phone Number"), True),
        (error(400, 21215, "Geo permission"), True),
        (error(400, 13224, "Invalid phone number"), True),
        (error(400, 21205, "Url is not a valid URL"), True),
        (error(401, 20003, "Authenticate"), False),
        (error(429, 20429, "Too many requests"), False),
        (error(503, None), False),
    ],
)
def test_errors_say_whether_calling_again_can_help(
    wang: Resident, gateway: TwilioVoiceGateway, api: FakeApi, answer: Response, permanent: bool
) -> None:
    api.answers.append(answer)
    with pytest.raises(GatewayError) as refused:
        gateway.send(outgoing(queue_call(wang)))
    assert refused.value.permanent is permanent


def test_a_lost_answer_is_looked_up_before_calling_again(
    wang: Resident, gateway: TwilioVoiceGateway, api: FakeApi
) -> None:
    message = queue_call(wang)
    api.answers.append(requests.ConnectionError("connection reset"))
    api.listed = [call_json("CA" + "1" * 32)]
    assert gateway.send(outgoing(message)).provider_id == "CA" + "1" * 32
    api.answers.append(requests.ConnectionError("connection reset"))
    api.listed = []
    with pytest.raises(GatewayError) as lost:
        gateway.send(outgoing(message))
    assert not lost.value.permanent


def test_find_sent_skips_older_calls_and_calls_other_rows_hold(
    wang: Resident, gateway: TwilioVoiceGateway, api: FakeApi
) -> None:
    message = queue_call(wang)
    other = queue_call(wang, kind="voice_notice", body="通知")
    Message.update(provider_id="CA" + "2" * 32, gateway="twilio").where(Message.id == other.id).execute()
    since = utcnow()
    now = since.replace(tzinfo=timezone.utc)
    api.listed = [
        call_json("CA" + "2" * 32, created=now + timedelta(seconds=5)),  # the notice's call
        call_json("CA" + "3" * 32, created=now + timedelta(seconds=3)),  # ours
        call_json("CA" + "4" * 32, created=now - timedelta(minutes=5)),  # older
        call_json("CA" + "5" * 32, created=now + timedelta(seconds=4), direction="inbound"),
    ]
    assert gateway.find_sent(outgoing(message), since) == "CA" + "3" * 32
    method, _, sent = api.requests[-1]
    assert method == "GET" and sent["params"]["To"] == WANG and sent["params"]["From"] == OURS
    api.listed = api.listed[:1] + api.listed[2:]
    assert gateway.find_sent(outgoing(message), since) is None


def test_the_dispatcher_places_calls_through_it(wang: Resident, gateway: TwilioVoiceGateway) -> None:
    message = queue_call(wang)
    Dispatcher({"voice": gateway}, DispatchSettings(), ZoneInfo("Asia/Shanghai")).run_once()
    placed = Message.get_by_id(message.id)
    assert (placed.status, placed.gateway) == ("sent", "twilio")
    assert placed.provider_id.startswith("CA")


def test_api_base_points_at_another_provider(wang: Resident, api: FakeApi) -> None:
    gateway = TwilioVoiceGateway(settings(api_base="https://voice.example.net/twilio"), http_client=api)
    gateway.send(outgoing(queue_call(wang)))
    assert api.requests[0][1].startswith("https://voice.example.net/twilio/2010-04-01/")


@pytest.mark.parametrize(
    ("overrides", "says"),
    [({"from_number": ""}, "from_number"), ({"public_url": ""}, "public_url"), ({"auth_token": ""}, "auth_token")],
)
def test_what_is_missing_is_said(community: object, overrides: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        TwilioVoiceGateway(settings(**overrides))
