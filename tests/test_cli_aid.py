"""`fedi-aid need|offer|token|person` as a person uses them, in a subprocess, on both backends.

Each invocation starts an interpreter (~1.5 s), so each test is one long sequence.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path, database_for: Callable[[str], tuple[str, str]]) -> Run:
    url, schema = database_for("cli_aid")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDI_AID_")}
    env.update(
        FEDI_AID_BASE_URL="http://localhost:8799",
        FEDI_AID_DATA_DIR=str(tmp_path / "data"),
        FEDI_AID_DATABASE_URL=url,
        FEDI_AID_DATABASE_SCHEMA=schema,
        FEDI_AID_DEVELOPMENT="true",
    )

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fedi_aid", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            input=input,
        )

    return run


def ok(cli: Run, *args: str) -> Any:
    """Run with --json; it must succeed; the parsed output."""
    result = cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def fails(cli: Run, *args: str, message: str) -> None:
    """It must fail with exactly one `error:` line containing `message`, and exit 1."""
    result = cli(*args)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert message in lines[0], lines[0]
    assert result.stdout == ""


POST = ("--title", "Insulin pens", "--unit", "pens", "--place", "Riverside (Jaipur)")


def test_need_lifecycle_and_errors(cli: Run) -> None:
    assert cli("init").returncode == 0
    assert cli("group", "create", "riverside").returncode == 0

    posted = cli(
        "need", "post", "riverside", *POST, "--category", "insulin", "--quantity", "20",
        "--lat", "26.9124", "--lon", "75.7873", "--radius-km", "5", "--expires", "3d",
        "--urgency", "critical", "--visibility", "followers", "--requested-by", "Asha",
    )  # fmt: skip
    assert posted.returncode == 0, posted.stderr
    first_line, summary = posted.stdout.strip().splitlines()
    need_id = int(first_line.split()[2])
    assert first_line.startswith(f"posted need {need_id} http://localhost:8799/needs/")
    assert "Insulin pens — 20/20 pens still needed — Riverside (Jaipur)" in summary
    assert "critical" in summary and "open" in summary and "@riverside@localhost:8799" in summary

    # Filters: category (a parent matches), near, local; an offer is not a need.
    listed = ok(
        cli, "need", "list", "--category", "medicine", "--near", "26.95,75.8",
        "--within-km", "10", "--local", "--group", "riverside",
    )  # fmt: skip
    assert [item["id"] for item in listed] == [need_id]
    item = listed[0]
    assert item["quantity"] == "20" and item["remaining"] == "20" and item["unit"] == "pens"
    assert item["category"] == "https://fedi-aid.org/ns/categories/medicine/insulin"
    assert item["place"] == {
        "name": "Riverside (Jaipur)",
        "latitude": 26.91,
        "longitude": 75.79,
        "radius_km": 5.0,
    }
    assert item["visibility"] == "followers" and item["status"] == "open"
    assert item["expires_at"].endswith("Z") and item["requested_by"] == "Asha"

    shown = ok(cli, "need", "show", str(need_id))
    assert shown == item

    updated = ok(cli, "need", "update", str(need_id), "--remaining", "12", "--urgency", "high")
    assert (updated["remaining"], updated["quantity"]) == ("12", "20")
    assert updated["status"] == "partly_met" and updated["urgency"] == "high"

    withdrawn = ok(cli, "need", "withdraw", str(need_id))
    assert withdrawn["status"] == "withdrawn" and withdrawn["id"] == need_id

    fails(cli, "need", "withdraw", str(need_id), message="withdrawn and can no longer change")
    fails(cli, "offer", "show", str(need_id), message=f"no offer with id {need_id}")
    fails(
        cli, "need", "post", "riverside", *POST, "--category", "unicorns", "--quantity", "1",
        message="unknown category 'unicorns'",
    )  # fmt: skip
    fails(
        cli, "need", "post", "riverside", *POST, "--category", "insulin", "--quantity", "-3",
        message="--quantity must not be negative",
    )  # fmt: skip
    fails(
        cli, "offer", "post", "riverside", *POST, "--category", "insulin", "--quantity", "1",
        "--expires", "next tuesday",
        message="cannot read the expiry 'next tuesday'",
    )  # fmt: skip
    fails(
        cli, "need", "post", "riverside", *POST, "--category", "insulin", "--quantity", "1",
        "--lat", "26.9",
        message="--lat and --lon must be given together",
    )  # fmt: skip

    # A usage error is one line too (exit 2, as usage errors are).
    result = cli("need", "post", "riverside", "--title", "x")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: Missing option")


def test_offers_tokens_and_a_persons_data(cli: Run) -> None:
    assert cli("init").returncode == 0
    assert cli("group", "create", "riverside").returncode == 0
    offer = ok(
        cli, "offer", "post", "riverside", "--title", "Spare generator", "--category",
        "generator", "--quantity", "1", "--unit", "generator", "--place", "Riverside",
        "--requested-by", "Asha", "--expires", "2w",
    )  # fmt: skip
    assert offer["kind"] == "offer" and offer["uri"].startswith("http://localhost:8799/offers/")

    created = cli("token", "create", "riverside", "--label", "phone app")
    assert created.returncode == 0, created.stderr
    assert "will not be shown again" in created.stdout
    plaintext = created.stdout.splitlines()[1].strip()
    assert len(plaintext) >= 40
    revoked = ok(cli, "token", "revoke", "riverside", "1")
    assert revoked["revoked"] is True
    tokens = ok(cli, "token", "list", "riverside")
    assert [(t["id"], t["label"], t["revoked"]) for t in tokens] == [(1, "phone app", True)]
    assert plaintext not in json.dumps(tokens) and "token" not in tokens[0]

    exported = ok(cli, "person", "export", "ASHA")
    assert [i["id"] for i in exported["items"]] == [offer["id"]]
    assert exported["person"] is None

    # Without --yes and without an answer nothing is erased.
    refused = cli("person", "erase", "asha", input="")
    assert refused.returncode == 1 and "nothing was erased" in refused.stderr

    erased = ok(cli, "person", "erase", "asha", "--yes")
    assert [i["id"] for i in erased["items_cleared"]] == [offer["id"]]
    shown = ok(cli, "offer", "show", str(offer["id"]))
    assert shown["requested_by"] is None and shown["status"] == "open"
