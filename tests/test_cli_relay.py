"""Relay policy and home area from the command line."""

from __future__ import annotations

import json


def test_relay_policy_and_home(fedi_cli) -> None:  # type: ignore[no-untyped-def]
    cli = fedi_cli
    assert cli("init").returncode == 0
    assert cli("group", "create", "town").returncode == 0
    result = cli(
        "relay",
        "set",
        "town",
        "--kinds",
        "both",
        "--category",
        "insulin",
        "--min-urgency",
        "normal",
        "--max-distance-km",
        "50",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    policy = json.loads(result.stdout)
    assert policy["kinds"] == ["need", "offer"]
    assert policy["categories"] == ["https://fedi-aid.org/ns/categories/medicine/insulin"]
    assert policy["min_urgency"] == "normal" and policy["max_distance_km"] == 50

    result = cli(
        "group",
        "set-home",
        "town",
        "--place",
        "Town",
        "--lat",
        "26.12345",
        "--lon",
        "75.5555",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["latitude"] == 26.12
    shown = json.loads(cli("relay", "show", "town", "--json").stdout)
    assert shown["home"]["longitude"] == 75.56 and shown["min_urgency"] == "normal"

    bad = cli("relay", "set", "town", "--max-distance-km", "-5")
    assert bad.returncode == 1 and "max_distance_km must be positive" in bad.stderr
    bad = cli("group", "set-home", "town", "--place", "x", "--lat", "100", "--lon", "0")
    assert bad.returncode == 1 and "latitude" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
