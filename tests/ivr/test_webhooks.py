"""Twilio's voice webhooks through aiohttp's test client: signatures first, replays once, restarts lose nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator

from ivr import flows
from ivr.flows import Outcome
from ivr.state import CallState
from ivr.twiml import render_xml
from ivr.webhooks import add_voice_routes
from kit import outbox
from kit.config import Settings, TwilioSettings
from kit.models import Message, Report, Resident, Task
from linli.server import build_app
from tests.ivr.conftest import STRANGER, WANG, Recorder, placed_call, rows_of_call

Client = TestClient[web.Request, web.Application]

PUBLIC = "https://linli.example.org"
TOKEN = "voice-test-auth-token"
OURS = "+15005550006"
MakeClient = Callable[..., Awaitable[Client]]


def twilio_settings(public_url: str = PUBLIC, auth_token: str = TOKEN) -> TwilioSettings:
    return TwilioSettings(public_url=public_url, auth_token=auth_token, from_number=OURS)


def signature(path_qs: str, params: Mapping[str, str], *, base: str = PUBLIC, token: str = TOKEN) -> str:
    signed: str = RequestValidator(token).compute_signature(base + path_qs, dict(params))
    return signed


def call_params(sid: str = "CA1", *, outbound: bool = True, peer: str = WANG, **more: str) -> dict[str, str]:
    params = {"AccountSid": "AC" + "f" * 32, "CallSid": sid, "ApiVersion": "2010-04-01", "CallStatus": "in-progress"}
    if outbound:
        params |= {"Direction": "outbound-api", "From": OURS, "To": peer}
    else:
        params |= {"Direction": "inbound", "From": peer, "To": OURS}
    return params | more


async def post(client: Client, path_qs: str, params: Mapping[str, str], *, sign: bool = True) -> tuple[int, str]:
    headers = {"X-Twilio-Signature": signature(path_qs, params)} if sign else {}
    response = await client.post(path_qs, data=dict(params), headers=headers)
    return response.status, await response.text()


def gather_path(state: CallState) -> str:
    return f"/twilio/voice/gather?{state.to_query()}"


@pytest.fixture
async def make_client(recorder: Recorder) -> AsyncIterator[MakeClient]:
    """Builds a fresh voice app (a new process, as far as the app can tell) each time it is called."""
    clients: list[Client] = []

    async def make(settings: TwilioSettings | None = None) -> Client:
        app = web.Application()
        add_voice_routes(app, settings or twilio_settings(), record_outcome=recorder)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def test_an_outbound_call_is_answered_with_the_greeting(wang: Resident, make_client: MakeClient) -> None:
    sent = placed_call(wang)
    state = flows.checkin_call("zh", wang.id, sent.id)
    client = await make_client()
    response = await client.post(
        f"/twilio/voice?{state.to_query()}",
        data=call_params(),
        headers={"X-Twilio-Signature": signature(f"/twilio/voice?{state.to_query()}", call_params())},
    )
    assert response.status == 200
    assert response.content_type == "text/xml"
    assert await response.text() == render_xml(
        flows.answer(state), base_url=PUBLIC, facts={"name": "王秀英", "community": "幸福里社区"}
    )
    assert "王秀英您好" in await response.text()


@pytest.mark.parametrize(
    "forge",
    ["unsigned", "another host", "another token", "other digits", "other state"],
)
async def test_requests_twilio_did_not_sign_are_refused_and_change_nothing(
    wang: Resident, make_client: MakeClient, recorder: Recorder, forge: str
) -> None:
    sent = placed_call(wang, sid="CA1")
    state = flows.checkin_call("zh", wang.id, sent.id)
    client = await make_client()
    signed_path, path = gather_path(state), gather_path(state)
    params = call_params(Digits="2")
    signed_params = dict(params)
    headers: dict[str, str] = {}
    if forge == "another host":
        headers = {"X-Twilio-Signature": signature(path, params, base=str(client.make_url("")).rstrip("/"))}
    elif forge == "another token":
        headers = {"X-Twilio-Signature": signature(path, params, token="not-our-token")}
    elif forge == "other digits":
        signed_params["Digits"] = "1"
    elif forge == "other state":
        path = gather_path(state.at("help"))
    if forge in ("other digits", "other state"):
        headers = {"X-Twilio-Signature": signature(signed_path, signed_params)}
    for route in (path, f"/twilio/voice?{state.to_query()}", "/twilio/voice/status"):
        sent_params = params | {"CallStatus": "busy"} if route.endswith("status") else params
        response = await client.post(route, data=sent_params, headers=headers)
        assert response.status == 403, (forge, route)
    assert rows_of_call("CA1") == []
    assert recorder.outcomes == []
    assert Message.get_by_id(sent.id).status == "sent"


async def test_a_replayed_gather_records_once(wang: Resident, make_client: MakeClient, recorder: Recorder) -> None:
    state = flows.checkin_call("zh", wang.id)
    client = await make_client()
    first = await post(client, gather_path(state), call_params(Digits="1"))
    again = await post(client, gather_path(state), call_params(Digits="1"))
    assert first == again
    assert first[0] == 200 and "已记录：您身体好" in first[1]
    assert recorder.outcomes == [Outcome("well")]
    assert [row.provider_id for row in rows_of_call("CA1")] == ["CA1:checkin.menu.0", "CA1:outcome"]


async def test_a_restart_between_answer_and_keys_still_records(
    wang: Resident, make_client: MakeClient, recorder: Recorder
) -> None:
    sent = placed_call(wang)
    state = flows.checkin_call("zh", wang.id, sent.id)
    before = await make_client()
    status, _ = await post(before, f"/twilio/voice?{state.to_query()}", call_params())
    assert status == 200
    await before.close()
    after = await make_client()  # a new process: nothing of the call in memory
    status, text = await post(after, gather_path(state), call_params(Digits="2"))
    assert status == 200 and 'numDigits="3"' in text
    temperature = state.at("temp")
    status, text = await post(after, gather_path(temperature), call_params(Digits="385"))
    assert "38.5" in text and "<Hangup />" in text
    assert recorder.outcomes == [Outcome("unwell", temperature_c=38.5, symptoms=("fever",))]
    assert recorder.seen[0][0].outbox_id == sent.id


async def test_silence_comes_back_without_digits(wang: Resident, make_client: MakeClient, recorder: Recorder) -> None:
    state = flows.checkin_call("zh", wang.id)
    client = await make_client()
    _, text = await post(client, gather_path(state), call_params())
    assert text == render_xml(flows.advance(state, None), base_url=PUBLIC)
    assert "没有听到您按键" in text
    _, text = await post(client, gather_path(state.at("menu", tries=1)), call_params())
    assert "没有收到您的回答" in text
    assert recorder.outcomes == [Outcome("no_input")]


async def test_status_callbacks_reach_the_outbox(wang: Resident, make_client: MakeClient, recorder: Recorder) -> None:
    busy = placed_call(wang, sid="CA2")
    client = await make_client()
    status, _ = await post(client, "/twilio/voice/status", call_params("CA2", CallStatus="busy"))
    assert status == 204
    assert Message.get_by_id(busy.id).status == "busy"
    assert recorder.outcomes == []


async def test_hanging_up_after_pressing_2_is_still_unwell(
    wang: Resident, make_client: MakeClient, recorder: Recorder
) -> None:
    sent = placed_call(wang, sid="CA3")
    state = flows.checkin_call("zh", wang.id, sent.id)
    client = await make_client()
    await post(client, gather_path(state), call_params("CA3", Digits="2"))
    await post(client, "/twilio/voice/status", call_params("CA3", CallStatus="completed", CallDuration="14"))
    assert Message.get_by_id(sent.id).status == "completed"
    assert recorder.outcomes == [Outcome("unwell")]


async def test_an_unknown_caller_on_the_hotline(community: object, make_client: MakeClient, recorder: Recorder) -> None:
    client = await make_client()
    status, text = await post(client, "/twilio/voice", call_params("CA4", outbound=False, peer=STRANGER))
    assert status == 200 and "求助热线" in text
    state = CallState("hotline", "ask", "zh", caller=STRANGER)
    assert gather_path(state).replace("&", "&amp;") in text
    _, text = await post(client, gather_path(state), call_params("CA4", outbound=False, peer=STRANGER, Digits="1"))
    assert "志愿者会尽快给您回电话" in text
    assert recorder.outcomes == [Outcome("help", need=f"hotline call from {STRANGER}")]


async def test_a_state_this_version_cannot_read_gets_a_polite_goodbye(
    community: object, make_client: MakeClient, recorder: Recorder
) -> None:
    client = await make_client()
    status, text = await post(client, "/twilio/voice/gather?flow=survey&s=q1&n=0&lang=zh", call_params(Digits="1"))
    assert status == 200
    assert text == render_xml(flows.apology("zh"), base_url=PUBLIC)
    assert recorder.outcomes == []
    assert not Message.select().where(Message.direction == "in").exists()


async def test_without_a_public_url_or_token_everything_is_refused(
    wang: Resident, make_client: MakeClient, recorder: Recorder
) -> None:
    state = flows.checkin_call("zh", wang.id)
    for settings in (twilio_settings(public_url=""), twilio_settings(auth_token="")):
        client = await make_client(settings)
        status, _ = await post(client, gather_path(state), call_params(Digits="1"))
        assert status == 403
    assert recorder.outcomes == []


async def test_the_voice_routes_join_the_servers_app_and_record_through_the_kit(wang: Resident) -> None:
    """The production wiring: linli.server.build_app with the voice routes as an extra route adder, its signature
    check and its database thread, and the real outcome recorder (kit.reports, kit.tasks)."""
    settings = Settings()
    settings.twilio = twilio_settings()

    def voice_routes(app: web.Application) -> None:
        add_voice_routes(app, settings.twilio)

    app = build_app(
        settings,
        receive=lambda *args, **kwargs: outbox.record_inbound(gateway="twilio", provider_id="x", peer="", body=""),
        process_pending=lambda limit=None: 0,
        record_status=outbox.record_status,
        extra_routes=[voice_routes],
    )
    sent = placed_call(wang, sid="CA9")
    state = flows.checkin_call("zh", wang.id, sent.id)
    async with TestClient(TestServer(app)) as client:
        status, text = await post(client, f"/twilio/voice?{state.to_query()}", call_params("CA9"))
        assert status == 200 and "王秀英您好" in text
        await post(client, gather_path(state), call_params("CA9", Digits="3"))
        _, text = await post(client, gather_path(state.at("help")), call_params("CA9", Digits="1"))
        assert "已记录：您需要买药" in text
        status, _ = await post(client, "/twilio/voice/status", call_params("CA9", CallStatus="completed"))
        assert status == 204
        status, _ = await post(client, gather_path(state), call_params("CA9", Digits="3"), sign=False)
        assert status == 403
    report = Report.get(Report.resident == wang.id)
    assert (report.channel, report.kind, report.text) == ("voice", "help", "买药")
    task = Task.get(Task.resident == wang.id)
    assert (task.kind, task.need, task.source) == ("help", "买药", "voice")
    assert Message.get_by_id(sent.id).status == "completed"


def test_the_state_in_a_url_is_what_twilio_signs() -> None:
    # The URL Twilio is given and signs is exactly the one the handler rebuilds: query order and encoding fixed.
    state = CallState("hotline", "number", "zh", tries=1, caller="+8613800000001")
    assert gather_path(state) == "/twilio/voice/gather?" + urlencode(
        [("flow", "hotline"), ("s", "number"), ("n", "1"), ("c", "+8613800000001"), ("lang", "zh")]
    )
