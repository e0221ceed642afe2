"""The documented post form for needs and offers (`#need 20 insulin pens #Riverside by Friday`)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fedi_aid.aid.categories import NAMESPACE
from fedi_aid.mastodon_api.need_syntax import NeedSyntaxError, is_aid_post, parse_post
from fedi_aid.mastodon_api.pagination import link_header, read_page
from fedi_aid.mastodon_api.scopes import allows, parse_scopes

WEDNESDAY = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_the_documented_example() -> None:
    parsed = parse_post("#need 20 insulin pens #Riverside by Friday", WEDNESDAY)
    assert parsed is not None and parsed.group is None
    draft = parsed.draft
    assert (draft.kind, draft.title, draft.quantity, draft.unit) == (
        "need",
        "insulin pens",
        Decimal(20),
        "pens",
    )
    assert draft.category == NAMESPACE + "medicine/insulin"
    assert draft.place_name == "Riverside"
    assert draft.expires_at == datetime(2026, 11, 27, 23, 59, 59, tzinfo=UTC)
    assert draft.urgency == "normal"


def test_group_unit_urgency_description_and_html() -> None:
    text = "<p>@riverside #offer 5 kg rice #Food #urgent until 2026-12-01</p><p>At the hall</p>"
    parsed = parse_post(text, WEDNESDAY)
    assert parsed is not None and parsed.group == "riverside"
    draft = parsed.draft
    assert (draft.kind, draft.title, draft.unit, draft.quantity) == ("offer", "rice", "kg", 5)
    assert draft.category == NAMESPACE + "food" and draft.urgency == "high"
    assert draft.description == "At the hall"
    assert draft.expires_at == datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("today", datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC)),
        ("tomorrow", datetime(2026, 11, 26, 23, 59, 59, tzinfo=UTC)),
        ("Wednesday", datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC)),
        ("tuesday", datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)),
        ("3d", datetime(2026, 11, 28, 12, 0, tzinfo=UTC)),
    ],
)
def test_deadlines(when: str, expected: datetime) -> None:
    parsed = parse_post(f"#need tents by {when}", WEDNESDAY)
    assert parsed is not None
    assert parsed.draft.expires_at == expected
    assert parsed.draft.quantity == 1 and parsed.draft.category == NAMESPACE + "shelter/tents"


def test_not_a_need_and_unreadable_needs() -> None:
    assert parse_post("good morning #need", WEDNESDAY) is None
    assert not is_aid_post("hello") and is_aid_post("@g #Offer soup")
    with pytest.raises(NeedSyntaxError, match="say what is needed"):
        parse_post("#need #Riverside", WEDNESDAY)
    with pytest.raises(NeedSyntaxError, match="cannot read the expiry"):
        parse_post("#need 2 tents by someday", WEDNESDAY)
    with pytest.raises(NeedSyntaxError, match="name the category with a hashtag"):
        parse_post("#offer 3 hugs #Riverside", WEDNESDAY)
    with pytest.raises(NeedSyntaxError, match="positive"):
        parse_post("#need 0 tents", WEDNESDAY)


def test_scopes_as_mastodon_reads_them() -> None:
    assert parse_scopes("read write:statuses") == ["read", "write:statuses"]
    assert parse_scopes(None) == ["read"]
    with pytest.raises(ValueError, match="unknown scope"):
        parse_scopes("read admin")
    assert allows(["read"], "read:statuses") and not allows(["read"], "write:statuses")
    assert allows(["follow"], "write:follows") and not allows(["follow"], "write:statuses")
    assert allows(["write:statuses"], "write:statuses") and not allows(["write:lists"], "write")


def test_pagination_parameters_and_link() -> None:
    page = read_page({"limit": "500", "max_id": "10"})
    assert (page.limit, page.max_id) == (40, 10)
    link = link_header("https://a.example/api/v1/timelines/public", {"local": "true"}, [9, 7, 5])
    assert link == (
        '<https://a.example/api/v1/timelines/public?local=true&max_id=5>; rel="next", '
        '<https://a.example/api/v1/timelines/public?local=true&min_id=9>; rel="prev"'
    )
    assert link_header("https://a.example/x", {}, []) is None
