"""Summarise a py-spy raw (collapsed stacks) file: where the samples are, by function and area.

BENCH_PROFILE=1 python -m bench.inbox_post --smoke
python -m bench.profile_summary bench/results/inbox_post-fedi.pyspy.txt [--only fedi_aid]
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

AREAS = (
    "sqlalchemy/",
    "aiosqlite/",
    "sqlite3",
    "asyncpg/",
    "aiohttp/",
    "asyncio/",
    "jsonschema",
    "json/",
    "httpsig",
    "Crypto/",
    "cryptography",
    "email/",
    "yarl/",
    "multidict/",
    "bleach",
    "html5lib",
    "fedi_aid/",
    "greenlet",
    "logging/",
)


def load(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def summarise(stacks: list[tuple[list[str], int]], top: int, only: str | None) -> str:
    total = sum(n for _, n in stacks) or 1
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    areas: collections.Counter[str] = collections.Counter()
    for frames, n in stacks:
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
        leaf = frames[-1]
        areas[next((a.rstrip("/") for a in AREAS if a in leaf), "other")] += n
    lines = [f"{total} samples", "", "by area (where the leaf frame is):"]
    lines += [f"  {n / total:6.1%}  {area}" for area, n in areas.most_common()]
    lines += ["", f"top {top} by own time:"]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in own.most_common(top)]
    lines += ["", f"top {top} by inclusive time" + (f" (frames matching {only!r})" if only else "")]
    chosen = [(f, n) for f, n in inclusive.most_common() if not only or only in f]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in chosen[:top]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", help="inclusive list: only frames containing this text")
    args = parser.parse_args()
    print(summarise(load(args.file), args.top, args.only))


if __name__ == "__main__":
    main()
