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
  python build.py --only group:threats     the briefs with `group: threats` in pack.yml
  python build.py --keep-going             bad data stops only the briefs that read it (exit 2)
  python build.py preview outlook          build, serve on localhost and rebuild on every change
  python build.py new sanctions --title "Sanctions"   start a brief: notebook, pack.yml, first build

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
    p.add_argument("--only", action="append", metavar="ID", help="build only this brief; repeatable; globs allowed "
                   "('threat-*'), and groups ('group:threats', from group: in pack.yml)")
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
    p.add_argument("-j", "--jobs", type=int, default=(os.cpu_count() or 1) + 1, metavar="N",
                   help="briefs executed at once, each in its own kernel (default: CPUs + 1, %(default)s "
                   "here); a brief that has executed is exported and printed beside them")
    p.add_argument("--output", metavar="DIR", help="output folder (default: pack.yml's output, briefs/)")
    p.add_argument("--edition", action="store_true",
                   help="write a dated edition to OUTPUT/editions/YYYY-MM-DD/ and point OUTPUT/latest at it")
    p.add_argument("--edition-date", metavar="YYYY-MM-DD", help="date of the edition (default: today)")
    p.add_argument("--chromium", metavar="PATH", help="browser used for PDFs (else $BRIEFKIT_CHROMIUM, Playwright's, system chromium)")
    p.add_argument("--wait", action="store_true", help="if another build holds the output folder, wait for it instead of stopping")
    p.add_argument("--timeout", type=int, default=300, metavar="SECONDS", help="per-cell time limit (default: %(default)s)")
    p.add_argument("--keep-going", action="store_true",
                   help="a data error in one table stops only the briefs that read it; the others are built "
                   "(the run still exits 2 and lists what it skipped)")
    p.add_argument("-q", "--quiet", action="store_true", help="log only warnings and errors")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in ("preview", "new"):
        return _subcommand(argv[0], argv[1:])
    args = parser().parse_args(argv)
    _logging(args.quiet)
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
        keep_going=args.keep_going,
        progress=_Progress() if _terminal() and not args.quiet else None,
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
    _judgements(pack)
    from .engine.build import overdue_tables

    _overdue(overdue_tables(pack))
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


def _summary(report) -> None:
    if _terminal(sys.stdout) and report.results:
        _rich_summary(report)
        return
    _skipped(report, print)
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


# ------------------------------------------------------------------ terminal output (rich)
# On a terminal: [7/12] progress with an estimate, a coloured summary naming why each brief
# was rebuilt, and the index's path. In logs and CI (not a terminal): plain timestamped lines.


def _terminal(stream=None) -> bool:
    stream = stream or sys.stderr
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return stream.isatty()


def _logging(quiet: bool) -> None:
    level = logging.WARNING if quiet else logging.INFO
    if _terminal():
        from rich.console import Console
        from rich.logging import RichHandler

        # On a terminal the progress lines say what is built; the log keeps warnings and errors.
        handler = RichHandler(console=Console(stderr=True), show_path=False, show_time=False, markup=False)
        logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[handler])
    else:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s",
                            datefmt="%Y-%m-%dT%H:%M:%S", stream=sys.stderr)
    for noisy in ("papermill", "traitlets", "nbconvert", "asyncio", "watchfiles"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


STATUS_STYLE = {"built": "green", "up to date": "dim", "failed": "bold red", "skipped": "yellow"}


class _Progress:
    """The engine's progress callback on a terminal: one line per finished brief,
    ``[7/12] threat-cyber built in 3.1s (data/cyber_incidents.csv changed), about 20s left``."""

    def __init__(self):
        import time

        from rich.console import Console

        self.console = Console(stderr=True, highlight=False)
        self.clock = time.monotonic
        self.started = self.clock()
        self.estimate = None

    def __call__(self, event: str, **info) -> None:
        from rich.markup import escape

        if event == "start":
            self.started, self.estimate = self.clock(), info.get("estimate")
            if info["total"]:
                about = f", about {_seconds(self.estimate)}" if self.estimate else ""
                self.console.print(f"Building {info['total']} brief{'s' if info['total'] != 1 else ''}{about}")
        elif event == "done":
            r, done, total = info["result"], info["done"], info["total"]
            elapsed = self.clock() - self.started
            left = elapsed / done * (total - done)
            if self.estimate and done < total:  # blend the last build's durations with this one's pace
                left = (left + max(0.0, self.estimate - elapsed)) / 2
            tail = f", about {_seconds(left)} left" if done < total else ""
            style = STATUS_STYLE.get(r.status, "")
            what = "" if r.status == "failed" else f"({escape(r.reason)})"  # the error is logged above
            self.console.print(f"[bold]\\[{done}/{total}][/] {escape(r.stem)} [{style}]{r.status}[/] "
                               f"in {r.duration:.1f}s{' ' + what if what else ''}{tail}")


def _seconds(value) -> str:
    value = max(0, round(value or 0))
    return f"{value}s" if value < 90 else f"{value // 60}m{value % 60:02d}s"


def _rich_summary(report) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("brief", "status", "time", "outputs / reason"):
        table.add_column(column, justify="right" if column == "time" else "left")
    for r in report.results:
        detail = r.error if r.status == "failed" else ", ".join(r.outputs.values())
        if r.status == "built" and r.reason:
            detail += f"  ({r.reason})"
        style = STATUS_STYLE.get(r.status, "")
        table.add_row(escape(r.brief.id), f"[{style}]{r.status}[/]", f"{r.duration:.1f}s", escape(detail))
    for brief_id, why in getattr(report, "skipped", {}).items():
        table.add_row(escape(brief_id), "[yellow]skipped[/]", "", escape(why))
    console.print()
    console.print(table)
    counts = [f"[green]{report.count('built')} built[/]", f"{report.count('up to date')} up to date",
              f"[{'bold red' if report.count('failed') else 'dim'}]{report.count('failed')} failed[/]"]
    if getattr(report, "skipped", None):
        counts.append(f"[yellow]{len(report.skipped)} skipped (bad data)[/]")
    console.print("\n" + ", ".join(counts) + ".")
    _overdue(getattr(report, "overdue", []))
    index = getattr(report, "index", None)
    if index is not None and index.exists():
        console.print(f"Index: [link=file://{index}]{escape(_shown_path(index))}[/link]")


def _skipped(report, out) -> None:
    """--keep-going: the briefs bad data kept from being built (plain output)."""
    for brief_id, why in getattr(report, "skipped", {}).items():
        out(f"skipped {brief_id}: {why}")


def _shown_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


# ------------------------------------------------------------------ subcommands


def _subcommand(name: str, argv: list[str]) -> int:
    """``build.py preview ID`` and ``build.py new ID --title ...`` (see briefkit.preview, .scaffold)."""
    p = argparse.ArgumentParser(prog=f"build.py {name}")
    p.add_argument("id", help="the brief's id" + (" (see --list)" if name == "preview" else
                                                   ": lower-case letters, digits and hyphens"))
    p.add_argument("--pack", default="pack.yml", metavar="PATH", help="catalogue file (default: pack.yml, found upwards)")
    if name == "preview":
        p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    else:
        p.add_argument("--title", required=True, help="the brief's title")
        p.add_argument("--notebook", metavar="PATH", help="notebook to write (default: notebooks/<id>.ipynb)")
        p.add_argument("--no-build", action="store_true", help="do not build it once")
    p.add_argument("-q", "--quiet", action="store_true", help="log only warnings and errors")
    args = p.parse_args(argv)
    _logging(args.quiet)
    try:
        if name == "preview":
            return _preview(args)
        return _new(args)
    except BriefkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130


def _preview(args) -> int:
    from . import catalogue
    from .preview import Preview

    path = _catalogue_path(args.pack)
    catalogue.load(path).brief(args.id)  # an unknown id stops here, with "did you mean"
    if not 0 <= args.port < 65536:
        raise BriefkitError(f"--port {args.port}: give a port number from 1 to 65535, or leave it out for a free one.")

    def say(event: str, **info) -> None:
        if event == "serving":
            print(f"Previewing {args.id} at {info['url']}  (Ctrl-C to stop)", flush=True)
            print(f"Watching {len(info['watched'])} inputs: {', '.join(info['watched'][:6])}"
                  + (" ..." if len(info["watched"]) > 6 else ""), file=sys.stderr, flush=True)
        elif event == "changed":
            print(f"{', '.join(info['changed'])} changed: rebuilding {args.id}", file=sys.stderr, flush=True)
        elif event == "built":
            print(f"{args.id} rebuilt in {info['seconds']:.1f}s: the open page reloads", file=sys.stderr, flush=True)
        elif event == "failed":
            print(f"error: {info['error']}", file=sys.stderr, flush=True)

    from .engine.session import _signals_raise

    try:  # SIGTERM (a closed terminal's, an editor's task) ends it as Ctrl-C does, built or idle
        with _signals_raise(), Preview(path, args.id, port=args.port, report=say) as preview:
            preview.serve_forever()
    except (KeyboardInterrupt, BuildInterrupted):  # Ctrl-C is how a preview ends
        print("preview stopped", file=sys.stderr)
        _exit_now(0)
    return 0


def _new(args) -> int:
    from .scaffold import new_brief

    path = _catalogue_path(args.pack)
    notebook, entry = new_brief(path, args.id, args.title, notebook=args.notebook)
    print(f"wrote {_shown_path(notebook)} and added {args.id!r} to {_shown_path(path)}:\n{entry}")
    if args.no_build:
        return 0
    from . import catalogue
    from .engine import Options, build

    report = build(catalogue.load(path), Options(only=[args.id], formats=("html",), jobs=1))
    _summary(report)
    if report.exit_code == 0:
        print(f"Next: python build.py preview {args.id}   (or open {_shown_path(notebook)} in JupyterLab: make lab)")
    return report.exit_code
