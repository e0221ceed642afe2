#!/usr/bin/env bash
# Bench setup: make sure the load generator (Debian's `wrk`) is installed.
# Called by `make bench`; needs root (or sudo) for apt-get when wrk is missing.
set -euo pipefail

if command -v wrk >/dev/null 2>&1; then
    exit 0
fi

echo "bench setup: wrk is not installed; installing Debian's wrk package" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "bench setup: FAILED: wrk is missing and we are not root (no sudo either)." >&2
        echo "             install it by hand: apt-get install -y wrk" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends wrk >/dev/null 2>&1; then
    # The package lists may be missing or stale: refresh them once and try again.
    if ! $SUDO apt-get update -q >/dev/null 2>&1; then
        echo "bench setup: FAILED: apt-get update failed; cannot install wrk." >&2
        exit 1
    fi
    if ! $SUDO apt-get install -y --no-install-recommends wrk; then
        echo "bench setup: FAILED: apt-get install -y wrk failed; the HTTP benchmarks need it." >&2
        exit 1
    fi
fi

if ! command -v wrk >/dev/null 2>&1; then
    echo "bench setup: FAILED: wrk still not on PATH after apt-get install." >&2
    exit 1
fi
echo "bench setup: installed $(wrk --version 2>&1 | head -n 1)" >&2
