"""``--profile``: where one brief's time goes, stage by stage, through briefkit's public API.

A :class:`briefkit.engine.Session` gives what ``build.py`` gives its briefs (the kernels'
environment, the zygote, the browser); ``execute``, ``build_one`` and the exporters run the
stages. Imports are measured in fresh interpreters (already-loaded modules would read 0), and
the first code cell of the notebook (its imports and data loads) is run under cProfile in a
kernel forked from the zygote, so what the zygote's preload misses shows by name.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from .common import clear_caches, copy_pack, log

FIRST_CELL_PROFILE_LINES = 25


def profile(args) -> dict[str, Any]:
    """Stage timings of one brief (and the cProfile of its first cell in a forked kernel)."""
    work = Path(args.workdir or tempfile.mkdtemp(prefix="briefkit-profile-")).resolve()
    try:
        return _profile(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _profile(args, work: Path) -> dict[str, Any]:
    import nbformat

    from briefkit import catalogue, config
    from briefkit.engine import Options, Session, build_context, build_one, check
    from briefkit.engine.execute import Kernels, execute
    from briefkit.exporters import html

    laps: list[tuple[str, float]] = []

    def lap(name: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        value = fn()
        laps.append((name, time.perf_counter() - started))
        log(f"{name}: {laps[-1][1]:.3f}s")
        return value

    def note(name: str, seconds: float) -> None:
        laps.append((name, seconds))
        log(f"{name}: {seconds:.3f}s")

    pack_yml = copy_pack(Path(args.pack).resolve(), work / "pack")
    pack = catalogue.load(pack_yml)
    formats = tuple(args.format or ("html", "pdf"))
    selected = pack.select([args.profile_brief] if args.profile_brief else args.only)
    out = work / "out"
    opts = Options(formats=formats, jobs=1, output=out, chromium=args.chromium)
    settings = config.settings()

    for module in ("papermill", "nbconvert", "playwright.sync_api"):
        note(f"import {module} in a new interpreter", _import_seconds(module))
    if pack.data.exists():
        clear_caches(pack.root)
    brief = lap("check: parameters + data validated, cold cache", lambda: check(pack, selected[:1], opts))[0]
    log(f"profiling brief {brief.id} ({brief.notebook.name})")
    if pack.data.exists():
        note("data: load from the validated cache, new interpreter", _load_seconds(pack.root))

    cells: dict[str, list] = {}
    first_cell = ""
    with Session(pack, opts, out, settings) as session:
        session.lock()
        env = session.kernels.env
        code = _notebook_imports(brief.notebook)
        note("kernel start-up, ordinary launch, until ready", _kernel_start(brief, env, code, laps))
        plain = Kernels(env=env, runtime=session.kernels.runtime)
        nb = lap("execute: papermill, ordinary kernel (start-up + cells)",
                 lambda: execute(brief, work / "plain.ipynb", plain))
        cells["ordinary"] = _cell_durations(nb)

        lap("zygote start + preload (once per build)", lambda: (session.start_zygote(2), session.kernels.zygote.ready()))
        nb = lap("execute: papermill, kernel forked from the zygote",
                 lambda: execute(brief, work / "forked.ipynb", session.kernels))
        cells["forked"] = _cell_durations(nb)
        first_cell = _first_cell_profile(brief, work, session.kernels)

        context = build_context(pack, settings)
        session.start_exporters(set(formats))
        if "pdf" in formats:
            lap("browser start (Playwright driver + Chromium), waited for", session.browser)
        result = lap("build_one: execute (forked) + HTML" + (" + PDF" if "pdf" in formats else "") + " + scan",
                     lambda: build_one(session, brief, "profile", "profile", context))
        if result.status != "built":
            raise SystemExit(f"bench: {brief.id} failed: {result.error}")
        executed = nbformat.read(result.work["executed"], as_version=4)
        brief_context = executed.metadata[html.METADATA_KEY]
        page = lap("HTML render again (exporter ready)", lambda: html.render(executed, brief_context))
        html_path = work / f"{brief.id}.html"
        html_path.write_text(page, encoding="utf-8")
        if "pdf" in formats:
            browser = session.browser()
            lap("PDF print again", lambda: browser.pdf(html_path, work / f"{brief.id}.pdf"))
        closing = time.perf_counter()
    note("session close (browser, zygote, staging)", time.perf_counter() - closing)
    return {"brief": brief.id, "laps": laps, "cells": cells, "first_cell_profile": first_cell}


def _import_seconds(module: str) -> float:
    """Seconds to import ``module`` in a new interpreter."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def _load_seconds(root: Path) -> float:
    """Seconds for a new interpreter to load the validated package from its cache file."""
    code = ("import time; from briefkit.data.store import load; t = time.perf_counter(); "
            f"load({str(root)!r}); print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def _kernel_start(brief, env: dict, code: str, laps: list) -> float:
    """Start a kernel the ordinary way (``python -m ipykernel_launcher``), then run the
    notebook's own import lines in it; the second time is added to ``laps``."""
    from jupyter_client.manager import start_new_kernel

    started = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(brief.notebook.parent), env=dict(env))
    seconds = time.perf_counter() - started
    try:
        started = time.perf_counter()
        kc.execute_interactive(code, timeout=120, output_hook=lambda msg: None)
        laps.append(("the notebook's import lines in that kernel", time.perf_counter() - started))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return seconds


def _notebook_imports(notebook: Path) -> str:
    """The top-level import statements of a notebook's code cells, as one cell of code."""
    import ast

    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        lines += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(dict.fromkeys(lines)) or "pass"


def _cell_durations(nb) -> list[tuple[str, float]]:
    out = []
    for index, cell in enumerate(nb.cells):
        seconds = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if cell.cell_type == "code" and seconds is not None:
            first = (cell.source.strip().splitlines() or [""])[0][:50]
            out.append((f"cell {index}: {first}", float(seconds)))
    return out


PROFILE_START = "import cProfile as _bk_cp\n_bk_prof = _bk_cp.Profile()\n_bk_prof.enable()"
PROFILE_STOP = (
    "_bk_prof.disable()\nimport io as _bk_io, pstats as _bk_ps\n_bk_out = _bk_io.StringIO()\n"
    "_bk_ps.Stats(_bk_prof, stream=_bk_out).sort_stats('cumulative').print_stats({lines})\n"
    "print(_bk_out.getvalue())"
)


def _first_cell_profile(brief, work: Path, kernels) -> str:
    """cProfile of the notebook's first code cell after its parameters, run in a kernel forked
    from the zygote (a copy of the notebook beside it, so imports resolve the same)."""
    import nbformat

    from briefkit.engine.execute import execute

    nb = nbformat.read(str(brief.notebook), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = next((c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    first = next((c for c in code if c is not params), None)
    if first is None:
        return ""
    cells = [c for c in (params,) if c is not None]
    cells += [nbformat.v4.new_code_cell(PROFILE_START), nbformat.v4.new_code_cell(first.source),
              nbformat.v4.new_code_cell(PROFILE_STOP.format(lines=FIRST_CELL_PROFILE_LINES))]
    nb.cells = cells
    probe = brief.notebook.with_name(f".bench-profile-{brief.notebook.name}")
    nbformat.write(nb, str(probe))
    try:
        from dataclasses import replace

        executed = execute(replace(brief, notebook=probe), work / "first-cell.ipynb", kernels)
    finally:
        probe.unlink(missing_ok=True)
    text = io.StringIO()
    for output in executed.cells[-1].get("outputs", []):
        text.write(output.get("text", ""))
    return text.getvalue()


def markdown(res: dict[str, Any]) -> str:
    width = max(len(name) for name, _ in res["laps"])
    lines = [f"Brief `{res['brief']}`.", "", "| stage (one brief) | seconds |", "|---|---:|"]
    lines += [f"| {name.ljust(width)} | {seconds:7.3f} |" for name, seconds in res["laps"]]
    for way, cells in res["cells"].items():
        total = sum(s for _, s in cells)
        slow = sorted(cells, key=lambda c: -c[1])[:3]
        lines += ["", f"Cells, {way} kernel (papermill's durations): {total:.2f} s in all; slowest: "
                  + "; ".join(f"{label} {s:.2f} s" for label, s in slow) + "."]
    if res["first_cell_profile"]:
        lines += ["", "First code cell in a forked kernel, cProfile (cumulative):", "", "```",
                  res["first_cell_profile"].strip(), "```"]
    return "\n".join(lines)

