"""Parse an expiry given by a person: an ISO date or datetime, or a duration like 3d, 12h, 2w."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_expiry(text: str, now: datetime) -> datetime:
    """A date means the end of that day (UTC). Raises ValueError with an example on bad input."""
    match = _DURATION.match(text)
    if match:
        amount, unit = int(match.group(1)), _UNITS[match.group(2).lower()]
        if amount <= 0:
            raise ValueError(f"expiry duration must be positive, got {text!r}")
        return now + timedelta(**{unit: amount})
    try:
        if len(text.strip()) == 10:
            day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
            when = datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
        else:
            when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(
            f"cannot read the expiry {text!r}; use a date (2026-12-01), a date and time "
            "(2026-12-01T18:00:00Z) or a duration (12h, 3d, 2w)"
        ) from None
    if when <= now:
        raise ValueError(f"the expiry {text!r} is in the past")
    return when.astimezone(UTC)
