"""Editions: `publish` records what readers saw, `changes` says what moved since."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from click.testing import CliRunner

from conftest import FERRY, REPO_ROOT, SHEET_PATH
from factsheet.builder import build
from factsheet.checks import validated
from factsheet.cli import cli
from factsheet.editions import EditionRequestError, changes, editions, publish
from factsheet.project import load_project
from pdfcheck import page_text

JUNE_30, JULY_2 = dt.date(2025, 6, 30), dt.date(2025, 7, 2)

REOPENS = """\
        - id: bridge-reopens
          text: The council said the bridge would reopen within a week.
          status: reported
          attribution: council
          citations:
            - source: bridge-report
              quote: closed the Old Bridge to all traffic on Monday
              locator: paragraph 1
"""


def valid(project):
    return validated(load_project(project.root))


def cli_run(project, *args: str):
    result = CliRunner().invoke(cli, [args[0], "-C", str(project.root), *args[1:]])
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def published(project):
    """The test project with a second fact, published once as edition 1 on 30 June 2025."""
    project.replace(SHEET_PATH, "  figures:\n", REOPENS + "  figures:\n")
    [(sheet, edition)] = publish(valid(project), None, JUNE_30)
    assert (sheet, edition.number, edition.date) == ("bridge", 1, JUNE_30)
    return project


def test_an_edition_is_diffable_text_of_what_readers_saw_and_nothing_else(published):
    path = published.path("editions/bridge/0001.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"sheet", "edition", "date", "languages"} and data["date"] == "2025-06-30"
    fact = data["languages"]["en"]["facts"]["bridge-closed"]
    assert fact == {"text": "The council closed the Old Bridge to all traffic on 3 March 2025.", "status": "confirmed",
                    "attribution": "Riverton city council", "date": "3 March 2025", "sources": ["bridge-report"],
                    "corrected": None}
    claim = data["languages"]["en"]["figures"]["closure-length"]["claims"]["length-council"]
    assert claim["value"] == "at most 6 weeks" and claim["attribution"] == "Riverton city council"
    assert "hash" not in path.read_text(encoding="utf-8") and "build" not in path.read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8").count("\n") > 40  # one field per line, so a diff shows the field


def test_publishing_again_without_a_visible_change_records_nothing(published):
    published.replace(SHEET_PATH, "sheet:\n", "# a comment no reader sees\nsheet:\n")
    assert publish(valid(published), None, JULY_2) == [("bridge", None)]
    assert [e.number for e in editions(published.root, "bridge")] == [1]


def test_an_edited_fact_is_listed_with_its_old_and_new_text_and_published_as_the_next_edition(published):
    published.replace(SHEET_PATH, "would reopen within a week", "would reopen within a month")
    base, listed = changes(valid(published), "bridge", "en")
    assert base.number == 1
    [change] = listed
    assert (change.kind, change.record, change.id) == ("updated", "fact", "bridge-reopens")
    assert "within a week" in change.old and "within a month" in change.new
    assert change.attribution == "Riverton city council"
    [(_, edition)] = publish(valid(published), ["bridge"], JULY_2)
    assert edition.number == 2 and published.path("editions/bridge/0002.json").is_file()
    assert changes(valid(published), "bridge", "en")[1] == []  # nothing since the latest edition
    base, between = changes(valid(published), "bridge", "en", since="1", until="2")
    assert [c.id for c in between] == ["bridge-reopens"]
    assert changes(valid(published), "bridge", "en", since="2025-07-01")[0].number == 1  # last edition on or before


def test_a_withdrawn_fact_and_a_changed_claim_are_named_as_such(published):
    published.replace(SHEET_PATH, "          attribution: council\n          citations:\n            - source: bridge-report\n"
                      "              quote: closed the Old Bridge to all traffic on Monday\n              locator: paragraph 1\n"
                      "  figures:",
                      "          attribution: council\n          withdrawn: {date: 2025-07-01, note: Added in error.}\n"
                      "          citations:\n            - source: bridge-report\n"
                      "              quote: closed the Old Bridge to all traffic on Monday\n              locator: paragraph 1\n"
                      "  figures:")
    published.replace(SHEET_PATH, "value: {at_most: 6}", "value: {at_most: 8}")
    listed = {(c.kind, c.record, c.id): c for c in changes(valid(published), "bridge", "en")[1]}
    assert ("withdrawn", "fact", "bridge-reopens") in listed
    claim = listed[("updated", "claim", "length-council")]
    assert (claim.old, claim.new, claim.attribution) == ("at most 6 weeks [claimed]", "at most 8 weeks [claimed]", "Riverton city council")


def test_changes_on_the_command_line_in_text_and_json(published):
    published.replace(SHEET_PATH, "would reopen within a week", "would reopen within a month")
    text = cli_run(published, "changes")
    assert text.exit_code == 0, text.output
    assert "bridge since edition 1 (2025-06-30): 1 change" in text.output
    assert "updated fact bridge-reopens:" in text.output
    data = json.loads(cli_run(published, "changes", "bridge", "--since", "1", "--format", "json").output)
    assert data["bridge"]["since"] == {"edition": 1, "date": "2025-06-30"}
    assert [c["id"] for c in data["bridge"]["changes"]] == ["bridge-reopens"]
    done = cli_run(published, "publish", "--date", "2025-07-02")
    assert done.exit_code == 0 and done.output == "bridge: edition 2, 2025-07-02\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--since", "7"], "sheet 'bridge' has no edition 7: it has 1"),
    (["--since", "last week"], "'last week' is neither an edition number nor a date like 2025-06-30"),
    (["--since", "2025-01-01"], "sheet 'bridge' has no edition on or before 2025-01-01"),
    (["nowhere"], "there is no sheet 'nowhere'"),
])
def test_a_request_for_what_does_not_exist_is_refused_in_words(published, args, message):
    result = cli_run(published, "changes", *args)
    assert result.exit_code == 2 and message in result.output


def test_an_edition_cannot_be_dated_before_the_last_one(published):
    published.replace(SHEET_PATH, "would reopen within a week", "would reopen within a month")
    with pytest.raises(EditionRequestError, match="edition 1 of 'bridge' is dated 2025-06-30, after 2025-06-01"):
        publish(valid(published), None, dt.date(2025, 6, 1))
    assert [e.number for e in editions(published.root, "bridge")] == [1]


def test_the_shipped_sheets_read_as_their_latest_edition_in_every_language():
    """The shipped sheets say "Edition 1" in their footers: their records must still be what that edition recorded."""
    project = validated(load_project(REPO_ROOT))
    for sheet_id, sheet in project.project.sheets.items():
        assert editions(REPO_ROOT, sheet_id), sheet_id
        for language in sheet.languages:
            base, listed = changes(project, sheet_id, language)
            assert listed == [], (sheet_id, language, [change.describe() for change in listed])


@pytest.mark.parametrize(("damage", "place", "message"), [
    (lambda text: text.replace('"edition": 1,', '"edition": 1,,'), ":3:", "this edition is not valid JSON"),
    (lambda text: text.replace('"date": "2025-06-30"', '"date": "2025-06-31"'), ":2:3:",
     "field 'date' should be a date like 2025-06-30, not '2025-06-31'"),
    (lambda text: "[]\n", ":1:1:", "field 'sheet' should be the sheet's id, not None"),
])
def test_a_damaged_edition_file_is_named_with_its_place_and_no_traceback(published, damage, place, message):
    path = published.path("editions/bridge/0001.json")
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    for command in ("changes", "publish", "build"):
        result = cli_run(published, command)
        assert result.exit_code == 1, result.output
        [line] = [x for x in result.output.splitlines() if "[bad-edition]" in x]
        assert f"editions/bridge/0001.json{place}" in line and message in line


def built_text(project, name: str = "bridge.en.pdf") -> str:
    """Build every PDF of the project, then the text of one, pages joined."""
    build(valid(project), templates=["briefing", "card"])
    return page_text(project.root / "out" / name)


def stamps(project) -> dict:
    """Each PDF's bytes, inode and modification time: what changes when a file is rewritten."""
    return {path.name: (path.read_bytes(), path.stat().st_ino, path.stat().st_mtime_ns)
            for path in (project.root / "out").glob("*.pdf")}


def test_the_footer_names_the_published_edition_or_says_the_pdf_is_a_draft(project):
    assert "Draft of edition 1, not yet published · Page 1 of 1" in built_text(project)
    publish(valid(project), None, JUNE_30)
    first = built_text(project)
    assert "Edition 1, 30 June 2025 · Page 1 of 1" in first and "Draft" not in first
    assert "CHANGES SINCE" not in first and "UPDATED" not in first  # a first edition has nothing to compare with
    project.replace(SHEET_PATH, "Engineers inspected the bridge.", "Engineers inspected the old bridge.")
    assert "Draft of edition 2, not yet published" in built_text(project)
    publish(valid(project), None, JULY_2)
    second = built_text(project)
    assert "Edition 2, 2 July 2025 · Page 1 of 1" in second
    # Edition 2's PDF still shows what it changed since edition 1.
    assert "CHANGES SINCE 30 JUNE 2025 • 1 timeline entry added, changed or removed." in second
    assert [(c.kind, c.record) for c in changes(valid(project), "bridge", "en", since="1")[1]] == [
        ("new", "event"), ("removed", "event")]


def test_an_edited_fact_is_listed_marked_in_its_own_pdfs_and_no_other_pdf_is_rewritten(published):
    published.write("factsheets/sheets/ferry.yaml", FERRY)
    publish(valid(published), None, JUNE_30)
    built_text(published)
    before = stamps(published)
    published.replace(SHEET_PATH, "would reopen within a week", "would reopen within a month")
    assert [(c.kind, c.id) for c in changes(valid(published), "bridge", "en")[1]] == [("updated", "bridge-reopens")]
    text = built_text(published)
    assert "CHANGES SINCE 30 JUNE 2025 • 1 updated statement, marked UPDATED." in text
    assert "UPDATED The council said the bridge would reopen within a month." in text
    assert text.count("UPDATED") == 2  # the count naming the mark, and the fact: no other record is marked
    card = page_text(published.root / "out" / "bridge.en.card.pdf")
    assert "CHANGES SINCE 30 JUNE 2025 1 updated statement, marked UPDATED." in card  # the short style: one paragraph
    after = stamps(published)
    assert {name for name in after if after[name] != before[name]} == {"bridge.en.pdf", "bridge.en.card.pdf"}


WITHDRAWN = "          attribution: council\n          withdrawn: {date: 2025-07-01, note: Added in error.}\n"


def test_a_withdrawn_fact_a_changed_value_a_new_and_a_removed_fact_are_each_shown(published):
    reopens = published.path(SHEET_PATH).read_text(encoding="utf-8").split("        - id: bridge-reopens\n")[1]
    published.replace(SHEET_PATH, "          attribution: council\n" + reopens.split("attribution: council\n", 1)[1],
                      WITHDRAWN + reopens.split("attribution: council\n", 1)[1])
    published.replace(SHEET_PATH, "value: {at_most: 6}", "value: {at_most: 8}")
    listed = {(c.kind, c.record, c.id) for c in changes(valid(published), "bridge", "en")[1]}
    assert {("withdrawn", "fact", "bridge-reopens"), ("updated", "claim", "length-council")} <= listed
    text = built_text(published)
    assert "1 statement withdrawn: see Corrections." in text
    assert "Withdrawn 1 July 2025 The council said the bridge would reopen within a week." in text
    assert "according to Riverton city council: now at most 8 weeks, was at most 6 weeks." in text
    assert "UPDATED at most 8 weeks Riverton city council" in text  # the claim marked in the disputed-figures table

    published.replace(SHEET_PATH, "        - id: bridge-reopens\n", REOPENS.replace("bridge-reopens", "bridge-detour")
                      .replace("reopen within a week", "open a detour") + "        - id: bridge-reopens\n")
    assert "NEW The council said the bridge would open a detour." in built_text(published)
    publish(valid(published), None, JULY_2)
    published.replace(SHEET_PATH, REOPENS.replace("bridge-reopens", "bridge-detour").replace(
        "reopen within a week", "open a detour"), "")
    text = built_text(published)
    assert "Removed: The council said the bridge would open a detour." in text  # never a silent deletion
    assert "Draft of edition 3, not yet published" in text


def test_the_shipped_sheets_mark_changes_in_every_language_and_leave_other_sheets_alone(tmp_path):
    root = tmp_path / "repo"
    for folder in ("factsheets", "translations", "templates", "editions"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    sheets = ["kursk-casualties", "treaty-anniversary"]
    build(validated(load_project(root)), sheets=sheets, templates=["briefing"])
    out = root / "out"
    before = {path.name: path.read_bytes() for path in out.glob("*.pdf")}
    sheet = root / "factsheets/sheets/kursk-casualties.yaml"
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("value: {more_than: 6000}", "value: {more_than: 7000}"),
                     encoding="utf-8")
    result = build(validated(load_project(root)), sheets=sheets, templates=["briefing"])
    assert sorted(o.file for o in result.outputs) == [f"kursk-casualties.{lang}.pdf" for lang in ("en", "ko", "ru", "uk")]
    assert all(path.read_bytes() == before[path.name] for path in out.glob("treaty-anniversary.*.pdf"))
    expected = {"en": ("CHANGES SINCE 30 JUNE 2025", "UPDATED", "now more than 7,000 soldiers, was more than 6,000 soldiers"),
                "ko": ("2025년 6월 30일 이후 변경 사항", "갱신", "현재 7,000명 이상, 이전 6,000명 이상"),
                "ru": ("ИЗМЕНЕНИЯ С 30 ИЮНЯ 2025 Г.", "ОБНОВЛЕНО", "теперь более 7 000 солдат, ранее более 6 000 солдат"),
                "uk": ("ЗМІНИ З 30 ЧЕРВНЯ 2025 Р.", "ОНОВЛЕНО", "тепер понад 7 000 солдатів, раніше понад 6 000 солдатів")}
    for language, phrases in expected.items():
        text = page_text(out / f"kursk-casualties.{language}.pdf")
        for phrase in phrases:
            assert phrase in text, (language, phrase)
        assert "Draft of edition 2" in text or language != "en"


def test_an_edition_number_in_the_sheet_is_a_warning_saying_where_editions_are_now(project):
    project.replace(SHEET_PATH, "  as_of: 2025-03-05\n", "  as_of: 2025-03-05\n  edition: 2\n")
    [line] = [x for x in project.lines() if "retired-key" in x]
    assert f"{SHEET_PATH}:" in line and "warning" in line and "'factsheet publish' numbers and dates editions" in line


WITHDRAW_OBSERVERS = ("          attribution: unnamed-observers\n          key: true\n",
                      "          attribution: unnamed-observers\n          key: true\n"
                      "          withdrawn: {date: 2025-07-02, note: The article gives no source for this view.}\n")
RAISE_TOLL = ("value: {more_than: 6000}", "value: {more_than: 6500}")


@pytest.mark.parametrize(("edits", "changes_block"), [
    ([WITHDRAW_OBSERVERS], True),  # leaving out the legend makes room
    ([WITHDRAW_OBSERVERS, RAISE_TOLL], False),  # then the Changes block too; the marks stay
], ids=["a withdrawal", "a withdrawal and a changed value"])
def test_a_full_card_leaves_out_its_optional_blocks_rather_than_fail(tmp_path, edits, changes_block):
    root = tmp_path / "repo"
    for folder in ("factsheets", "translations", "templates", "editions"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    sheet = root / "factsheets/sheets/kursk-casualties.yaml"
    for old, new in edits:
        sheet.write_text(sheet.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    result = build(validated(load_project(root)), sheets=["kursk-casualties"], templates=["card"])
    pages = {output.language: output.pages for output in result.outputs}
    assert pages == {"en": 1, "ko": 1, "ru": 1, "uk": 1}
    russian = page_text(root / "out" / "kursk-casualties.ru.card.pdf")
    assert "Отозвано 2 июля 2025 г." in russian  # a correction is never left out
    assert "Насколько надёжно каждое утверждение?" not in russian  # the legend made room first
    assert ("ИЗМЕНЕНИЯ С 30 ИЮНЯ 2025 Г." in russian) is changes_block
    assert "ОБНОВЛЕНО" in russian or len(edits) == 1
    english = page_text(root / "out" / "kursk-casualties.en.card.pdf")
    assert "How sure is each statement?" in english and "CHANGES SINCE 30 JUNE 2025" in english
