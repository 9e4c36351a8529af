"""Which tables a notebook asks for (the planner's scan). Moving to ``briefkit.engine.plan``."""

from __future__ import annotations

import json
import re
from pathlib import Path


def used_tables(notebook_path) -> set[str] | None:
    """Table names a notebook asks for; None if any ``table(...)`` call uses a non-literal name."""
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    names: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        for call in re.finditer(r"\btable\s*\(", source):
            literal = re.match(r"\s*(?:name\s*=\s*)?(['\"])([^'\"\\]+)\1\s*[,)]",
                               source[call.end():])
            if literal is None:
                return None
            names.add(literal.group(2))
    return names
