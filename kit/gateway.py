"""The small protocol every gateway implements. Gateways live in sms/ and ivr/; kit only knows this shape.

A gateway sends one outbox message (an SMS, or a call whose script the voice layer renders) and returns the
provider's id, or raises GatewayError saying whether trying again could help. After a crash the dispatcher asks
`find_sent` whether the provider already has a message before it ever sends it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Outgoing:
    """What a gateway needs to send one outbox row."""

    message_id: int
    channel: str  # sms, voice
    peer: str  # E.164
    body: str
    language: str
    kind: str  # the message kind (kit.message_kinds: checkin, ack_fever, task_for_volunteer_nophone, ...)
    # The values the body was rendered with; a template gateway sends these, in the order
    # kit.message_kinds.ordered gives when its provider numbers variables, with the template kit.template_registry
    # maps `kind` and `language` to.
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider_id: str
    status: str = "sent"  # the provider's first status: sent, queued, ringing, delivered (simulator)


class GatewayError(Exception):
    """A send that did not happen. `permanent` when retrying cannot help (invalid number, unsubscribed)."""

    def __init__(self, message: str, *, code: str = "", permanent: bool = False, opted_out: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent or opted_out
        self.opted_out = opted_out


@runtime_checkable
class Gateway(Protocol):
    name: str  # "simulator", "twilio"
    channel: str  # "sms" or "voice"

    def send(self, message: Outgoing) -> SendResult:
        """Hand one message to the provider; raise GatewayError when it was not taken."""
        ...

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        """The provider id of this message if the provider already has it (sent at or after `since`, naive UTC),
        else None. Called only for rows that were in flight when a dispatcher stopped."""
        ...
