"""Countries and currencies the platform knows, with names localised by Babel."""

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


def country_choices(codes=COUNTRIES) -> list[tuple[str, str]]:
    """(code, localised name) pairs sorted by name, for select fields."""
    return sorted(((c, country_name(c)) for c in codes), key=lambda pair: pair[1])


def currency_choices() -> list[tuple[str, str]]:
    """(code, 'CODE — name') pairs for select fields."""
    names = _locale().currencies
    return [(c, f"{c} — {names.get(c, c)}") for c in CURRENCIES]
