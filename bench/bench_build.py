#!/usr/bin/env python3
"""Benchmark ``python build.py`` against the loop a user would write by hand, on the command
line and in one Python process (``make bench``).

    .venv/bin/python bench/bench_build.py [--pack pack.yml] [--runs 3] [--only GLOB] [--json PATH]
    .venv/bin/python bench/bench_build.py --scale 5          # also the pack with every brief 5 times over
    .venv/bin/python bench/bench_build.py --profile [--profile-brief ID]

The command line only; the parts live beside it (see bench/README.md):

| module | job |
|---|---|
| ``common.py`` | the pack copy, the kernels' environment, running a command (time, CPU, memory) |
| ``naive.py`` | (a) the naive papermill + nbconvert loop on the command line; (a') in one process |
| ``one_process.py`` | (a') that loop through papermill's and nbconvert's Python APIs (a script) |
| ``ours.py`` | (b) ``build.py`` runs: forced, no-op, one table changed |
| ``suite.py`` | (a) and (b) side by side, medians, the Markdown table |
| ``scale.py`` | the same pack with every brief N times over |
| ``stages.py`` | ``--profile``: one brief's stages through briefkit's public API |

Benchmarks are not tests: nothing here asserts on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make bench/ and the engine importable
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bench_build.py",
        description="Time build.py against the naive papermill + nbconvert loop on a temporary copy of the pack.",
    )
    p.add_argument("--pack", default=str(ROOT / "pack.yml"), metavar="PATH", help="catalogue (default: the repo's pack.yml)")
    p.add_argument("--runs", type=int, default=3, metavar="N", help="timed runs of each way; medians reported (default: 3)")
    p.add_argument("--only", action="append", metavar="GLOB", help="only these briefs (repeatable, globs)")
    p.add_argument("--jobs", type=int, default=(os.cpu_count() or 1) + 1, metavar="N",
                   help="build.py --jobs (default: build.py's own, CPUs + 1, %(default)s here)")
    p.add_argument("--format", action="append", choices=("html", "pdf"), help="formats (repeatable; default both)")
    p.add_argument("--noop-runs", type=int, default=5, metavar="N", help="no-op rebuilds timed (default: 5)")
    p.add_argument("--table", metavar="NAME", help="data table changed for the one-table rebuild "
                   "(default: the one that rebuilds the fewest briefs)")
    p.add_argument("--scale", type=int, default=5, metavar="N",
                   help="also build the pack with every brief N times over (default: 5; 1 or 0: skip)")
    p.add_argument("--scale-runs", type=int, default=1, metavar="N", help="cold runs of the scaled pack (default: 1)")
    p.add_argument("--skip-naive", action="store_true", help="time build.py only (no ratio)")
    p.add_argument("--chromium", metavar="PATH", help="browser (default: what build.py finds)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    p.add_argument("--profile", action="store_true", help="instead of the benchmark: time each stage of one brief")
    p.add_argument("--profile-brief", metavar="ID", help="brief to profile (default: the first selected)")
    p.add_argument("--workdir", metavar="DIR", help="working folder (default: a new temporary folder)")
    p.add_argument("--keep", action="store_true", help="keep the working folder (logs, outputs) afterwards")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.runs < 1 or args.jobs < 1 or args.scale_runs < 1:
        print("bench_build.py: --runs, --jobs and --scale-runs must be 1 or more", file=sys.stderr)
        return 2
    for tool in ("papermill", "jupyter"):
        if not (common.BIN / tool).exists():
            print(f"bench_build.py: {common.BIN / tool} not found; run with the venv's python (.venv/bin/python)",
                  file=sys.stderr)
            return 2
    if args.profile:
        from bench import stages

        results = stages.profile(args)
        print(stages.markdown(results))
    else:
        from bench import suite

        results = suite.bench(args)
        print(suite.markdown(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
        common.log(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
