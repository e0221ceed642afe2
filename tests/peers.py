"""A Mastodon-shaped peer for the servers we cannot run here.

It behaves the way Mastodon documents and does: Person actors with a shared inbox and a
`#main-key`, WebFinger, Follow JSON without `to`/`cc`, and an inbox that fetches the sender's
key and checks the draft-cavage signature and Digest before it answers 202 (401 otherwise).
Signatures are made and checked by tests/sigtools.py, an implementation independent of ours.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from fedi_aid.federation.keys import generate_key_pair
from tests import sigtools
from tests.harness import free_port

AP = "application/activity+json"


@dataclass
class PeerActor:
    name: str
    private_pem: str
    public_pem: str
    uri: str
    type: str = "Person"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    activity: dict[str, Any]


@dataclass
class MastodonPeer:
    port: int = field(default_factory=free_port)
    actors: dict[str, PeerActor] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    runner: web.AppRunner | None = None
    # When set, inbox POSTs get this status (to play a failing or throttling server).
    inbox_status: int | None = None
    inbox_headers: dict[str, str] = field(default_factory=dict)
    auto_accept: bool = True
    # Paths of every actor/key document fetched from this peer (GET /users/NAME).
    fetched: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def add_actor(self, name: str, type_: str = "Person") -> PeerActor:
        private_pem, public_pem = generate_key_pair()
        actor = PeerActor(name, private_pem, public_pem, f"{self.base}/users/{name}", type_)
        self.actors[name] = actor
        return actor

    def actor_document(self, actor: PeerActor) -> dict[str, Any]:
        return {
            "@context": [
                "https://www.w3.org/ns/activitystreams",
                "https://w3id.org/security/v1",
                {
                    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
                    "toot": "http://joinmastodon.org/ns#",
                },
            ],
            "id": actor.uri,
            "type": actor.type,
            "following": f"{actor.uri}/following",
            "followers": f"{actor.uri}/followers",
            "inbox": f"{actor.uri}/inbox",
            "outbox": f"{actor.uri}/outbox",
            "featured": f"{actor.uri}/collections/featured",
            "preferredUsername": actor.name,
            "name": actor.name.title(),
            "summary": "<p>Mastodon user</p>",
            "url": f"{self.base}/@{actor.name}",
            "manuallyApprovesFollowers": False,
            "discoverable": True,
            "published": "2023-03-01T00:00:00Z",
            "publicKey": {
                "id": f"{actor.uri}#main-key",
                "owner": actor.uri,
                "publicKeyPem": actor.public_pem,
            },
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
        }

    # ---- server ---------------------------------------------------------------------------

    async def start(self) -> MastodonPeer:
        app = web.Application()
        app.router.add_get("/users/{name}", self._actor)
        app.router.add_get("/.well-known/webfinger", self._webfinger)
        app.router.add_post("/inbox", self._inbox)
        app.router.add_post("/users/{name}/inbox", self._inbox)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def _actor(self, request: web.Request) -> web.Response:
        self.fetched.append(request.path)
        actor = self.actors.get(request.match_info["name"])
        if actor is None:
            return web.json_response({"error": "Record not found"}, status=404)
        return web.json_response(self.actor_document(actor), content_type=AP)

    async def _webfinger(self, request: web.Request) -> web.Response:
        resource = request.query.get("resource", "")
        name = resource.removeprefix("acct:").split("@")[0]
        actor = self.actors.get(name)
        if actor is None:
            return web.Response(status=404)
        return web.json_response(
            {
                "subject": f"acct:{name}@{self.host}",
                "links": [{"rel": "self", "type": AP, "href": actor.uri}],
            },
            content_type="application/jrd+json",
        )

    async def _inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.inbox_status is not None:
            return web.Response(status=self.inbox_status, headers=self.inbox_headers)
        headers = {k: v for k, v in request.headers.items()}
        url = f"http://{request.host}{request.path_qs}"
        try:
            params = dict(sigtools._PARAM.findall(headers.get("Signature", "")))
            async with aiohttp.ClientSession() as http:
                async with http.get(params["keyId"], headers={"Accept": AP}) as response:
                    key_doc = await response.json(content_type=None)
            key = key_doc.get("publicKey", key_doc)
            sigtools.cavage_verify("POST", url, headers, body, key["publicKeyPem"])
        except Exception as exc:  # noqa: BLE001 - Mastodon answers 401 to any bad signature
            self.rejected.append(f"{exc.__class__.__name__}: {exc}")
            return web.json_response({"error": "Verification failed"}, status=401)
        activity = json.loads(body)
        self.received.append(Received(request.path, headers, body, activity))
        if activity.get("type") == "Follow" and self.auto_accept:
            await self._accept(activity)
        return web.Response(status=202)

    async def _accept(self, follow: dict[str, Any]) -> None:
        """Mastodon accepts a follow of an unlocked account at once, with the Follow embedded."""
        target = next((a for a in self.actors.values() if a.uri == follow.get("object")), None)
        if target is None:
            return
        async with aiohttp.ClientSession() as http:
            async with http.get(follow["actor"], headers={"Accept": AP}) as response:
                follower = await response.json(content_type=None)
        inbox = follower.get("endpoints", {}).get("sharedInbox") or follower["inbox"]
        accept = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{target.uri}#accepts/follows/{uuid.uuid4()}",
            "type": "Accept",
            "actor": target.uri,
            "object": follow,
        }
        await self.post(target, inbox, accept)

    # ---- as a sender ----------------------------------------------------------------------

    def follow_activity(self, actor: PeerActor, target_uri: str) -> dict[str, Any]:
        # Mastodon's Follow: no to/cc, a UUID-ish id on the actor's host.
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.base}/{uuid.uuid4()}",
            "type": "Follow",
            "actor": actor.uri,
            "object": target_uri,
        }

    async def post(
        self, actor: PeerActor, inbox: str, activity: dict[str, Any], *, scheme: str = "rsa-sha256"
    ) -> tuple[int, str]:
        body = json.dumps(activity).encode()
        headers = signed_headers(actor, inbox, body, scheme=scheme)
        async with aiohttp.ClientSession() as http:
            async with http.post(inbox, data=body, headers=headers) as response:
                return response.status, await response.text()

    def activities(self, type_: str) -> list[dict[str, Any]]:
        return [r.activity for r in self.received if r.activity.get("type") == type_]

    def reply_activity(
        self, actor: PeerActor, in_reply_to: str, text: str, mention_uri: str, mention_name: str
    ) -> dict[str, Any]:
        """A public Mastodon reply mentioning an account, shaped as Mastodon 4 sends it."""
        status_id = str(uuid.uuid4().int)[:18]
        note_uri = f"{actor.uri}/statuses/{status_id}"
        user = mention_name.lstrip("@").split("@")[0]
        content = (
            f'<p><span class="h-card" translate="no"><a href="{mention_uri}" '
            f'class="u-url mention">@<span>{user}</span></a></span> {text}</p>'
        )
        public = "https://www.w3.org/ns/activitystreams#Public"
        cc = [f"{actor.uri}/followers", mention_uri]
        return {
            "@context": [
                "https://www.w3.org/ns/activitystreams",
                {"ostatus": "http://ostatus.org#", "sensitive": "as:sensitive"},
            ],
            "id": f"{note_uri}/activity",
            "type": "Create",
            "actor": actor.uri,
            "published": "2026-11-25T10:00:00Z",
            "to": [public],
            "cc": cc,
            "object": {
                "id": note_uri,
                "type": "Note",
                "summary": None,
                "inReplyTo": in_reply_to,
                "published": "2026-11-25T10:00:00Z",
                "url": f"{self.base}/@{actor.name}/{status_id}",
                "attributedTo": actor.uri,
                "to": [public],
                "cc": cc,
                "sensitive": False,
                "atomUri": note_uri,
                "inReplyToAtomUri": in_reply_to,
                "content": content,
                "contentMap": {"en": content},
                "attachment": [],
                "tag": [{"type": "Mention", "href": mention_uri, "name": mention_name}],
            },
        }


def signed_headers(
    actor: PeerActor, url: str, body: bytes, *, scheme: str = "rsa-sha256", **kwargs: Any
) -> dict[str, str]:
    base = {"Content-Type": AP}
    key_id = f"{actor.uri}#main-key"
    if scheme == "rfc9421":
        return sigtools.rfc9421_sign(
            "POST",
            url,
            key_id=key_id,
            private_key_pem=actor.private_pem,
            body=body,
            headers=base,
            **kwargs,
        )
    return sigtools.cavage_sign(
        "POST",
        url,
        key_id=key_id,
        private_key_pem=actor.private_pem,
        body=body,
        headers=base,
        algorithm=scheme,
        **kwargs,
    )
