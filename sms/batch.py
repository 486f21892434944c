"""Acting on the inbox in batches: the nine o'clock burst of replies understood with a few statements per batch.

`process_pending` (the inbound worker's pass, re-exported by `sms.router`) takes the stored messages nobody acted
on yet, oldest first, up to `MOST` in a transaction. Each message ends exactly as `sms.router.process` would have left
it alone, in the same order:

- The messages, their senders, repeat counts and shared phones are read once per batch (`kit.replies`) and each is
  parsed, before the write transaction (as `process` reads its sender before its own); in the transaction, each is
  handed to the router's `_act`, as alone, unless another process acted on it meanwhile.
- A plain report (a resident's well, unwell or help from a phone of their own, `router.reports_plainly`) is not
  written at once: `_act` hands it over (`router.act_deferring`), and the reports waiting are written together by
  `kit.report_batch.record_reports`, with their messages marked handled in one statement.
- Anything else (STOP, START, a volunteer's DONE, a second contact, a stranger, the menu, a shared phone) is acted
  on at once in a savepoint of its own, after the reports waiting before it are written, so the order of effects
  is the order of the messages. A second report from a resident with one waiting writes the waiting ones first.

Decisions
- One failing message does not lose the others: when writing the waiting reports together fails, their savepoint
  is rolled back and each is acted on alone, in a savepoint of its own, so only the failing one ends in 'error'
  (with its alert) and the rest are handled. A message acted on alone that fails is undone alone the same way.
- A transaction holds SQLite's write lock, so it is bounded: it takes as many messages as the last one showed fit
  in `BATCH_SECONDS`, and no more after that long. The next leaves the lock free long enough for another writer
  that waited (the dispatcher, an operator) to get it first (`kit.busy.turn_gap`, as `kit.bulk.Turns` does), and
  the worker reads and parses the next messages in that time instead of sleeping through it.
- 100 ms, not less: a transaction costs about 15 ms whatever it holds (the volunteers, their loads and the
  community are read once per batch), and the lock is left free after each, so 5,000 replies took 3.9 s of CPU
  and 8.4 s in all in transactions of 20 ms, and 1.6 s and 2.3 s in transactions of 100 ms. Webhooks do not
  wait for these transactions (they land their messages in a file of their own, kit.landing); an operator waits
  at most one, well under the 200 ms a write may keep the others waiting.
- A batch that meets a lock held by another writer is rolled back whole: every message in it stays 'received'
  and the pass stops; the next pass tries them again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from kit import outbox, replies
from kit.busy import is_busy, turn_gap
from kit.community import get_community
from kit.db import is_sqlite, transaction
from kit.errors import LinliError
from kit.landing import Landing
from kit.models import Message
from kit.phones import sender_number
from kit.report_batch import ReportRequest, record_reports
from sms import router
from sms.parser import Intent, parse_reply

log = logging.getLogger(__name__)

MOST = 200  # messages acted on in one transaction, at most
BATCH_SECONDS = 0.1  # a transaction takes no more messages after this long, and takes as many as fit in it
FEWEST = 10  # ... but never fewer than this many, when there are (a transaction has its own cost, whatever it holds)
LANDED_MOST = 500  # messages moved from the landing in one transaction, at most (a few milliseconds)


def take_landed(landing: Landing) -> int:
    """Move what the webhook process landed (kit.landing) into the database, oldest first, `LANDED_MOST` in a
    transaction (`kit.outbox.record_inbound_all`: a copy of a message stored already is dropped there, the sender's
    number written as `router.receive` writes it), and forget it in the landing once the database has committed
    it. Returns how many were moved."""
    moved = 0
    while landed := landing.landed(LANDED_MOST):
        number = sender_number(lambda: get_community().region)
        outbox.record_inbound_all([(m.gateway, m.provider_id, number(m.peer), m.body, m.at) for m in landed])
        landing.forget(landed[-1].id)
        moved += len(landed)
    return moved


def process_pending(limit: int | None = None) -> int:
    """Act on every stored message not acted on yet, oldest first (see the module's doc). A message that fails is
    marked 'error' (an operator is alerted) so it cannot block the ones behind it; a lock held by another writer
    stops the pass with its batch left 'received'. Returns how many messages were acted on."""
    pending = replies.pending_inbound(limit)
    batch, pace = _Batch(), _Pace()
    done = position = 0
    while position < len(pending) or batch.messages:
        wanted = pace.fit - len(batch.messages)
        if wanted > 0 and position < len(pending):
            batch.read(replies.still_received(pending[position : position + wanted]))
            position += wanted
        if not batch.messages:
            continue  # all of them acted on by another process meanwhile
        count, stopped = _act_in_one_transaction(batch, pace)
        done += count
        if stopped:
            log.warning("inbound messages wait: the database is busy; the next pass tries them again")
            return done
    return done


class _Pace:
    """How many messages fit in a transaction of `BATCH_SECONDS`, learnt from the last one (the reports waiting are
    written at its end, so its length is set by how many it takes, not only by when it stops taking), and when the
    next may begin: after the last one, the write lock is left free as long as a writer that began waiting during
    it may sleep before trying again (`kit.busy.turn_gap`). The next messages are read meanwhile."""

    def __init__(self) -> None:
        self.fit = FEWEST
        self.free_until = 0.0

    def begin(self) -> None:
        """Wait until the lock has been left free long enough."""
        wait = self.free_until - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def took(self, messages: int, seconds: float) -> None:
        if messages:
            self.fit = max(FEWEST, min(MOST, int(messages * BATCH_SECONDS / max(seconds, 1e-4))))
        self.free_until = time.monotonic() + (turn_gap(seconds) if is_sqlite() else 0.0)


def _act_in_one_transaction(batch: _Batch, pace: _Pace) -> tuple[int, bool]:
    """Act on the messages of `batch` from the first, in one transaction, as many as `pace` says fit and until
    `BATCH_SECONDS` have passed. Returns how many it acted on, and whether a lock stopped it (then the transaction
    was rolled back: every message in it stays 'received')."""
    done = 0
    pace.begin()
    try:
        with transaction(), router.known_in_batch(batch.repeats, batch.shared):
            started = time.monotonic()
            still = replies.still_received_ids([m.id for m in batch.messages])
            while batch.messages and done < pace.fit and not (done and time.monotonic() - started > BATCH_SECONDS):
                message = batch.messages.pop(0)
                if message.id not in still:
                    continue  # another process acted on it meanwhile
                if batch.take(message) == router.BUSY:
                    batch.messages.clear()
                    return done, True
                done += 1
            batch.write_waiting()
        pace.took(done, time.monotonic() - started)
    except Exception as error:
        if not (is_busy(error) or isinstance(error, _Locked)):
            raise
        batch.messages.clear()
        return 0, True
    return done, False


class _Batch:
    """Messages read outside the write lock (their senders, repeat counts, shared phones and what they say), on
    their way: the plain reports waiting to be written together."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.senders: dict[int, replies.Sender] = {}
        self.repeats: dict[int, int] = {}
        self.shared: set[str] = set()
        self.intents: dict[int, Intent | None] = {}
        self.requests: list[ReportRequest] = []
        self.waiting: list[tuple[Message, Intent]] = []
        self.residents: set[int] = set()

    def read(self, messages: Sequence[Message]) -> None:
        """Add `messages`, with what is known about them, behind those still to act on."""
        self.messages.extend(messages)
        self.senders.update(replies.senders(messages))
        self.repeats.update(replies.repeat_counts(messages))
        self.shared |= replies.shared_phones(m.peer for m in messages if self.senders[m.id].resident is not None)
        self.intents.update((m.id, self._parsed(m)) for m in messages)

    def _parsed(self, message: Message) -> Intent | None:
        try:
            return parse_reply(message.body, router.language_of(self.senders[message.id]))
        except Exception:
            return None  # acted on alone, where the failure is recorded on the message

    def take(self, message: Message) -> str:
        """Act on `message`, now or with the reports waiting; returns what the router says of it (BUSY: a lock)."""
        sender, intent = self.senders[message.id], self.intents[message.id]
        if intent is None or not router.reports_plainly(intent, sender, message.peer in self.shared):
            return self._alone(message, sender)
        assert sender.resident is not None
        if sender.resident.id in self.residents:
            self.write_waiting()  # what this report finds depends on the one waiting
        asked = len(self.requests)
        try:
            outcome = router.act_deferring(message, intent, sender, self.requests)
        except Exception:
            del self.requests[asked:]
            return self._alone(message, sender)
        self.waiting.append((message, intent))
        self.residents.add(sender.resident.id)
        return outcome

    def _alone(self, message: Message, sender: replies.Sender) -> str:
        self.write_waiting()
        return router.process_in_batch(message, sender)

    def write_waiting(self) -> None:
        """Write the reports waiting, together; if that fails, act on their messages one at a time instead."""
        if not self.waiting:
            return
        requests, waiting = self.requests[:], self.waiting[:]
        self.requests.clear()
        self.waiting.clear()
        self.residents.clear()
        try:
            with transaction():
                record_reports(requests)
                outbox.mark_all_handled([(message.id, intent.as_dict()) for message, intent in waiting])
        except Exception as error:
            if is_busy(error):
                raise
            if not isinstance(error, LinliError):
                log.warning("writing %d reports together failed; acting on each alone", len(waiting), exc_info=True)
            for message, _ in waiting:
                if router.process_in_batch(message, self.senders[message.id]) == router.BUSY:
                    raise _Locked from error


class _Locked(Exception):
    """A message acted on alone met a lock after the batch had begun: the whole batch is rolled back."""
