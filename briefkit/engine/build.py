"""Build a pack: the recipe that runs plan → check → execute → export → scan → publish.

Reads like papermill's ``execute_notebook``: each step lives in its namesake module; this
module orders them, isolates failures per brief and keeps the counts in one :class:`Report`.

    report = build(pack, Options(formats=("html", "pdf")))      # the whole pack
    result = build_one(session, brief, digest, reason, context)   # one brief, in a Session

What a build promises, whatever happens to it:

- Nothing is written before every parameter and the data are checked (exit 2 otherwise).
- The output folder is locked; the previous manifest is read under the lock.
- Files being written live in ``OUTPUT/.staging/`` (swept at the start of every build) and are
  renamed into place whole, so the output folder only ever holds complete files.
- A brief's outputs are named by its marking when a run overrides it
  (``outlook.restricted.html``), so an override never writes over a lower-marked brief.
- Before an output is published it is scanned for the distinctive values of every row
  withheld at the brief's marking; an output holding one is refused.
- Ctrl-C and SIGTERM kill the running kernels, cancel queued briefs and exit 130 / 143.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import subprocess
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__, config, files
from ..catalogue import Brief, Pack
from ..errors import BriefExecutionError
from .plan import Options, output_folder, plan, stem
from .session import Session

log = logging.getLogger("briefkit")

BUILT, UP_TO_DATE, FAILED = "built", "up to date", "failed"
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


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
    stem: str = ""
    work: dict[str, str] = field(default_factory=dict)  # staged working files: executed, log
    summary: dict = field(default_factory=dict)  # key points, bottom line, figures (publish.summary)


@dataclass
class Report:
    """Counts and exit code of one build (black's ``Report``): 0 all built, 1 a brief failed."""

    results: list[Result] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # build-level failures (manifest, index, edition)
    overdue: list = field(default_factory=list)  # (table, metadata + freshness) due for review (data/README)
    skipped: dict[str, str] = field(default_factory=dict)  # --keep-going: brief id -> why it was not built
    index: Path | None = None  # the output folder's index.html

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 all built; 1 a brief failed; 2 bad data kept some briefs from being built (--keep-going)."""
        if self.skipped:
            return 2
        return 1 if self.count(FAILED) or self.problems else 0


def build(pack: Pack, opts: Options, settings: config.Settings | None = None, kept_zygote=None) -> Report:
    """Build the selected briefs; failures are isolated and reported, never raised.

    Raises :class:`BriefkitError` (exit 2) for bad parameters, data or output folder before
    anything is written, and :class:`BuildInterrupted` on Ctrl-C or SIGTERM.
    With ``opts.edition`` the finished outputs are also published as a dated edition.
    ``kept_zygote``: a :class:`~briefkit.engine.zygote.KeptZygote` to fork the kernels from,
    left running afterwards (``build.py preview`` keeps one from rebuild to rebuild).
    """
    from .. import exporters
    from ..parameters import check_overrides

    settings = settings or config.settings()
    out = output_folder(pack, opts)
    check_overrides(pack.briefs, opts.overrides)
    _, planned, _ = plan(pack, opts, out)  # a first look, to check only what will be built
    todo = [b for b, _, reason in planned if reason]
    report = Report(index=out / "index.html")
    blocked = report.skipped if opts.keep_going else None  # --keep-going: id -> the bad data it reads
    with Session(pack, opts, out, settings, kept_zygote) as session, _tolerating(session, blocked):
        session.start_zygote(len(todo))  # preloads while parameters and data are checked
        checked = {}
        if todo:
            for name in sorted({f for b in todo for f in b.formats}):
                exporters.create(name).check(settings, opts)  # e.g. no browser: stop now
            checked = {b.id: b for b in check(pack, todo, opts, blocked)}  # raises before anything is written
        report.overdue = overdue_tables(pack)  # after the check, which loads the data once for both
        session.lock()
        _, planned, previous = plan(pack, opts, out, warn=True)  # again, under the lock
        todo = [(b, h, r) for b, h, r in planned if r]
        unchecked = [b for b, _, _ in todo if b.id not in checked and b.id not in report.skipped]
        if unchecked:
            checked.update({b.id: b for b in check(pack, unchecked, opts, blocked)})
        todo = [(Brief(**{**checked[b.id].__dict__, "formats": b.formats}), h, r) for b, h, r in todo
                if b.id not in report.skipped]
        if report.skipped:  # the kernels load the data package without the tables set aside
            from ..data.store import _TOLERATED

            session.kernels.env["BRIEFKIT_SKIP_TABLES"] = ",".join(sorted(_TOLERATED))
        if todo:
            session.start_exporters({f for b, _, _ in todo for f in b.formats})  # the browser, alongside the first notebooks
        context = build_context(pack, settings) if todo else {}
        _progress(opts, "start", total=len(todo), estimate=_estimate(todo, previous, pack, opts.jobs))
        fresh = {r.stem: r for r in _run(session, todo, context, previous)}
        for brief, digest, reason in planned:
            name = stem(pack, brief)
            if brief.id in report.skipped:
                continue
            if name in fresh:
                report.results.append(fresh[name])
            else:
                before = previous.get(name, {})
                report.results.append(
                    Result(brief, UP_TO_DATE, "inputs unchanged", 0.0, digest,
                           before.get("outputs", {}), as_of=before.get("as_of", ""), stem=name)
                )
        _publish(session, report, previous, context, index=bool(todo))
    return report


def check(pack: Pack, briefs, opts: Options, blocked: dict[str, str] | None = None) -> list[Brief]:
    """Check every parameter and validate the data once, before any kernel starts.

    Returns the briefs with their parameters resolved; raises ParameterError or
    DataValidationError (exit 2). ``python build.py --check`` stops here.
    With ``blocked`` (``--keep-going``), invalid tables stop only the briefs that read them:
    those are left out of the result and recorded in ``blocked`` (id -> reason).
    """
    from .. import parameters
    from ..errors import DataValidationError

    resolved = [parameters.resolve(b, opts.overrides) for b in briefs]
    if pack.data.exists():
        from .. import data

        try:  # (never tolerant here: tables set aside by an earlier check are checked again)
            data.load(pack.root, skip=())  # validates once; writes the validated-data cache the kernels read
        except DataValidationError as exc:
            if blocked is None:
                raise
            resolved = _set_aside(pack, resolved, exc, blocked)
    if any(b.reads for b in resolved):  # pack.yml's reads: name tables of the data package
        from .plan import check_reads

        check_reads(resolved, data.load(pack.root).names if pack.data.exists() else ())
    return resolved


def _set_aside(pack: Pack, briefs: list[Brief], exc, blocked: dict[str, str]) -> list[Brief]:
    """``--keep-going``: the briefs that read none of the invalid tables; the others go into
    ``blocked``. Re-raises ``exc`` when a problem is not in one table (e.g. the descriptor)."""
    from ..data import store
    from .plan import tables_read

    files = store._read_inputs(pack.root)
    bad = store.bad_tables(exc, files)
    store.tolerate(bad | store._TOLERATED)
    keep = []
    for brief in briefs:
        tables = tables_read(brief)
        hit = sorted(bad if tables is None else bad & tables)
        if not hit:
            keep.append(brief)
            continue
        problems = [p for p in exc.problems if any(p.file.endswith(f"/{name}.csv") for name in hit)]
        blocked[brief.id] = (f"not built: it reads {', '.join(f'data/{n}.csv' for n in hit)}, which has "
                             f"{len(problems)} problem(s): {problems[0] if problems else exc.problems[0]}")
    log.error("%s", str(exc).replace("nothing was built", f"briefs reading {', '.join(sorted(bad))} are not built"))
    return keep


class _tolerating:
    """While a --keep-going build runs, tables set aside stay set aside for it and its kernels."""

    def __init__(self, session: Session, blocked: dict | None):
        self.session, self.blocked = session, blocked

    def __enter__(self):
        from ..data import store

        self.before = store._TOLERATED if self.blocked is not None else None
        return self

    def __exit__(self, *exc_info):
        if self.blocked is not None:
            from ..data import store

            store.tolerate(self.before)
        return False


def _progress(opts: Options, event: str, **info) -> None:
    """Tell the caller (the CLI's progress display) how the build goes; never fails the build."""
    if opts.progress is None:
        return
    try:
        opts.progress(event, **info)
    except Exception as exc:
        log.debug("progress callback failed: %s", exc)


def _estimate(todo, previous: dict, pack: Pack, jobs: int) -> float | None:
    """Seconds the build should take, from the last durations of the briefs to build (None if unknown)."""
    known = [(previous.get(stem(pack, b)) or {}).get("duration_s") for b, _, _ in todo]
    known = [d for d in known if isinstance(d, (int, float)) and d > 0]
    if not known:
        return None
    mean = sum(known) / len(known)
    return mean * len(todo) / max(1, min(jobs, len(todo)))


def overdue_tables(pack: Pack) -> list:
    """Tables whose review (``review_months`` in datapackage.yaml) is overdue today; [] when the
    package cannot be read (its problems are reported by the data check)."""
    if not pack.data.exists():
        return []
    from ..data.store import load
    from ..data.validate import overdue

    try:
        return overdue(load(pack.root).resources)
    except Exception:  # invalid data is reported, with every problem, by check()
        return []


def _run(session: Session, todo, context: dict, previous: dict) -> list[Result]:
    """Execute briefs concurrently, ``opts.jobs`` kernels at a time, and export each as its
    kernel ends (beside the next kernels); commit each as it finishes. On Ctrl-C or SIGTERM:
    cancel what is queued, kill running kernels (and start no more), re-raise."""
    if not todo:
        return []
    results: list[Result] = []

    # Longest briefs first (by their last build), so no core idles at the end on one long brief.
    def last_duration(item) -> float:
        return (previous.get(stem(session.pack, item[0])) or {}).get("duration_s") or float("inf")

    ordered = sorted(todo, key=last_duration, reverse=True)
    # --jobs kernels at once; a brief that has executed exports and prints outside that limit,
    # so the next brief's kernel starts at once (measured: about 0.6-0.8 s less a build of 12).
    jobs = max(1, session.opts.jobs)
    session.kernels.slots = threading.BoundedSemaphore(jobs)
    session.kernels.prompt = len(ordered) == 1  # one kernel in all: no fixed wait at its start (Kernels)
    pool = ThreadPoolExecutor(max_workers=min(len(ordered), 2 * jobs), thread_name_prefix="brief")
    futures = set()
    try:
        futures = {pool.submit(build_one, session, b, h, r, context) for b, h, r in ordered}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()
                _commit(session, result, previous)
                _log(result)
                results.append(result)
                _progress(session.opts, "done", result=result, done=len(results), total=len(ordered))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        session.kernels.kill_running()
        wait([f for f in futures if f.running()], timeout=10)  # they fail fast once their kernel is dead
        raise
    else:
        pool.shutdown(wait=True)
    return results


def build_one(session: Session, brief: Brief, digest: str, reason: str, context: dict) -> Result:
    """Execute one brief and export it to its formats in the session's staging folder.

    The outputs are staged, not published: the caller commits them (see ``_commit``).
    """
    started = time.perf_counter()
    name = stem(session.pack, brief)
    result = Result(brief, BUILT, reason, input_hash=digest, stem=name)
    log.info("building %s (%s)", name, reason)
    try:
        nb = _execute(session, brief, result)
        if nb is not None:
            _export(session, brief, result, nb, context)
        if result.status != FAILED or result.work.get("executed"):
            _scan(session, brief, result)
    except OSError as exc:
        _fail(result, _os_error(brief, exc))
    except Exception as exc:  # an exporter's bug must not take the other briefs down
        _fail(result, f"Brief '{brief.id}' could not be exported ({type(exc).__name__}: {exc}).")
    result.duration = time.perf_counter() - started
    return result


def _execute(session: Session, brief: Brief, result: Result):
    from .execute import execute

    staged = files.temp_path(Path(f"{result.stem}.ipynb"), session.staging)
    klog = staged.with_suffix(".kernel.log")
    result.work = {"executed": str(staged), "log": str(klog)}
    result.executed = str(session.out / "_build" / f"{result.stem}.ipynb")
    reused = _executed_before(session, result)
    if reused is not None:  # e.g. a PDF asked for after an HTML build of the same inputs
        log.info("%s: reusing its executed notebook (%s)", result.stem, result.executed)
        return reused
    try:
        return execute(brief, staged, session.kernels, cell_timeout=session.opts.cell_timeout,
                       log_path=klog, shown_as=result.executed)
    except BriefExecutionError as exc:
        result.status, result.error = FAILED, str(exc)
        return None


def _executed_before(session: Session, result: Result):
    """The executed notebook of this brief's last build, if it ran on these very inputs: it
    records its brief (``metadata.briefkit``) with the input hash the manifest holds too."""
    import json

    if session.opts.force:
        return None
    path = session.out / "_build" / f"{result.stem}.ipynb"
    record = read_manifest_record(session.out, result.stem)
    if not (record and record.get("status") != FAILED and record.get("input_hash") == result.input_hash
            and path.is_file()):
        return None
    try:
        import nbformat

        nb = nbformat.read(path, as_version=4)
        meta = nb.metadata.get("briefkit") or {}
        if meta.get("input_hash") != result.input_hash or meta.get("id") != result.brief.id:
            return None
        return nb
    except (OSError, ValueError, json.JSONDecodeError, AttributeError):
        return None


def read_manifest_record(out: Path, name: str) -> dict | None:
    from ..publish.manifest import read_manifest

    return next((r for r in read_manifest(out)["briefs"] if (r.get("stem") or r.get("id")) == name), None)


def _export(session: Session, brief: Brief, result: Result, nb, context: dict) -> None:
    """HTML first (the other formats start from it), then each other format the brief lists."""
    import nbformat

    from ..exporters import Job
    from ..exporters.html import METADATA_KEY, provenance

    prov = provenance(nb)
    from ..publish.summary import brief_summary

    result.summary = brief_summary(nb)
    result.as_of = str(brief.parameters.get("as_of") or prov.get("as_of") or "")
    shown = {**_defaults(brief), **brief.parameters}
    issued = session.opts.edition or _issue_date(str(context.get("built_at", "")))
    brief_context = _brief_context(session.pack, brief, shown, result.input_hash, prov, result.as_of,
                                   {**context, "issued": issued})
    # The executed notebook records its brief, so stock nbconvert can render it too:
    # jupyter nbconvert --to briefing briefs/_build/<id>.ipynb
    nb.metadata[METADATA_KEY] = brief_context
    nbformat.write(nb, result.work["executed"])
    staged = {}
    result.outputs = staged
    job = Job(brief, nb, brief_context, Path(), session)
    for name, exporter in session.exporters.items():
        if name != "html" and name not in brief.formats:
            continue
        dest = files.temp_path(session.out / f"{result.stem}{exporter.suffix}", session.staging)
        staged[name] = str(dest)
        try:
            exporter.export(job, dest)
        except OSError:
            raise
        except Exception as exc:  # one brief's PDF or Word file failing must not stop the others
            _fail(result, f"Brief '{brief.id}': {exporter.label} not written ({type(exc).__name__}: {exc})")
            return
        if name == "html":
            job.html = dest
    if "html" not in brief.formats:  # written only for the other formats to start from
        Path(staged.pop("html")).unlink(missing_ok=True)


def _scan(session: Session, brief: Brief, result: Result) -> None:
    """The last line: refuse to publish an output that holds a value of a withheld row."""
    withheld = session.withheld(brief.marking)
    if not withheld:
        return
    from ..data.withheld import find_withheld

    found = []
    paths = [(fmt, Path(p)) for fmt, p in result.outputs.items()]
    if result.work.get("executed") and Path(result.work["executed"]).exists():
        paths.append(("executed notebook", Path(result.work["executed"])))
    for what, path in paths:  # find_withheld reads HTML- and JSON-escaped text as it is
        found.extend((what, hit) for hit in find_withheld(_text_of(what, path), withheld))
    if found:
        what, hit = found[0]
        result.work.pop("executed", None)  # not kept for debugging either: it holds the value
        _fail(result, (
            f"Brief '{brief.id}' was not published: its {what} contains a value of a row marked above "
            f"{brief.marking} (table {hit.table}, row {hit.key}, column {hit.column}). The data API "
            "withholds such rows; find where the notebook read or wrote the value and remove it. "
            "No output of this brief was written."
        ))


def _text_of(what: str, path: Path) -> str:
    if what == "pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    if what == "docx":
        from docx import Document

        document = Document(str(path))
        parts = [p.text for p in document.paragraphs]
        parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        parts += [s.docPr.get("descr", "") for s in (i._inline for i in document.inline_shapes)]
        return "\n".join(parts)
    return path.read_text(encoding="utf-8", errors="replace")


def _fail(result: Result, message: str) -> None:
    result.status, result.error = FAILED, message
    for tmp in result.outputs.values():
        Path(tmp).unlink(missing_ok=True)
    result.outputs = {}


def _os_error(brief: Brief, exc: OSError) -> str:
    if exc.errno in NO_SPACE:
        return (f"Brief '{brief.id}': no space left on the device while writing its outputs ({exc}). "
                "Its previous outputs were kept. Free some space and run the build again.")
    return f"Brief '{brief.id}': could not write its outputs ({exc}). Its previous outputs were kept."


def _commit(session: Session, result: Result, previous: dict) -> None:
    """Move the finished outputs into place (``os.replace``: atomic per file), and the working
    files (executed notebook, kernel log) into ``_build/``. On the main thread only."""
    from .. import markings

    out = session.out
    build_dir = out / "_build"
    try:
        build_dir.mkdir(exist_ok=True)
        for what, suffix in (("executed", ".ipynb"), ("log", ".kernel.log")):
            staged = result.work.get(what)
            if staged and Path(staged).exists():
                os.replace(staged, build_dir / f"{result.stem}{suffix}")
        if result.status == FAILED:
            before = previous.get(result.stem) or {}
            if _marked_above(before.get("marking"), result.brief.marking, markings):
                for name in (before.get("outputs") or {}).values():
                    (out / name).unlink(missing_ok=True)
                before["outputs"] = {}
                log.warning("%s: its previous outputs were marked %s, above its marking now (%s): removed",
                            result.stem, before.get("marking"), result.brief.marking)
            return
        final = {}
        for fmt, tmp in result.outputs.items():
            target = out / f"{result.stem}.{fmt}"
            os.replace(tmp, target)
            final[fmt] = target.name
        result.outputs = final
    except OSError as exc:
        _fail(result, _os_error(result.brief, exc))


def _marked_above(marking, now: str, markings) -> bool:
    """A failed brief keeps its previous outputs, unless they are marked above its marking now."""
    if marking is None:
        return False
    try:
        return markings.rank(marking) > markings.rank(now)
    except ValueError:
        return True


def _log(result: Result) -> None:
    if result.status == FAILED:
        log.error("%s failed: %s", result.stem, result.error)
    else:
        log.info("%s built in %.1fs", result.stem, result.duration)


# ------------------------------------------------------------------------------ context


def _git(root: Path, *args: str) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def build_context(pack: Pack, settings: config.Settings) -> dict:
    """Facts shared by every brief of a build: commit and a reproducible build time.

    The time is ``$SOURCE_DATE_EPOCH`` if set, else the commit's time, so that the same inputs
    give the same HTML byte for byte; the manifest records the wall-clock time.
    """
    commit = _git(pack.root, "rev-parse", "--short=12", "HEAD") or "not under git"
    if commit != "not under git" and _git(pack.root, "status", "--porcelain", "--untracked-files=no"):
        commit += " with uncommitted changes"
    epoch = settings.source_date_epoch or _git(pack.root, "log", "-1", "--format=%ct")
    built = (
        dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        if epoch.isdigit()
        else "time not recorded"
    )
    return {"commit": commit, "built_at": built}


def _defaults(brief: Brief) -> dict[str, Any]:
    """The notebook's declared defaults (as written in its parameters cell)."""
    import ast

    from ..parameters import declared

    out = {}
    for name, decl in declared(brief.notebook).items():
        try:
            out[name] = ast.literal_eval(decl.default)
        except (ValueError, SyntaxError):
            out[name] = decl.default
    return out


def _brief_context(pack: Pack, brief: Brief, shown: dict, digest: str, prov: dict, as_of: str, context: dict) -> dict:
    from ..publish.index import human_date

    return {
        "id": brief.id,
        "title": brief.title,
        "subtitle": brief.subtitle,
        "audience": brief.audience,
        "marking": brief.marking,
        "marking_css": css_string(brief.marking),
        "title_css": css_string(brief.title),
        "pack_title": pack.title,
        "notebook": brief.notebook.relative_to(pack.root).as_posix(),
        "parameters": sorted((k, _show(v)) for k, v in shown.items()),
        "as_of": human_date(as_of),
        "issued": human_date(context.get("issued", "")),
        **_evidence(pack, prov.get("tables", []), context.get("issued", "")),
        "tables": prov.get("tables", []),
        "commit": context["commit"],
        "built_at": context["built_at"],
        "engine_version": __version__,
        "input_hash": digest,
    }


def _issue_date(built_at: str) -> str:
    """The date a brief is issued: the (reproducible) build date, or today where the build time
    is not recorded (no commit and no $SOURCE_DATE_EPOCH)."""
    try:
        return dt.date.fromisoformat(built_at[:10]).isoformat()
    except ValueError:
        return dt.date.today().isoformat()


def _evidence(pack: Pack, tables: list, issued: str) -> dict:
    """The evidence period of a brief: the oldest and newest ``as_of`` of the tables it used, and
    the tables whose figures are older than their review policy allows on the issue date."""
    from ..data.validate import freshness
    from ..publish.index import human_date

    try:
        on = dt.date.fromisoformat(issued[:10])
    except ValueError:
        on = dt.date.today()
    policy = {}
    if pack.data.exists():
        from ..data.store import load

        try:
            policy = load(pack.root).resources
        except Exception:
            policy = {}
    # Authored analysis and reference mappings (``evidence: false``) date no evidence.
    tables = [t for t in tables if policy.get(t.get("name"), {}).get("evidence", True)]
    dates = sorted(str(t.get("as_of") or "")[:10] for t in tables if t.get("as_of"))
    stale = []
    for t in tables:
        info = {**policy.get(t.get("name"), {}), "as_of": t.get("as_of")}
        if freshness(info, on)["stale"]:
            stale.append({"name": t.get("name"), "title": t.get("title") or t.get("name"),
                          "as_of_iso": str(t.get("as_of"))[:10], "as_of": human_date(t.get("as_of")),
                          "review_months": info.get("review_months")})
    stale.sort(key=lambda s: s["as_of_iso"])
    return {"evidence_from": human_date(dates[0]) if dates else "", "evidence_to": human_date(dates[-1]) if dates else "",
            "stale": stale}


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
    if isinstance(value, str):
        return repr(value) if value else "empty (the notebook's default: all)"
    return str(value)


def _pack_printer(session: Session):
    """How release sets print their combined PDF: the build's browser, when this run makes PDFs."""
    formats = session.opts.formats or {f for b in session.pack.briefs for f in b.formats}
    if "pdf" not in formats:
        return None
    return session.browser  # called when a set is printed: the browser is started by then


def _publish(session: Session, report: Report, previous: dict, context: dict, index: bool) -> None:
    """Write the manifest (always), the index (when anything was built) and the edition."""
    from .. import publish

    try:
        records = publish.records(session.pack, session.out, report.results, previous, context.get("commit", ""))
        inputs = {r.stem: r.input_hash.inputs for r in report.results
                  if r.status == BUILT and getattr(r.input_hash, "inputs", None)}
        for record in records:  # per-input hashes: the next plan names what changed
            if (record.get("stem") or record.get("id")) in inputs and record.get("status") == BUILT:
                record["inputs"] = inputs[record.get("stem") or record.get("id")]
        try:
            packs, snapshot = publish.release(session.pack, session.out, session.staging, records,
                                              printer=_pack_printer(session), edition=session.opts.edition,
                                              built_at=context.get("built_at") or ("" if not (index or session.opts.edition)
                                                                         else build_context(session.pack, session.settings)["built_at"]),
                                              refresh=index, force=session.opts.force)
        except OSError:
            raise
        except Exception as exc:  # a release set's PDF failing must not lose the briefs' manifest
            packs, snapshot = [], None
            report.problems.append(f"The release sets of {session.out} could not be written "
                                   f"({type(exc).__name__}: {exc}); the briefs themselves were published.")
            log.error("%s", report.problems[-1])
        publish.write(session.pack, session.out, session.staging, records, index, packs)
        if session.opts.edition:
            publish.publish_edition(session.pack, session.out, records, session.opts.edition, session.staging,
                                    packs, snapshot)
    except OSError as exc:
        report.problems.append(
            f"The manifest, index or edition of {session.out} could not be written ({exc}); the previous "
            "ones were kept. Free some space (or fix the folder's permissions) and run the build again."
        )
        log.error("%s", report.problems[-1])
