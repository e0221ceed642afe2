"""The moderation and backup commands as an admin types them (in-process, click's runner)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fedi_aid.backup import BackupError, backup
from fedi_aid.cli import main
from fedi_aid.config import load_settings


def runner_for(env: dict[str, str]) -> Any:
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(main, list(args), obj={}, env=env, catch_exceptions=False)

    return run


@pytest.fixture
def cli(tmp_path: Path, database_for: Any) -> Any:
    url, schema = database_for("climod")
    return runner_for(
        {
            "FEDI_AID_CONFIG": "",
            "FEDI_AID_BASE_URL": "http://localhost:8798",
            "FEDI_AID_DATA_DIR": str(tmp_path / "data"),
            "FEDI_AID_DATABASE_URL": url,
            "FEDI_AID_DATABASE_SCHEMA": schema,
            "FEDI_AID_DEVELOPMENT": "true",
        }
    )


def test_block_unblock_silence_reports(cli: Any) -> None:
    assert cli("init").exit_code == 0
    assert cli("group", "create", "riverside").exit_code == 0

    result = cli("block", "domain", "https://Spam.Example/", "--reason", "spam wave")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("spam.example blocked (instance); 0 follows removed")
    result = cli("block", "actor", "https://rude.example/users/troll", "--group", "riverside")
    assert result.exit_code == 0, result.output
    assert cli("silence", "loud.example").output.strip() == "loud.example silenced"
    listed = json.loads(cli("blocks", "--json").output)
    assert [(b["policy"], b["kind"], b["target"], b["scope"], b["reason"]) for b in listed] == [
        ("silenced", "domain", "loud.example", "instance", ""),
        ("blocked", "domain", "spam.example", "instance", "spam wave"),
        ("blocked", "actor", "https://rude.example/users/troll", "riverside", ""),
    ]

    result = cli("block", "actor", "https://rude.example/users/troll", "--group", "nowhere")
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: no local group named 'nowhere'")
    result = cli("block", "domain", "not a domain")
    assert result.exit_code == 1 and "is not a domain name" in result.output

    assert cli("unblock", "domain", "spam.example").exit_code == 0
    result = cli("unblock", "domain", "spam.example")
    assert (result.exit_code, result.output.strip()) == (1, "error: spam.example is not blocked")
    assert (
        cli(
            "unblock", "actor", "https://rude.example/users/troll", "--group", "riverside"
        ).exit_code
        == 0
    )
    assert cli("silence", "loud.example", "--undo").exit_code == 0
    assert cli("blocks").output.strip() == "nothing is blocked"
    assert cli("reports").output.strip() == "no reports"


def test_backup_and_restore_sqlite(tmp_path: Path) -> None:
    env = {
        "FEDI_AID_CONFIG": "",
        "FEDI_AID_BASE_URL": "http://localhost:8797",
        "FEDI_AID_DATA_DIR": str(tmp_path / "data"),
        "FEDI_AID_DATABASE_URL": "",
        "FEDI_AID_DATABASE_SCHEMA": "",
        "FEDI_AID_DEVELOPMENT": "true",
    }
    cli = runner_for(env)
    assert cli("init").exit_code == 0
    assert cli("group", "create", "riverside").exit_code == 0
    saved = tmp_path / "backups" / "aid.sqlite3"
    result = cli("backup", str(saved))
    assert (result.exit_code, result.output.strip()) == (0, f"backed up to {saved}")
    result = cli("backup", str(saved))
    assert result.exit_code == 1 and "exists; choose another path or pass --force" in result.output

    # The live database holds data: restore refuses without --force.
    result = cli("restore", str(saved))
    assert result.exit_code == 1 and "already holds data; pass --force" in result.output
    assert cli("group", "create", "hilltown").exit_code == 0
    assert cli("restore", str(saved), "--force").exit_code == 0
    groups = [g["name"] for g in json.loads(cli("group", "list", "--json").output)]
    assert groups == ["riverside"]

    # Into an empty data directory, no --force needed.
    fresh = runner_for({**env, "FEDI_AID_DATA_DIR": str(tmp_path / "fresh")})
    assert fresh("restore", str(saved)).exit_code == 0
    assert [g["name"] for g in json.loads(fresh("group", "list", "--json").output)] == ["riverside"]

    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    result = fresh("restore", str(junk), "--force")
    assert result.exit_code == 1 and "is not an SQLite database" in result.output
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    result = fresh("restore", str(other), "--force")
    assert result.exit_code == 1 and "is not a fedi-aid database" in result.output


def test_backup_on_postgresql_points_to_pg_dump(tmp_path: Path) -> None:
    settings = load_settings(
        environ={},
        base_url="http://localhost:8796",
        database_url="postgresql+asyncpg://postgres@127.0.0.1/test",
        development=True,
    )
    with pytest.raises(BackupError, match="pg_dump"):
        backup(settings, tmp_path / "x.sqlite3")
