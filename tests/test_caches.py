"""The caches that make a thousand-sheet check and build fast never change what they find or make."""

from __future__ import annotations

import os
import time

import pytest

from conftest import FERRY, SHEET_PATH
from factsheet.builder import build, read_manifest
from factsheet.checks import check, validated
from factsheet.project import load_project
from factsheet.recordcache import FileHashes

FERRY_PATH = "factsheets/sheets/ferry.yaml"
# The ferry sheet rests on the bridge sheet's quote, which the bridge sheet withdraws; it names an actor
# nobody defined, and it is published in Korean without a translation.
WITHDRAWN = ("          attribution: council\n          date: 2025-03-03\n",
             "          attribution: council\n          date: 2025-03-03\n"
             "          withdrawn: {date: 2025-03-05, note: The report was about another bridge.}\n")
FERRY_QUOTING = FERRY.replace("  languages: [en]\n", "  languages: [en, ko]\n").replace(
    "          attribution: council\n          citations: [bridge-report]\n",
    "          attribution: harbour\n          citations:\n            - source: bridge-report\n"
    "              quote: closed the Old Bridge to all traffic on Monday\n              locator: paragraph 1\n")


@pytest.fixture
def desk(project):
    """The test project with two sheets whose problems reach across files: actors, quotes and translations."""
    project.replace(SHEET_PATH, *WITHDRAWN)
    project.write(FERRY_PATH, FERRY_QUOTING)
    project.append("factsheets/actors.yaml", "  - id: lighthouse\n    name: Lighthouse keepers\n    kind: other\n")
    return project


def found(root, cache_dir, monkeypatch) -> tuple[list, object]:
    """Every problem `check` finds with this cache folder, formatted, and the project it loaded."""
    monkeypatch.setenv("FACTSHEET_CACHE_DIR", str(cache_dir))
    project = load_project(root)
    return [p.format(root) for p in check(project)], project


def test_a_warm_cache_finds_exactly_what_a_cold_one_does_and_builds_no_sheet(desk, tmp_path, monkeypatch):
    cold, _ = found(desk.root, tmp_path / "warm", monkeypatch)
    codes = " ".join(cold)
    for code in ("rests-on-withdrawn", "unknown-actor", "missing-translation", "unused-actor"):
        assert f"[{code}]" in codes, code  # the scenario reaches every kind of cross-file rule
    warm, project = found(desk.root, tmp_path / "warm", monkeypatch)
    assert warm == cold
    assert not any(project.sheets.built(key) for key in project.sheets)  # summaries and cached findings sufficed


@pytest.mark.parametrize("edit", [
    lambda desk: desk.append("factsheets/actors.yaml", "  - id: harbour\n    name: Harbour office\n    kind: government\n"),
    lambda desk: desk.write("archive/bridge-report.txt", "The council reopened the Old Bridge.\n"),
    lambda desk: desk.replace("factsheets/settings.yaml", "languages: [ko]", "languages: [ko, ru]"),
    lambda desk: desk.write("translations/ko/ferry.po", 'msgctxt "fact:ferry-runs:text"\nmsgid "A ferry crosses the '
                            'river every hour while the bridge is closed."\nmsgstr "페리가 매시간 강을 건넌다."\n'),
    lambda desk: desk.replace(FERRY_PATH, "every hour", "every half hour"),
], ids=["actor added", "archive changed", "language added", "translation added", "one sheet edited"])
def test_after_any_edit_a_warm_cache_finds_what_a_cold_one_does(desk, tmp_path, monkeypatch, edit):
    found(desk.root, tmp_path / "warm", monkeypatch)
    edit(desk)
    warm, project = found(desk.root, tmp_path / "warm", monkeypatch)
    cold, _ = found(desk.root, tmp_path / "cold", monkeypatch)
    assert warm == cold


def test_a_one_sheet_edit_builds_that_sheet_alone(desk, tmp_path, monkeypatch):
    found(desk.root, tmp_path / "cache", monkeypatch)
    desk.replace(FERRY_PATH, "every hour", "every half hour")
    _, project = found(desk.root, tmp_path / "cache", monkeypatch)
    assert [key for key in project.sheets if project.sheets.built(key)] == ["ferry"]


def test_a_sheet_whose_cache_entry_vanished_is_read_again_from_its_file(desk, tmp_path, monkeypatch):
    _, cold = found(desk.root, tmp_path / "cache", monkeypatch)
    expected = cold.sheets["ferry"]
    _, warm = found(desk.root, tmp_path / "cache", monkeypatch)
    for entry in (tmp_path / "cache" / "sheets").glob("*.bin"):
        entry.unlink()  # after loading, before the sheet is wanted
    assert warm.sheets["ferry"] == expected


def test_a_file_is_read_again_whenever_its_size_time_or_inode_differ(tmp_path, monkeypatch):
    monkeypatch.setenv("FACTSHEET_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "a.yaml"
    path.write_text("one: 1\n", encoding="utf-8")
    hour_ago = time.time_ns() - 3_600_000_000_000
    os.utime(path, ns=(hour_ago, hour_ago))
    stamps = FileHashes(tmp_path)
    first = stamps.of(path)
    stamps.save()
    path.write_text("one: 2\n", encoding="utf-8")  # the same size
    os.utime(path, ns=(hour_ago + 1, hour_ago + 1))
    assert FileHashes(tmp_path).of(path) != first


def test_a_file_changed_in_the_last_two_seconds_is_not_stamped(tmp_path, monkeypatch):
    """A second save in the same tick of the clock could keep size and time: such a file is hashed every time."""
    monkeypatch.setenv("FACTSHEET_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "a.yaml"
    path.write_text("one: 1\n", encoding="utf-8")
    stamps = FileHashes(tmp_path)
    stamps.of(path)
    stamps.save()
    assert str(path) not in FileHashes(tmp_path).known


def test_a_pdf_is_vouched_for_only_after_its_bytes_were_read(desk, monkeypatch, tmp_path):
    """A build of one language must not stamp another language's PDFs it never read, or a damaged one would pass."""
    monkeypatch.setenv("FACTSHEET_CACHE_DIR", str(tmp_path / "cache"))
    desk.replace(SHEET_PATH, "  languages: [en]  # translation status is tested on its own\n", "  languages: [en, ko]\n")
    desk.write(FERRY_PATH, FERRY)
    desk.replace(SHEET_PATH, *reversed(WITHDRAWN))
    build(validated(load_project(desk.root)), templates=["briefing"])
    korean = desk.root / "out" / "bridge.ko.pdf"
    original = korean.read_bytes()
    korean.write_bytes(original.replace(b"/Producer", b"/Pr0ducer"))  # damaged, the same size
    build(validated(load_project(desk.root)), languages=["en"], templates=["briefing"])
    again = build(validated(load_project(desk.root)), templates=["briefing"])
    assert [output.file for output in again.outputs] == ["bridge.ko.pdf"] and korean.read_bytes() == original


def test_the_manifest_is_read_in_its_earlier_indented_layout_and_keeps_unchanged_lines(desk, tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("FACTSHEET_CACHE_DIR", str(tmp_path / "cache"))
    desk.write(FERRY_PATH, FERRY)
    desk.replace(SHEET_PATH, *reversed(WITHDRAWN))
    build(validated(load_project(desk.root)), templates=["briefing"])
    manifest = desk.root / "out" / "manifest.json"
    entries = read_manifest(desk.root / "out")
    manifest.write_text(json.dumps({"factsheet": "0.1.0", "outputs": entries}, indent=2), encoding="utf-8")
    assert build(validated(load_project(desk.root)), templates=["briefing"]).skipped == 2  # still understood
    desk.replace(FERRY_PATH, "every hour", "every half hour")
    build(validated(load_project(desk.root)), templates=["briefing"])
    lines = manifest.read_text(encoding="utf-8").splitlines()
    before = [line for line in lines if line.startswith('  "bridge.en.pdf"')]
    desk.replace(FERRY_PATH, "every half hour", "every two hours")
    build(validated(load_project(desk.root)), templates=["briefing"])
    after = manifest.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(after) == 4 and before and before[0] in after  # the bridge entry's line, as it was
    assert read_manifest(desk.root / "out")["ferry.en.pdf"]["sheet"] == "ferry"
