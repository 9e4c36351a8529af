"""What every part of the benchmark shares: the pack copy, the kernels' environment, running a
command with its time, CPU and memory, and medians. Standard library and briefkit's public API only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv's bin/ when run as .venv/bin/python
BUILD_PY = ROOT / "build.py"
COPY_IGNORE = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc", ".cache", "kernel-ipc*")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else float("nan")


# ----------------------------------------------------------------------------- the pack
def copy_pack(pack_yml: Path, dest: Path) -> Path:
    """Copy what a build reads (catalogue, notebook folders, data package, content code) to
    ``dest``; return the copy's catalogue. Outputs and caches are not copied."""
    from briefkit import catalogue

    pack = catalogue.load(pack_yml)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(pack.source, dest / "pack.yml")
    folders = {b.notebook.parent for b in pack.briefs}
    if pack.data.exists():
        folders.add(pack.data.parent)
    for path in [*sorted(folders), *pack.code]:
        try:
            rel = path.resolve().relative_to(pack.root)
        except ValueError:
            raise SystemExit(f"bench: {path} is outside the pack folder {pack.root}; cannot copy the pack.") from None
        if path.is_dir():
            shutil.copytree(path, dest / rel, ignore=COPY_IGNORE, dirs_exist_ok=True)
        elif path.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / rel)
    return dest / "pack.yml"


def load_briefs(pack_yml: Path, only: list[str] | None = None) -> list:
    """The selected briefs with their parameters resolved exactly as build.py resolves them
    (catalogue values checked against the notebook's declarations, ``marking`` included)."""
    from briefkit import catalogue, parameters

    pack = catalogue.load(pack_yml)
    return [parameters.resolve(b) for b in pack.select(only)]


def clear_caches(pack_root: Path) -> None:
    """Make the next build cold: drop the validated-data cache of the pack copy."""
    shutil.rmtree(pack_root / ".cache", ignore_errors=True)


def kernel_env(pack_root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """What build.py gives its kernels (pack root, import path), so both ways run the same code."""
    paths = [str(ROOT), str(pack_root)]
    existing = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in paths]
    env = {**os.environ, "BRIEFKIT_PACK": str(pack_root), "PYTHONPATH": os.pathsep.join(paths + existing)}
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env.pop("PLAYWRIGHT_BROWSERS_PATH", None)
    # Measure as a user's machine runs: with compiled bytecode cached (some sandboxes and CI
    # set this, and every interpreter then compiles briefkit, the pack's code and all).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(extra or {})
    return env


def chromium_path(setting: str | None = None) -> str:
    """The Chromium build.py would print with (``--chromium``, $BRIEFKIT_CHROMIUM, system)."""
    from briefkit import config
    from briefkit.exporters.browser import find_chromium

    settings = config.settings()
    return find_chromium(setting, settings.chromium, settings.playwright_browsers)


def chromium_version(path: str) -> str:
    """``Chromium 156.0.8078.108 (chromium-headless-shell)``: the version and which executable
    (both ways print with it), or "" if it cannot say."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    version = " ".join(out.split()[:2])  # "Chromium 156.0.8078.108 built on Debian ..." → "Chromium 156..."
    return f"{version} ({Path(path).name})" if version else ""


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return ""


# ----------------------------------------------------------------------------- measuring
class CpuGroup:
    """A control group of its own for the commands under measure: their CPU time, exactly.

    Every process a command starts stays in its control group wherever it is re-parented, and
    the kernel adds up their CPU time as they run (cgroup v1 ``cpuacct.usage``, v2 ``cpu.stat``
    ``usage_usec``): no sampling, so nothing is missed between samples or when a process exits,
    and processes nobody waits for (Chromium's) count in full. Needs a writable cgroup file
    system (root, as the benchmark runs here); :meth:`open` gives None otherwise, and the
    benchmark falls back to sampling ``/proc`` (:class:`TreeMemory`).
    """

    # (folder, file with the CPU time, its unit in seconds, or None for v2's cpu.stat)
    PLACES = (("/sys/fs/cgroup/cpuacct", "cpuacct.usage", 1e-9),
              ("/sys/fs/cgroup/cpu,cpuacct", "cpuacct.usage", 1e-9),
              ("/sys/fs/cgroup", "cpu.stat", None),
              ("/sys/fs/cgroup/unified", "cpu.stat", None))
    _made = 0

    def __init__(self, path: Path, usage: str, unit: float | None) -> None:
        self.path, self._usage, self._unit = path, path / usage, unit

    @classmethod
    def open(cls) -> "CpuGroup | None":
        """A new, empty group, or None where none can be made."""
        for folder, usage, unit in cls.PLACES:
            base = Path(folder)
            if not (base / usage).exists() or not (base / "cgroup.procs").exists():
                continue
            cls._made += 1
            path = base / f"briefkit-bench-{os.getpid()}-{cls._made}"
            try:
                path.mkdir()
            except OSError:
                continue
            group = cls(path, usage, unit)
            try:
                group.cpu_s()
                return group
            except (OSError, ValueError):
                group.close()
        return None

    def cpu_s(self) -> float:
        """CPU seconds (user + system) of every process that has been in the group."""
        text = self._usage.read_text()
        if self._unit is not None:
            return int(text) * self._unit
        return next(int(line.split()[1]) for line in text.splitlines() if line.startswith("usage_usec")) / 1e6

    def join(self) -> None:
        """Put the calling process (and so all it starts) in the group: a ``preexec_fn``."""
        with open(self.path / "cgroup.procs", "w") as fh:
            fh.write(str(os.getpid()))

    def left(self) -> list[int]:
        """Processes still in the group."""
        try:
            return [int(pid) for pid in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def close(self, wait: float = 5.0) -> list[int]:
        """Remove the group once its processes have exited (up to ``wait`` seconds); return the
        ones still running then (the group is left in place for them)."""
        deadline = time.monotonic() + wait
        while True:
            try:
                self.path.rmdir()
                return []
            except FileNotFoundError:
                return []
            except OSError:
                if time.monotonic() > deadline:
                    return self.left()
                time.sleep(0.05)

    def __enter__(self) -> "CpuGroup":
        return self

    def __exit__(self, *exc_info) -> None:
        left = self.close()
        if left:
            log(f"processes still running after the measured command: {left}")


class TreeMemory:
    """Peak memory and CPU time of every descendant of this process, sampled from /proc.

    Memory: the sum of each process's proportional set size (``Pss`` in ``smaps_rollup``;
    ``VmRSS`` where that is missing), every ``interval`` seconds: kernels forked from the
    zygote share pages, so plain RSS would count them twice. CPU: each process's own user +
    system time as last seen, every ``cpu_interval`` seconds (cheap: one ``stat`` read), so
    that processes nobody waits for (Chromium's, which ``os.wait4`` misses) count too. A
    sampler misses what a process does after its last sample (a kernel's last moments, twelve
    times a build) and processes re-parented out of the tree: so where a :class:`CpuGroup` is
    given, the CPU figures (the total and the timeline) come from it instead, exactly, and the
    sampled ones are kept beside them for comparison. Memory is sampled either way.

    While briefs run: each CPU sample also notes how many notebook kernels are alive (processes
    forked by the zygote, or ``ipykernel_launcher``), so that :meth:`busy_while_kernels` can say
    how busy the cores were from the first kernel's start to the last kernel's end, the part of
    a build where briefs execute, export and print (the issue's "CPU use while briefs run").

    Memory is also kept apart by phase and by kind: ``peak_briefs_kb``, the peak while a kernel
    is alive (briefs executing, exporting and printing; before the release sets' combined PDFs,
    which print after the last kernel), and ``peak_parts``, the overall peak split into the
    zygote and kernels, the browser (Chromium and Playwright's driver) and the rest (the build's
    own process): so that a peak which grows with the pack can be told apart from one that grows
    with the number of briefs in flight.
    """

    def __init__(self, interval: float = 0.5, cpu_interval: float = 0.1, group: CpuGroup | None = None):
        self.interval = interval
        self.group = group  # when given, the CPU timeline and total come from it, exactly
        self.cpu_interval = cpu_interval
        self.peak_kb = 0
        self.peak_briefs_kb = 0  # while a kernel is alive
        self.peak_parts: dict[str, int] = {}  # kind -> KB, at the overall peak
        self._cpu: dict[tuple[int, int], float] = {}  # (pid, start time) -> CPU seconds last seen
        self._kinds: dict[tuple[int, int], str] = {}  # (pid, start time) -> "zygote", "kernel", "browser" or ""
        # (seconds, tree CPU seconds so far, kernels alive, the same CPU as sampled from /proc)
        self.timeline: list[tuple[float, float, int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-memory", daemon=True)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return round(self.peak_kb / 1024, 1)

    @property
    def peak_briefs_mb(self) -> float:
        return round(self.peak_briefs_kb / 1024, 1)

    def note_memory(self, parts: dict[str, int], kernels: int) -> None:
        """Take one memory sample: PSS in KB by kind ("kernels", "browser", "build"), with
        ``kernels`` notebook kernels alive at the time."""
        total = sum(parts.values())
        if total > self.peak_kb:
            self.peak_kb, self.peak_parts = total, dict(parts)
        if kernels:
            self.peak_briefs_kb = max(self.peak_briefs_kb, total)

    @property
    def cpu_s(self) -> float:
        """The tree's CPU seconds: from the control group when there is one, else as sampled."""
        if self.group is not None:
            return round(self.group.cpu_s(), 3)
        return self.sampled_cpu_s

    @property
    def sampled_cpu_s(self) -> float:
        """The tree's CPU seconds as sampled from /proc (misses what ends between samples)."""
        return round(sum(self._cpu.values()), 3)

    @property
    def cpu_method(self) -> str:
        return "cgroup" if self.group is not None else "sampled"

    def total_cpu_s(self, waited: float) -> float:
        """The tree's CPU seconds for the record: exact from the control group; without one, the
        larger of ``waited`` (``os.wait4``'s figure: exact for the processes someone waited
        for) and the sampler's (Chromium's processes too, but not what ends between samples).
        Call before the group is closed."""
        return self.cpu_s if self.group is not None else round(max(waited, self.sampled_cpu_s), 3)

    def busy_while_kernels(self, cores: int, sampled: bool = False) -> float | None:
        """CPU time of the tree / (wall × ``cores``) from the first sample with a kernel alive to
        the last; None when fewer than two samples saw one. ``sampled``: with the CPU as sampled
        from /proc even where the control group's exact figure is known (to compare the two)."""
        alive = [(t, rest[0] if sampled and rest else cpu) for t, cpu, kernels, *rest in self.timeline if kernels]
        if len(alive) < 2 or alive[-1][0] <= alive[0][0]:
            return None
        (t0, c0), (t1, c1) = alive[0], alive[-1]
        return round((c1 - c0) / ((t1 - t0) * cores), 3)

    def _kind(self, pid: int, stats: dict[int, tuple[int, float, int]]) -> str:
        """A process's kind: "kernel", "zygote", "browser" (Chromium, Playwright's driver) or ""
        (a kernel's parents are classified first)."""
        start, _, parent = stats[pid]
        kind = self._kinds.get((pid, start))
        if kind is None:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    cmdline = fh.read()
            except OSError:
                cmdline = b""
            if b"ipykernel_launcher" in cmdline:
                kind = "kernel"
            elif b"briefkit.engine.zygote" in cmdline:  # a forked kernel keeps the zygote's command line
                kind = "kernel" if parent in stats and self._kind(parent, stats) in ("zygote", "kernel") else "zygote"
            elif any(word in cmdline for word in (b"chrom", b"headless_shell", b"playwright")):
                kind = "browser"
            else:
                kind = ""
            self._kinds[(pid, start)] = kind
        return kind

    def _memory_kind(self, pid: int, stats: dict[int, tuple[int, float, int]]) -> str:
        """"kernels" (the zygote and its kernels), "browser" or "build" (the build's own process)."""
        kind = self._kind(pid, stats)
        return {"kernel": "kernels", "zygote": "kernels", "browser": "browser"}.get(kind, "build")

    def _run(self) -> None:
        me = os.getpid()
        next_memory = 0.0
        started = time.monotonic()
        while not self._stop.is_set():
            stats = _descendants(me)
            kernels = 0
            for pid, (start, cpu, _) in stats.items():
                self._cpu[(pid, start)] = cpu
                kernels += self._kind(pid, stats) == "kernel"
            sampled = sum(self._cpu.values())
            cpu = self.group.cpu_s() if self.group is not None else sampled
            self.timeline.append((time.monotonic() - started, cpu, kernels, sampled))
            if time.monotonic() >= next_memory:
                parts = {"kernels": 0, "browser": 0, "build": 0}
                for pid in stats:
                    try:
                        parts[self._memory_kind(pid, stats)] += _pss_kb(pid)
                    except OSError:
                        continue
                self.note_memory(parts, kernels)
                next_memory = time.monotonic() + self.interval
            self._stop.wait(self.cpu_interval)


@contextlib.contextmanager
def measuring():
    """A :class:`TreeMemory` watching this process's descendants, with a :class:`CpuGroup` of
    its own as ``.group`` for the commands to run in (None where none can be made)."""
    with CpuGroup.open() or contextlib.nullcontext() as group, TreeMemory(group=group) as memory:
        yield memory


TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _descendants(root: int) -> dict[int, tuple[int, float, int]]:
    """pid -> (start time, own user + system CPU seconds, parent pid) of every descendant of ``root``."""
    children: dict[int, list[int]] = {}
    info: dict[int, tuple[int, float, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        info[pid] = (int(fields[19]), (int(fields[11]) + int(fields[12])) / TICKS, int(fields[1]))
    out, todo = {}, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        out[pid] = info[pid]
        todo.extend(children.get(pid, []))
    return out


def _pss_kb(pid: int) -> int:
    for name, key in (("smaps_rollup", b"Pss:"), ("status", b"VmRSS:")):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as fh:
                for line in fh:
                    if line.startswith(key):
                        return int(line.split()[1])
        except OSError:
            continue
    return 0


def run(argv: list, *, cwd: Path, env: dict[str, str], logfile: Path, group: CpuGroup | None = None) -> dict[str, Any]:
    """Run a command to completion; output goes to ``logfile``.

    Returns its exit code, wall time, CPU time (user + system of the process and every
    descendant it or they waited for: kernels reaped by the zygote; not Chromium's processes,
    which nobody waits for: see :class:`TreeMemory`) and max RSS (its tree's largest process),
    all from ``os.wait4``. With ``group``, the command runs in that control group
    (:class:`CpuGroup`), whose CPU time is exact for the whole tree.
    """
    logfile.parent.mkdir(parents=True, exist_ok=True)
    with open(logfile, "ab") as fh:
        fh.write(f"\n$ {' '.join(map(str, argv))}\n".encode())
        fh.flush()
        started = time.perf_counter()
        proc = subprocess.Popen([str(a) for a in argv], cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=group.join if group is not None else None)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"returncode": proc.returncode, "seconds": round(elapsed, 3),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 3), "max_rss_kb": usage.ru_maxrss}


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
