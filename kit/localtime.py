"""Local time for the community: quiet hours, round times, expiry times, the local date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from kit.errors import ConfigError


def parse_hhmm(text: str, what: str | None = None) -> time:
    """'21:00' as a time; `what` names the setting it comes from (checkin.time) for the error."""
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        if what is None:
            raise ConfigError("localtime.not_a_time", text=text) from None
        raise ConfigError("localtime.setting_not_a_time", what=what, text=text) from None


def to_local(at_utc: datetime, zone: ZoneInfo) -> datetime:
    """A naive-UTC or aware datetime as local time (aware)."""
    aware = at_utc.replace(tzinfo=timezone.utc) if at_utc.tzinfo is None else at_utc
    return aware.astimezone(zone)


def to_utc_naive(local: datetime) -> datetime:
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def local_date(at_utc: datetime, zone: ZoneInfo) -> date:
    return to_local(at_utc, zone).date()


def at_local(day: date, clock_time: time, zone: ZoneInfo) -> datetime:
    """Naive UTC of `clock_time` on local `day`."""
    return to_utc_naive(datetime.combine(day, clock_time, tzinfo=zone))


def in_quiet_hours(at_utc: datetime, zone: ZoneInfo, start: time, end: time) -> bool:
    now = to_local(at_utc, zone).time()
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end


def quiet_ends(at_utc: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """Naive UTC when the quiet period containing `at_utc` ends (`at_utc` itself when not quiet)."""
    if not in_quiet_hours(at_utc, zone, start, end):
        return at_utc.replace(tzinfo=None)
    local = to_local(at_utc, zone)
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return at_local(day, end, zone)


def sending_held_until(at_utc: datetime, zone: ZoneInfo, quiet_start: str, quiet_end: str) -> datetime | None:
    """Naive UTC when sending resumes, while quiet hours hold it at `at_utc`; None outside quiet hours."""
    start, end = parse_hhmm(quiet_start, "quiet_start"), parse_hhmm(quiet_end, "quiet_end")
    if not in_quiet_hours(at_utc, zone, start, end):
        return None
    return quiet_ends(at_utc, zone, start, end)
