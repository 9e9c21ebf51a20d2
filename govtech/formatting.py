"""Dates, amounts and numbers formatted for the visitor's locale."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    format_time,
    get_locale,
)


def moment_in_zone(value: dt.datetime | None, time_zone: str = "UTC", style: str = "medium") -> str:
    """A UTC moment shown in `time_zone`, with the zone's abbreviation."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(time_zone)).replace(tzinfo=None)
    if style == "long":
        text = format_datetime(local, "medium")  # to the second: receipts and notices
    else:
        text = f"{format_date(local, 'medium')} {format_time(local, 'short')}"
    return f"{text} ({value.astimezone(ZoneInfo(time_zone)).tzname()})"


def machine_time(value: dt.datetime | None) -> str:
    """A moment for a `<time datetime>` attribute: UTC, to the second (HTML allows at most
    three decimals of a second)."""
    if value is None:
        return ""
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")


def day(value: dt.date | dt.datetime | None, style: str = "medium") -> str:
    """A date in the locale's format."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return format_date(value, style)


def money(amount: Decimal | None, currency: str) -> str:
    """An amount with its currency in the locale's format."""
    if amount is None:
        return ""
    return format_currency(amount, currency)


def number(value, digits: int | None = None) -> str:
    """A number in the locale's format, optionally with fixed decimals."""
    if value is None:
        return ""
    if digits is not None:
        return (
            format_decimal(value, format="#,##0." + "0" * digits)
            if digits
            else format_decimal(value, format="#,##0")
        )
    return format_decimal(value)


def html_lang() -> str:
    """The BCP 47 tag for <html lang>."""
    locale = get_locale()
    return str(locale).replace("_", "-") if locale else "es"


def register_filters(app) -> None:
    """Expose the formatters to templates."""
    app.jinja_env.filters.update(
        moment_in_zone=moment_in_zone,
        machine_time=machine_time,
        day=day,
        money=money,
        number=number,
    )
    app.jinja_env.globals.update(html_lang=html_lang)
