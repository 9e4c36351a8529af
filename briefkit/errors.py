"""Every error briefkit raises on purpose.

    BriefkitError                    base: message says what, why, and what to do next
    ├── CatalogueError               pack.yml is missing, malformed or inconsistent
    ├── ParameterError               a parameter value does not fit the notebook's declaration
    ├── DataValidationError          the data package breaks its schemas (carries every problem)
    ├── BriefExecutionError          a notebook raised while executing (carries brief, cell, exception)
    ├── RenderError                  HTML or PDF could not be produced
    │   └── BrowserNotFoundError     no Chromium to print PDFs with
    ├── BuildLockedError             another build holds the output folder
    ├── OutputFolderError            the output folder is outside the pack, unsafe or not writable
    └── BuildInterrupted             Ctrl-C or SIGTERM: exit 130 or 143, nothing half-written kept

Exit codes: 2 for anything found before a kernel starts (catalogue, parameters, data),
1 for a brief that failed while the others built.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


def did_you_mean(word: str, choices: Iterable, n: int = 1, cutoff: float = 0.6, quote: bool = True) -> str:
    """`` Did you mean 'x'?`` for the closest of ``choices`` to ``word``, or ``""``."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=n, cutoff=cutoff)
    shown = [repr(c) if quote else c for c in close]
    return f" Did you mean {', '.join(shown)}?" if close else ""


class BriefkitError(Exception):
    """Base class. ``str(err)`` is a complete message a person can act on."""

    exit_code = 2


class CatalogueError(BriefkitError):
    """The catalogue (``pack.yml``) cannot be used as written."""


class ParameterError(BriefkitError):
    """A catalogue or command-line parameter does not match the notebook's declaration."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in the data package."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    rule: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column:
            where += f', column "{self.column}"'
        if self.value is not None:
            return f"{where}: {self.value!r} {self.rule}"
        return f"{where}: {self.rule}"


class DataValidationError(BriefkitError):
    """The data package is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem], hint: str | None = None):
        self.problems = list(problems)
        head = f"The data package has {len(self.problems)} problem(s); nothing was built:"
        lines = [head] + [f"  - {p}" for p in self.problems]
        lines.append(
            hint
            or "Fix the values above in the CSV files under data/ (or the schema in "
            "data/datapackage.yaml), then run: python build.py --check"
        )
        super().__init__("\n".join(lines))


@dataclass
class BriefExecutionError(BriefkitError):
    """A brief's notebook raised. The executed copy (with papermill's error banner) is kept."""

    brief_id: str
    cell_index: int | None
    ename: str
    evalue: str
    executed_notebook: str
    kernel_started: bool = True
    exit_code: int = field(default=1, repr=False)

    def __post_init__(self) -> None:
        if not self.kernel_started:
            super().__init__(
                f"Brief '{self.brief_id}': the Jupyter kernel could not start ({self.ename}: {self.evalue}); "
                "no cell of the notebook ran. Check that the pack's environment is installed (make "
                "briefs), that the user running the build can write the pack's .cache/ folder, and "
                f"the kernel's log beside {self.executed_notebook}."
            )
            return
        cell = f"cell {self.cell_index}" if self.cell_index is not None else "a cell"
        super().__init__(
            f"Brief '{self.brief_id}' failed in {cell} ({self.ename}: {self.evalue}). "
            f"Executed notebook with the error marked: {self.executed_notebook}"
        )

    def __str__(self) -> str:  # dataclass would otherwise replace Exception.__str__
        return self.args[0]


class RenderError(BriefkitError):
    """An HTML or PDF output could not be produced."""

    exit_code = 1


class BrowserNotFoundError(RenderError):
    """No Chromium was found to print PDFs."""

    exit_code = 2

    def __init__(self, tried: list[str] | None = None):
        tried_text = f" (looked for: {', '.join(tried)})" if tried else ""
        super().__init__(
            f"No Chromium found{tried_text}. Install the Debian package chromium "
            "(apt-get install chromium), or run: python -m playwright install chromium, "
            "or set BRIEFKIT_CHROMIUM to the browser's path. "
            "To build HTML only, run: python build.py --format html"
        )


class BuildLockedError(BriefkitError):
    """Another build is writing the same output folder."""

    def __init__(self, folder: str, pid: str):
        super().__init__(
            f"Another build (process {pid}) is writing {folder}. Wait for it to finish, "
            "or pass --wait to queue behind it. If no such process is running, delete "
            f"{folder}/.build.lock and try again."
        )


class OutputFolderError(BriefkitError):
    """The output folder cannot be used: outside the pack where not allowed, unsafe, or read-only."""


class BuildInterrupted(BriefkitError):
    """The build was stopped by Ctrl-C (exit 130) or SIGTERM (exit 143)."""

    def __init__(self, signum: int):
        import signal

        self.exit_code = 128 + signum
        name = signal.Signals(signum).name
        super().__init__(
            f"interrupted by {name}: running kernels were stopped and queued briefs cancelled; "
            "the output folder holds only complete files, from before or from this run. "
            "Run the build again to finish it."
        )
