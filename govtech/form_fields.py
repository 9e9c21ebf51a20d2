"""Form building blocks shared by the domains' forms."""

import datetime as dt
import re
from collections.abc import Iterable

from flask import flash, request
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateTimeLocalField,
    DecimalField,
    FileField,
    IntegerField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.meta import DefaultMeta
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from govtech import clock

# C0 control characters other than tab and line breaks: never typed, invalid in XML 1.0,
# and NUL is refused by PostgreSQL text columns (a 500 if it reaches the database).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def refuse_control_characters(value):
    """A field filter: text holding control characters is a field error, never stored."""
    if isinstance(value, str) and _CONTROL_CHARACTERS.search(value):
        raise ValueError(_l("Remove the invisible control characters from this text."))
    return value


class PlainTextMeta(DefaultMeta):
    """Form options that give every text field the control-character filter."""

    def bind_field(self, form, unbound_field, options):
        if issubclass(unbound_field.field_class, StringField):
            filters = [*unbound_field.kwargs.get("filters", ()), refuse_control_characters]
            options = {**options, "filters": filters}
        return super().bind_field(form, unbound_field, options)


class PageForm(FlaskForm):
    """The base of the site's forms: plain text only, read from the posted form body.

    Flask-WTF would also read a JSON body and hand file parts to any field; our forms are
    HTML forms, so a JSON body is ignored and files reach only file fields (anything else
    would put lists, numbers or uploads where the fields expect text, a 500).
    """

    class Meta(PlainTextMeta):
        def wrap_formdata(self, form, formdata):
            if formdata is None or hasattr(formdata, "getlist"):  # given by the view
                return super().wrap_formdata(form, formdata)
            if not form.is_submitted():
                return None
            # A multipart part without a name arrives under the key None.
            data = MultiDict((k, v) for k, v in request.form.items(multi=True) if k is not None)
            for field in form:
                if isinstance(field, FileField) and field.name in request.files:
                    data.setlist(field.name, request.files.getlist(field.name))
            return data or None


class OptionalChoice(Optional):
    """Optional for choice fields: only an empty answer means "none chosen".

    WTForms' Optional treats whitespace as empty and then clears the field's errors, so
    " " would pass the choice check and reach the view as an unknown value.
    """

    def __init__(self):
        super().__init__(strip_whitespace=False)


class BoundedIntegerField(IntegerField):
    """A whole number within the database's INTEGER range; a larger one is not a valid
    number (WTForms' NumberRange would overflow turning it into a float: a 500)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > 2**31 - 1:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))


class FiniteDecimalField(DecimalField):
    """A decimal number; NaN and infinities are refused like any other non-number."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))


def options(
    pairs: Iterable[tuple[str, object]], *, blank: bool = False, blank_label: object = None
) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices, optionally after an empty first option, which
    is labelled (HTML forbids an empty option without a label; screen readers read nothing)."""
    result = [SelectChoice("", blank_label or _l("- Select -"))] if blank else []
    result += [SelectChoice(str(value), label) for value, label in pairs]
    return result


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes (rendered by the forms macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in a given time zone (the agency's), handled as UTC."""

    # Far outside a procurement's timeline, and near year 1 or 9999 the conversion to UTC
    # and the deadline arithmetic overflow.
    MIN_YEAR, MAX_YEAR = 1900, 2999

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.MIN_YEAR <= self.data.year <= self.MAX_YEAR:
            self.data = None
            raise ValueError(
                _l(
                    "Enter a date between %(min)s and %(max)s.",
                    min=self.MIN_YEAR,
                    max=self.MAX_YEAR,
                )
            )

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


def show_violation(form, error) -> None:
    """Show a service's RuleViolation: on its form field when it names one, else as a
    flash message above the form."""
    field = form[error.field] if error.field and error.field in form else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")
