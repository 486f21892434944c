"""Operators' work on the inbox: answering the sender of a message, and correcting a reply the parser read wrongly."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kit import audit, needs_reading, shared_phones, ui_words
from kit.clock import utcnow
from kit.db import transaction
from kit.errors import NotFound, ValidationError
from kit.health import CORRECTABLE, is_body_temperature
from kit.models import Message
from kit.outbox import PRIORITY_REPLY, Draft, queue
from kit.reports import record_report


def correct_intent(message_id: int, intent: dict[str, Any], *, actor: str) -> Message:
    """Record what a resident's reply really meant and act on it as if it had been read that way: the correction is
    kept beside the parser's reading (both stay visible), a report is recorded (status, alerts, a task for help),
    and the change is audited, all in one transaction. No SMS acknowledgement is sent: the operator can answer."""
    kind = str(intent.get("intent", ""))
    if kind not in CORRECTABLE:
        raise ValidationError("inbox.not_correctable", intents=", ".join(CORRECTABLE), intent=kind, field="intent")
    temperature = intent.get("temperature_c")
    if temperature is not None and not is_body_temperature(float(temperature)):
        raise ValidationError("inbox.not_a_temperature", temperature=temperature, field="temperature_c")
    with transaction():
        message = Message.get_or_none((Message.id == message_id) & (Message.direction == "in"))
        if message is None:
            raise NotFound("inbox.no_message", id=message_id)
        if message.resident_id is None and len(sharing := shared_phones.on_phone(message.peer)) > 1:
            names = [resident.name for resident in sharing]
            raise ValidationError("inbox.shared_phone", peer=message.peer, names=_listed(names), title="shared_phone")
        if message.resident_id is None:
            raise ValidationError("inbox.unknown_sender", peer=message.peer, title="unknown_sender")
        celsius = None if temperature is None else round(float(temperature), 1)
        symptoms = [str(name) for name in intent.get("symptoms") or []]
        need = str(intent.get("text") or "")
        corrected = {"intent": kind, "temperature_c": celsius, "symptoms": symptoms, "text": need}
        Message.update(
            corrected_intent=json.dumps(corrected, ensure_ascii=False, sort_keys=True), updated_at=utcnow()
        ).where(Message.id == message.id).execute()
        outcome = record_report(
            message.resident_id,
            kind,
            temperature_c=celsius,
            symptoms=symptoms,
            text=message.body,
            need=need or None,
            channel=message.channel,
            message_id=message.id,
            acknowledge=False,
            actor=actor,
        )
        audit.record(
            actor,
            "correct",
            "message",
            message.id,
            parsed=message.intent,
            corrected=corrected,
            report=outcome.report_id,
        )
        needs_reading.record_read(message.id, actor=actor, how="correct")
    return Message.get_by_id(message_id)


def _listed(names: list[str]) -> Callable[[str], str]:
    """Names one after another, as a language lists them (王芳、李明; 王芳, 李明)."""
    return lambda language: ui_words.text(language, "errors.inbox.name_separator").join(names)


def reply_to(message_id: int, body: str, *, actor: str) -> Message:
    """Answer the sender of incoming message `message_id` with `body`, in the message's language and linked to its
    resident. The answer is queued ahead of check-ins and broadcasts and audited, in one transaction; the queued
    outbox row is returned.

    Decisions: the sender's number, language and resident come from the stored message, not from what a screen
    showed, so a reply always goes where the message came from."""
    text = body.strip()
    if not text:
        raise ValidationError("inbox.empty_reply", field="body")
    with transaction():
        message = Message.get_or_none((Message.id == message_id) & (Message.direction == "in"))
        if message is None:
            raise NotFound("inbox.no_message", id=message_id)
        reply = queue(
            Draft(
                peer=message.peer,
                body=text,
                kind="reply",
                language=message.language,
                resident_id=message.resident_id,
                priority=PRIORITY_REPLY,
            )
        )
        audit.record(actor, "reply", "message", reply.id, to=message.peer, in_reply_to=message.id)
        needs_reading.record_read(message.id, actor=actor, how="reply")
    return reply
