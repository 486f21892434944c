"""The simulator gateway: a real gateway that keeps everything in the database.

Sends are accepted at once and reported delivered; nothing leaves the laptop. Operators (from the TUI) and tests
answer as a resident with `sms.router.handle`, using gateway name "simulator". The default, so Linli runs with no
account and no network, for demos and training.
"""

from __future__ import annotations

import itertools
from datetime import datetime

from kit.gateway import Outgoing, SendResult


class SimulatorGateway:
    name = "simulator"

    def __init__(self, channel: str = "sms") -> None:
        self.channel = channel
        self._attempts = itertools.count(1)

    def send(self, message: Outgoing) -> SendResult:
        prefix = "SIMSM" if self.channel == "sms" else "SIMCA"
        return SendResult(provider_id=f"{prefix}{message.message_id:08d}", status="delivered")

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        # Nothing leaves the process, so an attempt that did not commit did not happen: send it again.
        return None
