import pytest

from briefkit import catalogue, parameters
from briefkit.errors import ParameterError


@pytest.fixture
def pack(tiny_pack):
    return catalogue.load(tiny_pack / "pack.yml")


def test_declared_reads_types_defaults_and_help(pack):
    decls = parameters.declared(pack.brief("good-pacific").notebook)
    assert {n: d.type for n, d in decls.items()} == {
        "region": "str", "since": "int", "scale": "float", "marking": "str"
    }
    assert decls["since"].default == "1990"
    assert decls["since"].help == "First year shown"


def test_resolve_injects_marking_and_checks_types(pack):
    brief = parameters.resolve(pack.brief("good-europe"))
    assert brief.parameters == {"region": "Europe", "since": 2000, "marking": "IN-CONFIDENCE"}


def test_wrong_type_names_brief_parameter_value_and_rule(pack):
    brief = pack.brief("good-pacific").with_parameters({"since": "nineteen ninety"})
    with pytest.raises(ParameterError) as info:
        parameters.resolve(brief)
    message = str(info.value)
    for piece in ("good-pacific", "'since'", "'nineteen ninety'", "declares int"):
        assert piece in message


def test_bool_is_not_an_int_but_int_is_a_float(pack):
    with pytest.raises(ParameterError, match="declares int"):
        parameters.resolve(pack.brief("good-pacific").with_parameters({"since": True}))
    brief = parameters.resolve(pack.brief("good-pacific").with_parameters({"scale": 2}))
    assert brief.parameters["scale"] == 2.0 and isinstance(brief.parameters["scale"], float)


def test_unknown_parameter_suggests_the_declared_one(pack):
    with pytest.raises(ParameterError, match=r"unknown parameter 'regoin' in pack.yml.*Did you mean 'region'"):
        parameters.resolve(pack.brief("good-pacific").with_parameters({"regoin": "Pacific"}))


def test_marking_belongs_on_the_brief_not_in_parameters(pack):
    with pytest.raises(ParameterError, match="set the protective marking with `marking:`"):
        parameters.resolve(pack.brief("good-pacific").with_parameters({"marking": "SECRET"}))


def test_command_line_overrides_are_coerced_to_the_declared_type(pack):
    overrides = parameters.parse_overrides(["good-*.since=2005", "good-pacific.scale=0.5", "*.marking=restricted"])
    brief = parameters.resolve(pack.brief("good-pacific"), overrides)
    assert brief.parameters["since"] == 2005
    assert brief.parameters["scale"] == 0.5
    assert brief.marking == "RESTRICTED" and brief.parameters["marking"] == "RESTRICTED"


def test_command_line_value_of_wrong_type(pack):
    overrides = parameters.parse_overrides(["good-pacific.since=soon"])
    with pytest.raises(ParameterError, match=r"'since': given 'soon' on the command line, but the notebook declares int"):
        parameters.resolve(pack.brief("good-pacific"), overrides)


@pytest.mark.parametrize("text", ["since=2000", "good-pacific.since", ".since=1"])
def test_malformed_override_shows_the_form(text):
    with pytest.raises(ParameterError, match="write -p BRIEF_ID.NAME=VALUE"):
        parameters.parse_overrides([text])


@pytest.mark.parametrize(
    "text, type_name, value",
    [("yes", "bool", True), ("false", "bool", False), ("[1, 2]", "list", [1, 2]), ('{"a": 1}', "dict", {"a": 1}), ("3", "float", 3.0)],
)
def test_coerce(text, type_name, value):
    assert parameters.coerce(text, type_name) == value


def test_untagged_notebook_says_how_to_tag(tiny_pack):
    with pytest.raises(ParameterError, match="no cell is tagged 'parameters'.*add the tag"):
        parameters.declared(tiny_pack / "notebooks" / "untagged.ipynb")


def test_notebook_without_marking_parameter_is_refused(tiny_pack, tmp_path):
    import json

    nb = json.loads((tiny_pack / "notebooks" / "good.ipynb").read_text())
    nb["cells"][0]["source"] = 'region: str = "Pacific"  # Region\n'
    path = tmp_path / "nomarking.ipynb"
    path.write_text(json.dumps(nb))
    with pytest.raises(ParameterError, match="does not declare `marking`"):
        parameters.declared(path)


def test_untyped_parameter_is_refused(tiny_pack, tmp_path):
    import json

    nb = json.loads((tiny_pack / "notebooks" / "good.ipynb").read_text())
    nb["cells"][0]["source"] = 'region = "Pacific"\nmarking: str = "UNCLASSIFIED"\n'
    path = tmp_path / "untyped.ipynb"
    path.write_text(json.dumps(nb))
    with pytest.raises(ParameterError, match="region have no supported type"):
        parameters.declared(path)
