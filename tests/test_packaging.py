"""The wheel users install: built from this checkout, it must hold every tracked file under src/."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import factsheet
from factsheet.templates import builtin_templates

from conftest import REPO_ROOT

SHIPPED_TEMPLATES = ("briefing.yaml", "card.yaml", "fonts.yaml")


def tracked(*pathspecs: str) -> list[str]:
    """Files git tracks in the repository under these pathspecs (fails loudly without git or a checkout)."""
    git = shutil.which("git")
    assert git, "git is needed to list the tracked files under src/; install it"
    result = subprocess.run([git, "ls-files", "-z", "--", *pathspecs], cwd=REPO_ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, f"git ls-files failed in {REPO_ROOT}: {result.stderr.strip()}"
    return sorted(name for name in result.stdout.split("\0") if name)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The wheel built from the repository, offline: no build isolation, no index, no dependencies."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--no-cache-dir", "--quiet", "-w", str(out), str(REPO_ROOT)],
        capture_output=True, text=True)
    assert result.returncode == 0, f"pip wheel failed (is hatchling installed? it is in the test extra):\n{result.stdout}\n{result.stderr}"
    wheels = list(out.glob("factsheet-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {out}, found {[p.name for p in out.iterdir()]}"
    with zipfile.ZipFile(wheels[0]) as archive:
        yield archive


def test_wheel_holds_every_tracked_file_under_src(wheel):
    sources = tracked("src/factsheet")
    assert "src/factsheet/__init__.py" in sources, f"git lists no package under src/factsheet: {sources}"
    names = set(wheel.namelist())
    missing = [path for path in sources if path.removeprefix("src/") not in names]
    assert missing == [], f"tracked files the wheel leaves out: {missing}"
    for path in sources:
        assert wheel.read(path.removeprefix("src/")) == (REPO_ROOT / path).read_bytes(), f"{path} differs in the wheel"


def test_wheel_holds_the_templates_as_builtin_templates(wheel):
    templates = [path for path in tracked("templates") if path.endswith(".yaml") and path.count("/") == 1]
    assert set(SHIPPED_TEMPLATES) <= {Path(path).name for path in templates}, templates
    for path in templates:
        packaged = f"factsheet/builtin_templates/{Path(path).name}"
        assert packaged in wheel.namelist(), f"{path} is not in the wheel as {packaged}"
        assert wheel.read(packaged) == (REPO_ROOT / path).read_bytes(), f"{packaged} differs from {path}"


def test_wheel_installs_only_the_package_and_the_command(wheel):
    tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    dist_info = f"factsheet-{factsheet.__version__}.dist-info"
    assert tops == {"factsheet", dist_info}, f"unexpected top-level entries: {sorted(tops)}"
    entry_points = configparser.ConfigParser()
    entry_points.read_string(wheel.read(f"{dist_info}/entry_points.txt").decode("utf-8"))
    assert entry_points["console_scripts"]["factsheet"] == "factsheet.cli:main"


def test_shipped_templates_are_found_where_factsheet_is_imported_from():
    folder = builtin_templates()
    for name in SHIPPED_TEMPLATES:
        assert (folder / name).is_file(), f"{name} is not among the built-in templates in {folder}"
    package = Path(factsheet.__file__).resolve().parent
    if not package.is_relative_to(REPO_ROOT / "src"):
        # An installed wheel: the templates come from inside the package, never from the checkout.
        assert Path(str(folder)).resolve() == package / "builtin_templates", folder
        for name in SHIPPED_TEMPLATES:
            assert (folder / name).read_bytes() == (REPO_ROOT / "templates" / name).read_bytes(), name
