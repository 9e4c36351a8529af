"""Build a pack: the recipe that runs catalogue → check → data → execute → render → publish.

Reads like papermill's ``execute_notebook``: each step lives in its namesake module; this
module orders them, isolates failures per brief and keeps the counts in one :class:`Report`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, cache
from .catalogue import Brief, Pack
from .errors import BriefExecutionError

log = logging.getLogger("briefkit")

BUILT, UP_TO_DATE, FAILED = "built", "up to date", "failed"


@dataclass
class Result:
    brief: Brief
    status: str
    reason: str = ""
    duration: float = 0.0
    input_hash: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    error: str = ""
    as_of: str = ""
    executed: str = ""


@dataclass
class Report:
    """Counts and exit code of one build (black's ``Report``): 0 all built, 1 a brief failed."""

    results: list[Result] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def exit_code(self) -> int:
        return 1 if self.count(FAILED) else 0


@dataclass
class Options:
    only: list[str] | None = None
    formats: tuple[str, ...] = ("html", "pdf")
    overrides: list[tuple[str, str, str]] = field(default_factory=list)
    force: bool = False
    jobs: int = 1
    chromium: str | None = None
    output: Path | None = None
    wait: bool = False
    cell_timeout: int = 300
    edition: str = ""  # ISO date: also publish OUTPUT/editions/<date>/ and point OUTPUT/latest at it


def plan(pack: Pack, opts: Options) -> tuple[Path, list[tuple[Brief, str, str]], dict[str, Any]]:
    """Which briefs need building and why. Cheap: hashes files, imports nothing heavy.

    Returns the output folder, a list of (brief, input hash, reason or "" when up to date)
    and the previous manifest.
    """
    out = (opts.output or pack.root / pack.output).resolve()
    previous = {r.get("id"): r for r in cache.read_manifest(out)["briefs"]}
    engine = [cache.ENGINE_DIR, *pack.code]
    memo: dict = {}  # each shared file is read and hashed once per build
    planned = []
    for brief in pack.select(opts.only):
        overrides = [o for o in opts.overrides if _matches(brief.id, o[0])]
        formats = tuple(f for f in brief.formats if f in opts.formats)
        tables = _used_tables(brief.notebook) if pack.data.exists() else set()
        files = [brief.notebook, *engine, *cache.data_files(pack.root, tables, pack.data)]
        extra = {
            "brief": {k: v for k, v in brief.__dict__.items() if k not in ("notebook", "parameters")},
            "parameters": dict(brief.parameters),
            "overrides": overrides,
            "formats": formats,
            "engine": __version__,
            "pack_title": pack.title,
        }
        digest = cache.digest(files, pack.root, extra, memo)
        before = previous.get(brief.id) or {}
        reason = _reason(before, digest, formats, out, opts.force)
        planned.append((Brief(**{**brief.__dict__, "formats": formats}), digest, reason))
    return out, planned, previous


def _used_tables(notebook: Path) -> set[str] | None:
    from .data import used_tables

    return used_tables(notebook)


def _matches(brief_id: str, pattern: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(brief_id, pattern)


def _reason(before: dict, digest: str, formats: tuple[str, ...], out: Path, force: bool) -> str:
    if force:
        return "forced (--force)"
    if not before:
        return "new brief"
    if before.get("status") == FAILED:
        return "failed last time"
    if before.get("input_hash") != digest:
        return "inputs changed"
    missing = [f for f in formats if not (out / f"{before.get('id')}.{f}").exists()]
    if missing:
        return f"output missing ({', '.join(missing)})"
    return ""


def build(pack: Pack, opts: Options) -> Report:
    """Build the selected briefs; failures are isolated and reported, never raised.

    With ``opts.edition`` the finished outputs are also published as a dated edition.
    """
    out, planned, previous = plan(pack, opts)
    todo = [(b, h, r) for b, h, r in planned if r]
    report = Report()
    _kernel_environment(pack)
    zygote = _start_zygote(len(todo))  # preloads while parameters and data are checked
    printer = None
    try:
        if todo:
            _need_browser(todo, opts)
            briefs = check(pack, [b for b, _, _ in todo], opts)  # raises before any kernel starts
            todo = [(b, h, r) for b, (_, h, r) in zip(briefs, todo)]
        # The browser starts alongside the first notebooks (not earlier: at start-up the two
        # cores are busy checking parameters and data, and preloading the zygote).
        printer = _start_printer(todo, opts)
        _locked_build(pack, opts, out, planned, previous, todo, report, printer)
    finally:
        _stop_printer(printer)
        if zygote is not None:
            from . import execute

            execute.ZYGOTE = None
            zygote.stop()
    return report


def _locked_build(pack, opts, out, planned, previous, todo, report, printer) -> None:
    with cache.BuildLock(out, wait=opts.wait):
        context = _build_context(pack) if todo else {}
        fresh = {r.brief.id: r for r in _run(pack, todo, opts, out, context, printer, previous)}
        for brief, digest, reason in planned:
            if brief.id in fresh:
                report.results.append(fresh[brief.id])
            else:
                before = previous.get(brief.id, {})
                report.results.append(
                    Result(brief, UP_TO_DATE, "inputs unchanged", 0.0, digest,
                           before.get("outputs", {}), as_of=before.get("as_of", ""))
                )
        records = _publish(pack, out, report, previous, context, index=bool(todo))
        if opts.edition:
            from .editions import publish_edition

            publish_edition(pack, out, records, opts.edition)


def check(pack: Pack, briefs, opts: Options) -> list[Brief]:
    """Check every parameter and validate the data once, before any kernel starts.

    Returns the briefs with their parameters resolved; raises ParameterError or
    DataValidationError (exit 2). ``python build.py --check`` stops here.
    """
    from . import parameters

    resolved = [parameters.resolve(b, opts.overrides) for b in briefs]
    if pack.data.exists():
        from . import data

        data.validate(pack.root)  # also writes the validated-data cache the kernels read
    return resolved


def _run(pack: Pack, todo, opts: Options, out: Path, context: dict, printer, previous: dict) -> list[Result]:
    """Execute, render and print briefs concurrently, ``opts.jobs`` at a time.

    ``printer`` is a future of the shared :class:`~briefkit.render.Printer` (launched in the
    background while the first notebooks run), or None when no PDF is wanted.
    """
    if not todo:
        return []
    build_dir = out / "_build"
    results: list[Result] = []
    # Longest briefs first (by their last build), so no core idles at the end on one long brief.
    def last_duration(item) -> float:
        return (previous.get(item[0].id) or {}).get("duration_s") or float("inf")  # unknown: first

    ordered = sorted(todo, key=last_duration, reverse=True)
    with ThreadPoolExecutor(max_workers=max(1, opts.jobs), thread_name_prefix="brief") as pool:
        futures = [
            pool.submit(_build_one, pack, b, h, r, build_dir, context, opts, printer) for b, h, r in ordered
        ]
        for future in as_completed(futures):
            result = future.result()
            if result.status != FAILED:
                _commit(out, result)
            _log(result)
            results.append(result)
    return results


def _build_one(pack, brief, digest, reason, build_dir, context, opts, printer) -> Result:
    result = _execute_and_render(pack, brief, digest, reason, build_dir, context, opts)
    if result.status != FAILED and "pdf" in brief.formats:
        started = time.perf_counter()
        pdf_tmp = cache.temp_path(build_dir / f"{brief.id}.pdf")
        try:
            printer.result().pdf(Path(result.outputs["html"]), pdf_tmp)
            result.outputs["pdf"] = str(pdf_tmp)
        except Exception as exc:  # one brief's PDF failing must not stop the others
            pdf_tmp.unlink(missing_ok=True)
            result.status, result.error = FAILED, f"Brief '{brief.id}': PDF not printed ({exc})"
        result.duration += time.perf_counter() - started
    return result


def _need_browser(todo, opts: Options) -> None:
    """No browser at all for a PDF: stop now (exit 2), before any kernel starts."""
    if any("pdf" in b.formats for b, _, _ in todo):
        from .render import find_chromium

        find_chromium(opts.chromium)


def _start_printer(todo, opts: Options):
    """Launch the shared browser in the background; returns a future of the Printer, or None."""
    if not any("pdf" in b.formats for b, _, _ in todo):
        return None
    from .render import Printer

    starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="printer-start")
    future = starter.submit(Printer(opts.chromium).__enter__)
    starter.shutdown(wait=False)
    return future


def _stop_printer(future) -> None:
    if future is None:
        return
    try:
        printer = future.result()
    except Exception:
        return
    printer.__exit__(None, None, None)


def _kernel_environment(pack: Pack) -> None:
    """What every kernel of this build inherits: where the pack is, and an import path that
    finds briefkit and the pack's own code even when they are not installed."""
    os.environ["BRIEFKIT_PACK"] = str(pack.root)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    paths = [str(cache.ENGINE_DIR.parent), str(pack.root)]
    existing = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in paths]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths + existing)


def _start_zygote(count: int):
    """Start the kernel zygote (see briefkit.zygote) unless disabled or not worth it."""
    if os.environ.get("BRIEFKIT_FORK", "1") == "0" or count < 2 or not hasattr(os, "fork"):
        return None
    from . import execute
    from .zygote import Zygote

    execute.ZYGOTE = Zygote().start()
    return execute.ZYGOTE


def _execute_and_render(pack, brief, digest, reason, build_dir, context, opts) -> Result:
    from . import execute, render

    started = time.perf_counter()
    executed = build_dir / f"{brief.id}.ipynb"
    result = Result(brief, BUILT, reason, input_hash=digest, executed=str(executed))
    log.info("building %s (%s)", brief.id, reason)
    try:
        nb = execute.execute(brief, executed, cell_timeout=opts.cell_timeout)
        prov = render.provenance(nb)
        as_of = str(brief.parameters.get("as_of") or prov.get("as_of") or "")
        result.as_of = as_of
        shown = {**_defaults(brief), **brief.parameters}
        page = render.html(nb, _brief_context(pack, brief, shown, digest, prov, as_of, context))
        html_tmp = cache.temp_path(build_dir / f"{brief.id}.html")
        html_tmp.write_text(page, encoding="utf-8")
        result.outputs = {"html": str(html_tmp)}
    except BriefExecutionError as exc:
        result.status, result.error = FAILED, str(exc)
    except Exception as exc:  # a render bug must not take the other briefs down
        result.status = FAILED
        result.error = f"Brief '{brief.id}' could not be rendered ({type(exc).__name__}: {exc})."
    result.duration = time.perf_counter() - started
    return result


def _commit(out: Path, result: Result) -> None:
    """Move the finished temporary outputs into place (``os.replace``: atomic per file)."""
    final = {}
    wanted = result.brief.formats
    for fmt, tmp in result.outputs.items():
        target = out / f"{result.brief.id}.{fmt}"
        if fmt in wanted:
            os.replace(tmp, target)
            final[fmt] = target.name
        else:
            Path(tmp).unlink(missing_ok=True)
    result.outputs = final


def _log(result: Result) -> None:
    if result.status == FAILED:
        log.error("%s failed: %s", result.brief.id, result.error)
    else:
        log.info("%s built in %.1fs", result.brief.id, result.duration)


def _git(root: Path, *args: str) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _build_context(pack: Pack) -> dict:
    """Facts shared by every brief of a build: commit and a reproducible build time.

    The time is ``$SOURCE_DATE_EPOCH`` if set, else the commit's time, so that the same inputs
    give the same HTML byte for byte; the manifest records the wall-clock time.
    """
    commit = _git(pack.root, "rev-parse", "--short=12", "HEAD") or "not under git"
    if commit != "not under git" and _git(pack.root, "status", "--porcelain", "--untracked-files=no"):
        commit += " with uncommitted changes"
    epoch = os.environ.get("SOURCE_DATE_EPOCH") or _git(pack.root, "log", "-1", "--format=%ct")
    built = (
        dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        if epoch.isdigit()
        else "time not recorded"
    )
    return {"commit": commit, "built_at": built}


def _defaults(brief: Brief) -> dict[str, Any]:
    """The notebook's declared defaults (as written in its parameters cell)."""
    import ast

    from .parameters import declared

    out = {}
    for name, decl in declared(brief.notebook).items():
        try:
            out[name] = ast.literal_eval(decl.default)
        except (ValueError, SyntaxError):
            out[name] = decl.default
    return out


def _brief_context(pack: Pack, brief: Brief, shown: dict, digest: str, prov: dict, as_of: str, context: dict) -> dict:
    return {
        "id": brief.id,
        "title": brief.title,
        "subtitle": brief.subtitle,
        "audience": brief.audience,
        "marking": brief.marking,
        "marking_css": css_string(brief.marking),
        "title_css": css_string(brief.title),
        "pack_title": pack.title,
        "notebook": _relative(brief.notebook, pack.root),
        "parameters": sorted((k, _show(v)) for k, v in shown.items()),
        "as_of": human_date(as_of),
        "tables": prov.get("tables", []),
        "commit": context["commit"],
        "built_at": context["built_at"],
        "engine_version": __version__,
        "input_hash": digest,
    }


def css_string(text: str) -> str:
    """``text`` made safe inside a double-quoted CSS string in a <style> element."""
    out = []
    for ch in str(text):
        if ch.isalnum() or ch in " .,:;-_()'!?&/+":
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):X} ")
    return "".join(out)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def human_date(iso: str) -> str:
    """'2022-11-30' → '30 November 2022'; other text is returned as given."""
    try:
        day = dt.date.fromisoformat(str(iso)[:10])
    except ValueError:
        return str(iso)
    return f"{day.day} {day:%B %Y}"


def _publish(pack: Pack, out: Path, report: Report, previous: dict, context: dict, index: bool) -> list[dict]:
    """Write ``manifest.json`` (always) and ``index.html`` (when anything was built)."""
    import json

    records = []
    ran = {r.brief.id: r for r in report.results}
    for brief in pack.briefs:  # catalogue order; briefs outside this run keep their record
        before = previous.get(brief.id, {})
        r = ran.get(brief.id)
        if r is None:
            if before:
                records.append(before)
            continue
        if r.status == UP_TO_DATE and before:
            records.append({**before, "status": UP_TO_DATE, "reason": r.reason, "duration_s": 0.0})
            continue
        record = {
            "id": r.brief.id,
            "title": r.brief.title,
            "subtitle": r.brief.subtitle,
            "notebook": _relative(r.brief.notebook, pack.root),
            "parameters": dict(r.brief.parameters),
            "marking": r.brief.marking,
            "audience": r.brief.audience,
            "status": r.status,
            "reason": r.reason,
            "duration_s": round(r.duration, 2),
            "input_hash": r.input_hash if r.status != FAILED else before.get("input_hash"),
            "outputs": r.outputs if r.status != FAILED else before.get("outputs", {}),
            "as_of": r.as_of if r.status != FAILED else before.get("as_of", ""),
            "commit": context.get("commit", ""),
        }
        if r.status == FAILED:
            record["error"] = r.error
            record["executed_notebook"] = _relative(Path(r.executed), out)
        records.append(record)
    manifest = {
        "pack": pack.title,
        "engine_version": __version__,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "briefs": records,
    }
    cache.atomic_write(out / cache.MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n")
    if index or not (out / "index.html").exists():
        write_index(pack, out, records)
    return records


def write_index(pack: Pack, out: Path, records: list[dict]) -> None:
    from .publish import editions, index_html

    cache.atomic_write(out / "index.html", index_html(pack, records, human_date, editions(out)))


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
