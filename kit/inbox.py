"""Operators' work on the inbox: correcting a reply the parser read wrongly."""

from __future__ import annotations

import json
from typing import Any

from kit import audit
from kit.clock import utcnow
from kit.db import transaction
from kit.errors import NotFound, ValidationError
from kit.models import Message
from kit.reports import record_report

CORRECTABLE = ("well", "unwell", "help")


def correct_intent(message_id: int, intent: dict[str, Any], *, actor: str) -> Message:
    """Record what a resident's reply really meant and act on it as if it had been read that way: the correction is
    kept beside the parser's reading (both stay visible), a report is recorded (status, alerts, a task for help),
    and the change is audited, all in one transaction. No SMS acknowledgement is sent: the operator can answer."""
    kind = str(intent.get("intent", ""))
    if kind not in CORRECTABLE:
        raise ValidationError(f"A reply can be corrected to {', '.join(CORRECTABLE)}, not '{kind}'.", field="intent")
    temperature = intent.get("temperature_c")
    if temperature is not None and not 34.0 <= float(temperature) <= 43.0:
        raise ValidationError(f"{temperature} °C is not a body temperature; enter e.g. 38.5.", field="temperature_c")
    with transaction():
        message = Message.get_or_none((Message.id == message_id) & (Message.direction == "in"))
        if message is None:
            raise NotFound(f"No incoming message {message_id}.")
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
    return Message.get_by_id(message_id)
