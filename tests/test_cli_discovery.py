"""discover, intake and group set-categories from the command line."""

from __future__ import annotations

import json


def test_discovery_cli(fedi_cli) -> None:  # type: ignore[no-untyped-def]
    cli = fedi_cli
    assert cli("init").returncode == 0
    assert cli("group", "create", "town").returncode == 0
    done = cli("group", "set-categories", "town", "water", "insulin", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["categories"] == [
        "https://fedi-aid.org/ns/categories/water",
        "https://fedi-aid.org/ns/categories/medicine/insulin",
    ]

    # Alone, the town finds nobody and asks nobody: its own groups are read from its database.
    found = cli("discover", "--near", "26.9,75.8", "--radius-km", "30", "--json")
    assert found.returncode == 0, found.stderr
    data = json.loads(found.stdout)
    assert data["groups"] == [] and data["stats"]["requests"] == 0

    for args, message in [
        (("discover", "--near", "26.9", "--radius-km", "30"), "near: expected LAT,LON"),
        (("group", "set-categories", "town", "unicorns"), "unknown category 'unicorns'"),
        (("intake", "convert", "town", "5", "--quantity", "3"), "no intake request 5"),
    ]:
        bad = cli(*args)
        assert bad.returncode != 0 and message in bad.stderr, (args, bad.stderr)
        assert len(bad.stderr.strip().splitlines()) == 1

    listed = cli("intake", "list", "town")
    assert listed.returncode == 0 and "the intake queue is empty" in listed.stdout
