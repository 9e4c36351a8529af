"""The analyst's edit loop (issue 12): notebooks run from anywhere, a brief started in one
command, a PDF after an HTML build without running the notebook again, bad data that blocks
only the briefs reading it, and notebooks shown in the house style in JupyterLab."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, chromium_or_skip, run_build

PARAMS = 'marking: str = "UNCLASSIFIED"  # Protective marking: the ceiling for data shown\n'


def _notebook(table: str) -> dict:
    cells = [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": PARAMS},
        {"cell_type": "code", "metadata": {}, "source":
            f'import briefkit as bk\nrows = bk.table("{table}", marking=marking)\n'
            f'bk.md("The {table} table has {{n}} rows.", n=len(rows))'},
    ]
    for number, cell in enumerate(cells):
        cell["id"] = f"c{number}"
        if cell["cell_type"] == "code":
            cell.update(outputs=[], execution_count=None)
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                         "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture
def data_pack(tmp_path: Path) -> Path:
    """A pack with the fixture data package: one brief reads threats, one reads roles."""
    root = tmp_path / "pack"
    shutil.copytree(FIXTURES / "data" / "data", root / "data")
    (root / "notebooks").mkdir()
    for table in ("threats", "roles"):
        (root / "notebooks" / f"{table}.ipynb").write_text(json.dumps(_notebook(table)))
    (root / "pack.yml").write_text(
        "# A comment that must survive `build.py new`.\n"
        "pack:\n  title: Data pack\n  defaults: {formats: [html]}\n"
        "briefs:\n"
        "  - id: about-threats\n    title: Threats\n    notebook: notebooks/threats.ipynb\n"
        "  - id: about-roles\n    title: Roles\n    notebook: notebooks/roles.ipynb   # trailing comment\n")
    return root


def test_papermill_runs_a_notebook_from_a_folder_outside_the_pack(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("BRIEFKIT_PACK", "BRIEFKIT_MARKING")}
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "papermill"), str(ROOT / "notebooks" / "disarmament.ipynb"),
         "out.ipynb", "--no-progress-bar"],
        cwd=outside, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    nb = json.loads((outside / "out.ipynb").read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []


def test_papermill_runs_from_a_folder_inside_the_pack(data_pack):
    done = subprocess.run(
        [str(Path(sys.executable).parent / "papermill"), "threats.ipynb", str(data_pack / "out.ipynb"),
         "--no-progress-bar"],
        cwd=data_pack / "notebooks", capture_output=True, text=True, timeout=600,
        env={k: v for k, v in os.environ.items() if k != "BRIEFKIT_PACK"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "The threats table has 3 rows." in (data_pack / "out.ipynb").read_text()


def test_new_writes_a_notebook_adds_it_to_the_catalogue_and_builds_it(data_pack):
    before = (data_pack / "pack.yml").read_text()
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "new", "sanctions", "--title", 'Sanctions: "who" & why'],
                          cwd=data_pack / "notebooks", capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    after = (data_pack / "pack.yml").read_text()
    assert after.startswith(before)  # comments and layout kept: the brief is appended as text
    assert "  - id: sanctions\n" in after
    notebook = json.loads((data_pack / "notebooks" / "sanctions.ipynb").read_text())
    params = notebook["cells"][0]
    assert params["metadata"]["tags"] == ["parameters"] and 'marking: str = "UNCLASSIFIED"' in params["source"]
    assert all(c.get("outputs", []) == [] for c in notebook["cells"])
    page = (data_pack / "briefs" / "sanctions.html").read_text()
    assert '<h1>Sanctions: "who" &amp; why</h1>' in page
    assert 'class="key-points"' in page

    again = subprocess.run([sys.executable, str(ROOT / "build.py"), "new", "sanctions", "--title", "x"],
                           cwd=data_pack, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "already a brief 'sanctions'" in again.stderr
    assert (data_pack / "pack.yml").read_text() == after


def test_keep_going_builds_the_briefs_bad_data_does_not_touch(data_pack):
    roles = data_pack / "data" / "roles.csv"
    roles.write_text(roles.read_text().replace("2001", "20x1", 1))

    stopped = run_build(data_pack)
    assert stopped.returncode == 2 and "roles.csv line 2" in stopped.stderr
    assert not (data_pack / "briefs" / "about-threats.html").exists()

    done = run_build(data_pack, "--keep-going")
    assert done.returncode == 2, done.stderr
    assert (data_pack / "briefs" / "about-threats.html").exists()
    assert not (data_pack / "briefs" / "about-roles.html").exists()
    assert "skipped about-roles: not built: it reads data/roles.csv" in done.stdout, done.stdout
    assert "about-threats  built" in done.stdout

    roles.write_text(roles.read_text().replace("20x1", "2001", 1))  # fixed: the next run builds it
    done = run_build(data_pack)
    assert done.returncode == 0, done.stderr
    assert (data_pack / "briefs" / "about-roles.html").exists()


def test_a_pdf_after_an_html_build_reuses_the_executed_notebook(data_pack):
    chromium_or_skip()
    assert run_build(data_pack, "--only", "about-threats", "--format", "html").returncode == 0
    done = run_build(data_pack, "--only", "about-threats", "--format", "pdf")
    assert done.returncode == 0, done.stderr
    assert "building about-threats (output missing (pdf))" in done.stderr
    assert "about-threats: reusing its executed notebook" in done.stderr
    assert (data_pack / "briefs" / "about-threats.pdf").read_bytes().startswith(b"%PDF")
    # The data changes: the notebook runs again.
    threats = data_pack / "data" / "threats.csv"
    threats.write_text(threats.read_text().replace("Cyber security", "Cyber"))
    done = run_build(data_pack, "--only", "about-threats", "--format", "html")
    assert "building about-threats (data/threats.csv changed)" in done.stderr, done.stderr
    assert "reusing" not in done.stderr


def test_lab_house_style_is_scoped_and_never_in_builds(monkeypatch):
    from briefkit.nb import lab

    css = lab.house_css()
    rules = [r for r in css.split("\n") if "{" in r and not r.startswith("<style")]
    assert rules and all(r.startswith(".jp-Notebook:has(.bk-house)") for r in rules), rules[:3]
    assert "@page" not in css and "@media print" not in css
    assert ".jp-Notebook:has(.bk-house) .jp-OutputArea-output .key-points" in css
    assert "UNCLASSIFIED" in lab.banner_html("UNCLASSIFIED")
    assert "IN-CONFIDENCE" in lab.banner_html("in-confidence")

    shown = []

    class Kernel:
        kernel = object()
        user_ns = {"marking": "RESTRICTED"}

    import IPython
    import IPython.display

    monkeypatch.setattr(IPython, "get_ipython", lambda: Kernel())
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append(obj.data))
    monkeypatch.setattr(lab, "_DONE", [])
    monkeypatch.setenv("BRIEFKIT_MARKING", "UNCLASSIFIED")  # under the engine: nothing shown
    assert lab.activate() is False and shown == []
    monkeypatch.setattr(lab, "_DONE", [])
    monkeypatch.delenv("BRIEFKIT_MARKING")
    assert lab.activate() is True
    assert "bk-lab-banner" in shown[0] and ">RESTRICTED<" in shown[0]
    assert lab.activate() is False and len(shown) == 1  # once per kernel
