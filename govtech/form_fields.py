"""Form building blocks shared by the domains' forms."""

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[str, object]], *, blank: bool = False) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices, optionally after an empty first option."""
    result = [SelectChoice("", "")] if blank else []
    result += [SelectChoice(str(value), label) for value, label in pairs]
    return result
