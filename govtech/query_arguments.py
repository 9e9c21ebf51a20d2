"""Query arguments of the public JSON API: read strictly, and described from the same
declaration in its OpenAPI document, so what a view accepts and what the document promises
cannot drift apart.

A value outside what an argument accepts is a 400 that names the argument (an agency's
tools send a wrong value on purpose and expect it refused, not silently read as something
else). An empty value is the same as leaving the argument out.
"""

import enum
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from flask import abort, request
from flask_babel import gettext as _

from govtech.form_fields import refuse_control_characters

# The control characters `refuse_control_characters` refuses, as an ECMA-262 pattern.
NO_CONTROL_CHARACTERS = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f]*$"
_INTEGER = re.compile(r"[0-9]{1,20}")
_NUMBER = re.compile(r"-?[0-9]{1,40}(\.[0-9]{1,40})?([eE][+-]?[0-9]{1,6})?")


class QueryArgument:
    """One optional query argument: how it is read and how the document describes it."""

    def __init__(self, name: str, description: str, default=None):
        self.name = name
        self.description = description
        self.default = default

    def schema(self) -> dict:
        raise NotImplementedError

    def parse(self, raw: str):
        """The value of a non-empty `raw`; ValueError with the reason when it is refused."""
        raise NotImplementedError

    def read(self):
        """The argument's value in the current request (its default when absent or empty);
        a refused value aborts with a 400 that names the argument and says why."""
        raw = request.args.get(self.name, "")
        if raw == "":
            return self.default
        try:
            return self.parse(raw)
        except ValueError as error:
            abort(400, description=f"{self.name}: {error}")

    def parameter(self) -> dict:
        """The OpenAPI 3.1 Parameter Object."""
        return {
            "name": self.name,
            "in": "query",
            "required": False,
            "allowEmptyValue": True,
            "description": self.description,
            "schema": self.schema(),
        }


class Choice(QueryArgument):
    """One of an enum's members, given by its value."""

    def __init__(self, name: str, members: Iterable[enum.Enum], description: str):
        super().__init__(name, description)
        self.members = {str(member.value): member for member in members}

    def schema(self) -> dict:
        return {"type": "string", "enum": list(self.members)}

    def parse(self, raw: str) -> enum.Enum:
        if raw not in self.members:
            raise ValueError(_("unknown value “%(value)s”", value=raw[:50]))
        return self.members[raw]


class Code(QueryArgument):
    """An ISO code of `length` letters (country: 2, currency: 3), in either case."""

    def __init__(self, name: str, length: int, description: str):
        super().__init__(name, description)
        self.length = length

    def schema(self) -> dict:
        return {"type": "string", "pattern": f"^[A-Za-z]{{{self.length}}}$"}

    def parse(self, raw: str) -> str:
        if not re.fullmatch(f"[A-Za-z]{{{self.length}}}", raw):
            raise ValueError(_("must be %(length)s letters", length=self.length))
        return raw.upper()


class Text(QueryArgument):
    """Free text up to `max_length` characters, without control characters (NUL would
    otherwise fail in PostgreSQL); blank text is no filter."""

    def __init__(self, name: str, max_length: int, description: str):
        super().__init__(name, description)
        self.max_length = max_length

    def schema(self) -> dict:
        return {"type": "string", "maxLength": self.max_length, "pattern": NO_CONTROL_CHARACTERS}

    def parse(self, raw: str) -> str | None:
        refuse_control_characters(raw)
        if len(raw) > self.max_length:
            raise ValueError(_("at most %(length)s characters", length=self.max_length))
        return raw.strip() or None


class Integer(QueryArgument):
    """A whole number written in ASCII digits, within [minimum, maximum]."""

    def __init__(self, name: str, minimum: int, maximum: int, description: str, default=None):
        super().__init__(name, description, default)
        self.minimum, self.maximum = minimum, maximum

    def schema(self) -> dict:
        schema = {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}
        if self.default is not None:
            schema["default"] = self.default
        return schema

    def parse(self, raw: str) -> int:
        if not _INTEGER.fullmatch(raw) or not self.minimum <= int(raw) <= self.maximum:
            raise ValueError(
                _(
                    "must be a whole number from %(min)s to %(max)s",
                    min=self.minimum,
                    max=self.maximum,
                )
            )
        return int(raw)


class Amount(QueryArgument):
    """An amount of money (a decimal number) within [minimum, maximum]."""

    def __init__(self, name: str, minimum: int, maximum: int, description: str):
        super().__init__(name, description)
        self.minimum, self.maximum = minimum, maximum

    def schema(self) -> dict:
        return {"type": "number", "minimum": self.minimum, "maximum": self.maximum}

    def parse(self, raw: str) -> Decimal:
        problem = ValueError(
            _("must be a number from %(min)s to %(max)s", min=self.minimum, max=self.maximum)
        )
        if not _NUMBER.fullmatch(raw):
            raise problem
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise problem from None
        # Budgets are below 10^13; larger amounts cannot be compared in the database.
        if not self.minimum <= value <= self.maximum:
            raise problem
        return value


def reads(*arguments: QueryArgument):
    """Declare the query arguments a view reads: the OpenAPI document lists them."""

    def mark(view):
        view.query_arguments = arguments
        return view

    return mark


def read_all(arguments: Iterable[QueryArgument]) -> dict:
    """Every argument's value by name, in the current request."""
    return {argument.name: argument.read() for argument in arguments}
