"""Debian's nginx with deploy/nginx-fedi-aid.conf in front of an instance on loopback, over TLS
with a self-signed certificate: WebFinger, actor fetch and a signed POST all work through it."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fedi_aid.config import load_settings
from fedi_aid.follows import followers_of
from tests.harness import Instance, free_port
from tests.peers import AP, MastodonPeer, signed_headers

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
pytestmark = pytest.mark.skipif(
    NGINX is None,
    reason="nginx is not installed (tests/setup_system.sh, run by `make test`, apt-installs it)",
)


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def site_for_test(port: int, backend_port: int, cert: Path, key: Path) -> str:
    """The shipped site file with only addresses, ports and certificate paths changed."""
    site = (ROOT / "deploy" / "nginx-fedi-aid.conf").read_text()
    site = site.split("\nupstream ", 1)[1]  # drop the port-80 redirect server
    site = "upstream " + site
    site = re.sub(r"\n\s*listen \[::\]:443[^\n]*", "", site)
    site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{port} ssl")
    site = site.replace("server 127.0.0.1:8080;", f"server 127.0.0.1:{backend_port};")
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
    return site


def nginx_conf(directory: Path, site: str) -> Path:
    temp = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = directory / "nginx.conf"
    conf.write_text(
        f"""{user}worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
{site}
}}
"""
    )
    return conf


async def wait_for_port(port: int) -> None:
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture
async def proxied(tmp_path: Path, database_for: Any):  # type: ignore[no-untyped-def]
    port, backend_port = free_port(), free_port()
    url, schema = database_for("proxied")
    settings = load_settings(
        environ={},
        base_url=f"https://127.0.0.1:{port}",
        listen_port=backend_port,
        database_url=url,
        database_schema=schema,
        data_dir=str(tmp_path / "data"),
        development=True,  # the peer is plain http on loopback
    )
    instance = Instance(settings)
    await instance.start()
    cert, key = self_signed(tmp_path)
    conf = nginx_conf(tmp_path, site_for_test(port, backend_port, cert, key))
    check = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    nginx = subprocess.Popen([NGINX, "-c", str(conf), "-g", "daemon off;"])
    try:
        await wait_for_port(port)
        yield instance, ssl.create_default_context(cafile=str(cert))
    finally:
        nginx.send_signal(signal.SIGQUIT)
        try:
            nginx.wait(10)
        except subprocess.TimeoutExpired:
            nginx.kill()
        await instance.stop()
        await instance.ctx.close()


async def test_webfinger_actor_and_signed_post_through_nginx(proxied) -> None:
    instance, tls = proxied
    base = instance.base_url
    await instance.create_group("riverside")
    peer = MastodonPeer()
    alice = peer.add_actor("alice")
    await peer.start()
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls)) as http:
            resource = f"acct:riverside@{instance.host}"
            async with http.get(
                f"{base}/.well-known/webfinger", params={"resource": resource}
            ) as r:
                assert r.status == 200
                finger = await r.json(content_type=None)
            self_link = next(link for link in finger["links"] if link.get("rel") == "self")
            assert self_link["href"] == f"{base}/users/riverside"

            async with http.get(self_link["href"], headers={"Accept": AP}) as r:
                assert r.status == 200
                actor = await r.json(content_type=None)
            assert actor["id"] == f"{base}/users/riverside"
            assert actor["inbox"] == f"{base}/users/riverside/inbox"

            # Signed for the public URL (Host 127.0.0.1:<nginx port>); nginx passes the Host on.
            follow = peer.follow_activity(alice, actor["id"])
            body = json.dumps(follow).encode()
            headers = signed_headers(alice, actor["inbox"], body)
            async with http.post(actor["inbox"], data=body, headers=headers) as r:
                assert r.status == 202, await r.text()

            # Signed for another host than the one it is sent to: the Host that reaches the
            # instance is the one the client sent, so this does not verify.
            wrong = signed_headers(alice, "https://aid.example/users/riverside/inbox", body)
            wrong["Host"] = instance.host
            async with http.post(actor["inbox"], data=body, headers=wrong) as r:
                assert r.status == 401

            async with http.get(f"{base}/metrics") as r:  # allowed from 127.0.0.1
                assert r.status == 200
                assert 'result="accepted"' in await r.text()
        await instance.step()  # the stored Follow is handled: alice follows riverside
        assert [f.follower.uri for f in await followers_of(instance.ctx, "riverside")] == [
            alice.uri
        ]
    finally:
        await peer.stop()
