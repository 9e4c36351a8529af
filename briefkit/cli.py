"""Command line of the pack: ``python build.py [options]``. The only module that prints.

Exit codes: 0 every selected brief is built or up to date; 1 a brief failed (the others were
still built); 2 bad usage or bad input (catalogue, parameters, data): nothing was built.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from . import exporters
from .errors import BriefkitError, BuildInterrupted

EPILOG = """\
examples:
  python build.py                          build every brief whose inputs changed
  python build.py --only outlook --only 'threat-*' --format pdf
  python build.py -p 'peace-*.since=2000' --force
  python build.py --check                  validate data and catalogue, build nothing
  python build.py --edition                dated edition for cron/CI (briefs/editions/DATE/)
  python build.py --changes                what changed since the last edition, before publishing

exit codes: 0 all built or up to date; 1 a brief failed (the rest were built);
            2 bad usage, catalogue, parameters or data (nothing built)
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="build.py",
        description="Build the briefing pack: execute each notebook in pack.yml with its parameters and "
        "render it to HTML and A4 PDF in briefs/, with index.html and manifest.json.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--pack", default="pack.yml", metavar="PATH", help="catalogue file (default: pack.yml)")
    p.add_argument("--only", action="append", metavar="ID", help="build only this brief; repeatable; globs allowed ('threat-*')")
    p.add_argument("--format", action="append", choices=exporters.names(), dest="formats",
                   help="build these formats for every selected brief; repeatable (default: the formats "
                   "each brief lists in pack.yml)")
    p.add_argument("-p", "--param", action="append", default=[], metavar="ID.NAME=VALUE",
                   help="override a parameter for this run; ID may be a glob, which sets it on the matching briefs that "
                   "declare it (e.g. -p 'peace-*.since=2000')")
    p.add_argument("--list", action="store_true", help="print the catalogue (id, title, notebook, parameters) and exit")
    p.add_argument("--check", action="store_true", help="validate the catalogue, parameters and data; build nothing")
    p.add_argument("--changes", action="store_true",
                   help="print what changed since the last edition (data rows, key points, figures, briefs); build nothing")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="with --changes: compare with this edition instead of the latest")
    p.add_argument("--force", action="store_true", help="rebuild even briefs whose inputs are unchanged")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="briefs built at once (default: number of CPUs, %(default)s here)")
    p.add_argument("--output", metavar="DIR", help="output folder (default: pack.yml's output, briefs/)")
    p.add_argument("--edition", action="store_true",
                   help="write a dated edition to OUTPUT/editions/YYYY-MM-DD/ and point OUTPUT/latest at it")
    p.add_argument("--edition-date", metavar="YYYY-MM-DD", help="date of the edition (default: today)")
    p.add_argument("--chromium", metavar="PATH", help="browser used for PDFs (else $BRIEFKIT_CHROMIUM, Playwright's, system chromium)")
    p.add_argument("--wait", action="store_true", help="if another build holds the output folder, wait for it instead of stopping")
    p.add_argument("--timeout", type=int, default=300, metavar="SECONDS", help="per-cell time limit (default: %(default)s)")
    p.add_argument("-q", "--quiet", action="store_true", help="log only warnings and errors")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
        stream=sys.stderr,
    )
    for noisy in ("papermill", "traitlets", "nbconvert", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    if args.jobs < 1:
        print("build.py: --jobs must be 1 or more", file=sys.stderr)
        return 2
    if args.timeout < 1:
        print(f"build.py: --timeout {args.timeout}: give the per-cell time limit in seconds, 1 or more "
              "(there is no way to turn the limit off).", file=sys.stderr)
        return 2
    try:
        return _run(args)
    except BuildInterrupted as exc:
        print(f"error: {exc}", file=sys.stderr)
        _exit_now(exc.exit_code)
        return exc.exit_code
    except BriefkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # e.g. `python build.py --list | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:  # before the build started (catalogue, --list)
        print("interrupted: nothing was built", file=sys.stderr)
        return 130


def _exit_now(code: int) -> None:
    """After an interrupt, leave at once: the build has cleaned up, and a worker thread still
    waiting on a dead kernel or browser must not hold the exit."""
    import threading

    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _run(args) -> int:
    from . import catalogue
    from .engine import Options, build
    from .parameters import parse_overrides

    pack = catalogue.load(_catalogue_path(args.pack))
    if args.list:
        return _list(pack)
    if args.chromium:
        _browser_given(args.chromium)
    opts = Options(
        only=args.only,
        formats=tuple(args.formats) if args.formats else None,
        overrides=parse_overrides(args.param),
        force=args.force,
        jobs=args.jobs,
        chromium=args.chromium,
        output=Path(args.output) if args.output else None,
        wait=args.wait,
        cell_timeout=args.timeout,
        edition=_edition_date(args) if args.edition or args.edition_date else "",
    )
    if args.check:
        return _check(pack, opts)
    if args.changes or args.since:
        return _changes(pack, opts, args.since)
    report = build(pack, opts)
    _summary(report)
    return report.exit_code


def _catalogue_path(given: str) -> Path:
    """``--pack`` as given; the default ``pack.yml`` is looked for here and in the folders above,
    so build.py works from any folder inside the pack (e.g. notebooks/)."""
    path = Path(given)
    if given != "pack.yml" or path.is_file():
        return path
    here = Path.cwd().resolve()
    for folder in here.parents:
        if (folder / "pack.yml").is_file():
            return folder / "pack.yml"
    return path


def _browser_given(path: str) -> None:
    """``--chromium PATH`` must name a browser that exists: never fall back silently."""
    import shutil

    found = shutil.which(path)
    if not found or not os.access(found, os.X_OK):
        raise BriefkitError(
            f"--chromium {path}: no such executable. Give the path of a Chromium or Chrome binary "
            "(e.g. /usr/bin/chromium), or leave --chromium out to use $BRIEFKIT_CHROMIUM, Playwright's "
            "browser or the system's chromium."
        )


def _edition_date(args) -> str:
    import datetime as dt

    if not args.edition_date:
        return dt.date.today().isoformat()
    try:
        return dt.date.fromisoformat(args.edition_date).isoformat()
    except ValueError:
        raise BriefkitError(f"--edition-date {args.edition_date!r}: write the date as YYYY-MM-DD.") from None


def _list(pack) -> int:
    from .parameters import declared

    for brief in pack.briefs:
        print(f"{brief.id}\n  title:      {brief.title}")
        print(f"  notebook:   {brief.notebook.relative_to(pack.root)}")
        print(f"  marking:    {brief.marking}   formats: {', '.join(brief.formats)}")
        try:
            decls = declared(brief.notebook)
        except BriefkitError as exc:
            print(f"  parameters: cannot be read: {exc}")
            continue
        for d in decls.values():
            if d.name == "marking" or d.name in brief.parameters:
                value = repr(brief.marking if d.name == "marking" else brief.parameters[d.name])
                given = "  (set in pack.yml)"
            else:
                value, given = d.default, ""
            print(f"  - {d.name}: {d.type} = {value}{given}" + (f"  # {d.help}" if d.help else ""))
    return 0


def _check(pack, opts) -> int:
    from .engine import check
    from .parameters import check_overrides

    briefs = pack.select(opts.only)
    check_overrides(pack.briefs, opts.overrides)
    check(pack, briefs, opts)
    print(f"ok: {len(briefs)} brief(s) and the data package are valid; nothing was built.")
    from .engine.build import overdue_tables

    _overdue(overdue_tables(pack))
    _judgements(pack)
    return 0


def _judgements(pack) -> None:
    """Analysts' judgements past their review-by date (data/judgements.csv): not an error."""
    from .publish.judgements import overdue

    rows = overdue(pack)
    if rows:
        print(f"\n{len(rows)} analysts' judgement{'s' if len(rows) != 1 else ''} to review (data/judgements.csv):")
    for row in rows:
        what = f"names no brief in pack.yml ({row.get('brief_id')!r})" if row["unknown_brief"] else \
            f"brief {row.get('brief_id')}, by {row.get('author')}, review by {row['due'].isoformat()}: overdue"
        print(f"  {row.get('judgement_id')}: {what}")


def _changes(pack, opts, since: str | None) -> int:
    """``--changes [--since DATE]``: the current data and the last build's briefs against an edition."""
    import datetime as dt

    from . import markings
    from .engine.plan import output_folder
    from .publish import changes, read_manifest

    if since:
        try:
            since = dt.date.fromisoformat(since).isoformat()
        except ValueError:
            raise BriefkitError(f"--since {since!r}: write the date as YYYY-MM-DD.") from None
    out = output_folder(pack, opts)
    records = read_manifest(out)["briefs"]
    found = changes.previous_edition(out, since=since or "")
    highest = max((r.get("marking", markings.DEFAULT) for r in records), key=markings.rank, default=markings.DEFAULT)
    result = None
    if found:
        result = changes.compare(found[1], changes.snapshot(pack.data, records, dt.date.today().isoformat()), highest)
    print(f"[{highest}]")
    for line in changes.as_text(result, since or ""):
        print(line)
    print(f"[{highest}]")
    return 0


def _overdue(tables) -> None:
    """The freshness policy's report: tables due for review against their sources (not an error)."""
    if not tables:
        return
    print(f"\n{len(tables)} table{'s' if len(tables) != 1 else ''} overdue for review "
          "(review_months in data/datapackage.yaml):")
    width = max(len(name) for name, _ in tables)
    for name, info in tables:
        print(f"  {name.ljust(width)}  figures as of {info.get('as_of') or 'undated'}, "
              f"review every {info.get('review_months')} months, due {info['due'].isoformat()}")


def _summary(report) -> None:
    if not report.results:
        print("No briefs selected.")
        return
    width = max(len(r.brief.id) for r in report.results)
    print(f"\n{'brief'.ljust(width)}  {'status':<10}  {'time':>6}  outputs / reason")
    for r in report.results:
        detail = ", ".join(r.outputs.values()) if r.status != "failed" else r.error
        print(f"{r.brief.id.ljust(width)}  {r.status:<10}  {r.duration:5.1f}s  {detail}")
    print(
        f"\n{report.count('built')} built, {report.count('up to date')} up to date, "
        f"{report.count('failed')} failed."
    )
    _overdue(getattr(report, "overdue", []))
