"""The inbound SMS router, in plain phases: (authenticate: the webhook, before this), record, parse, act, reply.

`receive` records a message in the inbox (idempotent on the provider's id) and nothing else, so a webhook answers
fast. `process` parses and acts on one recorded message, once: every effect and every reply is written in one
transaction, and replies only go into the outbox (the dispatcher sends them). `handle` does both.

Who says what:
- anybody: STOP / 退订 opts the number out (no reply: the carrier confirms); START / 订阅 opts it back in.
- a resident: 1 / 2 / 3 and the many ways of saying them become a health report (`kit.reports`).
- a volunteer: "DONE 12" / "完成 12" completes their own task 12 ("DONE" alone, when they have one task).
- a resident's second contact, after we asked them about the resident: "1" (or any report) is taken as the
  resident's answer; anything else is shown to an operator.
- a reply nobody understands is answered with the menu once per number per local day, never in a loop.
- a number we do not know gets no reply; an operator sees it (an alert, once per number per day).
- an auto-responder's text ("自动回复", "out of office") gets no reply and changes nothing; the same text from the
  same number arriving `REPEATS` times in a local day is acted on but not answered again. Two machines answering
  each other never loop, and the dispatcher caps replies per number per day (`max_replies_per_number_per_day`).
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from kit import outbox, replies
from kit.alerts import raise_alert
from kit.busy import is_busy
from kit.clock import utcnow
from kit.community import community_zone, get_community
from kit.db import transaction
from kit.errors import Conflict, InvalidPhone, LinliError, NotFound
from kit.escalation import hand_on_unreached
from kit.localtime import local_date
from kit.models import Message, Resident, Volunteer
from kit.phones import normalize_phone
from kit.reports import record_report
from kit.tasks import complete_task
from kit.templates import render
from sms.parser import Intent, parse_reply

log = logging.getLogger(__name__)

BUSY = "busy"  # what `process` says when another writer held the lock: nothing done, try again later
REPEATS = 3  # the same text from one number this often in a local day is answered no more
BATCH = 200  # messages acted on together, in one transaction, by `process_pending`
BATCH_SECONDS = 0.05  # ... or fewer: a batch commits after this long, so the webhooks' writes wait no longer
_REPEATS_KNOWN: ContextVar[dict[int, int] | None] = ContextVar("repeats_known", default=None)  # a batch's counts


_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def receive(
    gateway: str, provider_id: str, peer: str, body: str, *, at: datetime | None = None
) -> tuple[Message, bool]:
    """Record an inbound SMS (the sender's number normalised to E.164 when it can be, else kept as it came).
    Returns the message and whether it was new; a provider's retry returns the first one and False."""
    number = peer.strip()
    if not _E164.match(number):  # providers send E.164 already; the simulator and people may not
        with contextlib.suppress(InvalidPhone):
            number = normalize_phone(peer, get_community().region)
    return outbox.record_inbound(gateway=gateway, provider_id=provider_id, peer=number, body=body, at=at)


def handle(gateway: str, provider_id: str, peer: str, body: str, *, at: datetime | None = None) -> Message:
    """Record and act on an inbound SMS (the simulator and tests use this). Returns the message as it ends up."""
    message, _ = receive(gateway, provider_id, peer, body, at=at)
    process(message.id)
    return Message.get_by_id(message.id)


def process_pending(limit: int | None = None) -> int:
    """Act on every recorded message not acted on yet, oldest first: the webhook's worker calls it after each
    message, and it picks up what a crash or a locked database left 'received'. A message that fails is marked
    'error' (an operator is alerted) so it cannot block the ones behind it. A message that meets a lock held by
    another writer stays 'received' and the pass stops there: the next pass tries it again. Returns how many were
    processed.

    Decisions
    - `BATCH` messages are acted on in one transaction, each in a savepoint of its own, after loading their senders
      and repeat counts in a few queries (`kit.replies`): one commit and a handful of queries per batch instead of
      a dozen per message, and each message ends exactly as `process` would have left it alone.
    - A batch holds the write lock while it works, so it also ends after `BATCH_SECONDS`: the webhooks store new
      messages between two batches, never waiting behind a long one."""
    pending = replies.pending_inbound(limit)
    done = position = 0
    while position < len(pending):
        taken, count, stopped = _process_batch(pending[position : position + BATCH])
        done += count
        position += taken
        if stopped:
            break
    return done


def _process_batch(ids: list[int]) -> tuple[int, int, bool]:
    """Act on the messages `ids` (or the first of them, when time is up) in one transaction. Returns how many of
    `ids` it dealt with, how many it processed, and whether a lock stopped it."""
    taken = done = 0
    stopped = False
    started = time.monotonic()
    try:
        with transaction():
            messages = replies.still_received(ids)
            senders = replies.senders(messages)
            known = _REPEATS_KNOWN.set(replies.repeat_counts(messages))
            try:
                for message in messages:
                    if done and time.monotonic() - started > BATCH_SECONDS:
                        break
                    if _process_in_batch(message, senders[message.id]) == BUSY:
                        stopped = True
                        break
                    done += 1
                    taken = ids.index(message.id) + 1
            finally:
                _REPEATS_KNOWN.reset(known)
            if done == len(messages):
                taken = len(ids)  # all of them: any not loaded were acted on by another process meanwhile
    except Exception as error:
        if not is_busy(error):
            raise
        taken, done, stopped = 0, 0, True  # the whole batch was rolled back: every message stays 'received'
    if stopped:
        log.warning("inbound messages wait: the database is busy; the next pass tries them again")
    return taken, done, stopped


def _process_in_batch(message: Message, sender: replies.Sender) -> str:
    """`process` for a message loaded with its batch, in a savepoint: a failure undoes this message's work alone."""
    intent: Intent | None = None
    try:
        intent = parse_reply(message.body, _language(sender))
        with transaction():
            outcome = _act(message, intent, sender.resident, sender.volunteer)
            outbox.mark_handled(message.id, intent.as_dict())
    except Exception as error:
        if is_busy(error):
            return BUSY
        if isinstance(error, LinliError) and intent is not None:
            log.warning("inbound message %s: %s", message.id, error)
            return _mark_error(message.id, intent.as_dict(), str(error))
        log.exception("inbound message %s could not be processed", message.id)
        return _mark_error(message.id, None, f"{type(error).__name__}: {error}")
    return outcome


def process(message_id: int) -> str:
    """Parse and act on inbound message `message_id` if it is still 'received'; returns a short word for logs:
    stop, start, auto-reply, well, unwell, help, done, not-found, family, menu, ignored, unknown-sender, already,
    error, or busy (another writer held the lock: nothing was done, the message stays 'received' to be tried
    again)."""
    message = Message.get_or_none(Message.id == message_id)
    if message is None or message.direction != "in" or message.status != "received":
        return "already"
    sender = replies.sender_of(message)
    intent = parse_reply(message.body, _language(sender))
    try:
        with transaction():
            if Message.get_by_id(message_id).status != "received":  # another worker got here first
                return "already"
            outcome = _act(message, intent, sender.resident, sender.volunteer)
            outbox.mark_handled(message.id, intent.as_dict())
    except Exception as error:
        if is_busy(error):
            return BUSY
        if not isinstance(error, LinliError):
            raise
        log.warning("inbound message %s: %s", message_id, error)
        return _mark_error(message.id, intent.as_dict(), str(error))
    return outcome


def _mark_error(message_id: int, intent: dict[str, Any] | None, error: str) -> str:
    """Mark the message 'error' (which alerts an operator); 'busy' if even that met a lock."""
    try:
        outbox.mark_handled(message_id, intent, error=error)
    except Exception as failure:
        if is_busy(failure):
            return BUSY
        raise
    return "error"


def _language(sender: replies.Sender) -> str:
    known = sender.resident or sender.volunteer
    return known.language if known is not None else get_community().language


# --- acting ---------------------------------------------------------------------------------------------------


def _act(message: Message, intent: Intent, resident: Resident | None, volunteer: Volunteer | None) -> str:
    if intent.kind == "stop":
        outbox.opt_out(message.peer, source=f"sms:{message.gateway}")
        if volunteer is not None:  # their tasks' texts that were waiting are skipped now: others get the tasks
            hand_on_unreached(actor=f"sms:{message.peer}")
        return "stop"
    if intent.kind == "auto_reply":
        return "auto-reply"  # a machine answered us: answering back could set two machines talking for ever
    if intent.kind == "start":
        was_out = outbox.opt_in(message.peer)
        known = resident or volunteer
        if known is not None or was_out:
            _reply(message, "opted_in", known.language if known is not None else "")
        return "start"
    if volunteer is not None and intent.kind == "done":
        return _done(message, intent, volunteer)
    if resident is not None:
        if intent.kind in ("well", "unwell", "help"):
            _report(message, intent, resident, channel="sms")
            return intent.kind
        return _menu(message, "help_text", resident.language)
    if volunteer is not None:
        return _menu(message, "volunteer_help_text", volunteer.language)
    family_of = replies.asked_about(message.peer, message.created_at)
    if family_of is not None:
        return _family(message, intent, family_of)
    raise_alert(
        "unknown_sender",
        f"An SMS from {message.peer}, who is neither a resident nor a volunteer: “{message.body[:200]}”. "
        "If they belong to the community, add them; nothing was sent back.",
        key=f"unknown_sender:{message.peer}:{_today(message)}",
        severity="info",
    )
    return "unknown-sender"


def _today(message: Message) -> str:
    return local_date(message.created_at or utcnow(), community_zone()).isoformat()


def _reply(
    message: Message,
    template: str,
    language: str,
    *,
    key: str | None = None,
    volunteer_id: int | None = None,
    **values: object,
) -> Message | None:
    """Queue a reply to `message`; none to a text that keeps coming again (`_repeated`)."""
    if _repeated(message):
        return None
    return outbox.queue(
        outbox.Draft(
            peer=message.peer,
            body=render(template, language or get_community().language, **values),
            kind="reply",
            key=key or f"reply:{message.id}",
            language=language,
            resident_id=message.resident_id,
            volunteer_id=volunteer_id,
            priority=outbox.PRIORITY_REPLY,
        )
    )


def _repeated(message: Message) -> bool:
    """Whether this exact text came from this number `REPEATS` times or more in its local day, this one included:
    an auto-responder or a stuck phone, not a person waiting for an answer."""
    known = _REPEATS_KNOWN.get()
    count = known.get(message.id) if known is not None else None
    return (count if count is not None else replies.repeat_count(message)) >= REPEATS


def _menu(message: Message, template: str, language: str) -> str:
    """The menu, once per number per local day: a second reply nobody understands gets nothing."""
    key = f"helptext:{message.peer}:{_today(message)}"
    if replies.sent_with_key(key):
        return "ignored"
    _reply(message, template, language, key=key)
    return "menu"


def _done(message: Message, intent: Intent, volunteer: Volunteer) -> str:
    number = intent.task_number
    if number is None:
        number = replies.only_open_task(volunteer.id)
    if number is None:
        _reply(message, "task_not_found", volunteer.language, volunteer_id=volunteer.id, task="")
        return "not-found"
    try:
        complete_task(number, volunteer_id=volunteer.id, actor=f"sms:{volunteer.phone}")
    except (NotFound, Conflict):
        _reply(message, "task_not_found", volunteer.language, volunteer_id=volunteer.id, task=number)
        return "not-found"
    return "done"


# --- a resident's second contact -----------------------------------------------------------------------------


def _report(message: Message, intent: Intent, resident: Resident, *, channel: str, **options: Any) -> None:
    """The reply as a report about `resident`: the raw text kept, the need as the parser read it (acknowledged
    unless the same text keeps coming)."""
    if _repeated(message):
        options["acknowledge"] = False
    record_report(
        resident.id,
        intent.kind,
        temperature_c=intent.temperature_c,
        symptoms=intent.symptoms,
        text=message.body,
        need=intent.text,
        channel=channel,
        message_id=message.id,
        at=message.created_at,
        **options,
    )


def _family(message: Message, intent: Intent, resident: Resident) -> str:
    if intent.kind in ("well", "unwell", "help"):
        _report(message, intent, resident, channel="family", acknowledge=False, actor=f"family:{message.peer}")
        template = "ack_family_well" if intent.kind == "well" else "ack_family_unwell"
        _reply(message, template, resident.language, name=resident.name)
        return "family"
    raise_alert(
        "family_reply",
        f"{message.peer}, the second contact of {resident.name}, replied: “{message.body[:200]}”. "
        "Read it and call them back if needed.",
        key=f"family_reply:{message.id}",
        resident_id=resident.id,
    )
    return "family"
