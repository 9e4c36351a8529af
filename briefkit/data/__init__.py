"""The data package, build side: read, hash and validate ``data/`` once per version.

    root = find_pack_root()          # $BRIEFKIT_PACK, else the folder above holding pack.yml
    problems = check(root)           # every problem, as Problem records (for --check)
    validate(root)                   # raises DataValidationError listing every problem
    pkg = load(root)                 # the validated package: its key and each table's metadata

| module | job |
|---|---|
| ``store`` | read and hash every input, validate once, the JSON stamp cache, typed tables (private) |
| ``validate`` | the rules: frictionless schemas, the pack's own rules, messages a person can act on |
| ``withheld`` | the distinctive values of rows above a marking, and finding them in an output |

Notebooks never import this package directly: they use :mod:`briefkit.nb` (``bk.table``),
which applies the brief's marking ceiling. Importing it is cheap (no pandas, no frictionless):
those load when a table is parsed or the data is checked.

(``validate`` here is the function; the rules module is ``briefkit.data.validate`` only through
``from briefkit.data.validate import ...``.)
"""

from __future__ import annotations

from briefkit.data.store import DataPackage, find_pack_root, load, validate
from briefkit.data.validate import DataWarning, check
from briefkit.errors import Problem

__all__ = ["DataPackage", "DataWarning", "Problem", "check", "find_pack_root", "load", "validate"]
