"""The repository's own records, and the package's documentation."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import shutil

import click
import pytest

import factsheet
from conftest import REPO_ROOT
from factsheet.checks import check
from factsheet.cli import cli
from factsheet.project import load_project

SHIPPED_SHEETS = {"kursk-casualties", "kursk-deployment", "treaty-anniversary"}


def test_shipped_project_has_no_errors():
    """Passes with or without the archive folder (../shared/sources): without it, quotes are only notes."""
    problems = check(load_project(REPO_ROOT))
    assert [p.format(REPO_ROOT) for p in problems if p.severity.value != "note"] == []
    assert {p.code for p in problems} <= {"quote-unverified"}


def test_shipped_records_without_archive_give_only_notes(tmp_path):
    shutil.copytree(REPO_ROOT / "factsheets", tmp_path / "factsheets")
    shutil.copytree(REPO_ROOT / "translations", tmp_path / "translations")
    problems = check(load_project(tmp_path))
    assert [p.format(tmp_path) for p in problems if p.severity.value != "note"] == []
    assert {p.code for p in problems} <= {"quote-unverified"}


@pytest.fixture(scope="module")
def shipped():
    return load_project(REPO_ROOT)


def test_shipped_sheets(shipped):
    assert set(shipped.sheets) == SHIPPED_SHEETS
    for sheet in shipped.sheets.values():
        facts = sheet.facts()
        assert len(facts) >= 6, sheet.id
        for fact in facts:
            assert fact.citations, fact.id
            assert fact.attribution is not None and fact.attribution.who, fact.id


def public_callables():
    for info in pkgutil.walk_packages(factsheet.__path__, "factsheet."):
        if info.name == "factsheet.__main__":
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_"):
                continue
            if isinstance(obj, click.Command):
                obj = obj.callback
            if inspect.isfunction(obj) and obj.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", obj
            elif inspect.isclass(obj) and obj.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", obj
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(member, property):
                        member = member.fget
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if inspect.isfunction(member) and member.__name__ != "<lambda>":
                        yield f"{module.__name__}.{name}.{attr}", member


def test_every_public_function_has_a_docstring():
    found = dict(public_callables())
    assert "factsheet.yamlio.read_yaml" in found and "factsheet.checks.check" in found
    assert [name for name, obj in found.items() if not inspect.getdoc(obj)] == []


def test_cli_group_lists_check_and_init():
    assert {"check", "init"} <= set(cli.commands)
