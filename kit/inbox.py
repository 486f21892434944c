"""Operators' work on the inbox: answering the sender of a message, and correcting a reply the parser read wrongly."""

from __future__ import annotations

import json
from typing import Any

from kit import audit, needs_reading, shared_phones
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
        raise ValidationError(f"A reply can be corrected to {', '.join(CORRECTABLE)}, not '{kind}'.", field="intent")
    temperature = intent.get("temperature_c")
    if temperature is not None and not is_body_temperature(float(temperature)):
        raise ValidationError(f"{temperature} °C is not a body temperature; enter e.g. 38.5.", field="temperature_c")
    with transaction():
        message = Message.get_or_none((Message.id == message_id) & (Message.direction == "in"))
        if message is None:
            raise NotFound(f"No incoming message {message_id}.")
        if message.resident_id is None and len(sharing := shared_phones.on_phone(message.peer)) > 1:
            raise ValidationError(
                f"The message from {message.peer} does not say which of {', '.join(r.name for r in sharing)} (who "
                "share that phone) it is about. Reply to ask them, then record it for that resident.",
                title="Shared phone",
            )
        if message.resident_id is None:
            raise ValidationError(
                f"The message from {message.peer} is not from a registered resident; register them first.",
                title="Unknown sender",
            )
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


def reply_to(message_id: int, body: str, *, actor: str) -> Message:
    """Answer the sender of incoming message `message_id` with `body`, in the message's language and linked to its
    resident. The answer is queued ahead of check-ins and broadcasts and audited, in one transaction; the queued
    outbox row is returned.

    Decisions: the sender's number, language and resident come from the stored message, not from what a screen
    showed, so a reply always goes where the message came from."""
    text = body.strip()
    if not text:
        raise ValidationError("The reply is empty; write what the sender should read.", field="body")
    with transaction():
        message = Message.get_or_none((Message.id == message_id) & (Message.direction == "in"))
        if message is None:
            raise NotFound(f"No incoming message {message_id}.")
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
