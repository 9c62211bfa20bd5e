"""`factsheet init`: a new project that passes check, and no overwriting."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import REPO_ROOT
from factsheet.checks import check, validated
from factsheet.cli import cli
from factsheet.project import load_project
from factsheet.scaffold import ScaffoldError, create_project, skeleton_files


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_init_creates_a_project_with_zero_problems(tmp_path):
    target = tmp_path / "desk"
    result = run("init", str(target))
    assert result.exit_code == 0, result.output
    assert (target / "factsheets" / "settings.yaml").is_file()
    assert (target / "archive" / "gazette-bridge.txt").is_file()
    assert check(load_project(target)) == []


def test_init_then_check_exits_0_with_no_problems(tmp_path):
    target = tmp_path / "desk"
    assert run("init", str(target)).exit_code == 0
    result = run("check", "--project", str(target))
    assert result.exit_code == 0, result.output
    assert result.output == "No problems found in 4 files.\n"
    data = json.loads(run("check", "-C", str(target), "--format", "json").stdout)
    assert data["problems"] == [] and data["summary"] == {"errors": 0, "warnings": 0, "notes": 0}


def test_skeleton_quotes_are_really_verified(tmp_path):
    """The example's quotes are checked against its archive: a changed quote is an error, not a note."""
    target = tmp_path / "desk"
    create_project(target)
    sheet = target / "factsheets" / "sheets" / "example.yaml"
    text = sheet.read_text(encoding="utf-8")
    assert "quote: closed the Old Bridge to all traffic on Monday" in text
    sheet.write_text(text.replace("traffic on Monday", "traffic on Friday"), encoding="utf-8")
    assert [p.code for p in check(load_project(target))] == ["quote-not-found"]


def test_init_refuses_an_existing_project(tmp_path):
    target = tmp_path / "desk"
    assert run("init", str(target)).exit_code == 0
    settings = target / "factsheets" / "settings.yaml"
    settings.write_text("organisation: Mine\n", encoding="utf-8")
    result = run("init", str(target))
    assert result.exit_code == 2
    assert "already holds a project" in result.output
    assert settings.read_text(encoding="utf-8") == "organisation: Mine\n"


def test_init_refuses_a_folder_with_factsheets(tmp_path):
    (tmp_path / "desk" / "factsheets").mkdir(parents=True)
    result = run("init", str(tmp_path / "desk"))
    assert result.exit_code == 2
    assert list((tmp_path / "desk" / "factsheets").iterdir()) == []


def test_init_into_an_existing_empty_folder(tmp_path):
    assert run("init", str(tmp_path)).exit_code == 0
    assert check(load_project(tmp_path)) == []


def test_create_project_refuses_to_overwrite_one_file(tmp_path):
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "gazette-bridge.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ScaffoldError):
        create_project(tmp_path)
    assert (tmp_path / "archive" / "gazette-bridge.txt").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "factsheets").exists()


def test_skeleton_files():
    files = skeleton_files()
    assert {"factsheets/settings.yaml", "factsheets/actors.yaml", "factsheets/sources.yaml",
            "factsheets/sheets/example.yaml", "archive/gazette-bridge.txt"} <= set(files)


def test_format_doc_example_is_what_init_writes():
    """docs/format.md shows the init project in full; keep the two identical."""
    import re

    from factsheet.scaffold import skeleton_files

    doc = (REPO_ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    example = doc[doc.index("## A complete example"):]
    blocks = dict((name, body) for name, body in re.findall(r"```yaml\n# (\S+)\n(.*?)```", example, re.S))
    files = skeleton_files()
    assert set(blocks) == {name for name in files if name.endswith(".yaml")}
    for name, body in blocks.items():
        assert files[name].decode("utf-8") == body, name


def test_init_project_builds_with_the_shipped_templates(tmp_path):
    from factsheet.builder import build

    create_project(tmp_path / "desk")
    assert sorted(p.name for p in (tmp_path / "desk" / "templates").iterdir()) == ["briefing.yaml", "card.yaml", "fonts.yaml",
                                                                                      "typography.yaml"]
    # Ready for a new language: a README that says how, and the interface catalog template.
    readme = (tmp_path / "desk" / "README.md").read_text(encoding="utf-8")
    assert "## Adding a language" in readme and "factsheet translations update" in readme
    pot = (tmp_path / "desk" / "locale" / "factsheet.pot").read_text(encoding="utf-8")
    assert 'msgid "Key figures"' in pot
    result = build(validated(load_project(tmp_path / "desk")), templates=["briefing", "card"])
    assert sorted(o.file for o in result.outputs) == ["example.en.card.pdf", "example.en.pdf"]
