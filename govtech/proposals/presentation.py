"""How proposals are shown in templates: labels for stored codes, the live content."""

from govtech.proposals.models import (
    INELIGIBILITY_LABELS,
    MATURITY_LABELS,
    SCREENING_LABELS,
    IneligibilityReason,
    Maturity,
    Screening,
)
from govtech.proposals.services import proposal_content


def _label(labels, enum_cls):
    def lookup(value) -> str:
        if value in (None, ""):
            return "—"
        return str(labels[enum_cls(value)])

    return lookup


def proposal_template_helpers() -> dict:
    """Template globals for the proposals domain."""
    return {
        "maturity_label": _label(MATURITY_LABELS, Maturity),
        "screening_label": _label(SCREENING_LABELS, Screening),
        "ineligibility_label": _label(INELIGIBILITY_LABELS, IneligibilityReason),
        "proposal_content": proposal_content,
    }
