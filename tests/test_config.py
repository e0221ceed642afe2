"""Settings: defaults, TOML, environment, and one clear line for bad values."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from fedi_aid.config import ConfigError, load_settings


def test_defaults() -> None:
    settings = load_settings(environ={})
    assert settings.base_url == "http://localhost:8080"
    assert settings.development is False
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.effective_database_url.endswith("data/fedi-aid.sqlite3")
    assert settings.host == "localhost:8080" and settings.port == 8080


def test_toml_then_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "fedi-aid.toml"
    config.write_text('base_url = "https://aid.example"\ninstance_name = "Riverside"\n')
    settings = load_settings(config, environ={"FEDI_AID_INSTANCE_NAME": "From env"})
    assert settings.base_url == "https://aid.example"
    assert settings.instance_name == "From env"
    assert settings.host == "aid.example" and settings.port == 443


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"FEDI_AID_BASE_URL": "aid.example"}, "base_url must be an absolute http(s) URL"),
        ({"FEDI_AID_BASE_URL": "https://aid.example/sub"}, "must not have a path"),
        ({"FEDI_AID_BASE_URL": "http://aid.example"}, "plain http on a public host"),
        (
            {"FEDI_AID_BASE_URL": "https://aid.example", "FEDI_AID_DEVELOPMENT": "true"},
            "development mode",
        ),
        ({"FEDI_AID_DEVELOPMENT": "maybe"}, "FEDI_AID_DEVELOPMENT must be true or false"),
        ({"FEDI_AID_LISTEN_PORT": "eighty"}, "FEDI_AID_LISTEN_PORT must be a whole number"),
        ({"FEDI_AID_DATABASE_URL": "mysql://x"}, "database_url must start with"),
    ],
)
def test_bad_values_name_the_problem(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(environ=environ)


def test_development_on_public_https_can_be_forced() -> None:
    settings = load_settings(
        environ={
            "FEDI_AID_BASE_URL": "https://aid.example",
            "FEDI_AID_DEVELOPMENT": "1",
            "FEDI_AID_FORCE_DEVELOPMENT": "1",
        }
    )
    assert settings.development


def test_bad_toml_and_unknown_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.toml"
    bad.write_text("base_url = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad, environ={})
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('colour = "blue"\n')
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load_settings(unknown, environ={})
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "missing.toml", environ={})


def test_cli_bad_config_is_one_line_and_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "-m", "fedi_aid", "group", "list"],
        env={"FEDI_AID_BASE_URL": "ftp://nope", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "base_url must be an absolute http(s) URL" in lines[0]
    assert "Traceback" not in result.stderr
