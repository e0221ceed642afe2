"""deploy/: the files a volunteer installs say what the README promises (docker is not run here,
so the Dockerfile and compose file are parsed and their key facts checked)."""

from __future__ import annotations

import configparser
import dataclasses
import shlex
import tomllib
from pathlib import Path

import yaml

from fedi_aid.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def dockerfile_stages(text: str) -> list[list[tuple[str, str]]]:
    """Instructions (keyword, arguments) per build stage, continuation lines joined."""
    joined = text.replace("\\\n", " ")
    stages: list[list[tuple[str, str]]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        assert keyword.isalpha(), f"not an instruction: {line[:60]}"
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), rest.strip()))
    return stages


def test_dockerfile_small_non_root_with_healthcheck() -> None:
    stages = dockerfile_stages((DEPLOY / "Dockerfile").read_text())
    assert len(stages) == 2, "a build stage and a slim runtime stage"
    final = stages[-1]
    assert final[0][1].endswith("-slim")
    users = [args for keyword, args in final if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    health = [args for keyword, args in final if keyword == "HEALTHCHECK"]
    assert health and "/healthz" in health[0]
    cmd = [args for keyword, args in final if keyword == "CMD"][-1]
    assert cmd == '["fedi-aid", "serve"]'
    assert ("EXPOSE", "8080") in final
    env = " ".join(args for keyword, args in final if keyword == "ENV")
    assert "FEDI_AID_LISTEN_HOST=0.0.0.0" in env and "FEDI_AID_DATA_DIR=/data" in env
    # Everything the build copies exists in the repository.
    for keyword, args in stages[0]:
        if keyword == "COPY":
            for source in shlex.split(args)[:-1]:
                assert (ROOT / source).exists(), source


def test_compose_postgres_one_shot_migrate_web_and_workers() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "migrate", "web", "worker"}
    assert services["db"]["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])

    migrate = services["migrate"]
    assert migrate["restart"] == "no" and migrate["command"][0] == "fedi-aid"
    assert migrate["command"][1] in ("init", "migrate")
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("web", "worker"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }
        url = services[name]["environment"]["FEDI_AID_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://") and "@db:5432/" in url
    assert services["web"]["command"] == ["fedi-aid", "serve", "--no-worker"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["worker"]["command"] == ["fedi-aid", "worker"]
    assert services["worker"]["deploy"]["replicas"] >= 2
    # Built from this repository with the Dockerfile above.
    assert services["web"]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text())
    return parser


def test_systemd_units_web_and_worker() -> None:
    web, worker = _unit("fedi-aid.service"), _unit("fedi-aid-worker@.service")
    for unit, verb in ((web, "serve"), (worker, "worker")):
        service = unit["Service"]
        assert service["ExecStart"].split()[1:] == [verb]
        assert service["User"] == "fedi-aid" and service["NoNewPrivileges"] == "true"
        assert service["Environment"] == "FEDI_AID_CONFIG=/etc/fedi-aid/fedi-aid.toml"
        assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_nginx_site_passes_host_with_port_and_limits_metrics() -> None:
    site = (DEPLOY / "nginx-fedi-aid.conf").read_text()
    assert "proxy_set_header Host $http_host;" in site
    assert "proxy_set_header Host $host;" not in site
    assert "client_max_body_size 2m;" in site
    assert "location /.well-known/" in site and "inbox" in site
    metrics = site.split("location = /metrics", 1)[1].split("}", 1)[0]
    assert "deny all;" in metrics


def test_example_config_has_every_setting_and_loads() -> None:
    path = DEPLOY / "fedi-aid.example.toml"
    written = set(tomllib.loads(path.read_text()))
    known = {f.name for f in dataclasses.fields(Settings)} - {"extra"}
    assert written == known, f"missing: {known - written}, unknown: {written - known}"
    settings = load_settings(path, environ={})
    assert settings.base_url == "https://aid.example" and not settings.development
