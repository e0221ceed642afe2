"""The benchmarks still run: `python -m bench.run --smoke`, every bench for a second or two.

Only that they run and report a number for every figure is checked here; how fast is the
business of `make bench` (bench/RESULTS.md), never of the test suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (tests/setup_system.sh installs it)"
)
def test_every_bench_runs_in_smoke_mode() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDI_AID_")}
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    table = json.loads((ROOT / "bench" / "results" / "all.smoke.json").read_text())
    figures = {figure["name"]: figure for figure in table["figures"]}
    expected = (
        "actor document GET",
        "WebFinger GET",
        "signed inbox POSTs accepted",
        "RSS idle",
        "RSS peak under inbox load",
        "deliveries of one need",
        "propagation: 12-instance mesh, eligible reached",
        "matching SQLite",
    )
    for start in expected:
        found = [f for name, f in figures.items() if name.startswith(start)]
        assert found, f"no figure named {start!r} in {sorted(figures)}"
        assert all(isinstance(f["value"], int | float) for f in found), found
