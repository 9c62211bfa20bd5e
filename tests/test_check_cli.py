"""`factsheet check` from the command line: text and JSON output, exit codes, no tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import SHEET_PATH as S
from factsheet.cli import cli
from test_loader import BROKEN, BROKEN_BYTES

LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning|note): .+ \[[a-z0-9-]+\]$")
SUMMARY = re.compile(r"^(No problems found in \d+ files?\.|\d+ errors?, \d+ warnings?, \d+ notes? in \d+ files?\.)$")


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def assert_clean_exit(result, code: int) -> None:
    """The command ended through sys.exit with `code`, not through an exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == code, result.output


BROKEN_INPUTS = {
    **{name: (text, expected.split(": ")[0]) for name, (text, expected) in BROKEN.items()},
    **{name: (data, expected.split(": ")[0]) for name, (data, expected) in BROKEN_BYTES.items()},
    "empty-file": ("", "factsheets/extra.yaml:1:1"),
    "anchor": ("actors:\n  - &m\n    id: mayor\n    name: Mayor\n    kind: official\n", "factsheets/extra.yaml:2:5"),
}


@pytest.mark.parametrize("name", BROKEN_INPUTS)
def test_broken_input_exits_1_without_traceback(project, monkeypatch, name):
    content, location = BROKEN_INPUTS[name]
    project.write("factsheets/extra.yaml", content)
    monkeypatch.chdir(project.root)
    result = run("check")
    assert_clean_exit(result, 1)
    assert any(line.startswith(location + ": error: ") for line in result.output.splitlines()), result.output


def test_broken_input_in_a_real_process(project):
    project.write("factsheets/extra.yaml", "[" * 10000)
    project.write("factsheets/more.yaml", 'a: &a ["lol"]\nb: [*a, *a]\n')
    done = subprocess.run([sys.executable, "-m", "factsheet", "check", "--project", str(project.root)],
                          capture_output=True, text=True, timeout=60, cwd=project.root)
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode == 1
    assert "factsheets/extra.yaml:1:65: error: data is nested more than 64 levels deep: flatten it [too-deep]" in done.stdout
    assert "factsheets/more.yaml:2:5: error:" in done.stdout


def test_clean_project_exits_0(project, monkeypatch):
    monkeypatch.chdir(project.root)
    result = run("check")
    assert_clean_exit(result, 0)
    assert result.output == "No problems found in 4 files.\n"


def test_warnings_and_notes_still_exit_0(project):
    project.append("factsheets/actors.yaml", "  - id: mayor\n    name: The mayor\n    kind: official\n")
    project.replace("factsheets/sources.yaml", "    archive: bridge-report.txt\n", "")
    result = run("check", "--project", str(project.root))
    assert_clean_exit(result, 0)
    assert result.output.splitlines()[-1] == "0 errors, 1 warning, 1 note in 4 files."


@pytest.mark.parametrize("args", [["check", "--bogus"], ["check", "--format", "xml"], ["frobnicate"]])
def test_usage_errors_exit_2(project, monkeypatch, args):
    monkeypatch.chdir(project.root)
    assert_clean_exit(run(*args), 2)


@pytest.mark.parametrize("make", [lambda p: p.mkdir(), lambda p: None], ids=["empty-folder", "missing-folder"])
def test_project_folder_without_factsheets_exits_2(tmp_path, make):
    folder = tmp_path / "nothing-here"
    make(folder)
    result = run("check", "--project", str(folder))
    assert_clean_exit(result, 2)
    assert "factsheet init" in result.output


def test_text_output_lines_sorted_and_summarised(project, monkeypatch):
    project.replace(S, "status: confirmed", "status: confirmd")
    project.replace(S, "date: 2025-02\n", "date: 2025-13\n")
    project.append("factsheets/actors.yaml", "  - id: mayor\n    name: The mayor\n    kind: official\n")
    project.replace("factsheets/sources.yaml", "url: https://example.org/bridge", "url: ftp://example.org/bridge")
    monkeypatch.chdir(project.root)
    result = run("check")
    assert_clean_exit(result, 1)
    *lines, summary = result.output.splitlines()
    assert summary == "3 errors, 1 warning, 0 notes in 4 files."
    assert SUMMARY.match(summary)
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    keys = [(m["path"], int(m["line"]), int(m["col"])) for m in parsed]
    assert keys == sorted(keys)
    assert keys == [("factsheets/actors.yaml", 11, 5), ("factsheets/sheets/s.yaml", 12, 19),
                    ("factsheets/sheets/s.yaml", 39, 13), ("factsheets/sources.yaml", 7, 10)]
    assert lines[1] == ("factsheets/sheets/s.yaml:12:19: error: fact 'bridge-closed', field 'status': 'confirmd' is not a status "
                        "(did you mean 'confirmed'?); use one of confirmed, reported, claimed, disputed [bad-status]")


def test_json_output(project, monkeypatch):
    project.replace(S, "status: confirmed", "status: confirmd")
    project.append("factsheets/actors.yaml", "  - id: mayor\n    name: The mayor\n    kind: official\n")
    project.replace("factsheets/sources.yaml", "    archive: bridge-report.txt\n", "")
    monkeypatch.chdir(project.root)
    result = run("check", "--format", "json")
    assert_clean_exit(result, 1)
    data = json.loads(result.stdout)
    assert data["summary"] == {"errors": 1, "warnings": 1, "notes": 1}
    assert data["files"] == 4
    for problem in data["problems"]:
        assert set(problem) == {"path", "line", "column", "severity", "code", "message"}
        assert isinstance(problem["line"], int) and isinstance(problem["column"], int)
    assert {"path": "factsheets/sheets/s.yaml", "line": 12, "column": 19, "severity": "error", "code": "bad-status",
            "message": "fact 'bridge-closed', field 'status': 'confirmd' is not a status (did you mean 'confirmed'?); "
                       "use one of confirmed, reported, claimed, disputed"} in data["problems"]
    assert sorted(p["severity"] for p in data["problems"]) == ["error", "note", "warning"]


def test_json_output_clean(project):
    result = run("check", "--project", str(project.root), "--format", "json")
    assert_clean_exit(result, 0)
    data = json.loads(result.stdout)
    assert data["problems"] == []
    assert data["summary"] == {"errors": 0, "warnings": 0, "notes": 0}


def test_json_output_of_a_broken_file_is_valid_json(project):
    project.write("factsheets/extra.yaml", b"actors:\n  - id: caf\xe9\n")
    result = run("check", "--project", str(project.root), "--format", "json")
    assert_clean_exit(result, 1)
    data = json.loads(result.stdout)
    assert [(p["line"], p["column"], p["code"]) for p in data["problems"]] == [(2, 12, "not-utf8")]


def test_every_command_has_help_with_an_example():
    assert cli.commands
    for name, command in cli.commands.items():
        assert command.help and "Example" in command.help, name
        result = run(name, "--help")
        assert_clean_exit(result, 0)
        assert "Example" in result.output
