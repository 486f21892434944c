"""The webhook server in a process of its own (linli.webhook_process): it stores and answers, this process
understands what it stored, and the two start and stop together."""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit import ui_words
from kit.config import Settings
from kit.errors import ConfigError
from kit.landing import Landing, landing_path
from kit.models import Message, Report
from kit.residents import ResidentInput, add_resident
from linli.runtime import Runtime
from linli.server import WebhookServer
from linli.webhook_process import WebhookProcess, webhook_server
from sms import router
from tests.fakes.twilio_server import FakeTwilio

PUBLIC = "https://linli.example.org"
WANG = "+8613800000001"


class Understood:
    """sms.router.process_pending, telling the test when it has acted on a message."""

    def __init__(self) -> None:
        self.done = threading.Event()

    def __call__(self, limit: int | None = None) -> int:
        count = router.process_pending(limit)
        if count:
            self.done.set()
        return count


def settings(fake: FakeTwilio) -> Settings:
    config = Settings()
    config.twilio.public_url = PUBLIC
    config.twilio.auth_token = fake.auth_token
    return config


@pytest.fixture
def fake(fixed_clock: object) -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def wang(community: object) -> None:
    add_resident(ResidentInput(name="王芳", phone=WANG, grid="东区"))


def listens(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_reply_stored_by_the_webhook_process_is_understood_here(wang: None, fake: FakeTwilio, database: Path) -> None:
    understood = Understood()
    with WebhookProcess(settings(fake), str(database), process_pending=understood, host="127.0.0.1", port=0) as server:
        assert server.process.pid is not None and server.process.is_alive()
        params = fake.inbound_params("SM" + "a" * 32, WANG, "2 发烧 38.5")
        answer = fake.post_signed(f"{server.url}/twilio/sms", params, signed_url=f"{PUBLIC}/twilio/sms")
        assert answer.status_code == 200
        assert understood.done.wait(30)
    [message] = Message.select().where(Message.direction == "in")
    assert (message.body, message.status) == ("2 发烧 38.5", "handled")
    assert [(r.kind, r.temperature_c) for r in Report.select()] == [("unwell", 38.5)]


def test_the_webhook_stores_and_answers_while_another_writer_holds_the_database(
    wang: None, fake: FakeTwilio, database: Path
) -> None:
    """The webhook process lands what it receives in a file of its own (kit.landing): a transaction of the inbound
    worker or of an operator never keeps a provider waiting. The reply is understood once the lock is free."""
    understood = Understood()
    with WebhookProcess(settings(fake), str(database), process_pending=understood, host="127.0.0.1", port=0) as server:
        writer = sqlite3.connect(database, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # held for longer than the webhook would wait for it (LOCK_SECONDS)
        try:
            params = fake.inbound_params("SM" + "b" * 32, WANG, "1")
            answer = fake.post_signed(f"{server.url}/twilio/sms", params, signed_url=f"{PUBLIC}/twilio/sms")
            assert answer.status_code == 200
            landed = sqlite3.connect(landing_path(database))
            assert landed.execute("SELECT provider_id, body FROM landed").fetchall() == [("SM" + "b" * 32, "1")]
            landed.close()
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        assert understood.done.wait(30)
    [message] = Message.select().where(Message.direction == "in")
    assert (message.body, message.status) == ("1", "handled")


def test_what_landed_before_a_crash_is_understood_when_the_kit_starts_again(
    wang: None, fake: FakeTwilio, database: Path
) -> None:
    landing = Landing(landing_path(database))  # stored and answered; then the kit stopped before moving it in
    with landing.transaction():
        landing.receive("twilio", "SM" + "c" * 32, WANG, "2 38度6")
    landing.close()
    understood = Understood()
    with WebhookProcess(settings(fake), str(database), process_pending=understood, host="127.0.0.1", port=0):
        assert understood.done.wait(30)
    [message] = Message.select().where(Message.direction == "in")
    assert (message.body, message.status) == ("2 38度6", "handled")
    assert [(r.kind, r.temperature_c) for r in Report.select()] == [("unwell", 38.6)]


def test_stopping_stops_the_webhook_process_and_frees_its_port(wang: None, fake: FakeTwilio, database: Path) -> None:
    server = WebhookProcess(settings(fake), str(database), process_pending=router.process_pending, port=0).start()
    process, port = server.process, server.port
    assert listens(port)
    server.stop()
    assert process.exitcode == 0  # it stopped when asked, not terminated
    assert not listens(port)
    server.stop()  # stopping twice is harmless


def test_the_webhook_process_ends_when_this_process_is_gone(wang: None, fake: FakeTwilio, database: Path) -> None:
    server = WebhookProcess(settings(fake), str(database), process_pending=router.process_pending, port=0).start()
    process = server.process
    assert server._to_child is not None
    server._to_child.close()  # as when this process dies: the child's end of the pipe closes
    process.join(30)
    assert process.exitcode == 0
    server.stop()


def test_a_port_in_use_is_a_config_error(wang: None, fake: FakeTwilio, database: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = WebhookProcess(settings(fake), str(database), process_pending=router.process_pending, port=port)
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            server.start()
    assert server.process is None  # nothing left running


def test_the_childs_error_is_in_the_readers_language(wang: None, fake: FakeTwilio, database: Path) -> None:
    ui_words.use_language("zh")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = WebhookProcess(settings(fake), str(database), process_pending=router.process_pending, port=port)
        with pytest.raises(ConfigError) as raised:
            server.start()
    assert raised.value.title == "Webhook 服务没有启动"
    assert raised.value.message.startswith(f"Webhook 服务无法在 127.0.0.1:{port} 上监听：")
    assert raised.value.message.endswith("请修改 server.port（或者停掉占用它的程序）。")


def test_linli_serve_runs_the_webhooks_in_their_own_process_on_a_file(
    wang: None, fake: FakeTwilio, database: Path
) -> None:
    runtime = Runtime(settings(fake), webhooks=True, host="127.0.0.1", port=0)
    assert isinstance(runtime.server, WebhookProcess)
    runtime.start()
    try:
        assert listens(runtime.server.port)
    finally:
        runtime.stop()
    assert runtime.server.process is None


def test_gateways_handed_in_keep_the_webhooks_on_a_thread(wang: None, fake: FakeTwilio, database: Path) -> None:
    server = webhook_server(settings(fake), {}, host="127.0.0.1", port=0, own_process=False)
    assert isinstance(server, WebhookServer)
