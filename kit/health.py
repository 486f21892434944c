"""The health rules every channel and screen shares: what a report can say, when a temperature is a fever, and what
a body temperature can be. The SMS parser, the voice menu, reports, inbox corrections and the TUI import them from
here.

Decisions
- 37.3 °C is a fever and 38.5 °C a high one (the resident turns red), as the community's health workers count them.
- A reading outside 34–43 °C (93–110 °F) is not a body temperature: it is a room number, an age or a typo.
"""

from __future__ import annotations

KINDS = ("well", "unwell", "help")  # what a health report says
CORRECTABLE = KINDS  # what an operator may correct a misread reply to
SYMPTOMS = ("fever", "cough", "breathing")

FEVER_C = 37.3  # at or above: fever
HIGH_FEVER_C = 38.5  # at or above: high fever (the resident turns red)
CELSIUS_RANGE = (34.0, 43.0)  # a plausible body temperature in °C
FAHRENHEIT_RANGE = (93.0, 110.0)  # ... and in °F


def is_body_temperature(celsius: float) -> bool:
    """Whether `celsius` can be a person's temperature."""
    return CELSIUS_RANGE[0] <= celsius <= CELSIUS_RANGE[1]


def is_fever(celsius: float | None) -> bool:
    """Whether a reading (None: none given) is a fever."""
    return celsius is not None and celsius >= FEVER_C
