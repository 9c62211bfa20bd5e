"""Editions: `publish` records what readers saw, `changes` says what moved since."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from conftest import SHEET_PATH
from factsheet.checks import validated
from factsheet.cli import cli
from factsheet.editions import EditionRequestError, changes, editions, publish
from factsheet.project import load_project

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
    from conftest import REPO_ROOT

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
    for command in ("changes", "publish"):
        result = cli_run(published, command)
        assert result.exit_code == 1, result.output
        [line] = [x for x in result.output.splitlines() if "[bad-edition]" in x]
        assert f"editions/bridge/0001.json{place}" in line and message in line
