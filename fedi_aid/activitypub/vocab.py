"""Vocabulary and the JSON-LD @context we emit. Pure constants, no I/O.

Receivers never have to fetch a context of ours: we name only the ActivityStreams and security
contexts (preloaded by every server) and declare everything else inline, as Mastodon does with
its `toot:` terms.
"""

from __future__ import annotations

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# Forms of the public collection seen in the wild (compacted, prefixed).
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})

AP_CONTENT_TYPE = "application/activity+json"
LD_CONTENT_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
JRD_CONTENT_TYPE = "application/jrd+json"
ACCEPTED_INBOUND_TYPES = frozenset(
    {"application/activity+json", "application/ld+json", "application/json"}
)

# Our own namespace: urgency, remaining quantity, hop budget and the like. Declared inline.
AID_NS = "https://fedi-aid.org/ns#"
VALUEFLOWS_NS = "https://w3id.org/valueflows/ont/vf#"
OM2_NS = "http://www.ontology-of-units-of-measure.org/resource/om-2/"

INLINE_TERMS: dict[str, object] = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "toot": "http://joinmastodon.org/ns#",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "discoverable": "toot:discoverable",
    # FEP-0837 (federated marketplace), ValueFlows terms
    "vf": VALUEFLOWS_NS,
    "om2": OM2_NS,
    "Proposal": "vf:Proposal",
    "Intent": "vf:Intent",
    "Agreement": "vf:Agreement",
    "Commitment": "vf:Commitment",
    "purpose": "vf:purpose",
    "publishes": "vf:publishes",
    "reciprocal": "vf:reciprocal",
    "unitBased": "vf:unitBased",
    "action": "vf:action",
    "resourceConformsTo": {"@id": "vf:resourceConformsTo", "@type": "@id"},
    "resourceQuantity": "vf:resourceQuantity",
    "availableQuantity": "vf:availableQuantity",
    "minimumQuantity": "vf:minimumQuantity",
    "stipulates": "vf:stipulates",
    "stipulatesReciprocal": "vf:stipulatesReciprocal",
    "satisfies": {"@id": "vf:satisfies", "@type": "@id"},
    "hasUnit": "om2:hasUnit",
    "hasNumericalValue": "om2:hasNumericalValue",
    # fedi-aid's own terms
    "aid": AID_NS,
    "urgency": "aid:urgency",
    "remainingQuantity": "aid:remainingQuantity",
    "aidStatus": "aid:status",
    "hopBudget": "aid:hopBudget",
    "hopCount": "aid:hopCount",
    "categories": {"@id": "aid:categories", "@type": "@id", "@container": "@set"},
    # A group's open public needs and offers (OrderedCollections; discovery reads totalItems).
    "openNeeds": {"@id": "aid:openNeeds", "@type": "@id"},
    "openOffers": {"@id": "aid:openOffers", "@type": "@id"},
    "radius": "as:radius",
}

CONTEXT: list[object] = [AS_CONTEXT, SECURITY_CONTEXT, INLINE_TERMS]

# Actor types we treat as actors; everything else is an object.
ACTOR_TYPES = frozenset({"Person", "Group", "Application", "Service", "Organization"})
