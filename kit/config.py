"""Typed configuration: one TOML file plus environment variables for secrets.

The file is `--config PATH`, else `$LINLI_CONFIG`, else none (every setting has a default, so `linli demo` needs
no file). Every setting carries a one-line doc in its field metadata; `linli config` prints them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, get_type_hints

from kit.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def setting(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass
class DatabaseSettings:
    path: str = setting("", "SQLite file; empty means $LINLI_DB or linli.sqlite3 in the user's data directory.")


@dataclass
class GatewaySettings:
    sms: str = setting("simulator", 'SMS gateway: "simulator" (no account, stays in the database) or "twilio".')
    voice: str = setting("simulator", 'Voice gateway: "simulator" or "twilio".')


@dataclass
class TwilioSettings:
    account_sid: str = setting("", "Account SID; or the environment's TWILIO_ACCOUNT_SID.")
    auth_token: str = setting("", "Auth token (a secret); or the environment's TWILIO_AUTH_TOKEN.")
    from_number: str = setting("", "The number messages and calls come from, in E.164 (+8613...).")
    messaging_service_sid: str = setting("", "Messaging service to send from instead of from_number.")
    public_url: str = setting("", "Base URL at which Twilio reaches this kit; or LINLI_PUBLIC_URL. Empty: poll.")
    api_base: str = setting("https://api.twilio.com", "REST base URL; change it for a Twilio-compatible provider.")
    poll_seconds: int = setting(30, "With no public_url, how often to poll the REST API for inbound SMS.")


@dataclass
class DispatchSettings:
    rate_per_second: float = setting(1.0, "SMS sent per second per gateway (US long codes allow 1).")
    concurrent_calls: int = setting(2, "Voice calls in progress at once per gateway.")
    quiet_start: str = setting("21:00", "Local time from which no SMS or call goes out.")
    quiet_end: str = setting("07:00", "Local time at which sending resumes.")
    max_attempts: int = setting(5, "Sends tried for one message before it is marked failed.")
    sms_segment_price: float = setting(0.05, "Price of one SMS segment, for cost previews.")
    call_minute_price: float = setting(0.10, "Price of one minute of voice call, for cost previews.")
    currency: str = setting("CNY", "Currency the prices are in.")
    daily_budget: float = setting(0.0, "Most to spend on messages in one local day; 0 means no limit.")


@dataclass
class CheckinSettings:
    time: str = setting("09:00", "Local time the daily check-in round starts.")
    audience: str = setting("all", 'Who is asked: "all", "monitored", "grid:NAME" or "tag:NAME".')
    reminder_after_hours: float = setting(3.0, "Hours of silence before the reminder SMS.")
    call_after_hours: float = setting(2.0, "Hours after the reminder before the voice call.")
    call_retry_minutes: int = setting(20, "Minutes after a busy, unanswered or failed call before one more try.")
    second_contact_after_hours: float = setting(1.0, "Hours after the call before the second contact is tried.")
    door_knock_after_hours: float = setting(1.0, "Hours after the second contact before a door-knock task.")
    door_knock_deadline_hours: float = setting(3.0, "Hours a volunteer has to knock before an alert is raised.")
    expire_at: str = setting("20:00", "Local time after which an unsent check-in message is dropped.")


@dataclass
class ServerSettings:
    host: str = setting("127.0.0.1", "Address the webhook server listens on.")
    port: int = setting(8080, "Port the webhook server listens on.")


@dataclass
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    gateway: GatewaySettings = field(default_factory=GatewaySettings)
    twilio: TwilioSettings = field(default_factory=TwilioSettings)
    dispatch: DispatchSettings = field(default_factory=DispatchSettings)
    checkin: CheckinSettings = field(default_factory=CheckinSettings)
    server: ServerSettings = field(default_factory=ServerSettings)


ENVIRONMENT = {
    ("twilio", "account_sid"): "TWILIO_ACCOUNT_SID",
    ("twilio", "auth_token"): "TWILIO_AUTH_TOKEN",
    ("twilio", "public_url"): "LINLI_PUBLIC_URL",
    ("database", "path"): "LINLI_DB",
}


def load_settings(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Settings from `path` (or $LINLI_CONFIG), then the environment, over the defaults."""
    env = dict(os.environ) if env is None else env
    chosen = path or env.get("LINLI_CONFIG") or None
    raw: dict[str, Any] = {}
    if chosen:
        file = Path(chosen)
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Configuration file {file} does not exist.") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"Configuration file {file} is not valid TOML: {error}.") from None
    settings = Settings()
    for section_name, section_value in raw.items():
        section = getattr(settings, section_name, None)
        if section is None or not is_dataclass(section):
            raise ConfigError(f"Unknown section [{section_name}] in the configuration.")
        if not isinstance(section_value, dict):
            raise ConfigError(
                f"[{section_name}] must be a table of settings (a [{section_name}] header with key = value lines), "
                f"not {section_name} = {section_value!r}."
            )
        _apply(section, section_name, section_value)
    for (section_name, key), variable in ENVIRONMENT.items():
        if env.get(variable):
            setattr(getattr(settings, section_name), key, env[variable])
    return settings


def _apply(section: Any, section_name: str, values: dict[str, Any]) -> None:
    hints = get_type_hints(type(section))
    known = {f.name for f in fields(section)}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"Unknown setting {section_name}.{key} in the configuration.")
        wanted = hints[key]
        if wanted is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, wanted) or (wanted is not bool and isinstance(value, bool)):
            raise ConfigError(
                f"Setting {section_name}.{key} must be {wanted.__name__}, not {type(value).__name__} ({value!r})."
            )
        setattr(section, key, value)


def describe(settings: Settings | None = None) -> list[tuple[str, Any, str]]:
    """(dotted name, current value, doc) for every setting, for `linli config` and the README."""
    settings = settings or Settings()
    rows: list[tuple[str, Any, str]] = []
    for section_field in fields(settings):
        section = getattr(settings, section_field.name)
        for f in fields(section):
            assert f.default is not MISSING
            value = getattr(section, f.name)
            if f.name == "auth_token" and value:
                value = "***"
            rows.append((f"{section_field.name}.{f.name}", value, f.metadata["doc"]))
    return rows
