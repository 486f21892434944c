"""The inbound SMS router, in plain phases: (authenticate: the webhook, before this), record, parse, act, reply.

`receive` records a message in the inbox (idempotent on the provider's id) and nothing else, so a webhook answers
fast. `process` parses and acts on one recorded message, once: every effect and every reply is written in one
transaction, and replies only go into the outbox (the dispatcher sends them). `handle` does both.

Who says what:
- anybody: STOP / 退订 opts the number out (no reply: the carrier confirms); START / 订阅 opts it back in.
- a resident: 1 / 2 / 3 and the many ways of saying them become a health report (`kit.reports`).
- a volunteer: "DONE 12" / "完成 12" completes their own task 12 ("DONE" alone, when they have one task);
  "ACCEPT 12" / "接 12", "DECLINE 12" / "不接 12", "PAUSE" / "暂停" and back on duty, and anybody's "JOIN" / "报名
  志愿者", are `kit.volunteer_replies`'.
- a resident's second contact, after we asked them about the resident: "1" (or any report) is taken as the
  resident's answer; anything else is shown to an operator.
- a reply nobody understands is answered with the menu once per number per local day, never in a loop, and waits
  for a person to read it (`kit.needs_reading`).
- a number we do not know gets no reply; an operator sees it (an alert, once per number per day).
- an auto-responder's text ("自动回复", "out of office") gets no reply and changes nothing; the same text from the
  same number arriving `REPEATS` times in a local day is acted on but not answered again. Two machines answering
  each other never loop, and the dispatcher caps replies per number per day (`max_replies_per_number_per_day`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from kit import needs_reading, outbox, replies, shared_phones, volunteer_replies
from kit.alerts import alert_text, raise_alert
from kit.busy import is_busy
from kit.clock import utcnow
from kit.community import community_zone, get_community
from kit.db import transaction
from kit.errors import Conflict, LinliError, NotFound
from kit.escalation import hand_on_unreached
from kit.health import KINDS
from kit.localtime import local_date
from kit.models import Message, Resident, Volunteer
from kit.phones import sender_number
from kit.points import award_second_contact
from kit.report_batch import ReportRequest
from kit.reports import record_report
from kit.tasks import complete_task
from kit.templates import render
from sms.parser import Intent, parse_reply

log = logging.getLogger(__name__)

BUSY = "busy"  # what `process` says when another writer held the lock: nothing done, try again later
REPEATS = 3  # the same text from one number this often in a local day is answered no more
_REPEATS_KNOWN: ContextVar[dict[int, int] | None] = ContextVar("repeats_known", default=None)  # a batch's counts
_SHARED_KNOWN: ContextVar[set[str] | None] = ContextVar("shared_known", default=None)  # a batch's shared phones
_DEFERRED: ContextVar[list[ReportRequest] | None] = ContextVar("deferred", default=None)  # a batch's plain reports


def receive(
    gateway: str, provider_id: str, peer: str, body: str, *, at: datetime | None = None
) -> tuple[Message, bool]:
    """Record an inbound SMS (the sender's number normalised to E.164 when it can be, else kept as it came).
    Returns the message and whether it was new; a provider's retry returns the first one and False."""
    number = sender_number(lambda: get_community().region)(peer)
    return outbox.record_inbound(gateway=gateway, provider_id=provider_id, peer=number, body=body, at=at)


def handle(gateway: str, provider_id: str, peer: str, body: str, *, at: datetime | None = None) -> Message:
    """Record and act on an inbound SMS (the simulator and tests use this). Returns the message as it ends up."""
    message, _ = receive(gateway, provider_id, peer, body, at=at)
    process(message.id)
    return Message.get_by_id(message.id)


def process_pending(limit: int | None = None) -> int:
    """Act on every recorded message not acted on yet, oldest first, in batches (`sms.batch.process_pending`): the
    webhook's worker calls it after each message, and it picks up what a crash or a locked database left
    'received'. Returns how many were processed."""
    from sms import batch  # acts through this module's `_act`, so it imports this module, not the other way

    return batch.process_pending(limit)


def process_in_batch(message: Message, sender: replies.Sender) -> str:
    """`process` for a message loaded with its batch, in a savepoint: a failure undoes this message's work alone."""
    intent: Intent | None = None
    try:
        intent = parse_reply(message.body, language_of(sender))
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


def reports_plainly(intent: Intent, sender: replies.Sender, shared_phone: bool) -> bool:
    """Whether `_act` takes this reply straight to `_report` about its sender and does nothing else: a resident's
    well, unwell or help from a phone of their own, from somebody who is not also a volunteer. `sms.batch` writes
    such reports together (`act_deferring`); a new branch of `_act` that comes before the resident's report must
    be excluded here too."""
    return intent.kind in KINDS and sender.resident is not None and sender.volunteer is None and not shared_phone


@contextmanager
def known_in_batch(repeats: dict[int, int], shared: set[str]) -> Iterator[None]:
    """Within the block, `_repeated` and `_sharing` read what a batch loaded for all its messages at once: the repeat
    counts (`kit.replies.repeat_counts`) and the phones several residents share (`kit.replies.shared_phones`)."""
    tokens = _REPEATS_KNOWN.set(repeats), _SHARED_KNOWN.set(shared)
    try:
        yield
    finally:
        _REPEATS_KNOWN.reset(tokens[0])
        _SHARED_KNOWN.reset(tokens[1])


def act_deferring(message: Message, intent: Intent, sender: replies.Sender, requests: list[ReportRequest]) -> str:
    """`_act` on a plain report (`reports_plainly`), with the report added to `requests` instead of written."""
    token = _DEFERRED.set(requests)
    try:
        return _act(message, intent, sender.resident, sender.volunteer)
    finally:
        _DEFERRED.reset(token)


def process(message_id: int) -> str:
    """Parse and act on inbound message `message_id` if it is still 'received'; returns a short word for logs:
    stop, start, auto-reply, well, unwell, help, done, not-found, family, menu, ignored, unknown-sender, already,
    error, or busy (another writer held the lock: nothing was done, the message stays 'received' to be tried
    again)."""
    message = Message.get_or_none(Message.id == message_id)
    if message is None or message.direction != "in" or message.status != "received":
        return "already"
    sender = replies.sender_of(message)
    intent = parse_reply(message.body, language_of(sender))
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


def language_of(sender: replies.Sender) -> str:
    """The language a sender's replies are read in: theirs, else the community's."""
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
    if volunteer_replies.concerns(intent.kind, volunteer):  # JOIN, ACCEPT, DECLINE, PAUSE, back on duty
        said = volunteer_replies.answer(
            intent.kind,
            message=message,
            resident=resident,
            volunteer=volunteer,
            task_number=intent.task_number,
            text=intent.text,
        )
        helper_id = volunteer.id if volunteer is not None else None
        _reply(message, said.template, said.language, volunteer_id=helper_id, **said.values)
        return said.outcome
    if intent.kind == "start":
        was_out = outbox.opt_in(message.peer)
        known = resident or volunteer
        if known is not None or was_out:
            _reply(message, "opted_in", known.language if known is not None else "")
        return "start"
    if volunteer is not None and intent.kind == "done":
        return _done(message, intent, volunteer)
    if resident is not None:
        sharing = _sharing(message.peer)
        if len(sharing) > 1:
            return _shared(message, intent, sharing)
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
        alert_text("alert_unknown_sender", peer=message.peer, body=message.body[:200]),
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
            template=template,
            params=values,
            key=key or f"reply:{message.id}",
            language=language,
            resident_id=message.resident_id,
            volunteer_id=volunteer_id,
            priority=outbox.PRIORITY_REPLY,
        )
    )


def _sharing(peer: str) -> list[Resident]:
    """The residents on `peer` when it is a phone several share (`kit.shared_phones.on_phone`), else none."""
    known = _SHARED_KNOWN.get()
    return [] if known is not None and peer not in known else shared_phones.on_phone(peer)


def _repeated(message: Message) -> bool:
    """Whether this exact text came from this number `REPEATS` times or more in its local day, this one included:
    an auto-responder or a stuck phone, not a person waiting for an answer."""
    known = _REPEATS_KNOWN.get()
    count = known.get(message.id) if known is not None else None
    return (count if count is not None else replies.repeat_count(message)) >= REPEATS


def _menu(message: Message, template: str, language: str) -> str:
    """The menu, once per number per local day: a second reply nobody understands gets nothing. Either way the reply
    waits for a person to read it (`kit.needs_reading`)."""
    needs_reading.enqueue(message.id, message.created_at or utcnow())
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


# --- a phone several residents share ---------------------------------------------------------------------------


def _shared(message: Message, intent: Intent, sharing: list[Resident]) -> str:
    """A reply from a phone several residents share: about the one it names or the one `kit.shared_phones` can
    tell (or, for "1" and when the community chose so, all of them still unanswered); else the sender is asked
    which of them it is about, and a fever or a call for help is shown to an operator meanwhile."""
    named = shared_phones.named_in(message.body, sharing)
    language = (named.resident or sharing[0]).language
    if named.resident is not None:
        intent = parse_reply(named.rest, language)
    if intent.kind not in ("well", "unwell", "help"):
        return _menu(message, "help_text", language)
    who = shared_phones.about_whom(sharing, named.resident, intent.kind, message.created_at or utcnow())
    if not who:
        names = shared_phones.names_of(sharing, language)
        _reply(message, "shared_phone_which", language, names=names, example=sharing[0].name)
        shared_phones.link_reply(message.id, None)  # about one of them, not known which
        if intent.kind != "well":
            raise_alert(
                "shared_phone",
                alert_text("alert_shared_phone_reply", peer=message.peer, names=names, body=message.body[:200]),
                key=f"shared_phone:{message.id}",
            )
        return "which"
    if len(who) == 1:
        shared_phones.link_reply(message.id, who[0].id)
        _report(message, intent, who[0], channel="sms")
        return intent.kind
    for person in who:  # "1" for all of them: one thank-you naming them all
        _report(message, intent, person, channel="sms", acknowledge=False)
    _reply(message, "ack_shared_well", language, names=shared_phones.names_of(who, language))
    return intent.kind


# --- a resident's second contact -----------------------------------------------------------------------------


def _report(message: Message, intent: Intent, resident: Resident, *, channel: str, **options: Any) -> None:
    """The reply as a report about `resident`: the raw text kept, the need as the parser read it (acknowledged
    unless the same text keeps coming)."""
    if _repeated(message):
        options["acknowledge"] = False
    deferred = _DEFERRED.get()
    if deferred is not None:  # a batch writes it with the others (`act_deferring`)
        deferred.append(
            ReportRequest(
                resident.id, intent.kind, temperature_c=intent.temperature_c, symptoms=tuple(intent.symptoms),
                text=message.body, need=intent.text, channel=channel, message_id=message.id, at=message.created_at,
                **options,
            )
        )  # fmt: skip
        return
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
        award_second_contact(message.peer, resident.id, at=message.created_at)  # kit.points: 邻里积分
        template = "ack_family_well" if intent.kind == "well" else "ack_family_unwell"
        _reply(message, template, resident.language, name=resident.name)
        return "family"
    raise_alert(
        "family_reply",
        alert_text("alert_family_reply", peer=message.peer, name=resident.name, body=message.body[:200]),
        key=f"family_reply:{message.id}",
        resident_id=resident.id,
    )
    return "family"
