"""Forms of the accounts domain: one per action."""

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from govtech import clock
from govtech.accounts.models import GOVERNMENT_LEVEL_LABELS, SIZE_BAND_LABELS
from govtech.accounts.tax_ids import VALIDATORS, InvalidTaxId, normalise_tax_id
from govtech.countries import country_choices
from govtech.form_fields import BoundedIntegerField, OptionalChoice, PageForm, options

_TIME_ZONES = sorted(
    tz for tz in available_timezones() if tz.startswith(("America/", "Europe/Madrid", "UTC"))
)


class LoginForm(PageForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


class RegistrationForm(PageForm):
    """A new account together with the organisation it represents. No password: it is
    chosen on the page the emailed link opens (RegistrationPasswordForm), so the link
    carries none."""

    account_type = RadioField(
        _l("I am registering"),
        choices=options(
            [
                ("supplier", _l("a startup or SME that wants to bid")),
                ("agency", _l("a public agency that wants to publish challenges")),
            ]
        ),
        validators=[InputRequired()],
    )
    full_name = StringField(_l("Your full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=320)]
    )
    # Supplier fields
    legal_name = StringField(_l("Legal name of the company"), validators=[Length(max=200)])
    tax_id = StringField(_l("Tax id"), validators=[Length(max=32)])
    supplier_country = SelectField(_l("Country of registration"), validators=[OptionalChoice()])
    size_band = SelectField(
        _l("Size"),
        choices=options(SIZE_BAND_LABELS.items(), blank=True),
        validators=[OptionalChoice()],
    )
    founding_year = BoundedIntegerField(_l("Year founded"), validators=[Optional()])
    website = URLField(_l("Website"), validators=[Optional(), URL(), Length(max=300)])
    # Agency fields
    agency_name = StringField(_l("Name of the agency"), validators=[Length(max=200)])
    agency_code = StringField(
        _l("Short code"),
        description=_l("2 to 16 letters, digits or hyphens; used in notice references."),
        validators=[
            Optional(),
            Regexp(r"^[A-Za-z0-9-]{2,16}$", message=_l("Use 2 to 16 letters, digits or hyphens.")),
        ],
    )
    agency_country = SelectField(_l("Country"), validators=[OptionalChoice()])
    level = SelectField(
        _l("Level of government"),
        choices=options(GOVERNMENT_LEVEL_LABELS.items(), blank=True),
        validators=[OptionalChoice()],
    )
    time_zone = SelectField(_l("Time zone"), validators=[OptionalChoice()])
    submit = SubmitField(_l("Create account"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.supplier_country.choices = options(country_choices(tuple(VALIDATORS)), blank=True)
        self.agency_country.choices = options(country_choices(), blank=True)
        self.time_zone.choices = options(((tz, tz) for tz in _TIME_ZONES), blank=True)

    def _require(self, *fields) -> bool:
        ok = True
        for field in fields:
            if field.data in (None, ""):
                field.errors.append(_l("This field is required."))
                ok = False
        return ok

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.account_type.data == "supplier":
            required = self._require(
                self.legal_name,
                self.tax_id,
                self.supplier_country,
                self.size_band,
                self.founding_year,
            )
            ok = required and ok
            year = self.founding_year.data
            if year is not None and not 1800 <= year <= clock.now().year:
                self.founding_year.errors.append(
                    _l("Enter a year between 1800 and %(year)s.", year=clock.now().year)
                )
                ok = False
            if self.tax_id.data and self.supplier_country.data:
                try:
                    normalise_tax_id(self.supplier_country.data, self.tax_id.data)
                except InvalidTaxId:
                    self.tax_id.errors.append(
                        _l("This is not a valid tax id for the selected country.")
                    )
                    ok = False
        elif self.account_type.data == "agency":
            ok = (
                self._require(
                    self.agency_name,
                    self.agency_code,
                    self.agency_country,
                    self.level,
                    self.time_zone,
                )
                and ok
            )
        return ok


_NEW_PASSWORD = {"autocomplete": "new-password"}


class RegistrationPasswordForm(PageForm):
    """The last step of a registration, from the emailed link: the password."""

    password = PasswordField(
        _l("Password"),
        description=_l("At least 10 characters. A passphrase of several words is best."),
        validators=[DataRequired(), Length(max=200)],
        render_kw=_NEW_PASSWORD,
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw=_NEW_PASSWORD,
    )
    submit = SubmitField(_l("Create my account"))


class PasswordResetRequestForm(PageForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    submit = SubmitField(_l("Send me a reset link"))


class PasswordResetForm(PageForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=200)], render_kw=_NEW_PASSWORD
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw=_NEW_PASSWORD,
    )
    submit = SubmitField(_l("Change password"))


class PasswordChangeForm(PasswordResetForm):
    """A signed-in user changes the password: the current one proves it is them."""

    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class ConfirmForm(PageForm):
    """An empty form for POST-only buttons, so they carry a CSRF token."""

    submit = SubmitField(_l("Confirm"))


class SupplierProfileForm(PageForm):
    """The company profile reused in every proposal."""

    legal_name = StringField(_l("Legal name"), validators=[DataRequired(), Length(max=200)])
    country = SelectField(_l("Country of registration"), validators=[InputRequired()])
    tax_id = StringField(_l("Tax id"), validators=[DataRequired(), Length(max=32)])
    size_band = SelectField(
        _l("Size"),
        # A required select starts with an empty placeholder (HTML; the Nu checker).
        choices=options(SIZE_BAND_LABELS.items(), blank=True),
        validators=[InputRequired()],
    )
    founding_year = BoundedIntegerField(_l("Year founded"), validators=[InputRequired()])
    website = URLField(_l("Website"), validators=[Optional(), URL(), Length(max=300)])
    team_size = BoundedIntegerField(
        _l("Team size (people)"), validators=[Optional(), NumberRange(1, 100000)]
    )
    description = TextAreaField(
        _l("Short description"),
        description=_l("What the company does, in a few lines."),
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField(_l("Save profile"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = options(country_choices(tuple(VALIDATORS)), blank=True)

    def validate_founding_year(self, field):
        if field.data is not None and not 1800 <= field.data <= clock.now().year:
            raise ValidationError(
                _l("Enter a year between 1800 and %(year)s.", year=clock.now().year)
            )

    def validate_tax_id(self, field):
        if self.country.data in VALIDATORS:
            try:
                normalise_tax_id(self.country.data, field.data or "")
            except InvalidTaxId as exc:
                raise ValidationError(
                    _l("This is not a valid tax id for the selected country.")
                ) from exc
