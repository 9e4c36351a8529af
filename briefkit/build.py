"""Build a pack: the recipe that runs catalogue → check → data → execute → render → publish.

Reads like papermill's ``execute_notebook``: each step lives in its namesake module; this
module orders them, isolates failures per brief and keeps the counts in one :class:`Report`.

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
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, cache, markings
from .catalogue import Brief, Pack, slug
from .errors import BriefExecutionError, BriefkitError, BuildInterrupted, OutputFolderError, ParameterError

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


@dataclass
class Report:
    """Counts and exit code of one build (black's ``Report``): 0 all built, 1 a brief failed."""

    results: list[Result] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # build-level failures (manifest, index, edition)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def exit_code(self) -> int:
        return 1 if self.count(FAILED) or self.problems else 0


@dataclass
class Options:
    only: list[str] | None = None
    formats: tuple[str, ...] = ("html", "pdf")
    overrides: list[tuple[str, str, str]] = field(default_factory=list)
    force: bool = False
    jobs: int = 1
    chromium: str | None = None
    output: Path | None = None  # given on the command line; pack.yml's output otherwise
    wait: bool = False
    cell_timeout: int = 300
    edition: str = ""  # ISO date: also publish OUTPUT/editions/<date>/ and point OUTPUT/latest at it


# ------------------------------------------------------------------------------ where and what


def output_folder(pack: Pack, opts: Options) -> Path:
    """The output folder: pack.yml's (kept inside the pack by the catalogue) or ``--output``.

    ``--output`` may lie outside the pack (with a warning), but never at a filesystem root,
    the pack's own folder or one above it, the home folder, or a non-empty folder that
    holds no earlier build: a slip of the keyboard must not scatter briefs into ``/``.
    """
    if opts.output is None:
        return pack.root / pack.output
    out = Path(opts.output).expanduser().resolve()
    try:
        home = Path.home().resolve()
    except (RuntimeError, OSError):
        home = None
    if out == Path(out.anchor) or out == pack.root or out in pack.root.parents or out == home:
        raise OutputFolderError(
            f"--output {opts.output}: {out} is a filesystem root, the pack's folder, a folder above "
            "it or the home folder; briefs need a folder of their own. Pass e.g. --output briefs-test."
        )
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"--output {opts.output}: {out} exists and is not a folder. Name a folder.")
    if out.is_dir() and any(out.iterdir()) and not (
        (out / cache.MANIFEST).exists() or (out / ".build.lock").exists()
    ):
        raise OutputFolderError(
            f"--output {opts.output}: {out} is not empty and holds no earlier build (no manifest.json), "
            "so writing into it could mix briefs with other files. Name an empty or new folder."
        )
    if not out.is_relative_to(pack.root):
        log.warning("writing outside the pack, to %s (--output)", out)
    return out


def effective_marking(brief: Brief, overrides: list[tuple[str, str, str]]) -> str:
    """The brief's marking in this run: the catalogue's, or a ``-p ID.marking=...`` override."""
    import fnmatch

    marking = brief.marking
    for pattern, name, text in overrides:
        if name == "marking" and fnmatch.fnmatchcase(brief.id, pattern):
            try:
                marking = markings.normalise(text)
            except ValueError as exc:
                raise ParameterError(f"Brief '{brief.id}', parameter 'marking' on the command line: {exc}") from exc
    return marking


def stem(pack: Pack, brief: Brief) -> str:
    """Output file name without suffix: the id, plus the marking when a run overrides it."""
    base = pack.brief(brief.id).marking
    return brief.id if brief.marking == base else f"{brief.id}.{slug(brief.marking)}"


def _stem_of(record: dict) -> str:
    return str(record.get("stem") or record.get("id"))


def plan(pack: Pack, opts: Options, out: Path | None = None, warn: bool = False) -> tuple[Path, list[tuple[Brief, str, str]], dict[str, Any]]:
    """Which briefs need building and why. Cheap: hashes files, imports nothing heavy.

    Returns the output folder, a list of (brief, input hash, reason or "" when up to date)
    and the previous manifest's records by output stem. The briefs carry this run's marking.
    """
    out = out or output_folder(pack, opts)
    previous = {_stem_of(r): r for r in cache.read_manifest(out, warn)["briefs"]}
    engine = [cache.ENGINE_DIR, *pack.code]
    memo: dict = {}  # each shared file is read and hashed once per build
    planned = []
    for brief in pack.select(opts.only):
        overrides = [o for o in opts.overrides if _matches(brief.id, o[0])]
        formats = tuple(f for f in brief.formats if f in opts.formats)
        marking = effective_marking(brief, overrides)
        tables = _used_tables(brief.notebook) if pack.data.exists() else set()
        files = [brief.notebook, *engine, *cache.data_files(pack.root, tables, pack.data)]
        extra = {
            "brief": {k: v for k, v in brief.__dict__.items() if k not in ("notebook", "parameters", "marking")},
            "marking": marking,
            "parameters": dict(brief.parameters),
            "overrides": overrides,
            "formats": formats,
            "engine": __version__,
            "pack_title": pack.title,
        }
        digest = cache.digest(files, pack.root, extra, memo)
        run = Brief(**{**brief.__dict__, "formats": formats, "marking": marking})
        name = stem(pack, run)
        reason = _reason(previous.get(name) or {}, digest, formats, out, name, opts.force)
        planned.append((run, digest, reason))
    return out, planned, previous


def _used_tables(notebook: Path) -> set[str] | None:
    from .data import used_tables

    return used_tables(notebook)


def _matches(brief_id: str, pattern: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(brief_id, pattern)


def _reason(before: dict, digest: str, formats: tuple[str, ...], out: Path, name: str, force: bool) -> str:
    if force:
        return "forced (--force)"
    if not before:
        return "new brief"
    if before.get("status") == FAILED:
        return "failed last time"
    if before.get("input_hash") != digest:
        return "inputs changed"
    missing = [f for f in formats if not (out / f"{name}.{f}").exists()]
    if missing:
        return f"output missing ({', '.join(missing)})"
    return ""


# ------------------------------------------------------------------------------ the recipe


def build(pack: Pack, opts: Options) -> Report:
    """Build the selected briefs; failures are isolated and reported, never raised.

    Raises :class:`BriefkitError` (exit 2) for bad parameters, data or output folder before
    anything is written, and :class:`BuildInterrupted` on Ctrl-C or SIGTERM.
    With ``opts.edition`` the finished outputs are also published as a dated edition.
    """
    from .parameters import check_overrides

    out = output_folder(pack, opts)
    check_overrides(pack.briefs, opts.overrides)
    _, planned, _ = plan(pack, opts, out)  # a first look, to check only what will be built
    todo = [b for b, _, reason in planned if reason]
    report = Report()
    with ExitStack() as stack:
        stack.enter_context(_signals_raise())
        runtime = stack.enter_context(_private_folder("bk-run-"))
        env = kernel_environment(pack, runtime)
        zygote = _start_zygote(len(todo), env, stack)  # preloads while parameters and data are checked
        checked = {}
        if todo:
            _need_browser(todo, opts)
            checked = {b.id: b for b in check(pack, todo, opts)}  # raises before anything is written
        stack.enter_context(cache.BuildLock(out, wait=opts.wait))
        staging = cache.sweep(out)
        stack.callback(shutil.rmtree, staging, True)
        _, planned, previous = plan(pack, opts, out, warn=True)  # again, under the lock: another build may have run
        todo = [(b, h, r) for b, h, r in planned if r]
        unchecked = [b for b, _, _ in todo if b.id not in checked]
        if unchecked:
            checked.update({b.id: b for b in check(pack, unchecked, opts)})
        todo = [(Brief(**{**checked[b.id].__dict__, "formats": b.formats}), h, r) for b, h, r in todo]
        printer = _start_printer(todo, opts, stack)  # alongside the first notebooks
        session = _Session(pack, opts, out, staging, env, runtime, printer, zygote)
        context = _build_context(pack) if todo else {}
        fresh = {r.stem: r for r in _run(session, todo, context, previous)}
        for brief, digest, reason in planned:
            name = stem(pack, brief)
            if name in fresh:
                report.results.append(fresh[name])
            else:
                before = previous.get(name, {})
                report.results.append(
                    Result(brief, UP_TO_DATE, "inputs unchanged", 0.0, digest,
                           before.get("outputs", {}), as_of=before.get("as_of", ""), stem=name)
                )
        records = _publish(session, report, previous, context, index=bool(todo))
        if opts.edition and records is not None:
            _edition(session, records, report)
    return report


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


@dataclass
class _Session:
    """What the briefs of one build share: folders, kernel environment, browser, zygote."""

    pack: Pack
    opts: Options
    out: Path
    staging: Path
    env: dict
    runtime: str
    printer: Any  # a future of render.Printer, or None
    zygote: Any
    _withheld: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def withheld(self, marking: str) -> list:
        """Distinctive values of the rows above ``marking`` (computed once per marking)."""
        with self._lock:
            if marking not in self._withheld:
                if self.pack.data.exists():
                    from .withheld import withheld_values

                    self._withheld[marking] = withheld_values(self.pack.root, marking)
                else:
                    self._withheld[marking] = []
            return self._withheld[marking]


def _run(session: _Session, todo, context: dict, previous: dict) -> list[Result]:
    """Execute, render and print briefs concurrently, ``opts.jobs`` at a time; commit each as
    it finishes. On Ctrl-C or SIGTERM: cancel what is queued, kill running kernels, re-raise."""
    if not todo:
        return []
    results: list[Result] = []

    # Longest briefs first (by their last build), so no core idles at the end on one long brief.
    def last_duration(item) -> float:
        return (previous.get(stem(session.pack, item[0])) or {}).get("duration_s") or float("inf")

    ordered = sorted(todo, key=last_duration, reverse=True)
    pool = ThreadPoolExecutor(max_workers=max(1, session.opts.jobs), thread_name_prefix="brief")
    futures = set()
    try:
        futures = {pool.submit(_build_one, session, b, h, r, context) for b, h, r in ordered}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()
                _commit(session, result, previous)
                _log(result)
                results.append(result)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        from . import execute

        execute.kill_running()
        wait([f for f in futures if f.running()], timeout=10)  # they fail fast once their kernel is dead
        raise
    else:
        pool.shutdown(wait=True)
    return results


def _build_one(session: _Session, brief: Brief, digest: str, reason: str, context: dict) -> Result:
    started = time.perf_counter()
    name = stem(session.pack, brief)
    result = Result(brief, BUILT, reason, input_hash=digest, stem=name)
    log.info("building %s (%s)", name, reason)
    try:
        nb = _execute(session, brief, result)
        if nb is not None:
            _render(session, brief, result, nb, context)
        if result.status != FAILED and "pdf" in brief.formats:
            _print(session, brief, result)
        if result.status != FAILED or result.work.get("executed"):
            _scan(session, brief, result)
    except OSError as exc:
        _fail(result, _os_error(brief, exc))
    except Exception as exc:  # a render bug must not take the other briefs down
        _fail(result, f"Brief '{brief.id}' could not be rendered ({type(exc).__name__}: {exc}).")
    result.duration = time.perf_counter() - started
    return result


def _execute(session: _Session, brief: Brief, result: Result):
    from . import execute

    staged = cache.temp_path(Path(f"{result.stem}.ipynb"), session.staging)
    klog = staged.with_suffix(".kernel.log")
    result.work = {"executed": str(staged), "log": str(klog)}
    result.executed = str(session.out / "_build" / f"{result.stem}.ipynb")
    env = {**session.env, "BRIEFKIT_MARKING": brief.marking}
    try:
        return execute.execute(brief, staged, cell_timeout=session.opts.cell_timeout, env=env,
                               runtime_dir=session.runtime, log_path=klog, shown_as=result.executed)
    except BriefExecutionError as exc:
        result.status, result.error = FAILED, str(exc)
        return None


def _render(session: _Session, brief: Brief, result: Result, nb, context: dict) -> None:
    from . import render

    prov = render.provenance(nb)
    result.as_of = str(brief.parameters.get("as_of") or prov.get("as_of") or "")
    shown = {**_defaults(brief), **brief.parameters}
    page = render.html(nb, _brief_context(session.pack, brief, shown, result.input_hash, prov, result.as_of, context))
    html_tmp = cache.temp_path(session.out / f"{result.stem}.html", session.staging)
    result.outputs = {"html": str(html_tmp)}
    html_tmp.write_text(page, encoding="utf-8")


def _print(session: _Session, brief: Brief, result: Result) -> None:
    pdf_tmp = cache.temp_path(session.out / f"{result.stem}.pdf", session.staging)
    result.outputs["pdf"] = str(pdf_tmp)
    try:
        session.printer.result().pdf(Path(result.outputs["html"]), pdf_tmp)
    except OSError:
        raise
    except Exception as exc:  # one brief's PDF failing must not stop the others
        _fail(result, f"Brief '{brief.id}': PDF not printed ({exc})")


def _scan(session: _Session, brief: Brief, result: Result) -> None:
    """The last line: refuse to publish an output that holds a value of a withheld row."""
    withheld = session.withheld(brief.marking)
    if not withheld:
        return
    from .withheld import find_withheld

    found = []
    files = [(fmt, Path(p)) for fmt, p in result.outputs.items()]
    if result.work.get("executed") and Path(result.work["executed"]).exists():
        files.append(("executed notebook", Path(result.work["executed"])))
    for what, path in files:  # find_withheld reads HTML- and JSON-escaped text as it is
        if what == "pdf":
            from pypdf import PdfReader

            text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
        found.extend((what, hit) for hit in find_withheld(text, withheld))
    if found:
        what, hit = found[0]
        result.work.pop("executed", None)  # not kept for debugging either: it holds the value
        _fail(result, (
            f"Brief '{brief.id}' was not published: its {what} contains a value of a row marked above "
            f"{brief.marking} (table {hit.table}, row {hit.key}, column {hit.column}). The data API "
            "withholds such rows; find where the notebook read or wrote the value and remove it. "
            "No output of this brief was written."
        ))


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


def _commit(session: _Session, result: Result, previous: dict) -> None:
    """Move the finished outputs into place (``os.replace``: atomic per file), and the working
    files (executed notebook, kernel log) into ``_build/``. On the main thread only."""
    out = session.out
    build_dir = out / "_build"
    try:
        build_dir.mkdir(exist_ok=True)
        for what, suffix in (("executed", ".ipynb"), ("log", ".kernel.log")):
            staged = result.work.get(what)
            if staged and Path(staged).exists():
                os.replace(staged, build_dir / f"{result.stem}{suffix}")
        if result.status == FAILED:
            _drop_outputs_above(session, result, previous.get(result.stem) or {})
            return
        final = {}
        for fmt, tmp in result.outputs.items():
            target = out / f"{result.stem}.{fmt}"
            os.replace(tmp, target)
            final[fmt] = target.name
        result.outputs = final
    except OSError as exc:
        _fail(result, _os_error(result.brief, exc))


def _drop_outputs_above(session: _Session, result: Result, before: dict) -> None:
    """A failed brief keeps its previous outputs, unless they are marked above its marking now."""
    marking = before.get("marking")
    try:
        above = marking is not None and markings.rank(marking) > markings.rank(result.brief.marking)
    except ValueError:
        above = True
    if above:
        for name in (before.get("outputs") or {}).values():
            (session.out / name).unlink(missing_ok=True)
        before["outputs"] = {}
        log.warning("%s: its previous outputs were marked %s, above its marking now (%s): removed",
                    result.stem, marking, result.brief.marking)


def _log(result: Result) -> None:
    if result.status == FAILED:
        log.error("%s failed: %s", result.stem, result.error)
    else:
        log.info("%s built in %.1fs", result.stem, result.duration)


# ------------------------------------------------------------------------------ shared resources


def kernel_environment(pack: Pack, runtime: str) -> dict[str, str]:
    """The environment every kernel of this build starts with (the build's own is not changed).

    Where the pack is; an import path that finds briefkit and the pack's code even when they
    are not installed; and Jupyter's, IPython's and Matplotlib's folders under the pack's
    ``.cache/`` (the runtime folder, which holds sockets, in a short private folder), so a
    service user whose HOME is not writable can build, and no user's settings change a brief.
    """
    env = dict(os.environ)
    cache_dir = pack.root / ".cache"
    folders = {"JUPYTER_DATA_DIR": "jupyter/data", "JUPYTER_CONFIG_DIR": "jupyter/config",
               "IPYTHONDIR": "ipython", "MPLCONFIGDIR": "matplotlib"}
    for name, sub in folders.items():
        folder = cache_dir / sub
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            folder = Path(runtime) / sub  # a read-only checkout: private, per build
            folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    env["JUPYTER_RUNTIME_DIR"] = runtime
    env["BRIEFKIT_PACK"] = str(pack.root)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    paths = [str(cache.ENGINE_DIR.parent), str(pack.root)]
    existing = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p not in paths]
    env["PYTHONPATH"] = os.pathsep.join(paths + existing)
    env.pop("BRIEFKIT_MARKING", None)  # set per brief
    return env


class _private_folder:
    """A private (mode 700) temporary folder, removed on exit."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __enter__(self) -> str:
        self.path = tempfile.mkdtemp(prefix=self.prefix)
        return self.path

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class _signals_raise:
    """While building, SIGTERM raises :class:`BuildInterrupted` like Ctrl-C does (main thread)."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            def handler(signum, frame):
                raise BuildInterrupted(signum)

            self.previous = signal.signal(signal.SIGTERM, handler)
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
        if exc_type is KeyboardInterrupt:
            raise BuildInterrupted(signal.SIGINT) from None
        return False


def _need_browser(todo, opts: Options) -> None:
    """No browser at all for a PDF: stop now (exit 2), before any kernel starts."""
    if any("pdf" in b.formats for b in todo):
        from .render import find_chromium

        find_chromium(opts.chromium)


def _start_printer(todo, opts: Options, stack: ExitStack):
    """Launch the shared browser in the background; returns a future of the Printer, or None."""
    if not any("pdf" in b.formats for b, _, _ in todo):
        return None
    from .render import Printer

    starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="printer-start")
    future = starter.submit(Printer(opts.chromium).__enter__)
    starter.shutdown(wait=False)
    stack.callback(_stop_printer, future)
    return future


def _stop_printer(future) -> None:
    try:
        printer = future.result(timeout=60)
    except Exception:
        return
    try:
        printer.__exit__(None, None, None)
    except Exception as exc:  # the browser may already be gone (Ctrl-C reaches it too)
        log.debug("browser did not close cleanly: %s", exc)


def _start_zygote(count: int, env: dict, stack: ExitStack):
    """Start the kernel zygote (see briefkit.zygote) unless disabled or not worth it."""
    if os.environ.get("BRIEFKIT_FORK", "1") == "0" or count < 2 or not hasattr(os, "fork"):
        return None
    from . import execute
    from .zygote import Zygote

    zygote = Zygote(env).start()
    execute.ZYGOTE = zygote

    def stop() -> None:
        execute.ZYGOTE = None
        zygote.stop()

    stack.callback(stop)
    return zygote


# ------------------------------------------------------------------------------ context and publishing


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
    from .publish import human_date

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


def _records(session: _Session, report: Report, previous: dict, context: dict) -> list[dict]:
    """The manifest's records, in catalogue order; briefs outside this run keep theirs, and
    marking variants (``outlook.restricted``) stay listed while their files exist."""
    pack, out = session.pack, session.out
    ran = {r.stem: r for r in report.results}
    names_of: dict[str, set[str]] = {}
    for name, record in previous.items():
        names_of.setdefault(str(record.get("id")), set()).add(name)
    for name, result in ran.items():
        names_of.setdefault(result.brief.id, set()).add(name)
    records = []
    for brief in pack.briefs:
        names = [brief.id] + sorted(names_of.get(brief.id, set()) - {brief.id})
        for name in names:
            before = previous.get(name, {})
            r = ran.get(name)
            if r is None:
                if before and (name == brief.id or all((out / f).exists() for f in before.get("outputs", {}).values())):
                    records.append(before)
                continue
            if r.status == UP_TO_DATE and before:
                records.append({**before, "status": UP_TO_DATE, "reason": r.reason, "duration_s": 0.0})
                continue
            failed = r.status == FAILED
            record = {
                "id": r.brief.id,
                "stem": name,
                "title": r.brief.title,
                "subtitle": r.brief.subtitle,
                "notebook": r.brief.notebook.relative_to(pack.root).as_posix(),
                "parameters": dict(r.brief.parameters),
                "marking": r.brief.marking if not failed or not before.get("outputs") else before.get("marking", r.brief.marking),
                "audience": r.brief.audience,
                "status": r.status,
                "reason": r.reason,
                "duration_s": round(r.duration, 2),
                "input_hash": r.input_hash if not failed else before.get("input_hash"),
                "outputs": r.outputs if not failed else before.get("outputs", {}),
                "as_of": r.as_of if not failed else before.get("as_of", ""),
                "commit": context.get("commit", ""),
            }
            if failed:
                record["error"] = r.error
                record["executed_notebook"] = f"_build/{name}.ipynb"
            records.append(record)
    return records


def _publish(session: _Session, report: Report, previous: dict, context: dict, index: bool) -> list[dict] | None:
    """Write ``manifest.json`` (always) and ``index.html`` (when anything was built).

    A write that fails (a full disk) keeps the previous file, is reported, and exits 1."""
    import json

    from .editions import list_editions
    from .publish import index_html

    out, staging = session.out, session.staging
    records = _records(session, report, previous, context)
    manifest = {
        "pack": session.pack.title,
        "engine_version": __version__,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "briefs": records,
    }
    try:
        cache.atomic_write(out / cache.MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n", staging)
        if index or not (out / "index.html").exists():
            cache.atomic_write(out / "index.html", index_html(session.pack, records, list_editions(out)), staging)
    except OSError as exc:
        report.problems.append(
            f"The manifest or index of {out} could not be written ({exc}); the previous ones were kept. "
            "Free some space (or fix the folder's permissions) and run the build again."
        )
        log.error("%s", report.problems[-1])
        return None
    return records


def _edition(session: _Session, records: list[dict], report: Report) -> None:
    from .editions import list_editions, publish_edition
    from .publish import index_html

    pack, out = session.pack, session.out
    try:
        publish_edition(pack, out, records, session.opts.edition,
                        lambda recs, edition: index_html(pack, recs, edition=edition), session.staging)
        cache.atomic_write(out / "index.html", index_html(pack, records, list_editions(out)), session.staging)
    except OSError as exc:
        report.problems.append(
            f"The edition {session.opts.edition} could not be published ({exc}); the previous editions "
            "and 'latest' were kept. Free some space and run the build again with --edition."
        )
        log.error("%s", report.problems[-1])


__all__ = ["BUILT", "FAILED", "UP_TO_DATE", "BriefkitError", "Options", "Report", "Result", "build",
           "check", "output_folder", "plan"]
