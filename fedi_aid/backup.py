"""SQLite backup and restore with the sqlite3 online backup API (consistent while serving).

PostgreSQL is backed up with its own tools (pg_dump / pg_restore; see the README).
"""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from fedi_aid.config import Settings


class BackupError(Exception):
    """Backup or restore cannot be done; the message says why and what to do."""


def sqlite_path(settings: Settings) -> Path:
    if not settings.is_sqlite:
        raise BackupError(
            "backup and restore are for SQLite; back PostgreSQL up with pg_dump "
            "(see the README, 'Backups')"
        )
    database = make_url(settings.effective_database_url).database
    if not database or database == ":memory:":
        raise BackupError("the SQLite database is in memory; there is nothing to back up")
    return Path(database)


def _copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def check_backup_file(path: Path) -> None:
    """A readable, intact SQLite file holding a fedi-aid schema."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (status,) = conn.execute("PRAGMA quick_check").fetchone()
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite database: {exc}") from None
    if status != "ok":
        raise BackupError(f"{path} is damaged: {status}")
    if not {"alembic_version", "actors"} <= tables:
        raise BackupError(f"{path} is not a fedi-aid database (no actors table)")


def backup(settings: Settings, target: Path, *, force: bool = False) -> Path:
    source = sqlite_path(settings)
    if not source.is_file():
        raise BackupError(f"no database at {source}; run `fedi-aid init` first")
    if target.exists() and not force:
        raise BackupError(f"{target} exists; choose another path or pass --force")
    if target.resolve() == source.resolve():
        raise BackupError("the backup path is the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    try:
        _copy(source, target)
    except sqlite3.Error as exc:
        raise BackupError(f"backup failed: {exc}") from None
    return target


def is_serving(settings: Settings) -> bool:
    """Something listens where this instance would serve (probably the instance itself)."""
    host = "127.0.0.1" if settings.listen_host in ("0.0.0.0", "") else settings.listen_host
    try:
        with socket.create_connection((host, settings.port), timeout=0.5):
            return True
    except OSError:
        return False


def holds_data(path: Path) -> bool:
    if not path.is_file() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        if "actors" not in tables:
            return False
        return conn.execute("SELECT count(*) FROM actors").fetchone()[0] > 0
    except sqlite3.DatabaseError:
        return True  # something we cannot read: do not overwrite it silently
    finally:
        conn.close()


def restore(settings: Settings, source: Path, *, force: bool = False) -> Path:
    target = sqlite_path(settings)
    check_backup_file(source)
    if not force:
        if is_serving(settings):
            raise BackupError(
                f"an instance seems to be serving on port {settings.port}; stop it "
                "(and its workers) first, or pass --force"
            )
        if holds_data(target):
            raise BackupError(f"{target} already holds data; pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        _copy(source, target)
    except sqlite3.Error as exc:
        raise BackupError(f"restore failed: {exc}") from None
    return target
