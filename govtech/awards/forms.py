"""Forms of the awards domain."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import RadioField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from govtech.form_fields import PageForm, options


class DecisionForm(PageForm):
    kind = RadioField(
        _l("Decision"),
        choices=options(
            [
                ("award", _l("Award the selected proposal(s)")),
                ("void", _l("Declare the challenge void: no proposal qualifies")),
            ]
        ),
        validators=[InputRequired()],
    )
    winners = SelectMultipleField(_l("Winning proposal(s)"), validators=[Optional()], coerce=int)
    justification = TextAreaField(
        _l("Justification"),
        description=_l(
            "Required, and published, when the winner is not the top-ranked "
            "proposal or the challenge is declared void."
        ),
        validators=[Optional(), Length(max=10000)],
    )
    submit = SubmitField(_l("Propose the decision"))


class AppealForm(PageForm):
    reason = TextAreaField(
        _l("Grounds of the appeal"), validators=[DataRequired(), Length(min=30, max=10000)]
    )
    submit = SubmitField(_l("Lodge the appeal"))


class AnswerForm(PageForm):
    answer = TextAreaField(_l("Public answer"), validators=[DataRequired(), Length(max=10000)])
    submit = SubmitField(_l("Publish the answer"))


class VerifyForm(PageForm):
    document = FileField(
        _l("Award notice (PDF)"), validators=[DataRequired(message=_l("Choose the PDF to verify."))]
    )
    submit = SubmitField(_l("Verify"))


class EvidenceForm(PageForm):
    evidence = TextAreaField(
        _l("Evidence of delivery"), validators=[DataRequired(), Length(min=10, max=5000)]
    )
    submit = SubmitField(_l("Mark as delivered"))


class MilestoneDecisionForm(PageForm):
    decision = RadioField(
        _l("Decision"),
        choices=options(
            [
                ("accept", _l("Accept and release the payment share")),
                ("reject", _l("Reject")),
            ]
        ),
        validators=[InputRequired()],
    )
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Record"))


class CorrectionForm(PageForm):
    reason = TextAreaField(
        _l("What the correction changes, and why"),
        validators=[DataRequired(), Length(min=30, max=5000)],
    )
    submit = SubmitField(_l("Issue a correcting notice"))
