"""The command line as a person uses it: --json output, one-line errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def cli(tmp_path: Path, database_for):  # type: ignore[no-untyped-def]
    url, schema = database_for("cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDI_AID_")}
    env.update(
        FEDI_AID_BASE_URL="http://localhost:8799",
        FEDI_AID_DATA_DIR=str(tmp_path / "data"),
        FEDI_AID_DATABASE_URL=url,
        FEDI_AID_DATABASE_SCHEMA=schema,
        FEDI_AID_DEVELOPMENT="true",
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fedi_aid", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def test_group_lifecycle_and_json(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("init", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["instance_actor"] == "http://localhost:8799/actor"

    result = cli(
        "group", "create", "riverside", "--display-name", "Riverside", "--locked", "--json"
    )
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert created["handle"] == "@riverside@localhost:8799" and created["locked"] is True

    listed = json.loads(cli("group", "list", "--json").stdout)
    assert [g["name"] for g in listed] == ["riverside"]
    shown = json.loads(cli("group", "show", "riverside", "--json").stdout)
    assert shown["followers"] == 0 and shown["display_name"] == "Riverside"
    assert "PRIVATE KEY" not in cli("group", "show", "riverside", "--json").stdout

    rotated = cli("group", "rotate-key", "riverside", "--json")
    assert rotated.returncode == 0, rotated.stderr
    assert json.loads(rotated.stdout)["update"].startswith("http://localhost:8799/activities/")

    assert json.loads(cli("deliveries", "--json").stdout) == {"counts": {}, "deliveries": []}
    assert cli("demo").returncode == 0
    assert cli("demo").returncode == 0  # idempotent


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("group", "create", "Bad Name!"), "invalid name"),
        (("group", "show", "nobody"), "no local group named 'nobody'"),
        (("follow", "nobody", "x@y"), "no local actor named 'nobody'"),
        (("group", "approve", "riverside", "x@127.0.0.1:1"), "WebFinger lookup"),
        (("follow", "riverside", "not-a-handle"), "no local actor named 'not-a-handle'"),
    ],
)
def test_errors_are_one_line(cli, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").returncode == 0
    assert cli("group", "create", "riverside").returncode == 0
    result = cli(*args)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_duplicate_group_and_unmigrated_database(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("group", "list")
    assert result.returncode == 1 and "fedi-aid migrate" in result.stderr
    assert cli("migrate").returncode == 0
    assert cli("group", "create", "riverside").returncode == 0
    result = cli("group", "create", "riverside")
    assert result.returncode == 1 and "already exists" in result.stderr


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_an_unreachable_database_stops_serve_with_one_line(tmp_path: Path, command: str) -> None:
    """serve and worker migrate in a child process first; its error is theirs, in one line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDI_AID_")}
    env.update(
        FEDI_AID_BASE_URL="http://localhost:8798",
        FEDI_AID_DATA_DIR=str(tmp_path / "data"),
        FEDI_AID_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:1/nothing",
        FEDI_AID_DEVELOPMENT="true",
    )
    result = subprocess.run(
        [sys.executable, "-m", "fedi_aid", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "check the database URL" in lines[0]
    assert "serving" not in result.stdout and "worker for" not in result.stdout
