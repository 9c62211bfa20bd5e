"""The strict YAML loader: hostile or broken files give one problem at file:line:col, never an exception."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from factsheet.problems import Problems
from factsheet.yamlio import Map, Scalar, Seq, parse_yaml, read_yaml

X = "factsheets/extra.yaml"

# Every test here runs once with libyaml and once with PyYAML's pure-Python parser:
# both must give the same problem, code and place.
pytestmark = pytest.mark.usefixtures("yaml_engine")

BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))

# (file content, the one expected problem as "path:line:col: severity: message [code]")
BROKEN = {
    "duplicate-key": (
        "actors:\n  - id: mayor\n    name: Mayor\n    id: mayor2\n    kind: official\n",
        "factsheets/extra.yaml:4:5: error: duplicate key 'id' (first at line 2): YAML would silently keep only the last; remove one [duplicate-key]"),
    "duplicate-top-level-key": (
        "actors: []\nsources: []\nactors: []\n",
        "factsheets/extra.yaml:3:1: error: duplicate key 'actors' (first at line 1): YAML would silently keep only the last; remove one [duplicate-key]"),
    "alias": (
        "actors:\n  - &m\n    id: mayor\n    name: Mayor\n    kind: official\n  - *m\n",
        "factsheets/extra.yaml:6:5: error: aliases (*m) are not allowed: write the value out in full [yaml-alias]"),
    "alias-bomb": (
        BOMB,
        "factsheets/extra.yaml:2:8: error: aliases (*a) are not allowed: write the value out in full [yaml-alias]"),
    "python-tag": (
        'sheet: !!python/object/apply:os.system ["echo pwned"]\n',
        "factsheets/extra.yaml:1:8: error: tags such as 'tag:yaml.org,2002:python/object/apply:os.system' are not allowed: remove the tag [yaml-tag]"),
    "str-tag": (
        "actors:\n  - id: mayor\n    name: !!str yes\n    kind: official\n",
        "factsheets/extra.yaml:3:11: error: tags such as 'tag:yaml.org,2002:str' are not allowed: remove the tag [yaml-tag]"),
    "tab-indent": (
        "actors:\n\t- id: mayor\n",
        "factsheets/extra.yaml:2:1: error: YAML syntax error: a tab character cannot indent YAML: use spaces [yaml-syntax]"),
    "indent-too-short": (
        "actors:\n  - id: mayor\n    name: Mayor\n  kind: official\n",
        "factsheets/extra.yaml:4:3: error: YAML syntax error: this line is indented differently from the line above "
        "(line 3): keys of one record, and the items of one list, must start in the same column [yaml-syntax]"),
    "unquoted-colon": (
        "actors:\n  - id: mayor\n    name: Mayor: of Riverton\n    kind: official\n",
        "factsheets/extra.yaml:3:16: error: YAML syntax error: unexpected ': ' in a value: if it is part of the text, "
        "put the whole value in quotes (title: \"Kursk: the toll\"); if a new key starts here, put it on its own line, "
        "lined up with the keys above [yaml-syntax]"),
    "unclosed-quote": (
        'actors:\n  - id: mayor\n    name: "Mayor\n    kind: official\n' + "# filler\n" * 50,
        "factsheets/extra.yaml:3:11: error: YAML syntax error: the quote \" that starts this value is never closed: "
        "add the closing \" at the end of the value [yaml-syntax]"),
    "unclosed-bracket": (
        "actors:\n  - id: mayor\n    name: [Mayor\n    kind: official\n",
        "factsheets/extra.yaml:4:9: error: YAML syntax error: the '[' at line 3, column 11 is not closed: add ']', "
        "or a ',' between items [yaml-syntax]"),
    "reserved-character": (
        "actors:\n  - id: mayor\n    name: @mayor\n",
        "factsheets/extra.yaml:3:11: error: YAML syntax error: a value cannot start with '@': put the value in quotes "
        "[yaml-syntax]"),
    "line-separator-hides-a-key": (
        "actors:\n  - id: mayor\n    name: Mayor\u2028    kind: official\n",
        "factsheets/extra.yaml:3:16: error: a line separator (U+2028) is here: YAML reads it as a new line that most "
        "editors do not show; delete it, or use a normal line break [hidden-line-break]"),
    "paragraph-separator": (
        "actors: []\u2029sources: []\n",
        "factsheets/extra.yaml:1:11: error: a paragraph separator (U+2029) is here: YAML reads it as a new line that "
        "most editors do not show; delete it, or use a normal line break [hidden-line-break]"),
    "next-line-character": (
        "actors: [] # \u0085\n",
        "factsheets/extra.yaml:1:14: error: a next-line character (U+0085) is here: YAML reads it as a new line that "
        "most editors do not show; delete it, or use a normal line break [hidden-line-break]"),
    "deep-flow-list": (
        "[" * 10000,
        "factsheets/extra.yaml:1:65: error: data is nested more than 64 levels deep: flatten it [too-deep]"),
    "deep-flow-map": (
        "{a: " * 10000,
        "factsheets/extra.yaml:1:257: error: data is nested more than 64 levels deep: flatten it [too-deep]"),
    "deep-block-list": (
        "".join("  " * i + "-\n" for i in range(200)),
        "factsheets/extra.yaml:65:129: error: data is nested more than 64 levels deep: flatten it [too-deep]"),
    "multiple-documents": (
        "actors: []\n---\nsources: []\n",
        "factsheets/extra.yaml:2:1: error: a file holds one YAML document: remove the '---' separator or split the file [multiple-documents]"),
    "top-level-list": (
        "- id: mayor\n- id: other\n",
        "factsheets/extra.yaml:1:1: error: expected a mapping with one of the keys actors, sources, sheet [wrong-type]"),
    "top-level-scalar": (
        "hello\n",
        "factsheets/extra.yaml:1:1: error: expected a mapping with one of the keys actors, sources, sheet [wrong-type]"),
}

BROKEN_BYTES = {
    "not-utf8": (
        b"actors:\n  - id: caf\xe9\n",
        "factsheets/extra.yaml:2:12: error: byte 0xe9 is not valid UTF-8: save the file as UTF-8 [not-utf8]"),
    # the column counts characters, as every other column does: 'Café' is 4 characters, 5 bytes
    "not-utf8-after-multibyte": (
        "actors:\n  - name: Café ".encode("utf-8") + b"\xff\n",
        "factsheets/extra.yaml:2:16: error: byte 0xff is not valid UTF-8: save the file as UTF-8 [not-utf8]"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_broken_file_gives_exactly_one_problem(project, name):
    text, expected = BROKEN[name]
    project.write(X, text)
    assert project.lines(("error",)) == [expected]


@pytest.mark.parametrize("name", BROKEN_BYTES)
def test_bad_bytes_give_not_utf8(project, name):
    data, expected = BROKEN_BYTES[name]
    project.write(X, data)
    assert project.lines() == [expected]


def test_yaml_syntax_error_has_line_and_column(project):
    project.write(X, "actors:\n  - id: mayor\n    name: [unclosed\n    kind: official\n")
    (problem,) = project.problems()
    assert problem.code == "yaml-syntax"
    assert problem.format(project.root).startswith("factsheets/extra.yaml:")
    assert problem.loc.line >= 3 and problem.loc.column >= 1


def test_tab_inside_mapping_is_a_syntax_error(project):
    project.write(X, "actors:\n  - id: mayor\n\tname: x\n")
    (problem,) = project.problems()
    assert (problem.code, problem.loc.line, problem.loc.column) == ("yaml-syntax", 3, 1)
    assert "tab" in problem.message


def test_anchor_without_alias_is_refused(project):
    """format.md: 'Anchors and aliases ... are errors', not only aliases."""
    project.write(X, "actors:\n  - &m\n    id: mayor\n    name: Mayor\n    kind: official\n")
    errors = [p for p in project.problems() if p.is_error]
    assert [(p.loc.line, p.loc.column) for p in errors] == [(2, 5)]
    assert "anchor" in errors[0].message.lower()


def test_empty_file_is_reported(project):
    project.write(X, "")
    assert [(str(p.loc.path.name), p.loc.line, p.loc.column, p.code, p.is_error) for p in project.problems()] == [
        ("extra.yaml", 1, 1, "empty-file", True)]


def test_comment_only_file_is_reported(project):
    project.write(X, "# nothing here yet\n")
    assert [(p.loc.path.name, p.loc.line, p.loc.column, p.code) for p in project.problems()] == [("extra.yaml", 1, 1, "empty-file")]


def test_empty_settings_file_is_an_error(project):
    project.write("factsheets/settings.yaml", "")
    errors = [p for p in project.problems() if p.is_error]
    assert errors and all(p.loc.path.name == "settings.yaml" for p in errors)


def test_alias_bomb_is_refused_quickly(project):
    bomb = BOMB + "j: &j [*i,*i,*i,*i,*i,*i,*i,*i,*i]\n"
    project.write(X, bomb)
    start = time.perf_counter()
    codes = project.codes()
    assert codes == ["yaml-alias"]
    assert time.perf_counter() - start < 2


def test_python_tag_is_never_executed(project, tmp_path):
    marker = tmp_path / "pwned"
    project.write(X, f'sheet: !!python/object/apply:os.system ["touch {marker}"]\n')
    assert project.codes() == ["yaml-tag"]
    assert not marker.exists()


def test_file_too_large(project):
    path = project.path(X)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.write(b"actors: []\n# " + b"x" * (10 * 1024 * 1024) + b"\n")
    assert project.lines() == [
        "factsheets/extra.yaml:1:1: error: file is 10240 KB; the limit is 2 MB: split it into several files [file-too-large]"]


def test_byte_order_mark_is_accepted(project):
    project.write(X, "\ufeffactors: []\n")
    assert project.lines() == []


# --- the parser on its own ------------------------------------------------------


def parse(text: str):
    problems = Problems()
    tree = parse_yaml(text, Path("t.yaml"), problems)
    return tree, [(p.code, p.loc.line, p.loc.column) for p in problems.items]


def test_plain_values_stay_text_with_their_yaml_reading():
    tree, problems = parse("a: no\nb: 012\nc: '012'\nd: ~\ne: [x, 2025-06-30]\n")
    assert problems == []
    assert isinstance(tree, Map) and isinstance(tree.get("e"), Seq)
    a, b, c, d = (tree.get(k) for k in "abcd")
    assert all(isinstance(n, Scalar) for n in (a, b, c, d))
    assert (a.value, a.implicit) == ("no", "tag:yaml.org,2002:bool")
    assert (b.value, b.implicit) == ("012", "tag:yaml.org,2002:int")
    assert (c.value, c.plain, c.implicit) == ("012", False, None)
    assert d.implicit == "tag:yaml.org,2002:null"
    assert (b.loc.line, b.loc.column) == (2, 4)
    assert (tree.key_locs["d"].line, tree.key_locs["d"].column) == (4, 1)


@pytest.mark.parametrize("text, expected", [
    ("[" * 100_000, ("too-deep", 1, 65)),
    ("- " * 10_000 + "x\n", ("too-deep", 1, 129)),
    (BOMB, ("yaml-alias", 2, 8)),
    ("a: 1\na: 2\n", ("duplicate-key", 2, 1)),
    ("a: !!str b\n", ("yaml-tag", 1, 4)),
    ("a: 1\n---\nb: 2\n", ("multiple-documents", 2, 1)),
], ids=["deep-list", "deep-block", "bomb", "duplicate", "tag", "documents"])
def test_parse_yaml_never_raises(text, expected):
    tree, problems = parse(text)
    assert problems == [expected]
    # A duplicate key is reported and the first value kept, so the rest of the file is still checked.
    assert (tree is not None) == (expected[0] == "duplicate-key")


def test_read_yaml_of_a_10mb_file(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * (10 * 1024 * 1024))
    problems = Problems()
    assert read_yaml(path, problems) is None
    assert [(p.code, p.loc.line, p.loc.column) for p in problems.items] == [("file-too-large", 1, 1)]


def test_a_duplicate_key_keeps_the_first_value_and_the_rest_of_the_file(project):
    project.write(X, "actors:\n  - id: mayor\n    name: Mayor\n    kind: official\n    kind: other\n")
    assert project.lines() == [
        "factsheets/extra.yaml:2:5: warning: actor 'mayor' is never named in an attribution: use it or remove it [unused-actor]",
        "factsheets/extra.yaml:5:5: error: duplicate key 'kind' (first at line 4): YAML would silently keep only the last; remove one [duplicate-key]",
    ]


def test_after_a_syntax_error_the_rest_of_the_file_is_still_checked(project):
    project.write(X, "actors:\n"
                     "  - id: mayor\n    name: Mayor: of Riverton\n    kind: official\n"
                     "  - id: clerk\n    name: \"Clerk\n    kind: official\n"
                     "  - id: judge\n    name: Judge\n   kind: official\n"
                     "  - id: Bad_Id\n    name: Fine\n    kind: official\n")
    errors = [line.split(": error: ")[0] + " " + line.rsplit(" ", 1)[1] for line in project.lines(("error",))]
    assert errors == [
        "factsheets/extra.yaml:3:16 [yaml-syntax]",  # the unquoted colon
        "factsheets/extra.yaml:6:11 [yaml-syntax]",  # the unclosed quote, where it opens
        "factsheets/extra.yaml:10:4 [yaml-syntax]",  # the short indentation
        "factsheets/extra.yaml:11:9 [bad-id]",  # a record after them, still validated
    ]


def test_a_syntax_error_in_the_only_record_leaves_an_empty_list(project):
    project.write(X, "actors:\n  - id: mayor\n    name: [Mayor\n")
    assert [p.code for p in project.problems() if p.is_error] == ["yaml-syntax"]
