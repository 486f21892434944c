"""A dispatcher process for the crash test: sends everything due through TwilioSmsGateway, then prints its report.

    python -m tests.sms.crash_worker DB_PATH API_BASE ACCOUNT_SID AUTH_TOKEN FROM_NUMBER

The test kills it with SIGKILL at random moments and starts it again until the outbox is empty.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

from kit import db
from kit.community import community_zone
from kit.config import DispatchSettings, TwilioSettings
from kit.dispatcher import Dispatcher
from sms.twilio_gateway import TwilioSmsGateway


def main(argv: list[str]) -> int:
    path, api_base, account_sid, auth_token, from_number = argv
    db.connect(path)
    gateway = TwilioSmsGateway(
        TwilioSettings(account_sid=account_sid, auth_token=auth_token, from_number=from_number, api_base=api_base)
    )
    settings = DispatchSettings(rate_per_second=0, quiet_start="00:00", quiet_end="00:00")  # never quiet
    report = Dispatcher({"sms": gateway}, settings, community_zone()).run_once()
    print(json.dumps(asdict(report)), flush=True)
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
