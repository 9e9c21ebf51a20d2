"""Form building blocks shared by the domains' forms."""

import datetime as dt
from collections.abc import Iterable

from flask_babel.speaklater import LazyString
from wtforms import DateTimeLocalField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from govtech import clock


def options(pairs: Iterable[tuple[str, object]], *, blank: bool = False) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices, optionally after an empty first option."""
    result = [SelectChoice("", "")] if blank else []
    result += [SelectChoice(str(value), label) for value, label in pairs]
    return result


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes (rendered by the forms macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in a given time zone (the agency's), handled as UTC."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(*args, **kwargs)

    def utc(self, time_zone: str) -> dt.datetime | None:
        """The entered moment as an aware UTC datetime."""
        if self.data is None:
            return None
        return clock.from_local(self.data, time_zone)

    def show(self, moment: dt.datetime | None, time_zone: str) -> None:
        """Fill the field with a UTC moment expressed in the zone."""
        self.data = clock.to_zone(moment, time_zone).replace(tzinfo=None) if moment else None


def flat_errors(form, extra: dict | None = None) -> list[tuple[str, str, str]]:
    """Every error of a form as (field id, field label, message), nested rows included,
    for the error summary at the top of the page."""
    result = []

    def walk(field):
        if hasattr(field, "entries"):  # FieldList
            for entry in field.entries:
                walk(entry)
            for message in field.errors if isinstance(field.errors, list) else []:
                if isinstance(message, str | LazyString):
                    result.append((field.id, str(field.label.text), str(message)))
        elif hasattr(field, "form") and hasattr(field.form, "_fields"):  # FormField
            for sub in field.form:
                walk(sub)
        else:
            for message in field.errors or []:
                result.append((field.id, str(field.label.text), str(message)))

    for field in form:
        walk(field)
    for name, messages in (extra or {}).items():
        label = str(form[name].label.text) if name in form else ""
        result += [(name, label, str(m)) for m in messages]
    return result
