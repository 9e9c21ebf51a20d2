"""The server's clock: every rule that depends on time asks here."""

import datetime as dt
from zoneinfo import ZoneInfo


def now() -> dt.datetime:
    """Current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def to_zone(moment: dt.datetime, time_zone: str) -> dt.datetime:
    """Express a UTC moment in an IANA time zone (for display)."""
    return moment.astimezone(ZoneInfo(time_zone))


def from_local(naive: dt.datetime, time_zone: str) -> dt.datetime:
    """Interpret a naive local datetime (from a form) in a zone, return UTC."""
    return naive.replace(tzinfo=ZoneInfo(time_zone)).astimezone(dt.UTC)
