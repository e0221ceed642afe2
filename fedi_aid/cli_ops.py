"""Command line for operations: backup and restore (SQLite)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from fedi_aid.backup import BackupError, backup, restore
from fedi_aid.cli import CliError, _emit, _settings, json_option


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH when it exists.")
@json_option
@click.pass_obj
def backup_cmd(obj: dict[str, Any], path: Path, force: bool, as_json: bool) -> None:
    """Copy the SQLite database to PATH (safe while the instance runs)."""
    try:
        written = backup(_settings(obj), path, force=force)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    _emit(as_json, {"backup": str(written)}, f"backed up to {written}")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that holds data.")
@json_option
@click.pass_obj
def restore_cmd(obj: dict[str, Any], path: Path, force: bool, as_json: bool) -> None:
    """Replace the SQLite database with the backup at PATH (stop the instance first)."""
    try:
        written = restore(_settings(obj), path, force=force)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    _emit(
        as_json,
        {"restored": str(written), "from": str(path)},
        f"restored {written} from {path}; run `fedi-aid migrate` if the backup is older",
    )


def register(main: click.Group) -> None:
    main.add_command(backup_cmd)
    main.add_command(restore_cmd)
