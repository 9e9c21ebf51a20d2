"""Countries and currencies the platform knows, with names localised by Babel."""

import functools

from babel import Locale
from flask_babel import get_locale

# Latin America and the Caribbean first, then partners seen in the region's challenges.
COUNTRIES = (
    "AR",
    "BO",
    "BR",
    "CL",
    "CO",
    "CR",
    "DO",
    "EC",
    "ES",
    "GT",
    "HN",
    "MX",
    "NI",
    "PA",
    "PE",
    "PY",
    "SV",
    "US",
    "UY",
    "VE",
)
CURRENCIES = (
    "ARS",
    "BOB",
    "BRL",
    "CLP",
    "COP",
    "CRC",
    "DOP",
    "EUR",
    "GTQ",
    "HNL",
    "MXN",
    "NIO",
    "PAB",
    "PEN",
    "PYG",
    "USD",
    "UYU",
)


def _locale() -> Locale:
    return get_locale() or Locale.parse("es")


def country_name(code: str | None) -> str:
    """The country's name in the current locale."""
    if not code:
        return ""
    return _locale().territories.get(code, code)


# Pure functions of the locale, cached: forms on every page (the catalogue's filters among
# them) ask for the same few sorted lists on each request.
@functools.lru_cache(maxsize=64)
def _country_choices(locale: Locale, codes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    names = locale.territories
    return tuple(sorted(((c, names.get(c, c)) for c in codes), key=lambda pair: pair[1]))


@functools.lru_cache(maxsize=8)
def _currency_choices(locale: Locale) -> tuple[tuple[str, str], ...]:
    names = locale.currencies
    return tuple((c, f"{c} — {names.get(c, c)}") for c in CURRENCIES)


def country_choices(codes=COUNTRIES) -> list[tuple[str, str]]:
    """(code, localised name) pairs sorted by name, for select fields."""
    return list(_country_choices(_locale(), tuple(codes)))


def currency_choices() -> list[tuple[str, str]]:
    """(code, 'CODE — name') pairs for select fields."""
    return list(_currency_choices(_locale()))
