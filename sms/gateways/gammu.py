"""A GSM/LTE modem (or an old phone on a USB cable) through Gammu, with python-gammu: `kind = "gammu"`.

    [gateways.modem1]
    kind = "gammu"
    device = "/dev/ttyUSB0"     # the modem's serial port
    connection = "at"           # Gammu's connection: at, at115200, ...; "none" with model = "dummy" in tests
    model = ""                  # optional: Gammu's model (empty lets Gammu find out)
    smsc = ""                   # optional: the message centre's number; empty uses the one on the SIM

A modem is asked, never called back: the runtime calls `poll(receive)` every `poll_seconds` (a common setting) to
read what arrived, and delivery reports arrive as messages among them.

Decisions
- The modem is opened lazily and dropped on any error that is not the message's own fault (timeout, device gone,
  not connected): the next send or poll opens it again, so a modem that hung and was re-plugged comes back by
  itself. Only a device missing when the kit starts stops it (ConfigError: one line, exit 2); later, a missing
  device is a transient failure the pool fails over from.
- One lock around every call into libGammu: the dispatcher sends and the scheduler polls from two threads, and a
  Gammu state machine talks to one serial port.
- A text that is not GSM-7 goes out as UCS-2, split into concatenated parts by Gammu, each part asking for a
  delivery report. The provider id is `gammu:NAME:MESSAGE_ID:REF1,REF2`: the modem's message references wrap at
  256, so the outbox id keeps it unique; a report is matched by reference and number to the newest row still
  'sent', and a message is delivered once every part's report said so (parts seen delivered are kept in memory:
  after a restart a half-reported message stays 'sent').
- If some parts of a message went out before the modem failed, the whole message is retried: the resident may read
  its first parts twice, but never gets half a question.
- A modem cannot be asked what it sent. So each send is written to a small journal (the settings table) before
  the modem is handed the message and completed with its references after. After a crash, `find_sent` answers
  from it: a completed entry gives its provider id; an entry begun but never completed (the kit stopped while the
  modem was sending) counts as sent (`...:unconfirmed`, no delivery report will match it) because a message must
  never go out twice; a row with no entry never reached the modem and is queued again. A send that raised removes
  its entry: the dispatcher retries it (a timeout mid-send is the one case that may repeat a message).
- An inbound message's id is its sender, the service centre's timestamp, its concatenation (or message) reference
  and a digest of the text: stable across polls, so a message stored but not yet deleted (the kit stopped in
  between) is stored once. Parts are deleted from the modem only after the message is stored; the parts of a
  long message wait on the modem until all of them have arrived.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from kit import outbox
from kit.config import COMMON_GATEWAY_KEYS, Settings
from kit.errors import ConfigError
from kit.gateway import GatewayError, Outgoing, SendResult
from kit.models import Message, get_setting, put_setting
from kit.segments import analyze
from sms.webhooks import Receive, RecordStatus

log = logging.getLogger(__name__)

KIND = "gammu"
KEYS = ("device", "connection", "model", "smsc")
JOURNAL_SIZE = 200  # sends remembered for find_sent: far more than a dispatcher claims at once
REPORT_WINDOW = 500  # recent 'sent' rows of this modem searched for a delivery report's reference
# The modem refused this message as it is (a number it cannot encode); after any other error it is opened again.
PERMANENT = frozenset({"ERR_INVALIDDATA"})
_NUMBER = re.compile(r"^\+?\d{3,20}$")

Connect = Callable[[dict[str, Any]], Any]  # opens a modem from Gammu's settings; tests wrap the real one


def build(name: str, options: Mapping[str, Any], settings: Settings, *, connect: Connect | None = None) -> GammuGateway:
    """A GammuGateway for [gateways.NAME]; ConfigError for a wrong setting, a missing python-gammu, or a device
    that is not there."""
    where = f"gateways.{name}"
    for key in options:
        if key not in KEYS and key not in COMMON_GATEWAY_KEYS:
            raise ConfigError("gammu.unknown_setting", where=where, option=key, known=", ".join(KEYS))
    for key in KEYS:
        if key in options and not isinstance(options[key], str):
            raise ConfigError("gateway.not_text", setting=f"{where}.{key}", value=options[key])
    device = str(options.get("device", "")).strip()
    if not device:
        raise ConfigError("gammu.no_device", where=where)
    connection = str(options.get("connection", "at")).strip() or "at"
    model = str(options.get("model", "")).strip()
    smsc = str(options.get("smsc", "")).strip()
    if smsc and not _NUMBER.match(smsc):
        raise ConfigError("gammu.smsc", where=where, value=smsc)
    if connect is None:
        connect = _gammu_connect()
    gateway = GammuGateway(name, device=device, connection=connection, model=model, smsc=smsc, connect=connect)
    if gateway.device_missing():
        raise ConfigError("gammu.modem_missing", device=device, name=name, title="modem_not_found")
    gateway.poll_seconds = float(options.get("poll_seconds", 10))
    return gateway


def _gammu_connect() -> Connect:
    try:
        import gammu
    except ImportError as error:
        raise ConfigError("gammu.not_installed", title="gammu_not_installed") from error

    def connect(config: dict[str, Any]) -> Any:
        machine = gammu.StateMachine()
        machine.SetConfig(0, config)
        machine.Init()
        return machine

    return connect


class GammuGateway:
    """kit.gateway.Gateway for SMS through one modem, plus `poll` for what it received."""

    channel = "sms"

    def __init__(self, name: str, *, device: str, connection: str, model: str, smsc: str, connect: Connect) -> None:
        self.name = name
        self.device = device
        self.connection = connection
        self.model = model
        self.smsc = smsc
        self.poll_seconds = 10.0
        self._connect = connect
        self._machine: Any = None
        self._lock = threading.Lock()
        self._delivered: dict[int, set[int]] = {}  # message id -> references whose report said delivered
        self._journal_key = f"gammu.{name}.journal"

    # --- the modem ------------------------------------------------------------------------------------------

    def device_missing(self) -> bool:
        """True when the device is a path (a serial port, the dummy driver's folder) that is not there."""
        return self.device.startswith("/") and not os.path.exists(self.device)

    def missing_line(self) -> str:
        return f"The modem {self.device} of gateway {self.name} is not there: is it plugged in?"

    def _opened(self) -> Any:
        """The open modem, opening it first if needed; GatewayError (transient) when it cannot be opened."""
        if self._machine is not None:
            return self._machine
        if self.device_missing():
            raise GatewayError(self.missing_line(), code="ERR_DEVICENOTEXIST")
        config = {
            "Device": self.device,
            "Connection": self.connection,
            "Model": self.model,
            "StartInfo": False,
            "SyncTime": False,
            "UseGlobalDebugFile": False,
        }
        try:
            self._machine = self._connect(config)
        except Exception as error:
            raise self._error(error, "open") from error
        log.info("modem %s of gateway %s is open", self.device, self.name)
        return self._machine

    def probe(self) -> None:
        """Open the modem and ask its signal strength (the pool's test of a modem it took out); GatewayError if it
        does not answer. No message is spent on it."""
        with self._lock:
            machine = self._opened()
            try:
                machine.GetSignalQuality()
            except Exception as error:
                raise self._error(error, "answer") from error

    def _drop(self) -> None:
        """Forget the modem after it failed; the next call opens it again."""
        machine, self._machine = self._machine, None
        if machine is not None:
            try:
                machine.Terminate()
            except Exception as error:  # a modem that went away cannot be closed cleanly; it is dropped anyway
                log.info("closing modem %s of gateway %s: %s", self.device, self.name, _describe(error))

    def _error(self, error: Exception, doing: str, peer: str = "") -> GatewayError:
        """Map a Gammu error onto GatewayError, dropping the modem unless the message itself was refused."""
        code = type(error).__name__
        if code in PERMANENT:
            target = f" to {peer}" if peer else ""
            return GatewayError(
                f"The modem of gateway {self.name} refused the message{target}: {_describe(error)} ({code}).",
                code=code,
                permanent=True,
            )
        self._drop()
        if code in ("ERR_DEVICENOTEXIST", "ERR_DEVICEOPENERROR") or self.device_missing():
            return GatewayError(self.missing_line(), code=code)
        return GatewayError(
            f"The modem {self.device} of gateway {self.name} could not {doing}: {_describe(error)} ({code}).",
            code=code,
        )

    # --- sending ----------------------------------------------------------------------------------------------

    def send(self, message: Outgoing) -> SendResult:
        number = message.peer.strip()
        if not _NUMBER.match(number):
            raise GatewayError(
                f"The modem cannot send to {number!r}: not a phone number.", code="invalid-number", permanent=True
            )
        parts = self._encode(message.body)
        with self._lock:
            machine = self._opened()
            self._journal(message.message_id, "")
            references: list[int] = []
            try:
                for part in parts:
                    part["Number"] = number
                    part["SMSC"] = {"Number": self.smsc} if self.smsc else {"Location": 1}
                    part["PDU"] = "Status_Report"  # Gammu's way of asking for a delivery report on a submit
                    references.append(int(machine.SendSMS(part)))
            except Exception as error:
                self._journal(message.message_id, None)
                raise self._error(error, "send the message", number) from error
        provider_id = f"gammu:{self.name}:{message.message_id}:{','.join(str(ref) for ref in references)}"
        self._journal(message.message_id, provider_id)
        return SendResult(provider_id=provider_id, status="sent")

    def _encode(self, body: str) -> list[dict[str, Any]]:
        import gammu

        unicode = analyze(body).encoding != "GSM-7"
        info = {"Class": -1, "Unicode": unicode, "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": body}]}
        return list(gammu.EncodeSMS(info))

    def _journal(self, message_id: int, provider_id: str | None) -> None:
        """Note a send begun (""), completed (its provider id) or failed (None: the entry goes)."""
        try:
            entries: dict[str, str] = json.loads(get_setting(self._journal_key, "{}") or "{}")
            key = str(message_id)
            entries.pop(key, None)
            if provider_id is not None:
                entries[key] = provider_id
            put_setting(self._journal_key, json.dumps(dict(list(entries.items())[-JOURNAL_SIZE:])))
        except Exception as error:
            if provider_id == "":  # not noted before the send: do not send, or a crash could send it twice
                raise GatewayError(f"Could not note the send before handing it to the modem: {error}") from error
            log.warning("could not note the outcome of message %s in the modem's journal: %s", message_id, error)

    # --- after a crash ----------------------------------------------------------------------------------------

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        """From the journal (the modem cannot be asked): the provider id of a completed send, an `unconfirmed` id
        for one the kit stopped in the middle of, None for one that never reached the modem."""
        try:
            entries: dict[str, str] = json.loads(get_setting(self._journal_key, "{}") or "{}")
        except Exception as error:  # the reconciler waits and asks again; the row stays 'sending' meanwhile
            raise GatewayError(f"Could not read gateway {self.name}'s journal of sends: {error}") from error
        found = entries.get(str(message.message_id))
        if found is None:
            return None
        return found or f"gammu:{self.name}:{message.message_id}:unconfirmed"

    # --- receiving --------------------------------------------------------------------------------------------

    def poll(self, receive: Receive, record_status: RecordStatus | None = None) -> int:
        """Store what the modem received (each message once), apply the delivery reports among it, and delete both
        from the modem once stored. Returns how many messages were new. GatewayError when the modem cannot be
        read (it is opened again at the next poll)."""
        import gammu

        statuses = record_status or outbox.record_status
        new = 0
        with self._lock:
            machine = self._opened()
            try:
                received = _read_inbox(machine, gammu)
                messages = [entry for entry in received if entry[0].get("PDU") != "Status_Report"]
                for entry in received:
                    if entry[0].get("PDU") == "Status_Report":
                        self._report(entry[0], statuses)
                        machine.DeleteSMS(0, entry[0]["Location"])
                for parts in gammu.LinkSMS(messages):
                    if not _complete(parts):
                        continue  # the other parts have not arrived yet: they wait on the modem
                    new += self._store(parts, receive, gammu)
                    for part in parts:
                        machine.DeleteSMS(0, part["Location"])
            except gammu.GSMError as error:
                raise self._error(error, "read its messages") from error
        return new

    def _store(self, parts: list[dict[str, Any]], receive: Receive, gammu: Any) -> int:
        decoded = gammu.DecodeSMS(parts)
        if decoded and decoded.get("Entries"):
            body = "".join(str(entry.get("Buffer") or "") for entry in decoded["Entries"])
        else:
            body = "".join(str(part.get("Text") or "") for part in parts)
        first = parts[0]
        sender = str(first.get("Number") or "")
        at = _naive_utc(first.get("DateTime"))
        _, created = receive(self.name, _inbound_id(first, sender, at, body), sender, body, at=at)
        return int(created)

    def _report(self, report: dict[str, Any], record_status: RecordStatus) -> None:
        """Apply one delivery report (TP-Status: below 0x20 delivered, below 0x40 still trying, else failed)."""
        reference = int(report.get("MessageReference") or 0)
        status = int(report.get("DeliveryStatus") or 0)
        row = self._sent_row(reference, str(report.get("Number") or ""))
        if row is None:
            log.info(
                "gateway %s: a delivery report for a message Linli does not know (reference %s)", self.name, reference
            )
            return
        if 0x20 <= status < 0x40:
            return
        if status >= 0x40:
            self._delivered.pop(row.id, None)
            record_status(
                row.provider_id,
                "undelivered",
                gateway=self.name,
                error_code=f"TP-Status {status:#04x}",
                error="the network could not deliver the message",
            )
            return
        done = self._delivered.setdefault(row.id, set())
        done.add(reference)
        if done >= set(_references(row.provider_id)):
            self._delivered.pop(row.id, None)
            record_status(row.provider_id, "delivered", gateway=self.name)

    def _sent_row(self, reference: int, number: str) -> Message | None:
        """The newest row this modem sent with `reference` among its parts to `number`."""
        tail = re.sub(r"\D", "", number)[-8:]
        rows: Iterable[Message] = (
            Message.select(Message.id, Message.peer, Message.provider_id)
            .where(
                (Message.direction == "out")
                & (Message.gateway == self.name)
                & (Message.status == "sent")
                & Message.provider_id.startswith(f"gammu:{self.name}:")
            )
            .order_by(Message.id.desc())
            .limit(REPORT_WINDOW)
        )
        for row in rows:
            if reference in _references(row.provider_id) and re.sub(r"\D", "", row.peer).endswith(tail):
                return row
        return None


def _read_inbox(machine: Any, gammu: Any) -> list[list[dict[str, Any]]]:
    """Every message in the modem's inbox folders, as Gammu lists them (one list of parts per location)."""
    found: list[list[dict[str, Any]]] = []
    entry: list[dict[str, Any]] | None = None
    while True:
        try:
            if entry is None:
                entry = machine.GetNextSMS(Start=True, Folder=0)
            else:
                entry = machine.GetNextSMS(Location=entry[0]["Location"], Folder=0)
        except gammu.ERR_EMPTY:
            return found
        if entry and entry[0].get("InboxFolder"):
            found.append(entry)


def _complete(parts: list[dict[str, Any]]) -> bool:
    udh = parts[0].get("UDH") or {}
    expected = int(udh.get("AllParts") or -1)
    return expected <= 1 or len(parts) >= expected


def _inbound_id(first: dict[str, Any], sender: str, at: datetime | None, body: str) -> str:
    udh = first.get("UDH") or {}
    reference = next(
        (value for value in (udh.get("ID16bit"), udh.get("ID8bit")) if isinstance(value, int) and value >= 0),
        int(first.get("MessageReference") or 0),
    )
    stamp = at.strftime("%Y%m%d%H%M%S") if at else "-"
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:10]
    return f"{sender}/{stamp}/{reference}/{digest}"


def _references(provider_id: str) -> list[int]:
    tail = provider_id.rsplit(":", 1)[-1]
    return [int(part) for part in tail.split(",") if part.isdigit()]


def _naive_utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is None else value.astimezone(timezone.utc).replace(tzinfo=None)


def _describe(error: BaseException) -> str:
    detail = error.args[0] if error.args else error
    text = str(detail.get("Text", "")) if isinstance(detail, dict) else str(detail)
    return text.rstrip(".") or type(error).__name__
