"""Logging for a running kit: a line per thing done, and nothing personal from the provider's client.

Decisions:
- twilio-python logs every REST request at INFO in about ten lines: the URL with its query string (a lookup's
  `To=` is a resident's phone number), every header, the status and the response headers. Its logger is set to
  WARNING, so its warnings and errors still show; Linli's own line per message sent (kit.dispatcher) says which
  message went by which gateway, without the number or the text.
- `aiohttp.access` would log every webhook request with its query string; WARNING too (the webhook server also
  runs without an access log, and the fake provider in the tests is an aiohttp app).
- Set here, by the composition root, because logging is the application's choice, not a library's.
"""

from __future__ import annotations

import logging

QUIET_LOGGERS = ("twilio", "aiohttp.access")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def quiet_provider_logs() -> None:
    """The provider's client and the web server's access log say only warnings and errors."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure_logging(level: int = logging.INFO) -> None:
    """Log to stderr at `level`, one line per record, with the provider's client kept quiet (`linli serve`)."""
    logging.basicConfig(level=level, format=FORMAT)
    quiet_provider_logs()
