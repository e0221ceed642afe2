"""Process-local counters in the Prometheus text format (no dependency, no I/O).

Each process counts what it did itself (requests, inbox outcomes, key cache hits); what is
shared by every process (queue depth, deliveries by state) is read from the database when
`/metrics` is scraped (fedi_aid/web/ops.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

_HELP: dict[str, tuple[str, str]] = {
    "fedi_aid_http_requests_total": ("counter", "HTTP requests by route and status."),
    "fedi_aid_inbox_activities_total": (
        "counter",
        "Inbox POSTs by result (accepted, or the reason they were rejected).",
    ),
    "fedi_aid_signature_failures_total": (
        "counter",
        "Inbound requests whose HTTP signature did not verify.",
    ),
    "fedi_aid_key_cache_total": ("counter", "Signing key lookups: hit (cached) or miss (fetched)."),
    "fedi_aid_rate_limited_total": ("counter", "Requests answered 429 by the per-IP rate limit."),
}

_lock = threading.Lock()
_counters: dict[str, dict[tuple[tuple[str, str], ...], float]] = {name: {} for name in _HELP}


def count(name: str, amount: float = 1.0, **labels: str) -> None:
    key = tuple(sorted(labels.items()))
    with _lock:
        series = _counters[name]
        series[key] = series.get(key, 0.0) + amount


def value(name: str, **labels: str) -> float:
    return _counters[name].get(tuple(sorted(labels.items())), 0.0)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def sample(name: str, labels: dict[str, str] | tuple[tuple[str, str], ...], number: float) -> str:
    pairs = labels.items() if isinstance(labels, dict) else labels
    inner = ",".join(f'{k}="{_escape(str(v))}"' for k, v in pairs)
    return f"{name}{{{inner}}} {number:g}" if inner else f"{name} {number:g}"


def family(name: str, kind: str, help_text: str, samples: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *samples]


def render_counters() -> list[str]:
    lines: list[str] = []
    with _lock:
        snapshot = {name: dict(series) for name, series in _counters.items()}
    for name, (kind, help_text) in _HELP.items():
        samples = [sample(name, key, n) for key, n in sorted(snapshot[name].items())]
        lines.extend(family(name, kind, help_text, samples))
    return lines
