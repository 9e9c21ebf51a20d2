"""Forms of the evaluation domain; several are built per challenge (one field per item)."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from govtech.countries import country_choices
from govtech.form_fields import (
    BoundedIntegerField,
    LocalDateTimeField,
    OptionalChoice,
    PageForm,
    options,
)

READINESS_CHOICES = [("yes", _l("Yes")), ("partly", _l("Partly")), ("no", _l("No"))]
CONFLICT_KIND_CHOICES = [
    ("family", _l("Family relationship")),
    ("financial", _l("Financial interest")),
    ("employment", _l("Employment in the last 3 years")),
    ("other", _l("Other")),
]
SCORE_CHOICES = [(str(n), str(n)) for n in range(6)]


def readiness_form(items, language: str):
    """One yes/partly/no answer and note per challenge-side checklist item."""

    class ReadinessForm(PageForm):
        submit = SubmitField(_l("Save the self-assessment"))

    for item in items:
        setattr(
            ReadinessForm,
            f"answer_{item.id}",
            RadioField(
                f"{item.code} {item.text('title', language)}",
                choices=options(READINESS_CHOICES),
                validators=[InputRequired(message=_l("Answer yes, partly or no."))],
            ),
        )
        setattr(
            ReadinessForm,
            f"note_{item.id}",
            TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)]),
        )
    return ReadinessForm


class OwnCriterionRow(Form):
    title = StringField(_l("Criterion of your own"), validators=[Optional(), Length(max=200)])
    description = StringField(_l("What it means"), validators=[Optional(), Length(max=1000)])
    weight = BoundedIntegerField(_l("Weight"), validators=[Optional(), NumberRange(min=0, max=100)])


def rubric_form(items, language: str, *, amending: bool = False):
    """A weight per proposal-side item (0 leaves it out) and up to five own criteria; after
    publication (`amending`) also the addendum that announces the change and the extended
    deadline it needs."""

    label = _l("Publish the addendum and the new rubric") if amending else _l("Save the rubric")

    class RubricForm(PageForm):
        own = FieldList(FormField(OwnCriterionRow), min_entries=5, max_entries=5)
        submit = SubmitField(label)

    if amending:
        RubricForm.addendum_text = TextAreaField(
            _l("What changes, for the addendum"),
            validators=[DataRequired(), Length(min=10, max=20000)],
        )
        RubricForm.new_submission_deadline = LocalDateTimeField(
            _l("New deadline for proposals"),
            description=_l("Later than the current deadline: bidders need time to adapt."),
            validators=[DataRequired()],
        )

    for item in items:
        setattr(
            RubricForm,
            f"w_{item.id}",
            BoundedIntegerField(
                f"{item.code} {item.text('title', language)}",
                validators=[Optional(), NumberRange(min=0, max=100)],
            ),
        )
    return RubricForm


class InviteForm(PageForm):
    email = EmailField(
        _l("Evaluator's email"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=320)],
    )
    role_on_panel = StringField(
        _l("Role on the panel"),
        description=_l("For example: technical expert, user representative, procurement officer."),
        validators=[DataRequired(), Length(max=120)],
    )
    submit = SubmitField(_l("Invite"))


class EvaluatorSignUpForm(PageForm):
    full_name = StringField(_l("Your full name"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Create my evaluator account"))


def conflicts_form(proposals, blind: bool):
    """For each bidder: a conflict yes/no, its kind and a note."""

    class ConflictsForm(PageForm):
        submit = SubmitField(_l("Sign the declaration"))

    for index, proposal in enumerate(proposals, start=1):
        label = proposal.supplier.legal_name if not blind else None
        setattr(
            ConflictsForm,
            f"conflict_{proposal.id}",
            RadioField(
                label or _l("Bidder %(n)s", n=index),
                choices=options([("no", _l("No conflict")), ("yes", _l("I have a conflict"))]),
                validators=[InputRequired(message=_l("Declare yes or no."))],
            ),
        )
        setattr(
            ConflictsForm,
            f"kind_{proposal.id}",
            SelectField(
                _l("Kind of conflict"),
                choices=options(CONFLICT_KIND_CHOICES, blank=True),
                validators=[OptionalChoice()],
            ),
        )
        setattr(
            ConflictsForm,
            f"note_{proposal.id}",
            StringField(_l("Note"), validators=[Optional(), Length(max=1000)]),
        )
    return ConflictsForm


def scorecard_form(criteria, language: str):
    """A 0–5 score and a justification per criterion, and the version the form was loaded at."""

    class ScorecardForm(PageForm):
        version = HiddenField()
        save = SubmitField(_l("Save draft"))
        submit_card = SubmitField(_l("Submit scorecard"))

    for criterion in criteria:
        setattr(
            ScorecardForm,
            f"score_{criterion.id}",
            RadioField(
                f"{criterion.label(language)} ({criterion.weight}%)",
                choices=options(SCORE_CHOICES),
                validators=[OptionalChoice()],
            ),
        )
        setattr(
            ScorecardForm,
            f"justification_{criterion.id}",
            TextAreaField(_l("Justification"), validators=[Optional(), Length(max=5000)]),
        )
    return ScorecardForm


class ReasonForm(PageForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(min=10, max=5000)])
    submit = SubmitField(_l("Confirm"))


class ConsensusForm(PageForm):
    note = TextAreaField(
        _l("Consensus of the panel"), validators=[DataRequired(), Length(min=10, max=5000)]
    )
    submit = SubmitField(_l("Record consensus"))


class FlagResolutionForm(PageForm):
    decision = RadioField(
        _l("Decision"),
        choices=options(
            [
                ("clear", _l("No conflict: the evaluator may open the proposal")),
                ("conflict", _l("Conflict confirmed: the evaluator is excluded from it")),
            ]
        ),
        validators=[InputRequired()],
    )
    note = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(min=10, max=2000)])
    submit = SubmitField(_l("Resolve"))


class AffiliationForm(PageForm):
    organisation = StringField(_l("Organisation"), validators=[DataRequired(), Length(max=200)])
    country = SelectField(_l("Country"), validators=[InputRequired()])
    tax_id = StringField(
        _l("Its tax id"),
        # Kept upper-cased; checked on that form, as some letters grow ("ß" is "SS").
        filters=[lambda value: value.strip().upper() if isinstance(value, str) else value],
        validators=[DataRequired(), Length(max=32)],
    )
    until_year = BoundedIntegerField(
        _l("Until (year, empty if current)"),
        validators=[Optional(), NumberRange(min=1900, max=2100)],
    )
    submit = SubmitField(_l("Add affiliation"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = options(country_choices())
