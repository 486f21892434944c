"""Bodies a provider would never send: bytes that are not UTF-8 get 400 and nothing is stored, on every route.

The app is the kit's own (`linli.server.build_app`, SMS and voice routes) on aiohttp's test client; the database
calls run inline. The signature header is present (anything), so the body is read: the answer must still be 400,
never a 500 from a decoding error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ivr.webhooks import add_voice_routes
from kit import outbox
from kit.config import Settings
from kit.models import Community, Message, MessageEvent
from linli.server import build_app
from sms.webhooks import run_inline

Client = TestClient[web.Request, web.Application]

PUBLIC = "https://linli.example.org"
FORM = "application/x-www-form-urlencoded"
ROUTES = ["/twilio/sms", "/twilio/sms/status", "/twilio/voice", "/twilio/voice/gather", "/twilio/voice/status"]


def _nothing_pending(limit: int | None = None) -> int:
    return 0


@pytest.fixture
async def client(community: Community) -> AsyncIterator[Client]:
    settings = Settings()
    settings.twilio.public_url = PUBLIC
    settings.twilio.auth_token = "bodies-test-token"

    def voice(app: web.Application) -> None:
        add_voice_routes(app, settings.twilio)

    app = build_app(
        settings,
        receive=lambda *a, **k: outbox.record_inbound(gateway=a[0], provider_id=a[1], peer=a[2], body=a[3]),
        process_pending=_nothing_pending,
        record_status=outbox.record_status,
        extra_routes=[voice],
        run_blocking=run_inline,
    )
    test_client = TestClient(TestServer(app))
    await test_client.start_server()
    yield test_client
    await test_client.close()


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"From=%2B8613800000001&MessageSid=SM1&CallSid=CA1&Body=\xff\xfe3", FORM),
        (b"From=%2B8613800000001&Body=\xe4\xb9", FORM + "; charset=utf-8"),
        ("From=+8613800000001&Body=买药".encode("gbk"), FORM),
        (b"From=%2B8613800000001&Body=%FF%FE3", FORM),
        (b"From=%2B8613800000001&Body=3", FORM + "; charset=no-such-charset"),
    ],
    ids=["latin bytes", "cut in the middle of a character", "gbk undeclared", "percent-encoded", "unknown charset"],
)
async def test_a_body_that_is_not_utf8_is_a_400_and_nothing_is_stored(
    client: Client, path: str, body: bytes, content_type: str
) -> None:
    response = await client.post(
        path, data=body, headers={"Content-Type": content_type, "X-Twilio-Signature": "c2lnbmF0dXJl"}
    )
    assert response.status == 400
    assert "UTF-8" in await response.text()
    assert Message.select().count() == 0
    assert MessageEvent.select().count() == 0
