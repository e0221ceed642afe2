"""Fixtures: database backends (SQLite and PostgreSQL) and real instances on loopback."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.harness import Instance, instance_settings

PG_URL = os.environ.get("FEDI_AID_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
RUN_ID = secrets.token_hex(3)
_created_schemas: list[str] = []
_pg_state: dict[str, Any] = {}


def postgres_unavailable_reason() -> str | None:
    """None when PostgreSQL answers, else why not (checked once per run)."""
    if "reason" not in _pg_state:
        import asyncpg

        async def probe() -> None:
            conn = await asyncpg.connect(
                PG_URL.replace("postgresql+asyncpg", "postgresql"), timeout=5
            )
            await conn.close()

        try:
            asyncio.run(probe())
            _pg_state["reason"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means: skip with the reason
            _pg_state["reason"] = f"PostgreSQL not reachable at {PG_URL}: {exc}"
    return _pg_state["reason"]


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        reason = postgres_unavailable_reason()
        if reason:
            pytest.skip(reason)
    return request.param


@pytest.fixture
def database_for(backend: str, tmp_path: Any) -> Callable[[str], tuple[str, str]]:
    """name -> (database URL, schema) on the current backend, fresh for this test."""

    def make(name: str) -> tuple[str, str]:
        if backend == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / name}.sqlite3", ""
        schema = f"fa_{RUN_ID}_{len(_created_schemas)}_{name}"[:60]
        _created_schemas.append(schema)
        return PG_URL, schema

    return make


InstanceFactory = Callable[..., Awaitable[Instance]]


@pytest.fixture
async def make_instance(
    database_for: Callable[[str], tuple[str, str]], tmp_path: Any
) -> AsyncIterator[InstanceFactory]:
    started: list[Instance] = []
    counter = iter(range(1000))

    async def factory(start: bool = True, **extra: Any) -> Instance:
        name = f"i{next(counter)}"
        url, schema = database_for(name)
        data_dir = tmp_path / name
        instance = Instance(instance_settings(url, schema, str(data_dir), **extra))
        started.append(instance)
        if start:
            await instance.start()
        else:
            await instance.migrate()
        return instance

    yield factory
    for instance in started:
        await instance.stop()
        await instance.ctx.close()


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    if not _created_schemas or _pg_state.get("reason"):
        return
    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))
        try:
            for schema in _created_schemas:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()

    asyncio.run(drop())


CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def fedi_cli(tmp_path: Any, database_for: Callable[[str], tuple[str, str]]) -> CliRunner:
    """Run `python -m fedi_aid ARGS...` as a person would, on this test's own database."""

    url, schema = database_for("cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDI_AID_")}
    env.update(
        FEDI_AID_BASE_URL="http://localhost:8797",
        FEDI_AID_DATA_DIR=str(tmp_path / "cli-data"),
        FEDI_AID_DATABASE_URL=url,
        FEDI_AID_DATABASE_SCHEMA=schema,
        FEDI_AID_DEVELOPMENT="true",
    )

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fedi_aid", *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=180,
        )

    return run


@pytest.fixture
async def make_peer() -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Start a Mastodon-shaped peer (tests/peers.py) with the named actors; stopped afterwards."""
    from tests.peers import MastodonPeer

    started: list[MastodonPeer] = []

    async def factory(*names: str) -> MastodonPeer:
        peer = MastodonPeer()
        for name in names:
            peer.add_actor(name)
        await peer.start()
        started.append(peer)
        return peer

    yield factory
    for peer in started:
        await peer.stop()
