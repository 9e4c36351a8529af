"""The shape of the house (issue 9), checked so that it stays: data flows one way, the
environment is read in one place, and no private API of papermill or jupyter_client is used."""

from __future__ import annotations

import ast
import collections
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "briefkit"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports() -> dict[str, set[str]]:
    """Module -> briefkit modules it imports (at any depth, function-level imports included)."""
    modules = _modules()
    graph: dict[str, set[str]] = collections.defaultdict(set)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                candidates = [target] + [f"{target}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            else:
                continue
            graph[name].update(c for c in candidates if c in modules and c != name)
    return graph


def _part(module: str) -> str:
    """The part of the house a module belongs to: briefkit.engine, briefkit.nb, briefkit.cli ..."""
    return ".".join(module.split(".")[:2])


def test_no_import_cycles_between_the_parts_of_briefkit():
    parts: dict[str, set[str]] = collections.defaultdict(set)
    for module, targets in _imports().items():
        for target in targets:
            if _part(target) not in (_part(module), "briefkit"):
                parts[_part(module)].add(_part(target))

    def reaches(start: str, goal: str, seen=()) -> bool:
        return any(t == goal or (t not in seen and reaches(t, goal, (*seen, t))) for t in parts.get(start, ()))

    cycles = sorted(p for p in parts if reaches(p, p))
    assert cycles == [], f"import cycles through {cycles}: {dict(parts)}"


def test_data_flows_one_way():
    graph = _imports()
    for module, targets in graph.items():
        if _part(module) in ("briefkit.publish", "briefkit.exporters", "briefkit.data", "briefkit.nb"):
            assert not {t for t in targets if _part(t) == "briefkit.engine"}, f"{module} imports the engine"
        if _part(module) == "briefkit.nb":  # the kernel side never reaches the build side's machinery
            assert not {t for t in targets if _part(t) in ("briefkit.exporters", "briefkit.publish", "briefkit.cli")}, module


def test_only_config_reads_the_environment():
    readers = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        # Writing a forked kernel's own environment (engine/zygote.py) is not reading ours.
        reads = re.findall(r"os\.environ\.get|os\.getenv|os\.environ\[|os\.environ\b(?!\.(clear|update|setdefault))", text)
        if reads and name != "briefkit.config":
            readers.append(name)
    assert readers == [], f"modules reading the environment outside briefkit.config: {readers}"


def test_no_private_papermill_or_jupyter_client_api_and_no_sys_modules_tricks():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"papermill\.\w+ import _", r"from papermill[\w.]* import \(?\s*_", r"\._async_launch_kernel",
                        r"_reconcile_connection_info", r"sys\.modules\[[^\]]+\]\s*=[^=]", r"sys\.modules\.(setdefault|update|pop)"):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []
