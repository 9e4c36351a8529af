from pathlib import Path

import pytest

from briefkit import catalogue
from briefkit.errors import CatalogueError


def write(pack: Path, text: str) -> Path:
    path = pack / "pack.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_briefs_in_order_with_each_expanded(tiny_pack):
    pack = catalogue.load(tiny_pack / "pack.yml")
    assert [b.id for b in pack.briefs] == ["good-pacific", "good-europe", "failing"]
    europe = pack.brief("good-europe")
    assert europe.title == "Good brief: Europe"
    assert dict(europe.parameters) == {"region": "Europe", "since": 2000}
    assert europe.marking == "IN-CONFIDENCE"
    assert pack.brief("good-pacific").marking == "UNCLASSIFIED"  # from defaults
    assert europe.audience == "Test readers"
    assert europe.formats == ("html", "pdf")
    assert europe.notebook == (tiny_pack / "notebooks" / "good.ipynb").resolve()


def test_select_accepts_globs_and_suggests_on_typo(tiny_pack):
    pack = catalogue.load(tiny_pack / "pack.yml")
    assert [b.id for b in pack.select(["good-*"])] == ["good-pacific", "good-europe"]
    assert [b.id for b in pack.select(["failing", "good-europe"])] == ["good-europe", "failing"]
    with pytest.raises(CatalogueError, match=r"No brief matches 'good-pacfic'.*Did you mean good-pacific"):
        pack.select(["good-pacfic"])


def test_duplicate_ids_are_refused(tiny_pack):
    path = write(tiny_pack, """
briefs:
  - {id: same, notebook: notebooks/good.ipynb}
  - {id: same, notebook: notebooks/failing.ipynb}
""")
    with pytest.raises(CatalogueError, match="'same' appears twice"):
        catalogue.load(path)


def test_each_ids_collide_when_parameter_missing_from_id(tiny_pack):
    path = write(tiny_pack, """
briefs:
  - id: good
    notebook: notebooks/good.ipynb
    each:
      - {parameters: {region: Pacific}}
      - {parameters: {region: Europe}}
""")
    with pytest.raises(CatalogueError, match="appears twice"):
        catalogue.load(path)


def test_id_fields_are_slugged(tiny_pack):
    path = write(tiny_pack, """
briefs:
  - id: region-{region}
    title: "Region: {region}"
    notebook: notebooks/good.ipynb
    each:
      - {parameters: {region: Southeast Asia}}
""")
    brief = catalogue.load(path).briefs[0]
    assert brief.id == "region-southeast-asia"
    assert brief.title == "Region: Southeast Asia"


@pytest.mark.parametrize(
    "text, message",
    [
        ("briefs:\n  - {id: x, notebook: notebooks/missing.ipynb}\n", "notebooks/missing.ipynb does not exist"),
        ("briefs:\n  - {id: X Y, notebook: notebooks/good.ipynb}\n", "must be lower-case letters"),
        ("briefs:\n  - {id: x, notebook: notebooks/good.ipynb, colour: red}\n", "unknown key.*colour"),
        ("briefs:\n  - {id: x, notebook: notebooks/good.ipynb, marking: SECRTE}\n", "Did you mean SECRET"),
        ("briefs:\n  - {id: x, notebook: notebooks/good.ipynb, formats: [odt]}\n", "allowed: html, pdf, docx"),
        ("briefs:\n  - {id: '{nope}', notebook: notebooks/good.ipynb}\n", "names 'nope'"),
        ("briefs:\n  - {notebook: notebooks/good.ipynb}\n", "'id' is required"),
        ("title: no briefs here\n", "expected a mapping with a 'briefs:' list"),
        ("briefs:\n  - {id: x, notebook: notebooks/good.ipynb, reads: threats}\n", "must be a list of data table names"),
        ("briefs:\n  - {id: x, notebook: notebooks/good.ipynb, reads: [threats, 3]}\n", "must be a list of data table names"),
    ],
)
def test_bad_catalogues_name_the_problem(tiny_pack, text, message):
    with pytest.raises(CatalogueError, match=message):
        catalogue.load(write(tiny_pack, text))


def test_yaml_errors_give_line_and_column(tiny_pack):
    path = write(tiny_pack, "briefs:\n  - id: x\n    notebook: [unclosed\n")
    with pytest.raises(CatalogueError, match=r"pack.yml line \d+, column \d+: not valid YAML"):
        catalogue.load(path)


def test_missing_catalogue_says_what_to_do(tmp_path):
    with pytest.raises(CatalogueError, match="No catalogue at .*--pack"):
        catalogue.load(tmp_path / "pack.yml")


def test_reads_are_recorded_and_an_items_reads_add_to_its_entrys(tiny_pack):
    path = write(tiny_pack, """
briefs:
  - id: plain
    notebook: notebooks/good.ipynb
  - id: good-{region}
    notebook: notebooks/good.ipynb
    reads: [regions]
    each:
      - {parameters: {region: Pacific}, reads: [pacific_islands, regions]}
      - {parameters: {region: Europe}}
""")
    pack = catalogue.load(path)
    assert pack.brief("plain").reads == ()
    assert pack.brief("good-pacific").reads == ("regions", "pacific_islands")
    assert pack.brief("good-europe").reads == ("regions",)


def test_check_refuses_reads_naming_no_table_of_the_data_package(tmp_path):
    """``reads:`` names are checked against the data package before any kernel starts (exit 2)."""
    import shutil

    from briefkit.engine import Options, check
    from conftest import ROOT

    for folder in ("data", "notebooks"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    text = (ROOT / "pack.yml").read_text(encoding="utf-8")
    assert "reads: [cyber_incidents]" in text
    path = write(tmp_path, text.replace("reads: [cyber_incidents]", "reads: [cyber_incident]"))
    pack = catalogue.load(path)
    with pytest.raises(CatalogueError, match=r"threat-cyber.*'cyber_incident'.*Did you mean 'cyber_incidents'"):
        check(pack, pack.select(["threat-*"]), Options())
    assert [b.id for b in check(pack, pack.select(["threat-space"]), Options())] == ["threat-space"]
