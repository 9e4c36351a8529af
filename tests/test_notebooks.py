"""The pack's briefing notebooks: committed clean, parameters declared, thin, and they run.

Static checks read the notebooks in ``notebooks/``. Execution tests copy the pack's data to a
temporary folder (so a data value can be changed without touching the repository), run each
notebook with papermill as the build does, and look at what a reader would get: key points,
figures with alternative text, unverified flags, a sources section, prose that follows the data.
"""

from __future__ import annotations

import ast
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
NAMES = [p.stem for p in NOTEBOOKS]
TYPES = {"str", "int", "float", "bool", "list", "dict"}
BRIEFS = {"outlook", "threat_profile", "threat_level", "peace_support", "disarmament", "regional"}


def read(path: Path):
    return nbformat.read(str(path), as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


# --------------------------------------------------------------------------- static checks

def test_every_brief_has_a_notebook():
    assert BRIEFS <= set(NAMES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_committed_without_outputs_and_valid(path):
    nb = read(path)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in code_cells(nb):
        assert cell.outputs == [], f"{path.name}: a code cell has outputs"
        assert cell.execution_count is None, f"{path.name}: a code cell has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_first_code_cell_is_the_parameters_cell(path):
    nb = read(path)
    first = code_cells(nb)[0]
    assert "parameters" in first.metadata.get("tags", [])
    assert nb.cells[0] is first, "the parameters cell comes first (no title cell: the template renders it)"
    assert sum("parameters" in c.metadata.get("tags", []) for c in nb.cells) == 1
    for line in first.source.splitlines():
        assert re.fullmatch(r"\w+: (str|int|float|bool|list|dict) = .+  # .+", line), line


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_parameters_are_typed_with_help_and_include_marking(path):
    import papermill

    params = papermill.inspect_notebook(str(path))
    assert "marking" in params
    assert params["marking"]["default"] == '"UNCLASSIFIED"'
    for name, p in params.items():
        assert p["inferred_type_name"] in TYPES, f"{path.name}: {name} has type {p['inferred_type_name']}"
        assert p["help"].strip(), f"{path.name}: {name} has no help text"


def test_help_notebook_shows_every_type():
    for path in NOTEBOOKS:
        out = subprocess.run(
            [str(Path(sys.executable).parent / "papermill"), "--help-notebook", str(path)],
            capture_output=True, text=True, timeout=120,
        )
        assert out.returncode == 0, out.stderr
        assert "Unknown type" not in out.stdout and "None" not in out.stdout.replace("None (", ""), out.stdout
        assert "marking: str" in out.stdout


_PATHLIKE = re.compile(r"(\.csv|\.ya?ml|\.json|\.ipynb)\b|^(/|\./|\.\./|~)|data/|notebooks/")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_notebook_code_is_thin(path):
    nb = read(path)
    cells = code_cells(nb)
    for cell in cells:
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda), (
                f"{path.name}: define functions in briefkit or security_pack, not in the notebook"
            )
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not _PATHLIKE.search(node.value), f"{path.name}: file path {node.value!r} in a notebook"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"open", "exec", "eval", "__import__"}, f"{path.name}: {node.func.id}()"
        assert "sys.path" not in cell.source and "read_csv" not in cell.source
    load = cells[1].source
    assert "import briefkit as bk" in load and "bk.table(" in load
    assert "bk.key_points(" in cells[2].source, "the brief opens with its key points"
    assert cells[-1].source.strip() == "bk.sources()", "the last content cell shows the sources"
    for cell in cells[1:]:
        for call in re.findall(r"bk\.table\(([^)]*)\)", cell.source):
            assert "marking=marking" in call, f"{path.name}: bk.table({call}) must pass marking=marking"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_no_hard_coded_figures_in_notebook_code(path):
    """Text in code cells holds no numbers (figures come from data); column names may."""
    for cell in code_cells(read(path))[1:]:
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"\d", node.value):
                # column names, format specs ("{:.1%}", and briefkit's named ones such as "percent:1")
                allowed = re.fullmatch(r"[A-Za-z_]\w*|\{:[^{}]*\}|(?:percent|date|quantity):\w+", node.value)
                assert allowed, f"{path.name}: figure in text {node.value!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_markdown_cells_hold_no_numbers_or_titles(path):
    for cell in read(path).cells:
        if cell.cell_type != "markdown":
            continue
        assert not re.search(r"^# ", cell.source, re.M), "no H1: the template renders the title"
        assert not re.search(r"\d", cell.source), f"{path.name}: numbers in prose must come from data: {cell.source!r}"


def test_catalogue_matches_the_notebooks():
    import papermill

    from briefkit.catalogue import slug

    catalogue = yaml.safe_load((REPO / "pack.yml").read_text(encoding="utf-8"))
    ids = []
    for brief in catalogue["briefs"]:
        notebook = REPO / brief["notebook"]
        assert notebook.is_file(), brief["notebook"]
        declared = papermill.inspect_notebook(str(notebook))
        variants = brief.get("each") or [brief]
        for variant in variants:
            params = {**brief.get("parameters", {}), **variant.get("parameters", {})}
            for name, value in params.items():
                assert name in declared, f"{brief['id']}: {name} is not a parameter of {notebook.name}"
                expected = declared[name]["inferred_type_name"]
                assert type(value).__name__ == expected or (expected == "float" and isinstance(value, int))
            ids.append(brief["id"].format(**{k: slug(v) for k, v in params.items()}))
            assert variant.get("title") or brief.get("title")
    assert len(ids) == len(set(ids)), "brief ids collide"
    assert {"threat-terrorism", "threat-wmd", "threat-cyber", "threat-people-smuggling", "threat-space"} <= set(ids)
    assert {"region-pacific", "region-southeast-asia", "region-middle-east"} <= set(ids)


# --------------------------------------------------------------------------- execution

def _data_ready() -> bool:
    try:
        import briefkit.data  # noqa: F401
    except Exception:
        return False
    return (REPO / "data" / "datapackage.yaml").is_file()


needs_data = pytest.mark.skipif(not _data_ready(), reason="briefkit.data and data/ are not there yet")


def make_pack(dest: Path) -> Path:
    """A writable copy of the pack's data (and catalogue) to run notebooks against."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "data", dest / "data", ignore=shutil.ignore_patterns("__pycache__"))
    catalogue = REPO / "pack.yml"
    if catalogue.is_file():
        shutil.copy(catalogue, dest / "pack.yml")
    else:
        (dest / "pack.yml").write_text("briefs: []\n", encoding="utf-8")
    return dest


def execute(pack: Path, name: str, out: Path, **parameters):
    """Run notebook ``name`` with papermill against ``pack``; return the executed notebook."""
    import papermill

    env = {
        "BRIEFKIT_PACK": str(pack),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        "MPLBACKEND": "Agg",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        papermill.execute_notebook(
            str(REPO / "notebooks" / f"{name}.ipynb"), str(out), parameters=parameters,
            kernel_name="python3", cwd=str(pack), progress_bar=False, execution_timeout=300,
        )
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return read(out)


def html_outputs(nb) -> str:
    parts = []
    for cell in code_cells(nb):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                parts.append(data["text/html"] if isinstance(data["text/html"], str) else "".join(data["text/html"]))
    return "\n".join(parts)


def visible(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<title\b.*?</title>|<[^>]+>", " ", markup, flags=re.S)).split())


def check_brief(nb, name: str) -> str:
    """What every brief must show; returns its HTML."""
    for cell in code_cells(nb):
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", f"{name}: {output.get('ename')}: {output.get('evalue')}"
            assert not (output.get("output_type") == "stream" and output.get("name") == "stderr"), (
                f"{name}: stderr output: {output.get('text', '')[:300]}"
            )
    page = html_outputs(nb)
    box = re.search(r'<section class="key-points"><h2>Key points</h2><ul>(.*?)</ul></section>', page, re.S)
    assert box, f"{name}: no key-points box"
    assert 3 <= box.group(1).count("<li>") <= 5
    figures = re.findall(r'<figure class="bk-figure">.*?</figure>', page, re.S)
    assert figures, f"{name}: no figure"
    for fig in figures:
        svg = re.search(r"<svg\b[^>]*>", fig).group(0)
        assert 'role="img"' in svg
        title_id = re.search(r'aria-labelledby="([^"]+)"', svg).group(1)
        alt = re.search(rf'<title id="{title_id}">(.*?)</title>', fig, re.S).group(1)
        assert len(alt.split()) >= 8, f"{name}: alt text too thin: {alt!r}"
        assert re.search(r'<span class="bk-source">Source: \S', fig)
    assert '<section class="sources"><h2>Sources</h2>' in page, f"{name}: no sources section"
    assert "Traceback" not in page
    return page


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    if not _data_ready():
        pytest.skip("briefkit.data and data/ are not there yet")
    return make_pack(tmp_path_factory.mktemp("pack"))


@pytest.fixture(scope="module")
def runs(pack, tmp_path_factory):
    """Each notebook run once on its defaults (shared by the tests below)."""
    out = tmp_path_factory.mktemp("runs")
    return {name: execute(pack, name, out / f"{name}.ipynb") for name in sorted(BRIEFS)}


@needs_data
@pytest.mark.parametrize("name", sorted(BRIEFS))
def test_brief_runs_on_defaults_and_shows_what_a_reader_needs(runs, name):
    check_brief(runs[name], name)


@needs_data
def test_every_catalogue_variant_runs(pack, tmp_path):
    catalogue = yaml.safe_load((REPO / "pack.yml").read_text(encoding="utf-8"))
    for brief in catalogue["briefs"]:
        if "each" not in brief:
            continue
        name = Path(brief["notebook"]).stem
        for variant in brief["each"]:
            params = {**brief.get("parameters", {}), **variant.get("parameters", {})}
            label = brief["id"].format(**{k: re.sub(r"[^a-z0-9]+", "-", str(v).lower()) for k, v in params.items()})
            check_brief(execute(pack, name, tmp_path / f"{label}.ipynb", **params), label)


@needs_data
def test_unverified_values_are_flagged(runs, tmp_path):
    for name in ("threat_level", "peace_support", "disarmament"):
        assert '<span class="bk-unverified"' in html_outputs(runs[name]), name
    # Every row the outlook shows is confirmed today: mark one of its roles unconfirmed and the
    # flag must appear.
    changed = make_pack(tmp_path / "pack")
    path = changed / "data" / "nz_roles.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[1].rstrip().endswith(",true,UNCLASSIFIED")
    lines[1] = lines[1].rstrip()[: -len(",true,UNCLASSIFIED")] + ",false,UNCLASSIFIED\n"
    path.write_text("".join(lines), encoding="utf-8")
    page = html_outputs(execute(changed, "outlook", tmp_path / "outlook.ipynb"))
    assert '<span class="bk-unverified"' in page


@needs_data
def test_data_with_markup_shows_literally(pack, tmp_path):
    changed = make_pack(tmp_path / "pack")
    path = changed / "data" / "threat_level_history.csv"
    text = path.read_text(encoding="utf-8")
    old = "Christchurch masjidain terrorist attacks"
    assert old in text
    path.write_text(text.replace(old, "Christchurch <script>alert(1)</script> **attacks** [x](y)", 1), encoding="utf-8")
    page = html_outputs(execute(changed, "threat_level", tmp_path / "out.ipynb"))
    assert "<script>" not in page
    assert "Christchurch &lt;script&gt;alert(1)&lt;/script&gt; **attacks** [x](y)" in page


@needs_data
def test_prose_numbers_follow_the_data(runs, tmp_path):
    before = visible(html_outputs(runs["threat_level"]))
    assert "raised on 15 March 2019 (Christchurch masjidain terrorist attacks) and held for 33 days" in before
    changed = make_pack(tmp_path / "pack")
    path = changed / "data" / "threat_level_history.csv"
    text = path.read_text(encoding="utf-8")
    assert "\n2019-04-17," in text
    path.write_text(text.replace("\n2019-04-17,", "\n2019-04-20,", 1), encoding="utf-8")
    after = visible(html_outputs(execute(changed, "threat_level", tmp_path / "out.ipynb")))
    assert "raised on 15 March 2019 (Christchurch masjidain terrorist attacks) and held for 36 days" in after
    assert "33 days" not in after


@needs_data
def test_rows_above_the_marking_never_appear(tmp_path):
    changed = make_pack(tmp_path / "pack")
    path = changed / "data" / "peace_support_operations.csv"
    text = path.read_text(encoding="utf-8")
    header, first = text.splitlines()[:2]
    columns = header.split(",")
    row = dict(zip(columns, [""] * len(columns)))
    row.update(operation_id="SECRET-OP", mission="Operation Kiwi Quietly", un_led="no", location="Nowhere",
               region="Pacific", start_year="2020", ongoing="true", approx_personnel="7",
               personnel_note="test row", source_url="https://example.org", verified="true",
               classification="RESTRICTED")
    path.write_text(text.rstrip("\n") + "\n" + ",".join(row[c] for c in columns) + "\n", encoding="utf-8")
    low = html_outputs(execute(changed, "peace_support", tmp_path / "low.ipynb"))
    assert "Kiwi Quietly" not in low
    high = html_outputs(execute(changed, "peace_support", tmp_path / "high.ipynb", marking="RESTRICTED"))
    assert "Kiwi Quietly" in high
