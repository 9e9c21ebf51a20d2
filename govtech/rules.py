"""The one exception every domain's services raise when a procurement rule refuses an action."""


class RuleViolation(ValueError):
    """A rule refused the action; `message` says why (translatable), `field` names the
    form field it concerns, if any, so views can attach the error to that field."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
