"""Typed configuration: one TOML file plus environment variables for secrets.

The file is `--config PATH`, else `$LINLI_CONFIG`, else none (every setting has a default, so `linli demo` needs
no file). Every setting carries a one-line doc in its field metadata; `linli config` prints them.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, get_type_hints

from kit import ui_words
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
    sms: str | list[str] = setting(  # noqa: RUF009 - a str default, not a shared list
        "simulator",
        'SMS gateway(s): "simulator" (no account, stays in the database), "twilio", or the names of [gateways.NAME] '
        'tables, e.g. ["phone1", "modem1"].',
    )
    voice: str | list[str] = setting(  # noqa: RUF009 - a str default, not a shared list
        "simulator", 'Voice gateway(s): "simulator", "twilio" or [gateways.NAME] names.'
    )


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
    currency: str = setting("", 'Currency the prices are in ("GBP"); empty: the one of the community\'s region.')
    daily_budget: float = setting(0.0, "Most to spend on messages in one local day; 0 means no limit.")
    failover_after_failures: int = setting(
        3, "Failures in a row after which a gateway is taken out of its pool (its messages go through the others)."
    )
    probe_minutes: float = setting(5.0, "Minutes between tries of a gateway taken out of its pool, to bring it back.")
    max_replies_per_number_per_day: int = setting(
        5, "Most replies (acknowledgements, menus, answers) one number gets in a local day; 0 means no limit."
    )


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
    call_opted_out: bool = setting(
        True, "Call residents who opted out of SMS for the check-in; false sends them straight to the door-knock list."
    )
    shared_phone_answers_for_all: bool = setting(
        False, 'A "1" from a phone several residents share counts for all of them still unanswered, not "which one?".'
    )


@dataclass
class ServerSettings:
    host: str = setting("127.0.0.1", "Address the webhook server listens on.")
    port: int = setting(8080, "Port the webhook server listens on.")


@dataclass
class DistrictSettings:
    url: str = setting("", "Base URL of the district's server this community pushes its figures to; empty: none.")
    token: str = setting("", "This community's district token (a secret); or the environment's LINLI_DISTRICT_TOKEN.")
    push_at: str = setting("21:00", "Local time the day's figures are pushed to the district.")
    retry_minutes: int = setting(5, "Minutes to wait after a failed push before trying again.")
    timezone: str = setting("Asia/Shanghai", "On the district's server: the time zone its days are counted in.")
    language: str = setting("zh", "On the district's server: the language of its tables and exports.")
    max_age_days: int = setting(400, "On the district's server: the oldest day a push may be for, in days.")
    host: str = setting("127.0.0.1", "On the district's server: the address `linli district serve` listens on.")
    port: int = setting(8090, "On the district's server: the port `linli district serve` listens on.")


@dataclass
class RetentionSettings:
    reports_days: int = setting(90, "Days health reports are kept; older ones are purged. 0 keeps them for ever.")
    messages_days: int = setting(90, "Days SMS and calls (and their delivery history) are kept. 0: for ever.")
    audit_days: int = setting(90, "Days audit-trail entries are kept. 0: for ever.")
    anonymise_after_days: int = setting(30, "Days after moving out before a resident's details go. 0: at once.")
    purge_at: str = setting("03:00", "Local time the scheduler purges and anonymises, once a day.")


@dataclass
class ImportSettings:
    max_file_mb: int = setting(50, "Largest spreadsheet `linli import` reads, in MB; a bigger one is refused.")


@dataclass
class TaskSettings:
    accept_within_minutes: int = setting(
        30, "Minutes a volunteer has to accept a task (ACCEPT 12 / 接 12) before it goes to the next one; 0: never."
    )


@dataclass
class InboxSettings:
    read_within_minutes: int = setting(
        30, "Minutes a reply nobody understood may wait for an operator to read it before an alert is raised; 0: never."
    )


@dataclass
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    gateway: GatewaySettings = field(default_factory=GatewaySettings)
    twilio: TwilioSettings = field(default_factory=TwilioSettings)
    dispatch: DispatchSettings = field(default_factory=DispatchSettings)
    checkin: CheckinSettings = field(default_factory=CheckinSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    district: DistrictSettings = field(default_factory=DistrictSettings)
    imports: ImportSettings = field(default_factory=ImportSettings)
    tasks: TaskSettings = field(default_factory=TaskSettings)
    inbox: InboxSettings = field(default_factory=InboxSettings)
    gateways: dict[str, dict[str, Any]] = field(default_factory=dict)  # [gateways.NAME] tables as read


ENVIRONMENT = {
    ("twilio", "account_sid"): "TWILIO_ACCOUNT_SID",
    ("twilio", "auth_token"): "TWILIO_AUTH_TOKEN",
    ("twilio", "public_url"): "LINLI_PUBLIC_URL",
    ("database", "path"): "LINLI_DB",
    ("district", "token"): "LINLI_DISTRICT_TOKEN",
}
# Never printed by `linli config`; placeholders and empty values refused.
SECRETS: tuple[str, ...] = ("auth_token", "token", "password", "inbound_token")
SECRETS += ("webhook_secret", "secret_key", "access_key_secret")  # in [gateways.NAME] tables
SECRETS += ("secret_id", "access_key_id", "push_token")  # cloud SMS key ids and push token: never printed either

# What people paste where a secret should be: a mask as `linli config` once printed it (***), a partly masked
# token (AC12****cd), a template's placeholder (<token>, changeme) or a shell variable that was never expanded.
_MASKED = re.compile(r"^[\s*•●·xX#?._-]*$|[*•●]{3}|^<.*>$|^\$\{?[A-Za-z_]\w*\}?$")
_PLACEHOLDERS = {"changeme", "change-me", "change_me", "secret", "token", "redacted", "placeholder", "none", "null"}
_PLACEHOLDERS |= {"todo", "your-token", "your_token", "your-auth-token", "your_auth_token", "auth_token"}


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
            raise ConfigError("config.no_file", path=file) from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError("config.not_toml", path=file, reason=str(error)) from None
    in_file = _source("in_file", path=chosen)
    settings = Settings()
    settings.gateways = _gateway_tables(raw.pop("gateways", {}), in_file)
    _templates_beside(settings.gateways, Path(chosen).parent if chosen else Path.cwd())
    for section_name, section_value in raw.items():
        section = getattr(settings, section_name, None)
        if section is None or not is_dataclass(section):
            raise ConfigError("config.unknown_section", section=section_name)
        if not isinstance(section_value, dict):
            raise ConfigError("config.not_a_table", section=section_name, value=repr(section_value))
        for key, value in section_value.items():
            if key in SECRETS:
                _check_secret(f"{section_name}.{key}", value, in_file)
        _apply(section, section_name, section_value)
    for (section_name, key), variable in ENVIRONMENT.items():
        if env.get(variable):
            if key in SECRETS:
                _check_secret(f"{section_name}.{key}", env[variable], _source("in_environment", variable=variable))
            setattr(getattr(settings, section_name), key, env[variable])
    for channel in CHANNELS:
        gateway_specs(settings, channel)  # a name with no table or a wrong common setting: said now, not mid-round
    return settings


def is_secret(name: str) -> bool:
    """Whether the dotted setting `name` (twilio.auth_token) holds a secret."""
    return name.rsplit(".", 1)[-1] in SECRETS


def secret_variable(name: str) -> str | None:
    """The environment variable a secret setting is best given in, if it has one."""
    section, _, key = name.partition(".")
    return ENVIRONMENT.get((section, key))


def is_placeholder(value: str) -> bool:
    """Whether `value` is a stand-in for a secret (empty, masked, a template's word) rather than a secret."""
    return bool(_MASKED.search(value)) or value.strip().casefold() in _PLACEHOLDERS


def _source(key: str, **values: Any) -> Callable[[str], str]:
    """Where a setting was read ("the configuration file linli.toml", "the environment's X"), in a language."""
    return ui_words.later(f"errors.config.{key}", **values)


def _check_secret(name: str, value: Any, source: Callable[[str], str]) -> None:
    if not isinstance(value, str) or not is_placeholder(value):
        return  # a wrong type is named by _apply
    variable = secret_variable(name)
    if not value:
        if variable:
            raise ConfigError("config.secret_empty_variable", name=name, source=source, variable=variable)
        raise ConfigError("config.secret_empty", name=name, source=source)
    shown = repr(value if len(value) <= 24 else value[:24] + "...")
    if variable:
        raise ConfigError("config.placeholder_variable", name=name, source=source, shown=shown, variable=variable)
    raise ConfigError("config.placeholder", name=name, source=source, shown=shown)


def _apply(section: Any, section_name: str, values: dict[str, Any]) -> None:
    hints = get_type_hints(type(section))
    known = {f.name for f in fields(section)}
    for key, value in values.items():
        if key not in known:
            raise ConfigError("config.unknown_setting", name=f"{section_name}.{key}")
        wanted = hints[key]
        if wanted == str | list[str]:  # [gateway] sms / voice: one name or a list of names
            if isinstance(value, list) and value and all(isinstance(name, str) for name in value):
                setattr(section, key, value)
                continue
            wanted = str
        if wanted is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, wanted) or (wanted is not bool and isinstance(value, bool)):
            raise ConfigError(
                "config.wrong_type",
                name=f"{section_name}.{key}",
                wanted=wanted.__name__,
                given=type(value).__name__,
                value=repr(value),
            )
        setattr(section, key, value)


def describe(settings: Settings | None = None) -> list[tuple[str, Any, str]]:
    """(dotted name, current value, doc) for every setting, for `linli config` and the README. A secret's value is
    None, set or not: it is never printed, not even masked (a mask copied into a file would become the secret)."""
    settings = settings or Settings()
    rows: list[tuple[str, Any, str]] = []
    for section_field in fields(settings):
        section = getattr(settings, section_field.name)
        if not is_dataclass(section):
            rows.extend(_describe_gateways(settings.gateways))
            continue
        for f in fields(section):
            assert f.default is not MISSING
            value = getattr(section, f.name)
            if f.name in SECRETS:
                value = None
            rows.append((f"{section_field.name}.{f.name}", value, f.metadata["doc"]))
    return rows


# --- named gateways: [gateway] sms / voice name [gateways.NAME] tables ----------------------------------------------

CHANNELS = ("sms", "voice")
IMPLICIT_GATEWAYS = ("simulator", "twilio")  # names that need no table: a gateway of that kind, as before pools
COMMON_GATEWAY_KEYS = ("kind", "rate_per_minute", "daily_cap", "stuck_after_minutes", "poll_seconds")


@dataclass(frozen=True)
class GatewaySpec:
    """One configured gateway as kit reads it: the common settings of its [gateways.NAME] table, with defaults.
    `options` is the whole table as read; the kind's module validates its own keys (those not in
    COMMON_GATEWAY_KEYS)."""

    name: str
    kind: str
    channel: str
    rate_per_minute: float  # 0: unpaced
    daily_cap: int  # 0: no cap
    stuck_after_minutes: float
    poll_seconds: float
    options: dict[str, Any]


def gateway_names(settings: Settings, channel: str) -> list[str]:
    """The names [gateway] gives for `channel`, in order (a plain string is a list of one)."""
    chosen = getattr(settings.gateway, channel)
    names = [chosen] if isinstance(chosen, str) else list(chosen)
    return [name.strip() for name in names]


def gateway_specs(settings: Settings, channel: str) -> list[GatewaySpec]:
    """The gateways of `channel`'s pool. "simulator" and "twilio" with no table are the gateways of that kind with
    the [twilio] and [dispatch] settings, exactly as before named gateways. Raises ConfigError for a name with no
    table or a wrong common setting."""
    specs = []
    for name in gateway_names(settings, channel):
        table = settings.gateways.get(name)
        if table is None and name.lower() in IMPLICIT_GATEWAYS:
            table = {"kind": name.lower()}
        if table is None:
            choices = ", ".join([*IMPLICIT_GATEWAYS, *sorted(settings.gateways)])
            raise ConfigError("config.unknown_gateway", channel=channel, name=name, choices=choices)
        default_rate = settings.dispatch.rate_per_second * 60 if channel == "sms" else 0.0
        specs.append(
            GatewaySpec(
                name=name,
                kind=str(table["kind"]),
                channel=channel,
                rate_per_minute=float(table.get("rate_per_minute", default_rate)),
                daily_cap=int(table.get("daily_cap", 0)),
                stuck_after_minutes=float(table.get("stuck_after_minutes", 30)),
                poll_seconds=float(table.get("poll_seconds", 10)),
                options=dict(table),
            )
        )
    return specs


def _gateway_tables(raw: Any, source: Callable[[str], str]) -> dict[str, dict[str, Any]]:
    """The [gateways.NAME] tables, their common settings checked (the kind's own settings are its module's)."""
    if not isinstance(raw, dict):
        raise ConfigError("config.gateways_not_tables")
    wanted = {"rate_per_minute": (int, float), "daily_cap": (int,), "stuck_after_minutes": (int, float)}
    wanted["poll_seconds"] = (int, float)
    for name, table in raw.items():
        if not isinstance(table, dict):
            raise ConfigError("config.gateway_not_a_table", name=name)
        if not isinstance(table.get("kind"), str) or not table["kind"].strip():
            raise ConfigError("config.gateway_no_kind", name=name)
        for key, types in wanted.items():
            value = table.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, types) or value < 0:
                raise ConfigError("config.gateway_not_a_number", name=name, setting=key, value=repr(value))
        for key, value in table.items():
            if key in SECRETS:
                _check_secret(f"gateways.{name}.{key}", value, source)
        table["kind"] = table["kind"].strip().lower()
    return dict(raw)


def _templates_beside(tables: dict[str, dict[str, Any]], folder: Path) -> None:
    """A template gateway's `templates` file (kit.template_registry), a relative path read from the configuration
    file's folder, as the operator wrote it there."""
    for name, table in tables.items():
        if "templates" not in table:
            continue
        path = table["templates"]
        if not isinstance(path, str) or not path.strip():
            raise ConfigError("config.gateway_templates", name=name)
        table["templates"] = str(folder / Path(path.strip()).expanduser())


def _describe_gateways(tables: dict[str, dict[str, Any]]) -> list[tuple[str, Any, str]]:
    """`linli config`'s rows for the [gateways.NAME] tables; a secret's value is None, as for every secret."""
    rows: list[tuple[str, Any, str]] = []
    for name, table in sorted(tables.items()):
        for key, value in table.items():
            doc = f"Gateway {name} ({table['kind']}): " + ("its kind." if key == "kind" else f"its {key}.")
            rows.append((f"gateways.{name}.{key}", None if key in SECRETS else value, doc))
    return rows
