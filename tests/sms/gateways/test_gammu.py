"""A modem through Gammu, tested with Gammu's real `dummy` driver (libGammu's code path, a folder for a phone).

The dummy driver encodes every part it is asked to send (so a part Gammu could not send fails here too) but writes
nothing for it and always answers reference 255; `Modem` below wraps the real state machine to keep what was sent,
number references as a real modem does, inject the errors a hung or unplugged modem gives, and hold delivery reports
(the dummy driver's folders keep received messages, not status reports).
"""

from __future__ import annotations

import copy
import shutil
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

gammu = pytest.importorskip("gammu")

from kit.clock import FixedClock  # noqa: E402
from kit.config import DispatchSettings, Settings  # noqa: E402
from kit.dispatcher import Dispatcher  # noqa: E402
from kit.errors import ConfigError  # noqa: E402
from kit.gateway import GatewayError, Outgoing  # noqa: E402
from kit.models import Community, Message  # noqa: E402
from kit.outbox import Draft, queue  # noqa: E402
from linli.cli.main import main  # noqa: E402
from sms import router  # noqa: E402
from sms.gateways.gammu import GammuGateway, build  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESIDENT = "+8613800000001"
CHECKIN = (
    "王阿姨您好，这里是幸福里社区志愿者。今天下午三点会停水两个小时，请提前储水。"
    "请回复1表示平安，回复2表示需要帮助，回复3表示需要有人上门看看。"
)


class Modem:
    """The real dummy modem, opened by the gateway through `connect`, with what tests need to see and to break."""

    def __init__(self) -> None:
        self.opens = 0
        self.sent: list[dict[str, Any]] = []
        self.fail_next: dict[str, BaseException] = {}  # method name -> error raised once instead of calling it
        self.reports: dict[int, dict[str, Any]] = {}  # location -> a delivery report waiting on the "modem"
        self._reference = 40
        self._reports_left: list[dict[str, Any]] = []
        self._folders_started = False
        self.machine: Any = None

    def connect(self, config: dict[str, Any]) -> Modem:
        machine = gammu.StateMachine()
        machine.SetConfig(0, config)
        machine.Init()
        self.machine = machine
        self.opens += 1
        return self

    def _maybe_fail(self, method: str) -> None:
        error = self.fail_next.pop(method, None)
        if error is not None:
            raise error

    def SendSMS(self, part: dict[str, Any]) -> int:
        self._maybe_fail("SendSMS")
        self.machine.SendSMS(part)
        self.sent.append(copy.deepcopy(part))
        self._reference += 1
        return self._reference

    def GetNextSMS(self, **where: Any) -> list[dict[str, Any]]:
        """The delivery reports first, then the dummy phone's folders."""
        self._maybe_fail("GetNextSMS")
        if where.get("Start"):
            self._reports_left = [self.reports[at] for at in sorted(self.reports)]
            self._folders_started = False
        if self._reports_left:
            return [self._reports_left.pop(0)]
        if not self._folders_started:
            self._folders_started = True
            return list(self.machine.GetNextSMS(Start=True, Folder=0))
        return list(self.machine.GetNextSMS(Location=where["Location"], Folder=0))

    def DeleteSMS(self, folder: int, location: int) -> None:
        self._maybe_fail("DeleteSMS")
        if self.reports.pop(location, None) is None:
            self.machine.DeleteSMS(folder, location)

    def GetSignalQuality(self) -> dict[str, int]:
        self._maybe_fail("GetSignalQuality")
        return dict(self.machine.GetSignalQuality())

    def Terminate(self) -> None:
        self.machine.Terminate()

    def report(self, reference: int, status: int, number: str = RESIDENT) -> None:
        location = 90_000 + len(self.reports)
        self.reports[location] = {
            "PDU": "Status_Report",
            "Location": location,
            "InboxFolder": 1,
            "Number": number,
            "MessageReference": reference,
            "DeliveryStatus": status,
        }


def gone(name: str) -> BaseException:
    error: BaseException = getattr(gammu, name)({"Text": "Error opening device.", "Where": "SendSMS", "Code": 4})
    return error


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    device = tmp_path / "modem"
    device.mkdir()
    return device


@pytest.fixture
def modem() -> Modem:
    return Modem()


@pytest.fixture
def gateway(folder: Path, modem: Modem, community: Community, fixed_clock: FixedClock) -> GammuGateway:
    options = {"kind": "gammu", "device": f"{folder}/", "connection": "none", "model": "dummy", "rate_per_minute": 10}
    return build("modem1", options, Settings(), connect=modem.connect)


def put_in_inbox(folder: Path, sender: str, text: str, at: datetime) -> int:
    """Place a received message (its parts, if long) in the dummy phone's inbox with Gammu's own API."""
    phone = gammu.StateMachine()
    phone.SetConfig(0, {"Device": f"{folder}/", "Connection": "none", "Model": "dummy", "StartInfo": False})
    phone.Init()
    unicode = any(ord(ch) > 127 for ch in text)
    parts = gammu.EncodeSMS(
        {"Class": -1, "Unicode": unicode, "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": text}]}
    )
    for part in parts:
        part.update(Folder=1, State="UnRead", Number=sender, PDU="Deliver", DateTime=at)
        part["SMSC"] = {"Location": 0, "Number": "+8613800100500"}
        phone.AddSMS(part)
    phone.Terminate()
    return len(parts)


def outgoing(body: str, message_id: int = 7, peer: str = RESIDENT) -> Outgoing:
    return Outgoing(message_id=message_id, channel="sms", peer=peer, body=body, language="zh", kind="checkin")


def stored(sender: str) -> list[Message]:
    return list(Message.select().where((Message.direction == "in") & (Message.peer == sender)).order_by(Message.id))


# --- sending ----------------------------------------------------------------------------------------------------


def test_a_long_chinese_checkin_goes_as_concatenated_ucs2_parts_asking_for_reports(
    gateway: GammuGateway, modem: Modem
) -> None:
    result = gateway.send(outgoing(CHECKIN))

    assert len(CHECKIN) > 70 and len(modem.sent) == 2
    assert {part["Coding"] for part in modem.sent} == {"Unicode_No_Compression"}
    assert [part["UDH"]["Type"] for part in modem.sent] == ["ConcatenatedMessages"] * 2
    assert [part["UDH"]["PartNumber"] for part in modem.sent] == [1, 2]
    assert {part["PDU"] for part in modem.sent} == {"Status_Report"}  # Gammu's flag for a delivery report
    assert {part["Number"] for part in modem.sent} == {RESIDENT}
    joined = gammu.DecodeSMS(modem.sent)
    assert "".join(entry["Buffer"] for entry in joined["Entries"]) == CHECKIN
    assert result.provider_id == "gammu:modem1:7:41,42" and result.status == "sent"


def test_an_ascii_text_goes_as_gsm7(gateway: GammuGateway, modem: Modem) -> None:
    gateway.send(outgoing("Reply 1 if you are well, 2 if you need help."))
    gateway.send(outgoing("Water is off 15:00-17:00 today; please fill a bucket. " * 4, message_id=8))

    assert [part["Coding"] for part in modem.sent] == ["Default_No_Compression"] * 3
    assert modem.sent[0]["UDH"]["Type"] == "NoUDH"


def test_a_number_the_modem_cannot_dial_is_refused_for_good(gateway: GammuGateway, modem: Modem) -> None:
    with pytest.raises(GatewayError) as refused:
        gateway.send(outgoing("hello", peer="call me"))
    assert refused.value.permanent and modem.sent == []

    modem.fail_next["SendSMS"] = gammu.ERR_INVALIDDATA({"Text": "Invalid data given to phone.", "Code": 44})
    with pytest.raises(GatewayError) as invalid:
        gateway.send(outgoing("hello"))
    assert invalid.value.permanent and invalid.value.code == "ERR_INVALIDDATA"
    assert modem.opens == 1  # the modem is fine: kept open


def test_a_modem_that_hangs_is_opened_again_at_the_next_send(gateway: GammuGateway, modem: Modem) -> None:
    modem.fail_next["SendSMS"] = gammu.ERR_TIMEOUT({"Text": "No response in specified timeout.", "Code": 14})
    with pytest.raises(GatewayError) as timed_out:
        gateway.send(outgoing("hello"))
    assert not timed_out.value.permanent and timed_out.value.code == "ERR_TIMEOUT"

    gateway.send(outgoing("hello"))
    assert modem.opens == 2 and len(modem.sent) == 1


def test_a_modem_unplugged_and_plugged_back_resumes_sending(
    gateway: GammuGateway, modem: Modem, folder: Path, tmp_path: Path
) -> None:
    gateway.send(outgoing("first"))
    shutil.move(folder, tmp_path / "unplugged")
    modem.fail_next["SendSMS"] = gone("ERR_DEVICENOTEXIST")  # what the driver answers when the port vanished

    for _ in range(2):
        with pytest.raises(GatewayError) as missing:
            gateway.send(outgoing("second"))
        assert not missing.value.permanent
        assert str(missing.value) == f"The modem {folder}/ of gateway modem1 is not there: is it plugged in?"
    assert modem.opens == 1  # nothing to open while it is away

    shutil.move(tmp_path / "unplugged", folder)
    assert gateway.send(outgoing("second")).provider_id.startswith("gammu:modem1:7:")
    assert modem.opens == 2 and [part["Number"] for part in modem.sent] == [RESIDENT, RESIDENT]


def test_the_pools_probe_brings_a_replugged_modem_back_without_spending_a_message(
    gateway: GammuGateway, modem: Modem, folder: Path, tmp_path: Path
) -> None:
    gateway.probe()
    shutil.move(folder, tmp_path / "unplugged")
    modem.fail_next["GetSignalQuality"] = gone("ERR_NOTCONNECTED")
    with pytest.raises(GatewayError, match="is not there: is it plugged in"):
        gateway.probe()

    shutil.move(tmp_path / "unplugged", folder)
    gateway.probe()
    gateway.send(outgoing("hello"))
    assert modem.opens == 2 and len(modem.sent) == 1


# --- configuration ----------------------------------------------------------------------------------------------


def test_a_missing_modem_at_start_is_one_clear_line(tmp_path: Path, modem: Modem) -> None:
    options = {"kind": "gammu", "device": "/dev/ttyUSB-linli-absent", "connection": "at"}
    with pytest.raises(ConfigError) as missing:
        build("modem1", options, Settings(), connect=modem.connect)
    assert str(missing.value) == "The modem /dev/ttyUSB-linli-absent of gateway modem1 is not there: is it plugged in?"
    assert modem.opens == 0


def test_without_python_gammu_the_modem_extra_is_named(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gammu", None)  # import gammu raises ImportError
    with pytest.raises(ConfigError, match=r"install Linli's modem extra \(pip install -e '\.\[modem\]'"):
        build("modem1", {"kind": "gammu", "device": str(folder), "connection": "none"}, Settings())


def test_the_cli_stops_with_one_line_when_the_modem_is_missing(tmp_path: Path, community: Community) -> None:
    config = tmp_path / "linli.toml"
    config.write_text(
        '[gateway]\nsms = ["modem1"]\n\n'
        '[gateways.modem1]\nkind = "gammu"\ndevice = "/dev/ttyUSB-linli-absent"\nconnection = "at"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["--config", str(config), "dispatch", "--once"])

    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "找不到短信猫：网关 modem1 的短信猫 /dev/ttyUSB-linli-absent 不在：插好了吗？"
    ]
    Community.update(languages="en").execute()
    english = CliRunner().invoke(main, ["--config", str(config), "dispatch", "--once"])
    assert english.stderr.splitlines() == [
        "Modem not found: The modem /dev/ttyUSB-linli-absent of gateway modem1 is not there: is it plugged in?"
    ]


@pytest.mark.parametrize(
    ("options", "line"),
    [
        ({"kind": "gammu", "connection": "at"}, "gateways.modem1.device is missing"),
        ({"kind": "gammu", "device": "/dev/null", "baud": 9600}, "gateways.modem1.baud is not a setting"),
        ({"kind": "gammu", "device": "/dev/null", "smsc": "the operator"}, "gateways.modem1.smsc must be"),
        ({"kind": "gammu", "device": "/dev/null", "model": 3}, "gateways.modem1.model must be text"),
    ],
)
def test_a_wrong_setting_is_one_line_naming_it(options: dict[str, Any], line: str, modem: Modem) -> None:
    with pytest.raises(ConfigError, match=line):
        build("modem1", options, Settings(), connect=modem.connect)


# --- receiving --------------------------------------------------------------------------------------------------


def test_received_messages_are_joined_stored_once_and_deleted_after(
    gateway: GammuGateway, folder: Path, modem: Modem
) -> None:
    reply = (
        "我很好，谢谢关心。今天血压有点高，已经吃了药，下午想请志愿者帮忙买一点菜和水果，如果方便的话请三点以后来。"
        "另外楼道的灯坏了，晚上上下楼不太方便。"
    )
    assert put_in_inbox(folder, "+8613800000002", reply, datetime(2026, 11, 20, 1, 2, 3)) == 2
    put_in_inbox(folder, RESIDENT, "1", datetime(2026, 11, 20, 1, 5, 0))

    modem.fail_next["DeleteSMS"] = gammu.ERR_TIMEOUT({"Text": "No response in specified timeout.", "Code": 14})
    with pytest.raises(GatewayError):
        gateway.poll(router.receive)  # stored the first message, then the modem hung before deleting it
    assert len(list((folder / "sms" / "1").iterdir())) == 3

    assert gateway.poll(router.receive) == 1  # the second is new; the first was stored already
    assert gateway.poll(router.receive) == 0
    [long_reply] = stored("+8613800000002")
    [short] = stored(RESIDENT)
    assert long_reply.body == reply and long_reply.gateway == "modem1"
    assert long_reply.created_at == datetime(2026, 11, 20, 1, 2, 3)
    assert short.body == "1"
    assert list((folder / "sms" / "1").iterdir()) == []


def test_a_long_message_waits_on_the_modem_until_all_its_parts_arrived(
    gateway: GammuGateway, folder: Path, modem: Modem
) -> None:
    text = (
        "请帮我看看三楼的李爷爷，他昨天晚上咳嗽得很厉害，今天早上也没有下楼买早饭，我敲门他没有回应，我很担心他。"
        "他的女儿在外地，我打她的电话一直没有人接，能不能请社区医生过来一趟？"
    )
    assert put_in_inbox(folder, RESIDENT, text, datetime(2026, 11, 20, 1, 2, 3)) == 2
    (folder / "sms" / "1" / "2").rename(folder.parent / "late-part")

    assert gateway.poll(router.receive) == 0
    assert stored(RESIDENT) == [] and len(list((folder / "sms" / "1").iterdir())) == 1

    (folder.parent / "late-part").rename(folder / "sms" / "1" / "2")
    assert gateway.poll(router.receive) == 1
    assert [row.body for row in stored(RESIDENT)] == [text]


def test_delivery_reports_mark_the_message_delivered_when_every_part_is(
    gateway: GammuGateway, modem: Modem, fixed_clock: FixedClock
) -> None:
    row = queue(Draft(peer=RESIDENT, body=CHECKIN, kind="checkin"))
    other = queue(Draft(peer="+8613800000003", body="Reply 1 if you are well.", kind="checkin"))
    dispatcher = Dispatcher({"sms": gateway}, DispatchSettings(rate_per_second=0), SHANGHAI)
    assert dispatcher.run_once().sent == 2
    assert Message.get_by_id(row.id).provider_id == f"gammu:modem1:{row.id}:41,42"

    modem.report(41, 0x00, number="8613800000001")  # the network's report may drop the +
    modem.report(99, 0x00)  # a report for a message Linli never sent: ignored, deleted
    assert gateway.poll(router.receive) == 0
    assert Message.get_by_id(row.id).status == "sent"  # one part of two so far

    modem.report(42, 0x00)
    modem.report(43, 0x41, number="+8613800000003")  # a permanent failure for the other resident
    gateway.poll(router.receive)
    assert Message.get_by_id(row.id).status == "delivered"
    failed = Message.get_by_id(other.id)
    assert failed.status == "undelivered" and failed.error_code == "TP-Status 0x41"
    assert modem.reports == {}


# --- after a crash ----------------------------------------------------------------------------------------------


def test_after_a_crash_a_send_the_modem_may_have_made_is_never_repeated(gateway: GammuGateway, modem: Modem) -> None:
    sent = gateway.send(outgoing("first", message_id=1))
    modem.fail_next["SendSMS"] = SystemExit()  # the kit stops while the modem is sending
    with pytest.raises(SystemExit):
        gateway.send(outgoing("second", message_id=2))
    modem.fail_next["SendSMS"] = gone("ERR_DEVICENOTEXIST")
    with pytest.raises(GatewayError):
        gateway.send(outgoing("third", message_id=3))

    since = datetime(2026, 11, 20)
    assert gateway.find_sent(outgoing("first", message_id=1), since) == sent.provider_id
    assert gateway.find_sent(outgoing("second", message_id=2), since) == "gammu:modem1:2:unconfirmed"
    assert gateway.find_sent(outgoing("third", message_id=3), since) is None  # refused: send it again
    assert gateway.find_sent(outgoing("fourth", message_id=4), since) is None  # never reached the modem
