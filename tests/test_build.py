"""factsheet build: PDFs from records through templates, checked on the PDFs themselves."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from factsheet import builder as build_module
from factsheet.builder import BuildFailed, BuildRequestError, build, safe_output_path
from factsheet.cli import cli
from factsheet.checks import InvalidProject, validated
from factsheet.project import load_project

from conftest import FERRY, REPO_ROOT, SHEET_PATH
from pdfcheck import has_phrase, embedded_fonts, ink_outside, ink_inside, link_annotations, page_text

HOSTILE = '<img src="/etc/passwd"/> & <b>'


@pytest.fixture
def desk(project):
    """The test project with the repo's templates, ready to build."""
    shutil.copytree(REPO_ROOT / "templates", project.root / "templates")
    return project


def run(desk, **kwargs):
    return build(validated(load_project(desk.root)), **kwargs)


def pdf(path: Path) -> pypdf.PdfReader:
    return pypdf.PdfReader(path)


def test_build_writes_one_pdf_per_sheet_language_and_template(desk):
    result = run(desk, templates=["briefing", "card"])
    names = sorted(o.file for o in result.outputs)
    assert names == ["bridge.en.card.pdf", "bridge.en.pdf"]
    for name in names:
        assert (desk.root / "out" / name).read_bytes().startswith(b"%PDF")


def test_text_contains_every_fact_attribution_and_source(desk):
    run(desk)
    text = " ".join(page_text(desk.root / "out" / "bridge.en.pdf").split())  # no-break spaces read as spaces
    for expected in ("The council closed the Old Bridge to all traffic on 3 March 2025.",
                     "According to Riverton city council",
                     "Old Town residents’ association, as reported by The Riverton Gazette",
                     "Council closes Old Bridge after inspection", "The Riverton Gazette",
                     "https://example.org/bridge", "Engineers inspected the bridge.", "February 2025",
                     "at most 6", "10–12", "CONFIRMED", "Disputed figures", "Page 1 of 1", "Test Desk"):
        assert has_phrase(text, expected), expected


def test_citation_numbers_link_to_the_source_list(desk):
    run(desk)
    path = desk.root / "out" / "bridge.en.pdf"
    reader = pdf(path)
    internal = [a for a in link_annotations(reader) if a["dest_page"] is not None]
    assert internal, "citation numbers must be links"
    source_page = next(i for i, page in enumerate(reader.pages) if "Council closes Old Bridge" in page.extract_text())
    assert {a["dest_page"] for a in internal} == {source_page}


def test_urls_are_link_annotations(desk):
    run(desk)
    uris = [a["uri"] for a in link_annotations(pdf(desk.root / "out" / "bridge.en.pdf")) if a["uri"]]
    assert uris == ["https://example.org/bridge"]


def test_an_unknown_publisher_is_said_and_a_missing_address_prints_nothing(desk):
    desk.replace("factsheets/sources.yaml", "publisher: The Riverton Gazette", "publisher: unknown")
    desk.replace("factsheets/sources.yaml", "url: https://example.org/bridge", "url: unknown")
    run(desk)
    text = " ".join(page_text(desk.root / "out" / "bridge.en.pdf").split())
    assert "Publisher unknown" in text and "address" not in text
    assert "“Council closes Old Bridge after inspection”. 4 March 2025." in text  # the entry simply ends


def test_a_publication_date_known_only_as_a_lower_bound_reads_as_a_sentence(desk):
    desk.replace("factsheets/sources.yaml", "published: 2025-03-04", "published: {not_before: 2025-03-04}")
    run(desk)
    text = " ".join(page_text(desk.root / "out" / "bridge.en.pdf").split())
    assert "“Council closes Old Bridge after inspection”. On or after 4 March 2025." in text


def test_every_font_is_embedded_and_none_is_standard(desk):
    run(desk, templates=["briefing", "card"])
    for name in ("bridge.en.pdf", "bridge.en.card.pdf"):
        fonts = embedded_fonts(pdf(desk.root / "out" / name))
        assert fonts, name
        assert all(embedded for embedded in fonts.values()), fonts
        assert not any("Helvetica" in font or "Times" in font or "Courier" in font for font in fonts), fonts


def test_metadata_language_and_outline(desk):
    run(desk)
    reader = pdf(desk.root / "out" / "bridge.en.pdf")
    meta = reader.metadata
    assert meta.title == "Old Bridge closure"
    assert meta.author == "Test Desk"
    assert meta.subject.startswith("The council closed the Old Bridge")
    assert "The closure" in meta["/Keywords"]
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert [item.title for item in reader.outline] == ["The closure", "Disputed figures", "Timeline", "Sources"]
    assert meta["/CreationDate"].startswith("D:20250305")  # the sheet's as_of, never the clock


def test_source_date_epoch_sets_the_pdf_date(desk):
    run(desk, source_date_epoch=1700000000)
    assert pdf(desk.root / "out" / "bridge.en.pdf").metadata["/CreationDate"].startswith("D:20231114")


def test_two_builds_give_identical_bytes(desk, tmp_path):
    run(desk, out_dir=tmp_path / "a")
    run(desk, out_dir=tmp_path / "b")
    for name in ("bridge.en.pdf", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_manifest_records_each_pdf(desk):
    run(desk, templates=["briefing", "card"])
    out = desk.root / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["outputs"]["bridge.en.card.pdf"]
    import hashlib

    data = (out / "bridge.en.card.pdf").read_bytes()
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry["bytes"] == len(data)
    assert (entry["sheet"], entry["language"], entry["template"], entry["pages"]) == ("bridge", "en", "card", 1)
    assert {"factsheets/sheets/s.yaml", "settings", "actor:council", "source:bridge-report", "templates/card.yaml",
            "factsheet"} <= set(entry["inputs"])
    assert len(entry["input_hash"]) == 64


def test_interrupted_build_leaves_earlier_pdfs_untouched(desk, monkeypatch):
    run(desk, templates=["briefing", "card"])
    out = desk.root / "out"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    desk.replace(SHEET_PATH, "Engineers inspected the bridge.", "Engineers inspected the old bridge.")
    calls = []
    real = build_module.safe_output_path

    def failing(out_dir, filename):
        calls.append(filename)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C in the middle of the run
        return real(out_dir, filename)

    monkeypatch.setattr(build_module, "safe_output_path", failing)
    with pytest.raises(KeyboardInterrupt):
        run(desk, templates=["briefing", "card"])
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before  # same files, same bytes, no staging folder left behind


def test_records_with_errors_write_nothing(desk):
    desk.replace(SHEET_PATH, "status: confirmed", "status: confimed")
    with pytest.raises(InvalidProject) as failure:
        run(desk)
    assert [p.code for p in failure.value.problems if p.is_error] == ["bad-status"]
    assert not (desk.root / "out").exists()


def test_hostile_text_renders_literally(desk):
    desk.replace(SHEET_PATH, "text: Engineers inspected the bridge.", f"text: '{HOSTILE}'")
    desk.replace(SHEET_PATH, "  title: Old Bridge closure", "  title: 'Closure <font color=\"red\">x</font> & <a href=\"javascript:x\">y</a>'")
    run(desk)
    path = desk.root / "out" / "bridge.en.pdf"
    text = page_text(path)
    # Shown as text, with English quotation marks: never read as markup.
    assert '<img src=“/etc/passwd”/> & <b>' in text
    assert 'Closure <font color=“red”>x</font> & <a href=“javascript:x”>y</a>' in text
    assert all(not (a["uri"] or "").startswith("javascript") for a in link_annotations(pdf(path)))


def test_template_errors_carry_file_line_and_column(desk):
    desk.replace("templates/briefing.yaml", "  size: A4", "  size: A3")
    desk.replace("templates/briefing.yaml", '  accent: "#0b4f6c"', '  accent: "Color(1,0,0)"')
    desk.replace("templates/briefing.yaml", "  - type: timeline", "  - type: timelines")
    lines = desk.path("templates/briefing.yaml").read_text().splitlines()
    size, accent, bad_block = (lines.index(text) + 1 for text in ("  size: A3", '  accent: "Color(1,0,0)"', "  - type: timelines"))
    block = sum(1 for text in lines[:bad_block] if text.startswith("  - type:"))
    with pytest.raises(InvalidProject) as failure:  # check reads the templates the settings name
        run(desk)
    assert [p.format(desk.root) for p in failure.value.problems if p.is_error] == [
        f"templates/briefing.yaml:{size}:9: error: page, field 'size': 'A3' is not one of A4, letter, A5 [bad-option]",
        f"templates/briefing.yaml:{accent}:11: error: template, field 'accent': "
        "expected a colour like #0b4f6c, got 'Color(1,0,0)' [bad-colour]",
        f"templates/briefing.yaml:{bad_block}:11: error: block {block}: unknown block type 'timelines' "
        "(did you mean 'timeline'?) [bad-block]",
    ]


def test_unknown_template_is_reported(desk):
    with pytest.raises(BuildFailed) as failure:
        run(desk, templates=["poster"])
    assert "no template 'poster'" in failure.value.problems[0].message
    assert "available: briefing, card" in failure.value.problems[0].message


def test_a_new_template_is_just_a_file(desk):
    text = (desk.root / "templates" / "card.yaml").read_text()
    desk.write("templates/a5-note.yaml", text.replace("size: letter", "size: A5").replace("title: 22", "title: 14"))
    result = run(desk, templates=["a5-note"])
    assert result.outputs[0].file == "bridge.en.a5-note.pdf"
    box = pdf(desk.root / "out" / "bridge.en.a5-note.pdf").pages[0].mediabox
    assert round(float(box.width)) == 420


def test_card_overflow_is_an_error_naming_the_sheet(desk):
    many = "".join(f"""
        - id: extra-{i}
          text: An additional key fact number {i}, long enough to take up a good share of a line on the card.
          status: reported
          attribution: gazette
          key: true
          citations: [bridge-report]""" for i in range(40))
    desk.replace(SHEET_PATH, "              locator: paragraph 1\n", "              locator: paragraph 1" + many + "\n")
    desk.replace("templates/card.yaml", "    limit: fill\n", "")  # every key fact on the card, whatever the room
    with pytest.raises(BuildFailed) as failure:
        run(desk, templates=["card"])
    message = failure.value.problems[0].message
    assert failure.value.problems[0].code == "too-long"
    assert re.match(r"sheet 'bridge' \(en\) needs \d+ pages but template 'card' allows 1 \(41 facts, 1 figure, 2 claims, 1 timeline entry\): shorten", message)


def test_nothing_is_written_outside_the_output_folder(tmp_path):
    with pytest.raises(BuildRequestError):
        safe_output_path(tmp_path, "../escape.pdf")
    with pytest.raises(BuildRequestError):
        safe_output_path(tmp_path, "sub/escape.pdf")


def test_unknown_sheet_or_language_is_a_request_error(desk):
    with pytest.raises(BuildRequestError, match="no sheet named nope"):
        run(desk, sheets=["nope"])
    with pytest.raises(BuildRequestError, match="does not publish fr"):
        run(desk, languages=["fr"])


@pytest.mark.parametrize("template", ["briefing", "card"])
def test_pages_have_ink_inside_the_margins_and_none_outside(desk, template):
    run(desk, templates=[template])
    name = "bridge.en.pdf" if template == "briefing" else f"bridge.en.{template}.pdf"
    path = desk.root / "out" / name
    for page in range(len(pdf(path).pages)):
        assert ink_inside(path, page), f"page {page + 1} is blank"
        assert ink_outside(path, page) == 0, f"page {page + 1} has ink outside its margins"


def test_cli_build_prints_progress_and_a_summary(desk):
    result = CliRunner().invoke(cli, ["build", "-C", str(desk.root)])
    assert result.exit_code == 0, result.output
    assert "[1/1] bridge.en.pdf" in result.output
    assert result.output.strip().splitlines()[-1].startswith("Built 1 PDF in ")


def test_cli_build_with_errors_prints_problems_and_exits_1(desk):
    desk.replace(SHEET_PATH, "status: confirmed", "status: confimed")
    result = CliRunner().invoke(cli, ["build", "-C", str(desk.root)])
    assert result.exit_code == 1
    assert "factsheets/sheets/s.yaml:12:19: error: fact 'bridge-closed', field 'status'" in result.output
    assert "nothing was written" in result.output
    assert "Traceback" not in result.output


def test_a_sheet_named_twice_is_built_once(desk):
    assert [o.file for o in run(desk, sheets=["bridge", "bridge"]).outputs] == ["bridge.en.pdf"]


@pytest.mark.parametrize("name", ["../card", "/etc/card", "Card"])
def test_template_names_cannot_reach_outside_templates(desk, name):
    with pytest.raises(BuildRequestError, match="is not a template name"):
        run(desk, templates=[name])


def test_the_dispute_chart_explains_itself(desk):
    desk.replace(SHEET_PATH, "value: {at_most: 6}", "value: {more_than: 6000}")
    run(desk, templates=["briefing"])
    text = " ".join(page_text(desk.root / "out" / "bridge.en.pdf").split())
    assert "6,000" in text.split("Claim", 1)[1] and "10–12" in text  # a label at every mark
    assert "Scale: weeks. Logarithmic scale: each step is ten times the one before." in text  # axis title and unit
    assert "Arrow: no upper limit given. Bar between two end marks: a range. Each claim has a colour of its own" in text
    assert " 10 100 1,000 10,000" in text  # the axis starts at its first tick


def _stamps(out: Path) -> dict:
    """Each PDF's inode and modification time: what changes when a file is rewritten."""
    return {path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in out.glob("*.pdf")}


def test_an_edit_rewrites_exactly_the_pdfs_whose_content_it_touches(desk):
    desk.write("factsheets/sheets/ferry.yaml", FERRY.replace("attribution: council", "attribution: harbour"))
    desk.replace("factsheets/actors.yaml", "  - id: residents\n",
                 "  - id: harbour\n    name: Riverton harbour office\n    kind: government\n  - id: residents\n")
    out = desk.root / "out"
    assert sorted(o.file for o in run(desk, templates=["briefing"]).outputs) == ["bridge.en.pdf", "ferry.en.pdf"]
    before = _stamps(out)

    # The actor only the ferry sheet cites: the bridge briefing is not even rendered again.
    desk.replace("factsheets/actors.yaml", "Riverton harbour office", "Riverton harbour master")
    again = run(desk, templates=["briefing"])
    assert [o.file for o in again.outputs] == ["ferry.en.pdf"] and again.skipped == 1
    assert "harbour master" in page_text(out / "ferry.en.pdf")
    after = _stamps(out)
    assert after["bridge.en.pdf"] == before["bridge.en.pdf"] and after["ferry.en.pdf"] != before["ferry.en.pdf"]

    # A change no reader sees (a comment, a field the PDF does not print) renders again and comes out
    # byte-identical: the file is left as it was and the build reports nothing written.
    desk.replace(SHEET_PATH, "sheet:\n", "# reviewed on 5 March\nsheet:\n")
    desk.replace("factsheets/actors.yaml", "kind: government\n  - id: gazette", "kind: other\n  - id: gazette")
    quiet = run(desk, templates=["briefing"])
    assert quiet.outputs == [] and quiet.skipped == 2
    assert _stamps(out) == after
    entry = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]["bridge.en.pdf"]
    assert entry["inputs"]["factsheets/sheets/s.yaml"] == hashlib.sha256(desk.path(SHEET_PATH).read_bytes()).hexdigest()

