"""The correctness side of speed: incremental, parallel and cached builds give the same PDFs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from factsheet import cache
from factsheet.builder import build
from factsheet.checks import validated
from factsheet.project import load_project
from factsheet.watch import changed_files, snapshot, watch


@pytest.fixture
def desk(tmp_path) -> Path:
    root = tmp_path / "desk"
    shutil.copytree(REPO_ROOT / "factsheets", root / "factsheets")
    shutil.copytree(REPO_ROOT / "translations", root / "translations")
    shutil.copytree(REPO_ROOT / "templates", root / "templates")
    return root


def pdf_bytes(out: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.pdf"))}


def edit_fact(root: Path) -> None:
    path = root / "factsheets" / "sheets" / "kursk-deployment.yaml"
    text = path.read_text(encoding="utf-8")
    assert "Russian Security Council Secretary" in text or "Shoigu" in text
    path.write_text(text.replace("Shoigu", "Shoygu", 1), encoding="utf-8")


def test_unchanged_pdfs_are_skipped_and_equal_a_forced_rebuild(desk, tmp_path):
    first = build(validated(load_project(desk)), templates=["briefing"], jobs=1)
    assert len(first.outputs) == 12 and first.skipped == 0
    again = build(validated(load_project(desk)), templates=["briefing"], jobs=1)
    assert again.outputs == [] and again.skipped == 12
    kept = pdf_bytes(desk / "out")
    forced = build(validated(load_project(desk)), templates=["briefing"], jobs=1, force=True, out_dir=tmp_path / "forced")
    assert len(forced.outputs) == 12
    assert pdf_bytes(tmp_path / "forced") == kept


def test_a_parallel_build_equals_a_serial_one(desk, tmp_path):
    build(validated(load_project(desk)), templates=["briefing", "card"], jobs=1, out_dir=tmp_path / "serial")
    build(validated(load_project(desk)), templates=["briefing", "card"], jobs=2, out_dir=tmp_path / "parallel")
    assert pdf_bytes(tmp_path / "serial") == pdf_bytes(tmp_path / "parallel")
    assert len(pdf_bytes(tmp_path / "serial")) == 24
    serial = json.loads((tmp_path / "serial" / "manifest.json").read_text())
    parallel = json.loads((tmp_path / "parallel" / "manifest.json").read_text())
    assert serial == parallel


def test_editing_one_fact_rebuilds_exactly_that_sheets_pdfs(desk):
    build(validated(load_project(desk)), jobs=2)
    before = pdf_bytes(desk / "out")
    edit_fact(desk)
    result = build(validated(load_project(desk)), jobs=2)
    rebuilt = sorted(o.file for o in result.outputs)
    assert rebuilt == sorted(name for name in before if name.startswith("kursk-deployment."))
    assert result.skipped == 24 - len(rebuilt)
    after = pdf_bytes(desk / "out")
    assert {n for n in after if after[n] != before[n]} == set(rebuilt)


def test_a_damaged_or_replaced_pdf_is_rebuilt(desk):
    build(validated(load_project(desk)), templates=["briefing"], jobs=1)
    target = desk / "out" / "kursk-casualties.ru.pdf"
    original = target.read_bytes()
    target.write_bytes(original[:1000])
    result = build(validated(load_project(desk)), templates=["briefing"], jobs=1)
    assert [o.file for o in result.outputs] == ["kursk-casualties.ru.pdf"]
    assert target.read_bytes() == original


def test_a_template_change_rebuilds_that_templates_pdfs(desk):
    build(validated(load_project(desk)), jobs=2)
    card = desk / "templates" / "card.yaml"
    card.write_text(card.read_text().replace("body: 9.5", "body: 9.4"))
    result = build(validated(load_project(desk)), jobs=2)
    assert sorted(o.file for o in result.outputs) == sorted(f"{s}.{l}.card.pdf" for s in
                                                            ("kursk-casualties", "kursk-deployment", "treaty-anniversary")
                                                            for l in ("en", "ko", "ru", "uk"))


def test_corrupt_cache_entries_are_detected_and_rebuilt(desk, tmp_path, monkeypatch):
    monkeypatch.setenv("FACTSHEET_CACHE_DIR", str(tmp_path / "cache"))
    import pyphen

    from factsheet import fonts, i18n

    fonts._load.cache_clear()
    i18n._translator.cache_clear()
    monkeypatch.setattr(pyphen, "hdcache", {})
    clean = tmp_path / "clean"
    build(validated(load_project(desk)), templates=["briefing"], jobs=1, out_dir=clean)
    entries = sorted((tmp_path / "cache").rglob("*.bin"))
    assert {p.parent.name for p in entries} == {"ttf2", "hyphenation", "catalog", "filehash", "yaml", "po", "records", "sheets", "findings",
                                                "stamps", "times", "filehashes"}
    for index, entry in enumerate(entries):  # truncate one, flip bytes in the others
        data = bytearray(entry.read_bytes())
        if index == 0:
            entry.write_bytes(bytes(data[: len(data) // 2]))
        else:
            data[-5] ^= 0xFF
            entry.write_bytes(bytes(data))
    for entry in entries:
        assert cache.read(entry.parent.name, entry.stem) is None  # never trusted...
        assert not entry.exists()                                  # ...and removed
    fonts._load.cache_clear()
    i18n._translator.cache_clear()
    pyphen.hdcache.clear()
    rebuilt = tmp_path / "rebuilt"
    build(validated(load_project(desk)), templates=["briefing"], jobs=1, out_dir=rebuilt)
    assert pdf_bytes(rebuilt) == pdf_bytes(clean)
    again = {(p.parent.name, p.name) for p in (tmp_path / "cache").rglob("*.bin")}
    before = {(p.parent.name, p.name) for p in entries}
    # Templates stay parsed in this process, so their YAML is not read again, and the PDFs' stamps and render
    # times are kept per output folder (this build wrote to another); everything else is rebuilt as it was.
    per_folder = ("stamps", "times")
    assert {e for e in again if e[0] not in per_folder} <= before
    assert {e for e in before if e[0] not in ("yaml", *per_folder)} <= again


def test_cached_fonts_give_the_same_pdfs_as_freshly_parsed_ones(desk, tmp_path, monkeypatch):
    from factsheet import fonts

    monkeypatch.setenv("FACTSHEET_CACHE_DIR", str(tmp_path / "cache"))
    fonts._load.cache_clear()
    build(validated(load_project(desk)), templates=["briefing"], languages=["ko", "uk"], jobs=1, out_dir=tmp_path / "a")
    monkeypatch.setattr(fonts, "_cached_font", lambda name, path: fonts.TTFont(name, path))
    fonts._load.cache_clear()
    build(validated(load_project(desk)), templates=["briefing"], languages=["ko", "uk"], jobs=1, out_dir=tmp_path / "b")
    fonts._load.cache_clear()
    assert pdf_bytes(tmp_path / "a") == pdf_bytes(tmp_path / "b")


def run_isolated(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT).stdout


def test_check_and_help_never_import_reportlab():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom factsheet.cli import cli\n"
            "r = CliRunner().invoke(cli, ['--help']); assert r.exit_code == 0\n"
            "r = CliRunner().invoke(cli, ['check', '-C', '.']); assert r.exit_code == 0, r.output\n"
            "r = CliRunner().invoke(cli, ['status', '-C', '.']); assert r.exit_code == 0, r.output\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('reportlab', 'pypdf')))")
    assert run_isolated(code).strip() == "[]"


def test_a_noop_build_never_imports_reportlab(desk):
    build(validated(load_project(desk)), templates=["briefing"], languages=["en"], jobs=1)
    code = (f"import sys\nfrom pathlib import Path\nfrom factsheet.builder import build\nfrom factsheet.checks import validated\n"
            f"from factsheet.project import load_project\n"
            f"r = build(validated(load_project(Path({str(desk)!r}))), templates=['briefing'], languages=['en'])\n"
            f"print(r.skipped, len(r.outputs), 'reportlab' in sys.modules)")
    assert run_isolated(code).split() == ["3", "0", "False"]


def test_watch_rebuilds_after_a_change_and_stops(desk):
    calls = []
    steps = iter(range(100))

    def fake_sleep(seconds):
        step = next(steps)
        if step == 1:
            edit_fact(desk)

    def on_change(files):
        calls.append(files)

    watch(desk, on_change, interval=0.01, sleep=fake_sleep, keep_going=lambda: len(calls) < 1)
    assert calls == [[desk / "factsheets" / "sheets" / "kursk-deployment.yaml"]]


def test_snapshots_see_added_removed_and_changed_files(desk):
    before = snapshot(desk)
    (desk / "factsheets" / "extra.yaml").write_text("actors: []\n")
    (desk / "templates" / "card.yaml").unlink()
    after = snapshot(desk)
    assert changed_files(before, after) == sorted([desk / "factsheets" / "extra.yaml", desk / "templates" / "card.yaml"])


def test_the_benchmarks_synthetic_project_checks_clean_in_every_language(tmp_path):
    """The benchmark measures a project a desk could have: if the record format moves on, the generator must too."""
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    try:
        import synthetic
    finally:
        sys.path.remove(str(REPO_ROOT / "bench"))
    root = synthetic.generate(tmp_path / "synthetic", 2, ["en", "ko", "ru", "uk"])
    valid = validated(load_project(root))
    assert {p.code for p in valid.problems} <= {"unused-actor", "unused-source"}  # two sheets may not name them all
    result = build(valid, jobs=1)
    assert len(result.outputs) == 8 and {p.code for p in result.warnings} <= {"unused-actor", "unused-source"}


def test_a_cached_yaml_tree_and_po_catalog_are_what_parsing_the_file_gives(tmp_path, monkeypatch):
    """The parse caches are keyed by content: a hit gives the same tree and entries, an edit misses."""
    from factsheet.pofiles import read_catalog
    from factsheet.problems import Problems
    from factsheet.yamlio import read_yaml

    monkeypatch.setenv("FACTSHEET_CACHE_DIR", str(tmp_path / "cache"))
    sheet = REPO_ROOT / "factsheets" / "sheets" / "kursk-casualties.yaml"
    catalog = tmp_path / "ru.po"
    shipped = (REPO_ROOT / "translations" / "ru" / "kursk-casualties.po").read_text(encoding="utf-8")
    catalog.write_text(shipped.replace("\nmsgctxt", "\n# reviewed-by: A. Reader, 2025-07-01\nmsgctxt", 1), encoding="utf-8")
    parsed, entries = read_yaml(sheet, Problems()), read_catalog(catalog, Problems())
    assert {p.parent.name for p in (tmp_path / "cache").rglob("*.bin")} == {"yaml", "po"}
    assert read_yaml(sheet, Problems()) == parsed  # from the cache: every value and every place the same

    def plain(found: dict) -> dict:
        return {key: (f.english, f.translation, f.fuzzy, f.previous, f.review and f.review.group(0), f.line, f.comments)
                for key, f in found.items()}

    again = read_catalog(catalog, Problems())
    assert plain(again) == plain(entries) and any(f.review for f in again.values())
    copy = tmp_path / "s.yaml"
    copy.write_text(sheet.read_text(encoding="utf-8").replace("Only four or five", "Only four"), encoding="utf-8")
    edited = read_yaml(copy, Problems())
    assert edited != parsed and "Only four coffins" in str(edited)
    assert all(node.loc.path == copy for node in edited.items.values())  # places name the file read, not the cached one


def test_a_rebalanced_sheet_is_laid_out_only_for_breaks_that_can_help(desk, monkeypatch):
    # The first layout says where each section starts; a break before a section that starts
    # on the last page, or that would move too little onto it, is not laid out to find out.
    import datetime as dt

    from factsheet import render
    from factsheet.render import REMNANT, render_sheet
    from factsheet.resolve import resolve_sheet
    from factsheet.templates import load_template

    project = load_project(desk)
    validated(project)
    template = load_template(desk / "templates", "briefing", project.readable_roots())
    sheet = resolve_sheet(project, project.sheets["treaty-anniversary"], "ko")
    passes = []
    original = render._render

    def laid_out(*args, break_before=None):
        passes.append((break_before, original(*args, break_before=break_before)))
        return passes[-1][1]

    monkeypatch.setattr(render, "_render", laid_out)
    result = render_sheet(sheet, template, "test", dt.datetime(2025, 6, 30))
    (_, first), *tried = passes
    assert first.fill < REMNANT and tried  # this sheet needs rebalancing
    assert result.data == tried[-1][1].rendered.data and tried[-1][1].fill >= REMNANT
    for block, moved in tried:
        assert first.block_starts[block][0] == first.rendered.pages - 1  # only blocks that can move onto the last page
        assert abs(first.fill_after_break(block) - moved.fill) < 0.03, block  # and the estimate was close


@pytest.mark.parametrize("face", ["NotoSansKR-Regular.ttf", "NotoSans-Bold.ttf"])
def test_a_font_from_the_cache_has_exactly_the_tables_reportlab_parses(face, monkeypatch, tmp_path):
    import rendercv_fonts
    from reportlab.pdfbase.ttfonts import TTFontFace

    from factsheet import fonts

    monkeypatch.setenv("FACTSHEET_CACHE_DIR", str(tmp_path))
    path = str(Path(rendercv_fonts.__file__).parent / "Noto Sans" / face)
    parsed = TTFontFace(path)
    fonts._cached_font("stored", path)  # parses and stores
    assert list((tmp_path / "ttf2").glob("*.bin"))
    cached = fonts._cached_font("restored", path).face  # from the cache
    for name, value in parsed.__dict__.items():
        if name not in fonts._NOT_CACHED:
            assert getattr(cached, name) == value and type(getattr(cached, name)) is type(value), name
    assert cached._ttf_data == parsed._ttf_data


def test_a_build_with_a_head_start_renders_in_both_processes_and_gives_the_same_pdfs(desk, tmp_path, monkeypatch):
    import time

    from factsheet import builder
    from factsheet.headstart import Headstart

    build(validated(load_project(desk)), templates=["briefing"], jobs=1, out_dir=tmp_path / "serial")
    headstart = Headstart.start(desk, tmp_path / "ahead", force=False)
    assert headstart is not None  # no manifest there yet: everything will be rendered
    real = builder.render_prepared

    def slow(*args):  # this process only (the head start was forked before): it leaves the head start work to do
        time.sleep(0.3)
        return real(*args)

    monkeypatch.setattr(builder, "render_prepared", slow)
    try:
        build(validated(load_project(desk)), templates=["briefing"], jobs=2, out_dir=tmp_path / "ahead",
              headstart=headstart)
        assert headstart.rendered > 0
    finally:
        headstart.close()
    assert pdf_bytes(tmp_path / "ahead") == pdf_bytes(tmp_path / "serial")


def test_a_head_start_that_died_leaves_its_work_to_the_build(desk, tmp_path):
    from factsheet.headstart import Headstart

    build(validated(load_project(desk)), templates=["briefing"], languages=["en"], jobs=1, out_dir=tmp_path / "serial")
    headstart = Headstart.start(desk, tmp_path / "ahead", force=True)
    headstart.process.kill()
    headstart.process.join()
    try:
        result = build(validated(load_project(desk)), templates=["briefing"], languages=["en"], jobs=2,
                       out_dir=tmp_path / "ahead", headstart=headstart)
    finally:
        headstart.close()
    assert len(result.outputs) == 3 and headstart.rendered == 0
    assert pdf_bytes(tmp_path / "ahead") == pdf_bytes(tmp_path / "serial")


def test_a_head_start_is_made_only_when_outputs_look_out_of_date(desk, tmp_path, monkeypatch):
    import os

    from factsheet import headstart

    out = desk / "out"
    assert headstart.likely_to_render(desk, out)  # never built
    build(validated(load_project(desk)), templates=["briefing"], languages=["en"], jobs=1)
    assert not headstart.likely_to_render(desk, out)  # nothing changed since
    assert headstart.Headstart.start(desk, None, force=False) is None
    sheet = desk / "factsheets" / "sheets" / "kursk-deployment.yaml"
    later = (out / "manifest.json").stat().st_mtime_ns + 1_000_000_000
    os.utime(sheet, ns=(later, later))
    assert headstart.likely_to_render(desk, out)  # an input is newer than the manifest
    monkeypatch.setattr(headstart, "LARGEST", 10)
    assert not headstart.likely_to_render(desk, out)  # a big project renders long enough without one


def test_a_translator_crosses_a_pipe_with_its_plural_rule():
    import pickle

    from factsheet.i18n import translator

    russian = translator("ru")
    copy = pickle.loads(pickle.dumps(russian))
    assert copy.messages == russian.messages and copy.locale == russian.locale
    assert [copy.plural(n) for n in (1, 2, 5, 11, 21, 22)] == [russian.plural(n) for n in (1, 2, 5, 11, 21, 22)] \
        == [0, 1, 2, 2, 0, 1]


def test_pdfs_are_rendered_longest_first_as_the_last_build_timed_them(desk, tmp_path, monkeypatch):
    from types import SimpleNamespace

    from factsheet.builder import RenderTimes

    monkeypatch.setenv("FACTSHEET_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out"
    build(validated(load_project(desk)), templates=["briefing"], languages=["en", "ko"], jobs=1, out_dir=out)
    known = RenderTimes(out).known
    assert sorted(known) == sorted(p.name for p in out.glob("*.pdf")) and all(s > 0 for s in known.values())
    work = [SimpleNamespace(job=SimpleNamespace(filename=name, sheet=SimpleNamespace(id=name.split(".")[0])))
            for name in [*sorted(known), "new-sheet.en.pdf"]]
    order = [work[i].job.filename for i in RenderTimes(out).order(work)]
    assert order[0] == "new-sheet.en.pdf"  # never timed: it may be the longest
    sheets = [name.split(".")[0] for name in order[1:]]
    assert all(len(set(sheets[i:i + 2])) == 1 for i in range(0, len(sheets), 2))  # a sheet's PDFs stay together
    slowest = [max(known[name] for name in order[1:][i:i + 2]) for i in range(0, len(sheets), 2)]
    assert slowest == sorted(slowest, reverse=True)  # the sheet with the slowest PDF first
    assert all(known[order[1:][i]] >= known[order[1:][i + 1]] for i in range(0, len(sheets), 2))  # its slowest first


def test_a_sheet_is_resolved_once_per_language_whatever_templates_show_it(desk, tmp_path, monkeypatch):
    from collections import Counter

    from factsheet import resolve

    resolved = Counter()
    real = resolve.resolve_sheet

    def counting(project, sheet, language):
        resolved[sheet.id, language] += 1
        return real(project, sheet, language)

    monkeypatch.setattr(resolve, "resolve_sheet", counting)
    result = build(validated(load_project(desk)), templates=["briefing", "card"], jobs=1, out_dir=tmp_path / "out")
    assert len(result.outputs) == 24 and len(resolved) == 12 and set(resolved.values()) == {1}
