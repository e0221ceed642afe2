"""Real instances on loopback ports, in this process, each with its own database."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bench.common import free_port
from fedi_aid.app import create_app
from fedi_aid.config import Settings, load_settings
from fedi_aid.context import Context
from fedi_aid.db.actors import get_local_actor
from fedi_aid.db.migrate import migrate
from fedi_aid.delivery.worker import run_once as deliver_once
from fedi_aid.follows import follow
from fedi_aid.inbox.process import process_inbox_once
from fedi_aid.local_actors import create_local_actor


class Instance:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ctx = Context.create(settings)
        self.runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def host(self) -> str:
        return self.settings.host

    async def migrate(self) -> None:
        await migrate(self.ctx.engine, self.settings)

    async def start(self) -> Instance:
        """Serve HTTP on the base URL's port. The worker is stepped by the test, not a task."""
        if self.runner is not None:
            return self
        await self.migrate()
        app = create_app(self.ctx, run_worker_task=False)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.settings.port).start()
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()  # closes the context it ran with
            self.runner = None
            self.ctx = Context.create(self.settings)  # fresh, for a later start()

    async def step(self, now: Any = None) -> int:
        handled = await process_inbox_once(self.ctx, now)
        sent = await deliver_once(self.ctx, now)
        return handled + sent

    async def create_group(self, name: str, **kwargs: Any) -> Any:
        async with self.ctx.sessions.begin() as session:
            return await create_local_actor(session, self.ctx, "Group", name, **kwargs)

    async def actor(self, name: str) -> Any:
        async with self.ctx.sessions() as session:
            return await get_local_actor(session, name)

    async def follow(self, group: str, target: str) -> Any:
        return await follow(self.ctx, group, target)

    async def post(self, group: str, kind: str = "need", **fields: Any) -> Any:
        """Publish a need or offer as a local group (through the same service as CLI/API)."""
        from fedi_aid.aid.publish import AidDraft, post_item

        defaults = {"title": "Insulin pens", "category": "medicine/insulin", "quantity": 20}
        draft = AidDraft(kind=kind, **{"unit": "pens", **defaults, **fields})
        async with self.ctx.sessions.begin() as session:
            return await post_item(session, self.ctx, await self._actor_in(session, group), draft)

    async def change(self, uri: str, **changes: Any) -> Any:
        from fedi_aid.aid.publish import update_item
        from fedi_aid.db.aid_items import find_item_by_uri

        async with self.ctx.sessions.begin() as session:
            row = await find_item_by_uri(session, uri)
            return await update_item(session, self.ctx, row, changes)

    async def item(self, uri: str) -> Any:
        from fedi_aid.db.aid_items import find_item_by_uri

        async with self.ctx.sessions() as session:
            return await find_item_by_uri(session, uri)

    async def _actor_in(self, session: Any, name: str) -> Any:
        return await get_local_actor(session, name)

    async def set_home(self, group: str, place: str, lat: float, lon: float) -> None:
        from fedi_aid.local_actors import set_home

        async with self.ctx.sessions.begin() as session:
            set_home(await get_local_actor(session, group), place, lat, lon, 10.0)

    async def set_policy(self, group: str, **fields: Any) -> None:
        from fedi_aid.aid.relay_policy import RelayPolicy
        from fedi_aid.clock import utcnow
        from fedi_aid.db.relays import save_policy

        async with self.ctx.sessions.begin() as session:
            actor = await get_local_actor(session, group)
            await save_policy(session, actor, RelayPolicy(**fields), utcnow())

    def handle(self, name: str) -> str:
        return f"{name}@{self.host}"


async def settle_waves(*instances: Instance, max_rounds: int = 60) -> int:
    """Like settle, but in lockstep: every inbox first, then every delivery, per round.

    A message sent in round r is handled in round r + 1, so a wave spreads breadth-first and
    the first copy of an object to reach an instance came by a shortest path.
    """
    for round_number in range(1, max_rounds + 1):
        live = [i for i in instances if i.runner is not None]
        handled = sum([await process_inbox_once(i.ctx) for i in live])
        sent = 0
        for instance in live:
            while (batch := await deliver_once(instance.ctx)) > 0:
                sent += batch
        if not handled and not sent:
            return round_number
    raise AssertionError(f"instances still busy after {max_rounds} rounds")


async def settle(*instances: Instance, now: Any = None, max_rounds: int = 50) -> int:
    """Step every instance until none has work left. Returns the rounds it took."""
    for round_number in range(1, max_rounds + 1):
        busy = 0
        for instance in instances:
            if instance.runner is not None:
                busy += await instance.step(now)
        if not busy:
            return round_number
    raise AssertionError(f"instances still busy after {max_rounds} rounds")


def instance_settings(database_url: str, schema: str, data_dir: str, **extra: Any) -> Settings:
    port = free_port()
    return load_settings(
        environ={},
        base_url=f"http://127.0.0.1:{port}",
        database_url=database_url,
        database_schema=schema,
        data_dir=data_dir,
        development=True,
        **extra,
    )
