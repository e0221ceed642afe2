"""FEP-0837 `Offer{Agreement}` and a reply `Note` -> what a pledge needs. Pure.

An Offer's Agreement `stipulates` one Commitment that `satisfies` the proposal's primary intent
(`<proposal id>#primary`) with a `resourceQuantity`. Liberal in form (the commitment as an object
or a one-item list, `hasUnit` under `om2:`/`vf:` names, the quantity as a string or a number),
strict on meaning: a bad value raises BadAidObject naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fedi_aid.activitypub.from_as import BadAidObject, _measure
from fedi_aid.activitypub.normalize import id_of
from fedi_aid.activitypub.sanitize import html_to_text


@dataclass(frozen=True)
class OfferedCommitment:
    proposal_uri: str  # the need or offer, without the #primary fragment
    quantity: Decimal
    unit: str


def as_offer_to_commitment(activity: dict[str, Any]) -> OfferedCommitment:
    agreement = activity.get("object")
    if not isinstance(agreement, dict) or agreement.get("type") != "Agreement":
        raise BadAidObject("object", "must be an Agreement")
    stipulates = agreement.get("stipulates")
    if isinstance(stipulates, list) and len(stipulates) == 1:
        stipulates = stipulates[0]
    if not isinstance(stipulates, dict):
        raise BadAidObject("object.stipulates", "must be a Commitment")
    satisfies = id_of(stipulates.get("satisfies"))
    if not satisfies:
        raise BadAidObject("object.stipulates.satisfies", "required")
    proposal, _, fragment = satisfies.partition("#")
    if fragment not in ("", "primary"):
        raise BadAidObject(
            "object.stipulates.satisfies", "must name the proposal's primary intent (#primary)"
        )
    measure = _measure(stipulates.get("resourceQuantity"), "object.stipulates.resourceQuantity")
    if measure.value <= 0:
        raise BadAidObject(
            "object.stipulates.resourceQuantity.hasNumericalValue", "must be greater than zero"
        )
    return OfferedCommitment(proposal, measure.value, measure.unit)


def reply_text(note: dict[str, Any]) -> str:
    """The plain text of a reply (Mastodon sends HTML `content`; some send `source`)."""
    content = note.get("content")
    if isinstance(content, str) and content.strip():
        return html_to_text(content)
    source = note.get("source")
    if isinstance(source, dict) and isinstance(source.get("content"), str):
        return source["content"]
    return ""
