"""Shared fixtures: a small valid project built in tmp_path, and helpers to break it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from factsheet import yamlio
from factsheet.checks import check
from factsheet.project import load_project

DATA = Path(__file__).parent / "data"
REPO_ROOT = Path(__file__).resolve().parents[1]

SETTINGS = """\
organisation: Test Desk
source_language: en
languages: [ko]
archive: archive
"""

ACTORS = """\
actors:
  - id: council
    name: Riverton city council
    kind: government
  - id: gazette
    name: The Riverton Gazette
    kind: news-outlet
  - id: residents
    name: Old Town residents' association
    kind: other
"""

SOURCES = """\
sources:
  - id: bridge-report
    title: Council closes Old Bridge after inspection
    publisher: The Riverton Gazette
    published: 2025-03-04
    language: en
    url: https://example.org/bridge
    archive: bridge-report.txt
"""

# Line numbers matter: tests pin problems to file:line:col in this sheet.
SHEET = """\
sheet:
  id: bridge
  title: Old Bridge closure
  summary: The council closed the Old Bridge after an inspection.
  as_of: 2025-03-05
  sections:
    - id: closure
      title: The closure
      facts:
        - id: bridge-closed
          text: The council closed the Old Bridge to all traffic on 3 March 2025.
          status: confirmed
          attribution: council
          date: 2025-03-03
          key: true
          citations:
            - source: bridge-report
              quote: closed the Old Bridge to all traffic on Monday
              locator: paragraph 1
  figures:
    - id: closure-length
      label: Expected length of the closure
      unit: weeks
      measures: closure-weeks
      disputed: true
      claims:
        - id: length-council
          value: {at_most: 6}
          as_of: 2025-03-04
          attribution: council
          citations: [bridge-report]
        - id: length-residents
          value: {min: 10, max: 12}
          as_of: 2025-03-04
          attribution: {who: residents, via: gazette}
          citations: [bridge-report]
  timeline:
    - id: inspection
      date: 2025-02
      text: Engineers inspected the bridge.
      citations: [bridge-report]
  languages: [en]  # translation status is tested on its own
"""

SHEET_PATH = "factsheets/sheets/s.yaml"

# A second sheet, for tests of what an edit of one sheet leaves alone.
FERRY = """\
sheet:
  id: ferry
  title: Ferry timetable
  summary: A ferry runs while the bridge is closed.
  as_of: 2025-03-05
  languages: [en]
  sections:
    - id: ferry-service
      title: The ferry
      facts:
        - id: ferry-runs
          text: A ferry crosses the river every hour while the bridge is closed.
          status: reported
          attribution: council
          citations: [bridge-report]
"""


class TmpProject:
    """A project folder in tmp_path with helpers to change one file and check it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, rel: str) -> Path:
        return self.root / rel

    def write(self, rel: str, text: str | bytes) -> Path:
        """Overwrite (or create) one file."""
        path = self.path(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def append(self, rel: str, text: str) -> Path:
        """Add text at the end of one file."""
        return self.write(rel, self.path(rel).read_text(encoding="utf-8") + text)

    def replace(self, rel: str, old: str, new: str) -> Path:
        """Replace one exact, unique piece of one file."""
        content = self.path(rel).read_text(encoding="utf-8")
        assert content.count(old) == 1, f"{old!r} must occur exactly once in {rel}"
        return self.write(rel, content.replace(old, new))

    def problems(self):
        """load_project + check: every problem, sorted."""
        return check(load_project(self.root))

    def lines(self, severities=("error", "warning", "note")) -> list[str]:
        """Every problem formatted as path:line:col: severity: message [code], relative to the project."""
        return [p.format(relative_to=self.root) for p in self.problems() if p.severity.value in severities]

    def codes(self) -> list[str]:
        return [p.code for p in self.problems()]


def build_project(root: Path) -> TmpProject:
    project = TmpProject(root)
    project.write("factsheets/settings.yaml", SETTINGS)
    project.write("factsheets/actors.yaml", ACTORS)
    project.write("factsheets/sources.yaml", SOURCES)
    project.write(SHEET_PATH, SHEET)
    (root / "archive").mkdir()
    shutil.copy(DATA / "bridge-report.txt", root / "archive" / "bridge-report.txt")
    return project


@pytest.fixture
def project(tmp_path: Path) -> TmpProject:
    """A small valid project: settings, actors, sources, one sheet and an archived article."""
    return build_project(tmp_path / "desk")


@pytest.fixture(params=sorted(yamlio.ENGINES))
def yaml_engine(request, monkeypatch) -> str:
    """Run a test once with each YAML engine PyYAML has here (libyaml and pure Python)."""
    monkeypatch.setattr(yamlio, "ENGINE", request.param)
    return request.param


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Keep the font cache of test runs out of the user's ~/.cache."""
    import os

    os.environ["FACTSHEET_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
