"""Check the data package and report every problem in words an analyst can act on.

The Table Schemas in ``data/datapackage.yaml`` are checked by the ``frictionless`` library;
this module reads the files first (missing, empty, not UTF-8, byte-order mark, header), turns
frictionless error codes into plain sentences with the file's real line numbers, and runs the
few rules a schema cannot express (declared per resource under the custom ``rules`` key):

    not-before   field >= other on the same row        (end_year >= start_year)
    blank-when   field is empty when column == value   (no end_year while ongoing)
    not-future   date is not after today
    ascending    dates in file order never go backwards
    chain        field equals the previous row's other  (level_before = previous level_after)

Every table also needs a ``classification`` column; text that starts like a spreadsheet
formula (``=``, ``+``, ``@``, tab, carriage return) is rejected (a leading ``-`` is allowed:
dashes and negative numbers are common), and so is text with a control character other than
tab and newline (a NUL or an escape sequence would reach the briefs unseen).

Files are read only from inside ``data/``: a resource path that leaves it, a symbolic link or
anything but a regular file is refused. Messages quote at most a short excerpt of a value,
with unprintable characters escaped, never raw file content.

A UTF-8 byte-order mark is accepted with a :class:`DataWarning` and never reaches a column name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import posixpath
import re
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from briefkit.errors import Problem, did_you_mean

DATA_DIR = "data"
DESCRIPTOR = f"{DATA_DIR}/datapackage.yaml"
BOM = b"\xef\xbb\xbf"
FORMULA_START = ("=", "+", "@", "\t", "\r")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")  # all but tab, LF, CRLF
MAX_FILE_BYTES = 64 * 2**20
EXCERPT = 60  # characters of a value quoted in a message
TRUE, FALSE = ("true", "True", "TRUE", "1"), ("false", "False", "FALSE", "0")
TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "year": "a year (four digits, e.g. 2024)",
    "date": "a date written YYYY-MM-DD",
    "datetime": "a date and time written YYYY-MM-DDThh:mm:ss",
    "yearmonth": "a year and month written YYYY-MM",
    "boolean": "true or false",
}


class DataWarning(UserWarning):
    """Something in the data was accepted but deserves a look (e.g. a byte-order mark)."""


@dataclass
class RawTable:
    """One CSV as text rows, with the file line on which each row starts."""

    name: str
    rel: str
    schema: dict
    rows: list[list[str]] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        return self.rows[0] if self.rows else []

    def line(self, row_number: int | None) -> int | None:
        """File line of frictionless' ``row_number`` (1 = header row)."""
        if row_number is None or not 1 <= row_number <= len(self.starts):
            return row_number
        return self.starts[row_number - 1]

    def records(self):
        for row, line in zip(self.rows[1:], self.starts[1:]):
            yield line, dict(zip(self.header, row))


def check(root) -> list[Problem]:
    """Every problem in the data package under ``root`` (empty list: all good)."""
    root = Path(root)
    descriptor, problems = read_descriptor(root)
    if descriptor is None:
        return problems
    fatal, notes = _descriptor_problems(descriptor, _resource_lines(root / DESCRIPTOR))
    problems += notes
    if fatal:
        return problems + fatal
    raws: dict[str, RawTable] = {}
    for res in descriptor["resources"]:
        raw, found = _read_table(root, res)
        problems += found
        if raw is not None:
            raws[res["name"]] = raw
    problems += _frictionless_problems(root, descriptor, raws)
    for res in descriptor["resources"]:
        if res["name"] in raws:
            problems += _rule_problems(raws[res["name"]], res)
    order = {f"{DATA_DIR}/{r['path']}": i for i, r in enumerate(descriptor["resources"])}
    problems = sorted(problems, key=lambda p: (order.get(p.file, -1), p.line or 0))
    return [_quotable(p) for p in problems]


def excerpt(text, limit: int = EXCERPT) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis), for quoting in a message."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "\u2026"


def printable(text, limit: int = EXCERPT) -> str:
    """A short excerpt of ``text`` with every unprintable character escaped as in repr()."""
    text = excerpt(text, limit)
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _quotable(p: Problem) -> Problem:
    """The problem with a short value (shown with repr) and escaped, short names and notes."""
    return Problem(printable(p.file, 120), p.line,
                   None if p.column is None else printable(p.column),
                   None if p.value is None else excerpt(p.value),
                   printable(p.rule, 400))


# --- the descriptor ------------------------------------------------------------------------


def yaml_loader():
    """PyYAML's safe loader, libyaml's (C) where installed: about ten times faster."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_descriptor(root: Path) -> tuple[dict | None, list[Problem]]:
    """Parse data/datapackage.yaml; a YAML mistake comes back as a problem with its line."""
    import yaml

    path = root / DESCRIPTOR
    if path.is_symlink() or (root / DATA_DIR).is_symlink():
        link = DESCRIPTOR if path.is_symlink() else f"{DATA_DIR}/"
        return None, [Problem(link, None, None, None,
                              "is a symbolic link; the data package reads only regular files "
                              "inside data/, never through links. Replace the link with the "
                              "real file or folder")]
    if not path.is_file():
        return None, [Problem(DESCRIPTOR, None, None, None,
                              "does not exist; the data package needs it to describe its tables")]
    try:
        descriptor = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=yaml_loader())
    except UnicodeDecodeError as exc:
        return None, [Problem(DESCRIPTOR, None, None, None, f"is not UTF-8 text ({exc.reason})")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        what = getattr(exc, "problem", None) or str(exc)
        col = f" at column {mark.column + 1}" if mark else ""
        return None, [Problem(DESCRIPTOR, line, None, None,
                              f"is not valid YAML: {what}{col}; check the indentation and "
                              "quotes on this line and the one above")]
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        return None, [Problem(DESCRIPTOR, None, None, None,
                              "must be a mapping with a 'resources:' list of tables")]
    return _plain(descriptor), []


def _plain(obj):
    """A deep copy that also unshares YAML aliases (frictionless edits what it is given)."""
    return json.loads(json.dumps(obj, default=str))


def _resource_lines(path: Path) -> list[int]:
    import yaml

    node = yaml.compose(path.read_text(encoding="utf-8-sig"), Loader=yaml_loader())
    for key, value in node.value:
        if key.value == "resources" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _descriptor_problems(descriptor: dict, lines: list[int]) -> tuple[list[Problem], list[Problem]]:
    """(fatal, other) problems in the descriptor itself; ``lines`` = first line of each resource."""
    from frictionless import Package

    fatal, other = [], []
    clean = {k: v for k, v in descriptor.items() if not k.startswith("x-")}
    unsafe = False
    for i, res in enumerate(descriptor["resources"]):
        if isinstance(res, dict) and res.get("path") is not None:
            where = unsafe_path(None, res["path"])
            if where is not None:
                unsafe = True
                fatal.append(Problem(where[0], lines[i] if i < len(lines) else None, None, None,
                                     where[1]))
    for error in Package.validate_descriptor(_plain(clean)).errors:
        note = error.note or error.message
        if unsafe and re.search(r'path ".*" is not safe', note):
            continue  # said above, in plainer words
        fatal.append(Problem(DESCRIPTOR, None, None, None,
                             f"breaks the Data Package standard: {note}"))
    today = dt.date.today()
    for i, res in enumerate(descriptor["resources"]):
        line = lines[i] if i < len(lines) else None
        if not isinstance(res, dict) or not res.get("name") or not res.get("path"):
            fatal.append(Problem(DESCRIPTOR, line, None, None,
                                 "has a resource without a name and a path"))
            continue
        name = res["name"]
        fields = [f.get("name") for f in res.get("schema", {}).get("fields", [])]
        if "classification" not in fields:
            fatal.append(Problem(DESCRIPTOR, line, None, None,
                                 f'resource "{name}" has no classification field; every table '
                                 "needs one so rows above a brief's marking can be withheld"))
        as_of = str(res.get("as_of", ""))
        try:
            if dt.date.fromisoformat(as_of) > today:
                other.append(Problem(DESCRIPTOR, line, None, as_of,
                                     f'(as_of of resource "{name}") is in the future'))
        except ValueError:
            other.append(Problem(DESCRIPTOR, line, None, as_of or None,
                                 f'(as_of of resource "{name}") is not a date written YYYY-MM-DD; '
                                 "add as_of: the date the table's figures describe"))
        if not res.get("sources") or not all(isinstance(s, dict) and s.get("title")
                                             for s in res["sources"]):
            other.append(Problem(DESCRIPTOR, line, None, None,
                                 f'resource "{name}" needs sources, each with a title'))
        if not res.get("licenses"):
            other.append(Problem(DESCRIPTOR, line, None, None,
                                 f'resource "{name}" needs a licenses list'))
        other += _freshness_problems(res, name, line, today)
        for rule in res.get("rules", []):
            names = [rule.get(k) for k in ("field", "other", "previous", "when") if k in rule]
            if rule.get("rule") not in RULES or any(n not in fields for n in names):
                fatal.append(Problem(DESCRIPTOR, line, None, None,
                                     f'resource "{name}" has a rule that cannot be used: {rule} '
                                     f"(rules: {', '.join(RULES)}; fields must exist)"))
    return fatal, other


def _freshness_problems(res: dict, name: str, line, today: dt.date) -> list[Problem]:
    """``review_months`` (a whole number of months, 1 or more) and ``reviewed`` (a date not in the
    future) are optional; when given they must be usable. Units are text."""
    out = []
    months = res.get("review_months")
    if months is not None and (isinstance(months, bool) or not isinstance(months, int) or months < 1):
        out.append(Problem(DESCRIPTOR, line, None, str(months),
                           f'(review_months of resource "{name}") is not a whole number of months, 1 or more'))
    reviewed = res.get("reviewed")
    if reviewed is not None:
        try:
            if dt.date.fromisoformat(str(reviewed)) > today:
                out.append(Problem(DESCRIPTOR, line, None, str(reviewed),
                                   f'(reviewed of resource "{name}") is in the future'))
        except ValueError:
            out.append(Problem(DESCRIPTOR, line, None, str(reviewed),
                               f'(reviewed of resource "{name}") is not a date written YYYY-MM-DD'))
    fields = {f.get("name") for f in res.get("schema", {}).get("fields", []) if isinstance(f, dict)}
    for f in res.get("schema", {}).get("fields", []):
        if not isinstance(f, dict):
            continue
        for key in ("unit", "measure"):
            if key in f and not isinstance(f[key], str):
                out.append(Problem(DESCRIPTOR, line, None, None,
                                   f'field "{f.get("name")}" of resource "{name}": {key} must be text'))
        if "unit_field" in f and f["unit_field"] not in fields:
            out.append(Problem(DESCRIPTOR, line, None, str(f["unit_field"]),
                               f'field "{f.get("name")}" of resource "{name}": unit_field names no field'))
    return out


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    import calendar

    month0 = day.month - 1 + int(months)
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def freshness(info: dict, today: dt.date) -> dict:
    """The freshness of one table from its metadata (``as_of``, ``review_months``, ``reviewed``):
    ``due`` (the date its next review falls due, or None without a policy), ``overdue`` (due
    before ``today``), ``stale`` (its figures are older than the policy allows on ``today``)."""
    try:
        as_of = dt.date.fromisoformat(str(info.get("as_of") or "")[:10])
    except ValueError:
        as_of = None
    months = info.get("review_months")
    if not months or as_of is None:
        return {"due": None, "overdue": False, "stale": False}
    try:
        checked = dt.date.fromisoformat(str(info.get("reviewed") or "")[:10])
    except ValueError:
        checked = as_of
    due = add_months(max(checked, as_of), months)
    return {"due": due, "overdue": due < today, "stale": add_months(as_of, months) < today}


def overdue(resources: dict, today: dt.date | None = None) -> list[tuple[str, dict]]:
    """``(name, metadata + freshness)`` for every table whose review is overdue on ``today``."""
    today = today or dt.date.today()
    out = []
    for name, info in resources.items():
        fresh = freshness(info, today)
        if fresh["overdue"]:
            out.append((name, {**info, **fresh}))
    return out


# --- reading the files ---------------------------------------------------------------------


def unsafe_path(root: Path | None, path) -> tuple[str, str] | None:
    """Why the resource ``path`` must not be read, as (file, reason), or None when it is safe.

    Safe: relative, inside data/, a .csv, with no symbolic link on the way (data/ included).
    With ``root`` None only the path's text is checked.
    """
    text = str(path)
    norm = posixpath.normpath(text)
    rel = f"{DATA_DIR}/{text}"
    if (not text or posixpath.isabs(text) or "\\" in text or norm == ".."
            or norm.startswith("../") or not norm.endswith(".csv")):
        return DESCRIPTOR, (f"gives a resource the path {excerpt(text)!r}; a path must name a "
                            f".csv file inside data/ (for example threats.csv)")
    if root is None:
        return None
    here = root
    for part in [DATA_DIR, *norm.split("/")]:
        here = here / part
        try:
            mode = os.lstat(here).st_mode
        except FileNotFoundError:
            return None  # reported as a missing file
        if stat.S_ISLNK(mode):
            shown = here.relative_to(root).as_posix()
            return shown, ("is a symbolic link; the data package reads only regular files inside "
                           "data/, never through links. Replace the link with a copy of the file itself")
    if not stat.S_ISREG(mode):
        return rel, "is not a regular file; a table must be a .csv file inside data/"
    return None


def _read_table(root: Path, res: dict) -> tuple[RawTable | None, list[Problem]]:
    rel = f"{DATA_DIR}/{res['path']}"
    where = unsafe_path(root, res["path"])
    if where is not None:
        file, reason = where
        return None, [Problem(file, None, None, None, reason)]
    path = root / DATA_DIR / res["path"]
    if not path.is_file():
        return None, [Problem(rel, None, None, None,
                              f'is listed in {DESCRIPTOR} (resource "{res["name"]}") but the file '
                              "does not exist; restore it or remove the resource")]
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return None, [Problem(rel, None, None, None,
                              f"is {size / 2**20:.0f} MB; a table may be at most "
                              f"{MAX_FILE_BYTES // 2**20} MB. Is this the right file?")]
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with open(fd, "rb") as fh:
        data = fh.read()
    if data.startswith(BOM):
        warnings.warn(DataWarning(f"{rel} starts with a UTF-8 byte-order mark (as Excel's "
                                  "'CSV UTF-8' writes); it was ignored."), stacklevel=3)
        data = data[len(BOM):]
    bad = _non_utf8_lines(data)
    if bad:
        return None, [Problem(rel, line, None, None,
                              f"has bytes that are not UTF-8 ({byte}); the file was probably saved "
                              "as Windows-1252 or Latin-1. Save it as 'CSV UTF-8' and check again")
                      for line, byte in bad]
    text = data.decode("utf-8")
    if not text.strip():
        return None, [Problem(rel, None, None, None,
                              "is empty; it needs at least a header row naming the columns")]
    raw = RawTable(res["name"], rel, res.get("schema", {}))
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for row in reader:
        raw.rows.append(row)
        raw.starts.append(start)
        start = reader.line_num + 1
    return raw, _header_problems(raw)


def _non_utf8_lines(data: bytes, limit: int = 20) -> list[tuple[int, str]]:
    bad = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad.append((number, f"0x{line[exc.start]:02X} at character {exc.start + 1}"))
            if len(bad) == limit:
                break
    return bad


def _header_problems(raw: RawTable) -> list[Problem]:
    expected = [f["name"] for f in raw.schema.get("fields", [])]
    header, problems, seen = raw.header, [], set()
    for label in header:
        if not label.strip():
            problems.append(Problem(raw.rel, 1, None, None,
                                    "the header row has a column without a name"))
        elif label in seen:
            problems.append(Problem(raw.rel, 1, label, None,
                                    "appears twice in the header row; column names must be unique"))
        elif label not in expected:
            hint = did_you_mean(label, expected)
            problems.append(Problem(raw.rel, 1, label, None,
                                    f"is not a column of this table in {DESCRIPTOR}; remove it "
                                    f"or add it to the schema{'.' + hint if hint else ''}"))
        seen.add(label)
    for name in expected:
        if name not in header:
            problems.append(Problem(raw.rel, 1, name, None,
                                    f"is missing from the header row; the schema in {DESCRIPTOR} "
                                    "requires this column"))
    return problems


# --- frictionless ----------------------------------------------------------------------------


def _frictionless_problems(root: Path, descriptor: dict, raws: dict[str, RawTable]) -> list[Problem]:
    from frictionless import FrictionlessException, Package

    header_ok = {name for name, raw in raws.items()
                 if len(set(raw.header)) == len(raw.header) and all(h.strip() for h in raw.header)}
    resources = []
    for res in descriptor["resources"]:
        if res["name"] not in header_ok:
            continue
        res = {**res, "encoding": "utf-8", "format": "csv"}
        res.pop("rules", None)
        schema = {**res.get("schema", {}), "fieldsMatch": "equal"}  # columns matched by name
        schema["foreignKeys"] = [fk for fk in schema.get("foreignKeys", [])
                                 if fk["reference"].get("resource", res["name"]) in header_ok]
        res["schema"] = schema
        resources.append(res)
    if not resources:
        return []
    package = _plain({"name": descriptor.get("name", "data"), "resources": resources})
    try:
        report = Package(package, basepath=str(root / DATA_DIR)).validate(limit_errors=10**6)
    except FrictionlessException as exc:
        return [Problem(DESCRIPTOR, None, None, None, f"cannot be used: {exc.error.note}")]
    problems, ragged = [], set()
    for task in report.tasks:
        raw = raws[task.name]
        for error in task.errors:
            problem = _translate(error, raw, raws, ragged)
            if problem is not None:
                problems.append(problem)
    return problems


def _translate(error, raw: RawTable, raws: dict[str, RawTable], ragged: set) -> Problem | None:
    code, note = error.type, getattr(error, "note", "") or ""
    row_number = getattr(error, "row_number", None)
    line = raw.line(row_number)
    column = getattr(error, "field_name", None) or None
    cell = getattr(error, "cell", None)
    spec = next((f for f in raw.schema.get("fields", []) if f.get("name") == column), {})
    short = row_number and len(raw.rows[row_number - 1]) < len(raw.header)
    if (code == "constraint-error" and short and column in raw.header
            and raw.header.index(column) >= len(raw.rows[row_number - 1])):
        code = "missing-cell"  # a cell the short row never had; say so once for the row
    if code in ("missing-label", "extra-label", "duplicate-label", "blank-label",
                "incorrect-label"):
        return None  # reported by _header_problems with clearer words
    if code == "type-error":
        words = TYPE_WORDS.get(spec.get("type"), f"a valid {spec.get('type')}")
        return Problem(raw.rel, line, column, cell, f"is not {words}")
    if code == "constraint-error":
        return Problem(raw.rel, line, column, *_constraint(note, cell, spec))
    if code == "unique-error":
        return Problem(raw.rel, line, column, cell,
                       "appears on an earlier row too; values in this column must be unique")
    if code in ("extra-cell", "missing-cell"):
        if (raw.name, row_number) in ragged:
            return None
        ragged.add((raw.name, row_number))
        cells = len(raw.rows[row_number - 1])
        which = "too many: look for an unquoted comma" if cells > len(raw.header) else \
            "too few: a value or a comma is missing"
        return Problem(raw.rel, line, None, None,
                       f"has {cells} cells but the header has {len(raw.header)} columns ({which})")
    if code == "blank-row":
        return Problem(raw.rel, line, None, None, "is an empty line inside the table; delete it")
    if code == "primary-key":
        key = raw.schema.get("primaryKey", [])
        key = [key] if isinstance(key, str) else key
        values = [dict(zip(raw.header, raw.rows[row_number - 1])).get(k, "") for k in key]
        first = re.search(r"position (\d+)", note)
        where = f" on line {raw.line(int(first.group(1)))}" if first else " earlier"
        return Problem(raw.rel, line, ", ".join(key), ", ".join(values),
                       f"is already used{where}; each row needs its own {' + '.join(key)}")
    if code == "foreign-key":
        found = re.search(r'for "(.+?)": values "(.+?)" not found in the lookup table "(.+?)" as "(.+?)"',
                          note)
        if found:
            fields, values, target, target_fields = found.groups()
            target_rel = raws[target].rel if target in raws else target
            return Problem(raw.rel, line, fields, values,
                           f'has no match in column "{target_fields}" of {target_rel}')
    if code in ("source-error", "scheme-error", "encoding-error", "format-error"):
        return Problem(raw.rel, None, None, None, f"cannot be read: {note}")
    return Problem(raw.rel, line, column, cell, f"breaks a rule ({error.title}): {note}")


def _constraint(note: str, cell, spec: dict) -> tuple[str | None, str]:
    name = (re.search(r'constraint "(\w+)"', note) or [None, ""])[1]
    limits = spec.get("constraints", {})
    if name == "required":
        return None, "is empty, but this column requires a value"
    if name == "enum":
        return cell, f"is not one of {', '.join(map(str, limits['enum']))}"
    if name == "pattern":
        hint = (f"for example {spec['example']}" if "example" in spec
                else f"it must match the pattern {limits['pattern']}")
        return cell, f"does not have the expected form ({hint})"
    if name == "minimum":
        return cell, f"is below the minimum of {limits['minimum']}"
    if name == "maximum":
        return cell, f"is above the maximum of {limits['maximum']}"
    if name == "unique":
        return cell, "appears on an earlier row too; values in this column must be unique"
    return cell, f"breaks the {name or 'schema'} rule ({note})"


# --- rules a schema cannot express ----------------------------------------------------------


def _value(text: str | None, kind: str | None):
    """The typed value of a cell, or None when blank or not parseable (already reported)."""
    if text is None or text == "":
        return None
    try:
        if kind in ("integer", "year"):
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "date":
            return dt.date.fromisoformat(text)
        if kind == "boolean":
            return True if text in TRUE else False if text in FALSE else None
    except ValueError:
        return None
    return text


def _rule_problems(raw: RawTable, res: dict) -> list[Problem]:
    kinds = {f["name"]: f.get("type", "string") for f in raw.schema.get("fields", [])}
    problems = []
    for label in raw.header:
        bad = CONTROL.search(label)
        if bad:
            problems.append(Problem(raw.rel, 1, None, label, _control_words(label, bad)))
    for line, rec in raw.records():
        for col, kind in kinds.items():
            text = rec.get(col)
            bad = CONTROL.search(text) if kind == "string" and text else None
            if bad:
                problems.append(Problem(raw.rel, line, col, text, _control_words(text, bad)))
            if kind == "string" and text and text.startswith(FORMULA_START):
                start = {"\t": "a tab", "\r": "a carriage return"}.get(text[0], f"'{text[0]}'")
                problems.append(Problem(raw.rel, line, col, text,
                                        f"starts with {start}, which a spreadsheet would run as a "
                                        "formula; reword it to start with a letter or digit"))
    for rule in res.get("rules", []):
        problems += RULES[rule["rule"]](raw, rule, kinds)
    return problems


def _control_words(text: str, bad: re.Match) -> str:
    char = bad.group()[0]
    return (f"contains a control character (U+{ord(char):04X} at character {bad.start() + 1}), "
            "which would reach the briefs unseen; delete it (text pasted from another program "
            "often carries them)")


def _not_before(raw, rule, kinds):
    f, o = rule["field"], rule["other"]
    out = []
    for line, rec in raw.records():
        a, b = _value(rec.get(f), kinds[f]), _value(rec.get(o), kinds[o])
        if a is not None and b is not None and a < b:
            out.append(Problem(raw.rel, line, f, rec[f],
                               f"is earlier than {o} ({rec[o]}) on the same row; "
                               f"{f} cannot come before {o}"))
    return out


def _blank_when(raw, rule, kinds):
    f, when = rule["field"], rule["when"]
    out = []
    for line, rec in raw.records():
        if _value(rec.get(when), kinds[when]) == rule["equals"] and rec.get(f):
            out.append(Problem(raw.rel, line, f, rec[f],
                               f"must be empty when {when} is {str(rule['equals']).lower()}"))
    return out


def _not_future(raw, rule, kinds):
    f, today = rule["field"], dt.date.today()
    out = []
    for line, rec in raw.records():
        value = _value(rec.get(f), kinds[f])
        if value is not None and value > today:
            out.append(Problem(raw.rel, line, f, rec[f],
                               f"is in the future (today is {today}); this table records what "
                               "has already happened"))
    return out


def _ascending(raw, rule, kinds):
    f, out, before = rule["field"], [], None
    for line, rec in raw.records():
        value = _value(rec.get(f), kinds[f])
        if value is None:
            continue
        if before and value < before[1]:
            out.append(Problem(raw.rel, line, f, rec[f],
                               f"is earlier than {before[1]} on line {before[0]}; "
                               "keep the rows in date order"))
        before = (line, value)
    return out


def _chain(raw, rule, kinds):
    f, prev, out, before = rule["field"], rule["previous"], [], None
    for line, rec in raw.records():
        if before and rec.get(f) and before[1] and rec[f] != before[1]:
            out.append(Problem(raw.rel, line, f, rec[f],
                               f"does not follow on from line {before[0]}, which ends at "
                               f"{prev} {before[1]!r}; each row must start where the previous "
                               "one ended"))
        before = (line, rec.get(prev))
    return out


RULES = {"not-before": _not_before, "blank-when": _blank_when, "not-future": _not_future,
         "ascending": _ascending, "chain": _chain}
