"""Settling the dispatcher's rows left 'sending': a crashed dispatcher's, and its own while it runs.

A row is 'sending' from its claim until the gateway's answer is written. A dispatcher that died leaves it so: it is
reconciled with the provider (`Gateway.find_sent`) before it is ever sent again, found means sent, not found means
queue it again. A running dispatcher can leave its own rows so too, when another writer holds the database's lock
longer than the busy timeout: `Reconciler` settles those without waiting for a restart.

Decisions
- A send the provider accepted is kept in memory until it is written: a few short tries for the message that met
  the lock, then once per step (one transaction for all of them), so a batch the provider took never stays
  'sending' and is never sent again. Later sends of the same batch do not wait out the lock one by one.
- A row of its own whose outcome could not be written for another reason (the failure of a send met the lock,
  something raised mid-batch) is settled with the provider at the next step, like a crashed dispatcher's row.
- Another dispatcher's row is settled only when its process is gone or its lease has run out.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from kit.busy import is_busy
from kit.clock import utcnow
from kit.db import database, transaction
from kit.gateway import Gateway, GatewayError, Outgoing
from kit.message_kinds import decode
from kit.models import Message, MessageEvent

if TYPE_CHECKING:
    from kit.dispatcher import DispatchReport

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # an attempt older than this is reconciled even if its dispatcher looks alive
COMMIT_PAUSES = (0.05, 0.25)  # seconds between the tries to write an accepted send that met a lock


@dataclass(frozen=True)
class Accepted:
    """A send the provider accepted, not written yet."""

    message_id: int
    status: str
    provider_id: str
    at: datetime


def _claimant_alive(token: str) -> bool:
    host, _, rest = token.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit() or os.name == "nt":
        return True  # cannot tell: wait for the lease to run out
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Reconciler:
    """The dispatcher's settling half: what the provider accepted and is not written yet, and rows left 'sending'.
    `Dispatcher` builds on it."""

    def __init__(self, gateways: Mapping[str, Gateway], token: str, sleep: Callable[[float], None]) -> None:
        self.gateways = dict(gateways)  # by channel: "sms", "voice"
        self.by_name = {gateway.name: gateway for gateway in self.gateways.values()}  # every gateway of the pools
        self.token = token  # who claims: host, process, start time
        self.sleep = sleep
        self._accepted: list[Accepted] = []  # accepted by the provider, waiting for the lock to write them
        self._unsettled = False  # some row of ours may be left 'sending': settle it at the next step
        mark = database.param
        self._sql_sent = (
            f"UPDATE message SET status = {mark}, provider_id = {mark}, sent_at = {mark}, updated_at = {mark}, "
            f"error = '', error_code = '' WHERE id = {mark}"
        )
        self._sql_event = (
            f"INSERT INTO message_event (message_id, status, at, detail) VALUES ({mark}, {mark}, {mark}, '') "
            "ON CONFLICT DO NOTHING"
        )

    def _record_accepted(self, *, tries: int = 1) -> bool:
        """Write the sends the provider accepted (the hot path of every broadcast: two prepared statements each, in
        one short transaction). A lock held by another writer is waited out `tries` times with short pauses; then
        they stay in memory, their rows 'sending' and claimed by this dispatcher, and the next step writes them."""
        for attempt in range(tries):
            if attempt:
                self.sleep(COMMIT_PAUSES[min(attempt, len(COMMIT_PAUSES)) - 1])
            try:
                with transaction():
                    for sent in self._accepted:
                        at = sent.at
                        database.execute_sql(self._sql_sent, (sent.status, sent.provider_id, at, at, sent.message_id))
                        database.execute_sql(self._sql_event, (sent.message_id, "sent", at))
            except Exception as error:
                if not is_busy(error):
                    raise
                log.warning("%d accepted send(s) wait to be written: the database is busy", len(self._accepted))
                continue
            self._accepted.clear()
            return True
        return False

    def reconcile(self) -> DispatchReport:
        """Settle rows left 'sending' by a dispatcher that is gone: ask the provider before sending again."""
        from kit.dispatcher import DispatchReport  # the report of a pass lives with the dispatcher that fills it

        report = DispatchReport()
        now = utcnow()
        stale = list(
            Message.select().where(
                (Message.direction == "out") & (Message.status == "sending") & (Message.claimed_by != self.token)
            )
        )
        for message in stale:
            if _claimant_alive(message.claimed_by) and message.claimed_at and now - message.claimed_at < LEASE:
                continue
            self._settle(message, now, report)
        return report

    def _settle_own(self, report: DispatchReport) -> None:
        """Settle this dispatcher's own rows left 'sending' while it keeps running: first write the accepted sends
        it holds, then ask the provider about any other (found means sent, not found means queued again)."""
        if self._accepted and not self._record_accepted():
            return  # still locked: the next step tries again
        if not self._unsettled:
            return
        now = utcnow()
        own = Message.select().where(
            (Message.direction == "out") & (Message.status == "sending") & (Message.claimed_by == self.token)
        )
        settled = [self._settle(message, now, report) for message in list(own)]
        self._unsettled = not all(settled)

    def _settle(self, message: Message, now: datetime, report: DispatchReport) -> bool:
        """Ask the provider whether a row left 'sending' went out and write what it says; False if it could not
        say yet."""
        gateway = self.by_name.get(message.gateway) if message.gateway else self.gateways.get(message.channel)
        if gateway is None:  # bound to a gateway no longer configured: only it can say whether it sent the row
            log.warning("message %s waits for its gateway %r, which is not configured", message.id, message.gateway)
            return False
        since = (message.claimed_at or now) - timedelta(minutes=1)
        try:
            provider_id = gateway.find_sent(outgoing_of(message), since)
        except GatewayError as error:
            log.warning("could not reconcile message %s yet: %s", message.id, error)
            return False
        with transaction():
            if provider_id:
                Message.update(
                    status="sent", provider_id=provider_id, sent_at=message.claimed_at, updated_at=now
                ).where((Message.id == message.id) & (Message.status == "sending")).execute()
                MessageEvent.insert(
                    message=message.id, status="sent", at=now, detail="reconciled"
                ).on_conflict_ignore().execute()
                report.reconciled_sent += 1
            else:
                Message.update(status="queued", not_before=now, updated_at=now, claimed_by="").where(
                    (Message.id == message.id) & (Message.status == "sending")
                ).execute()
                report.reconciled_requeued += 1
        return True


def outgoing_of(message: Message) -> Outgoing:
    """What a gateway is handed: the row, with the message's kind (kit.message_kinds, e.g. ack_fever for a "reply"
    row) and the parameters its body was rendered with, which a template gateway sends instead of the body."""
    kind, params = decode(message.params)
    return Outgoing(
        message_id=message.id,
        channel=message.channel,
        peer=message.peer,
        body=message.body,
        language=message.language,
        kind=kind or message.kind,
        params=params,
    )
