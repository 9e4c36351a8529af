"""The planner: which tables a notebook reads (the input of its hash)."""

from __future__ import annotations

import json
from pathlib import Path

from briefkit.engine.plan import used_tables


def notebook(tmp_path, *codes) -> Path:
    cells = [{"cell_type": "code", "source": s, "metadata": {}, "outputs": []} for s in codes]
    cells.append({"cell_type": "markdown", "source": 'table("not-code")', "metadata": {}})
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_used_tables_reads_literal_names(tmp_path):
    nb = notebook(tmp_path, ["import briefkit as bk\n", 'threats = bk.table("threats", marking=marking)\n'],
                  "h = bk.table('threat_level_history')\nbk.show_table(h)\nx = table( 'forums' )")
    assert used_tables(nb) == {"threats", "threat_level_history", "forums"}


def test_used_tables_is_none_for_a_computed_name(tmp_path):
    nb = notebook(tmp_path, 'a = bk.table("threats")', 'b = bk.table(f"{threat}_roles")')
    assert used_tables(nb) is None
    assert used_tables(notebook(tmp_path, "b = bk.table(name)")) is None
