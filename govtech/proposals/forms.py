"""Forms of the proposal: one per step, so each step saves the draft."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from govtech.form_fields import (
    BoundedIntegerField,
    FiniteDecimalField,
    OptionalChoice,
    PageForm,
    PlainTextMeta,
    options,
)
from govtech.proposals.models import INELIGIBILITY_LABELS, MATURITY_LABELS, Maturity

MILESTONE_ROWS = 6
KPI_ROWS = 4
TEAM_ROWS = 6


class _Row(Form):
    """A repeatable row: entirely blank rows are ignored; started rows must be complete."""

    Meta = PlainTextMeta

    def is_blank(self) -> bool:
        return all(field.data in (None, "") for field in self)

    def validate(self, extra_validators=None) -> bool:
        if self.is_blank():
            return True
        ok = super().validate(extra_validators)
        for field in self:
            if field.data in (None, "") and not field.errors:
                field.errors = [*field.errors, _l("Complete this field or clear the whole row.")]
                ok = False
        return ok


class MilestoneRow(_Row):
    name = StringField(_l("Milestone"), validators=[Optional(), Length(max=200)])
    week = BoundedIntegerField(_l("Week"), validators=[Optional(), NumberRange(min=1, max=260)])
    deliverable = StringField(_l("Deliverable"), validators=[Optional(), Length(max=1000)])
    acceptance_test = StringField(_l("Acceptance test"), validators=[Optional(), Length(max=1000)])
    payment_share = FiniteDecimalField(
        _l("Payment share in percent"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=100)],
    )


class KpiRow(_Row):
    name = StringField(_l("Indicator"), validators=[Optional(), Length(max=200)])
    baseline = StringField(_l("Baseline"), validators=[Optional(), Length(max=200)])
    target = StringField(_l("Target"), validators=[Optional(), Length(max=200)])


class TeamRow(_Row):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = StringField(_l("Role in the pilot"), validators=[Optional(), Length(max=200)])
    experience = StringField(_l("Relevant experience"), validators=[Optional(), Length(max=1000)])


def _rows(field_list, keys, convert=None):
    rows = []
    for entry in field_list:
        if entry.form.is_blank():
            continue
        row = {key: entry.form[key].data for key in keys}
        if convert:
            row = convert(row)
        rows.append(row)
    return rows


class SolutionStep(PageForm):
    summary = TextAreaField(
        _l("Summary"),
        description=_l("What you propose, in a few lines."),
        validators=[Optional(), Length(max=2000)],
    )
    solution = TextAreaField(
        _l("Proposed solution and how it meets the expected results"),
        validators=[Optional(), Length(max=20000)],
    )
    maturity = RadioField(
        _l("Maturity"), choices=options(MATURITY_LABELS.items()), validators=[OptionalChoice()]
    )
    maturity_evidence = TextAreaField(
        _l("Evidence of maturity"),
        description=_l("Users, pilots, references, links to demos."),
        validators=[Optional(), Length(max=5000)],
    )
    submit = SubmitField(_l("Save and continue"))

    def values(self) -> dict:
        return {
            "summary": (self.summary.data or "").strip() or None,
            "solution": (self.solution.data or "").strip() or None,
            "maturity": Maturity(self.maturity.data) if self.maturity.data else None,
            "maturity_evidence": (self.maturity_evidence.data or "").strip() or None,
        }

    def fill(self, proposal) -> None:
        self.summary.data = proposal.summary
        self.solution.data = proposal.solution
        self.maturity.data = proposal.maturity.value if proposal.maturity else None
        self.maturity_evidence.data = proposal.maturity_evidence


class PilotStep(PageForm):
    milestones = FieldList(
        FormField(MilestoneRow), min_entries=MILESTONE_ROWS, max_entries=MILESTONE_ROWS
    )
    kpis = FieldList(FormField(KpiRow), min_entries=KPI_ROWS, max_entries=KPI_ROWS)
    submit = SubmitField(_l("Save and continue"))

    def values(self) -> dict:
        def milestone(row):
            row["payment_share"] = float(row["payment_share"])
            row["name"] = row["name"].strip()
            return row

        return {
            "milestones": sorted(
                _rows(
                    self.milestones,
                    ("name", "week", "deliverable", "acceptance_test", "payment_share"),
                    milestone,
                ),
                key=lambda m: m["week"],
            ),
            "kpis": _rows(self.kpis, ("name", "baseline", "target")),
        }

    def fill(self, proposal) -> None:
        for entry, data in zip(self.milestones, proposal.milestones or [], strict=False):
            entry.form.process(data={**data, "payment_share": Decimal(str(data["payment_share"]))})
        for entry, data in zip(self.kpis, proposal.kpis or [], strict=False):
            entry.form.process(data=data)


class TeamStep(PageForm):
    team = FieldList(FormField(TeamRow), min_entries=TEAM_ROWS, max_entries=TEAM_ROWS)
    submit = SubmitField(_l("Save and continue"))

    def values(self) -> dict:
        return {"team": _rows(self.team, ("name", "role", "experience"))}

    def fill(self, proposal) -> None:
        for entry, data in zip(self.team, proposal.team or [], strict=False):
            entry.form.process(data=data)


class CommitmentsStep(PageForm):
    price_amount = FiniteDecimalField(
        _l("Price of the pilot"),
        places=2,
        validators=[
            Optional(),
            NumberRange(min=0.01, max=10**13, message=_l("Enter an amount greater than zero.")),
        ],
    )
    data_protection = TextAreaField(
        _l("Data protection, security and accessibility"),
        validators=[Optional(), Length(max=10000)],
    )
    interoperability = TextAreaField(
        _l("Interoperability and open standards"), validators=[Optional(), Length(max=10000)]
    )
    ip_position = TextAreaField(
        _l("Intellectual property"),
        description=_l("Who owns what is built, and what rights the agency receives."),
        validators=[Optional(), Length(max=10000)],
    )
    scale_up_plan = TextAreaField(
        _l("Plan to scale up after the pilot"), validators=[Optional(), Length(max=10000)]
    )
    scale_up_cost = FiniteDecimalField(
        _l("Estimated cost of scaling up"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=10**13)],
    )
    submit = SubmitField(_l("Save and continue"))

    def values(self) -> dict:
        text = ("data_protection", "interoperability", "ip_position", "scale_up_plan")
        data = {name: (self[name].data or "").strip() or None for name in text}
        data["price_amount"] = self.price_amount.data
        data["scale_up_cost"] = self.scale_up_cost.data
        return data

    def fill(self, proposal) -> None:
        for name in (
            "price_amount",
            "data_protection",
            "interoperability",
            "ip_position",
            "scale_up_plan",
            "scale_up_cost",
        ):
            self[name].data = getattr(proposal, name)


class AttachmentForm(PageForm):
    title = StringField(_l("Document title"), validators=[Optional(), Length(max=200)])
    document = FileField(
        _l("PDF file (at most 10 MB)"), validators=[DataRequired(message=_l("Choose a PDF file."))]
    )
    submit = SubmitField(_l("Upload"))


class ScreeningForm(PageForm):
    decision = RadioField(
        _l("Decision"),
        choices=options([("eligible", _l("Eligible")), ("ineligible", _l("Ineligible"))]),
        validators=[InputRequired()],
    )
    reason = SelectField(
        _l("Reason"),
        choices=options(INELIGIBILITY_LABELS.items(), blank=True),
        validators=[OptionalChoice()],
    )
    note = TextAreaField(
        _l("Explanation for the supplier"), validators=[Optional(), Length(max=5000)]
    )
    submit = SubmitField(_l("Record decision"))


STEPS = {
    "solution": (SolutionStep, _l("Solution")),
    "pilot": (PilotStep, _l("Pilot plan and KPIs")),
    "team": (TeamStep, _l("Team")),
    "commitments": (CommitmentsStep, _l("Price and commitments")),
}
STEP_ORDER = ["solution", "pilot", "team", "commitments", "attachments"]
