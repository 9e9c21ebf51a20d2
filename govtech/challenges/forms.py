"""Forms of the challenges domain."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from govtech.accounts.models import SIZE_BAND_LABELS
from govtech.challenges.models import (
    PROCEDURE_LABELS,
    SECTOR_LABELS,
    STATUS_LABELS,
    Challenge,
    ProcedureType,
    Sector,
)
from govtech.countries import CURRENCIES, country_choices, currency_choices
from govtech.form_fields import (
    BoundedIntegerField,
    FiniteDecimalField,
    LocalDateTimeField,
    MultiCheckboxField,
    OptionalChoice,
    PageForm,
    options,
)

MARKDOWN_HINT = _l("You can use Markdown: **bold**, lists with -, links. HTML is not allowed.")
DATE_FIELDS = ("question_deadline", "submission_deadline", "expected_award_date")


class ChallengeForm(PageForm):
    """The problem statement, budget, eligibility and timeline of a challenge."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=10, max=200)])
    problem_statement = TextAreaField(
        _l("Problem statement"),
        description=_l("The outcome you need and for whom, not a prescribed solution. ")
        + MARKDOWN_HINT,
        validators=[DataRequired(), Length(min=50, max=20000)],
    )
    current_situation = TextAreaField(
        _l("Current situation and data available"),
        validators=[DataRequired(), Length(max=20000)],
    )
    expected_results = TextAreaField(
        _l("Expected results and indicators"),
        description=_l("Measurable indicators with their baseline and target."),
        validators=[DataRequired(), Length(max=20000)],
    )
    sector = SelectField(
        _l("Sector"),
        choices=options(SECTOR_LABELS.items(), blank=True),
        validators=[InputRequired()],
    )
    country = SelectField(_l("Country"), validators=[InputRequired()])
    region = StringField(_l("Region or city"), validators=[Optional(), Length(max=120)])
    budget_amount = FiniteDecimalField(
        _l("Budget"),
        places=2,
        validators=[
            InputRequired(),
            NumberRange(min=0.01, max=10**13, message=_l("Enter an amount greater than zero.")),
        ],
    )
    currency = SelectField(_l("Currency"), validators=[InputRequired()])
    procedure_type = SelectField(
        _l("Procedure"),
        choices=options(PROCEDURE_LABELS.items(), blank=True),
        validators=[InputRequired()],
    )
    eligible_size_bands = MultiCheckboxField(
        _l("Company sizes that may bid"),
        choices=options(SIZE_BAND_LABELS.items()),
        validators=[DataRequired(message=_l("Allow at least one company size."))],
    )
    eligible_countries = MultiCheckboxField(
        _l("Countries where bidders may be registered"),
        description=_l("Leave all unticked to accept companies from any country."),
        validators=[OptionalChoice()],
    )
    min_company_age_years = BoundedIntegerField(
        _l("Minimum company age (years)"), validators=[Optional(), NumberRange(min=0, max=200)]
    )
    max_company_age_years = BoundedIntegerField(
        _l("Maximum company age (years)"), validators=[Optional(), NumberRange(min=0, max=200)]
    )
    question_deadline = LocalDateTimeField(
        _l("Deadline for questions"), validators=[InputRequired()]
    )
    submission_deadline = LocalDateTimeField(
        _l("Deadline for proposals"), validators=[InputRequired()]
    )
    expected_award_date = LocalDateTimeField(
        _l("Expected award date"), validators=[InputRequired()]
    )
    pilot_duration_weeks = BoundedIntegerField(
        _l("Pilot duration (weeks)"), validators=[InputRequired(), NumberRange(min=1, max=260)]
    )
    blind_review = BooleanField(
        _l("Blind review: evaluators do not see the names of bidders or their teams"),
        default=True,
    )
    max_winners = BoundedIntegerField(
        _l("Number of pilots that may be awarded"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=10)],
    )
    minimum_score = BoundedIntegerField(
        _l("Minimum weighted score to win (0–100)"),
        default=50,
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    standstill_days = BoundedIntegerField(
        _l("Standstill period for appeals after the award (days)"),
        default=10,
        validators=[Optional(), NumberRange(min=1, max=60)],
    )
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=200)])
    contact_email = EmailField(
        _l("Contact email"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=320)],
    )
    submit = SubmitField(_l("Save draft"))

    def __init__(self, *args, time_zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone
        self.country.choices = options(country_choices(), blank=True)
        self.eligible_countries.choices = options(country_choices())
        self.currency.choices = options(currency_choices(), blank=True)
        hint = _l("In the agency's time zone (%(zone)s).", zone=time_zone)
        for name in DATE_FIELDS:
            self[name].description = hint

    def validate_currency(self, field):
        if field.data not in CURRENCIES:
            raise ValidationError(_l("Choose a currency from the list."))

    def values(self) -> dict:
        """The cleaned values, with dates converted to UTC."""
        data = {
            name: self[name].data
            for name in (
                "title", "problem_statement", "current_situation", "expected_results",
                "region", "budget_amount", "currency", "min_company_age_years",
                "max_company_age_years", "pilot_duration_weeks", "contact_name",
                "contact_email", "max_winners", "minimum_score", "standstill_days",
            )
        }  # fmt: skip
        data["blind_review"] = bool(self.blind_review.data)
        for name in ("max_winners", "minimum_score", "standstill_days"):
            if data[name] is None:  # left empty: the platform's default rule
                data[name] = self[name].default
        data["title"] = data["title"].strip()
        data["sector"] = Sector(self.sector.data)
        data["procedure_type"] = ProcedureType(self.procedure_type.data)
        data["country"] = self.country.data
        data["region"] = (data["region"] or "").strip() or None
        data["eligible_size_bands"] = sorted(self.eligible_size_bands.data or [])
        data["eligible_countries"] = sorted(self.eligible_countries.data or [])
        for name in DATE_FIELDS:
            data[name] = self[name].utc(self.time_zone)
        return data

    def fill_from(self, challenge: Challenge) -> None:
        """Show an existing challenge in the form (dates in the agency's zone)."""
        for name in (
            "title", "problem_statement", "current_situation", "expected_results", "region",
            "budget_amount", "currency", "min_company_age_years", "max_company_age_years",
            "pilot_duration_weeks", "contact_name", "contact_email", "country",
            "eligible_size_bands", "eligible_countries", "blind_review", "max_winners",
            "minimum_score", "standstill_days",
        ):  # fmt: skip
            self[name].data = getattr(challenge, name)
        self.sector.data = challenge.sector.value
        self.procedure_type.data = challenge.procedure_type.value
        for name in DATE_FIELDS:
            self[name].show(getattr(challenge, name), self.time_zone)


class CatalogueFilterForm(PageForm):
    """The catalogue's filters (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    status = SelectField(_l("Status"), validators=[OptionalChoice()])
    sector = SelectField(_l("Sector"), validators=[OptionalChoice()])
    country = SelectField(_l("Country"), validators=[OptionalChoice()])
    procedure_type = SelectField(_l("Procedure"), validators=[OptionalChoice()])
    currency = SelectField(_l("Currency"), validators=[OptionalChoice()])
    # Bounded like a budget: the database cannot compare larger amounts.
    budget_min = FiniteDecimalField(
        _l("Budget from"), validators=[Optional(), NumberRange(min=0, max=10**13)]
    )
    budget_max = FiniteDecimalField(
        _l("Budget up to"), validators=[Optional(), NumberRange(min=0, max=10**13)]
    )
    submit = SubmitField(_l("Filter"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        public = [(k, v) for k, v in STATUS_LABELS.items() if k.value != "draft"]
        self.status.choices = options(public, blank=True, blank_label=_l("Any"))
        self.sector.choices = options(SECTOR_LABELS.items(), blank=True, blank_label=_l("Any"))
        self.country.choices = options(country_choices(), blank=True, blank_label=_l("Any"))
        self.procedure_type.choices = options(
            PROCEDURE_LABELS.items(), blank=True, blank_label=_l("Any")
        )
        self.currency.choices = options(
            ((c, c) for c in CURRENCIES), blank=True, blank_label=_l("Any")
        )


class AddendumForm(PageForm):
    text = TextAreaField(
        _l("What changes"),
        description=MARKDOWN_HINT,
        validators=[DataRequired(), Length(min=10, max=20000)],
    )
    changes_requirements = BooleanField(_l("This addendum changes the requirements"))
    new_submission_deadline = LocalDateTimeField(
        _l("New deadline for proposals"),
        validators=[Optional()],
    )
    document_title = StringField(
        _l("Title of the attached document"), validators=[Optional(), Length(max=200)]
    )
    document = FileField(_l("Attach a PDF (optional)"))
    submit = SubmitField(_l("Publish addendum"))


class DocumentForm(PageForm):
    title = StringField(_l("Document title"), validators=[DataRequired(), Length(max=200)])
    document = FileField(
        _l("PDF file"), validators=[DataRequired(message=_l("Choose a PDF file."))]
    )
    submit = SubmitField(_l("Upload"))


class ReasonForm(PageForm):
    """Cancellation or void declaration: the public reason is required."""

    reason = TextAreaField(
        _l("Public reason"), validators=[DataRequired(), Length(min=10, max=5000)]
    )
    submit = SubmitField(_l("Confirm"))


class QuestionForm(PageForm):
    text = TextAreaField(
        _l("Your question"),
        description=_l("Questions and answers are published for everyone, without your name."),
        validators=[DataRequired(), Length(min=10, max=5000)],
    )
    submit = SubmitField(_l("Send question"))


class AnswerForm(PageForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=10000)])
    submit = SubmitField(_l("Publish answer"))
