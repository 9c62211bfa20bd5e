"""Quotes are verified against the archived copy of the small test article (tests/data/bridge-report.txt)."""

from __future__ import annotations

import shutil

import pytest

from conftest import SHEET_PATH as S
from factsheet.checks import normalize_for_quotes

QUOTE = "quote: closed the Old Bridge to all traffic on Monday"
SR = "factsheets/sources.yaml"
LONG = ("The council said that the bridge would stay closed until both piers had been repaired, tested and approved by an "
        "independent inspector appointed by the regional transport authority, which has not yet said when it will send one "
        "to Riverton")  # 40 words, verbatim from the article


def set_quote(project, yaml_value: str) -> None:
    project.replace(S, QUOTE, f"quote: {yaml_value}")


def test_quote_found_gives_no_problem(project):
    assert project.lines() == []


def test_quote_not_found_is_an_error_naming_the_fact(project):
    set_quote(project, "closed the Old Bridge to all traffic on Tuesday")
    assert project.lines() == [
        "factsheets/sheets/s.yaml:18:22: error: fact 'bridge-closed': the quote \"closed the Old Bridge to all traffic on Tuesday\" "
        "does not occur in the archived copy of 'bridge-report': copy it exactly from the article [quote-not-found]"]


def test_quote_in_a_claim_is_checked_too(project):
    project.replace(S, "          citations: [bridge-report]\n        - id: length-residents",
                    "          citations: [{source: bridge-report, quote: repairs would take seven weeks}]\n        - id: length-residents")
    (problem,) = project.problems()
    assert (problem.code, problem.loc.line, problem.loc.column) == ("quote-not-found", 31, 54)
    assert problem.message.startswith("claim 'length-council': the quote \"repairs would take seven weeks\"")


@pytest.mark.parametrize("yaml_value", [
    # straight quotes and a hyphen where the article has curly quotes and an em dash; odd case and spacing
    ">-\n                said repairs would take \"NO more than   six weeks\" - an estimate the residents' association called 'optimistic'",
    # curly quotes where the article has straight ones
    "\"\u201cTen to twelve weeks is more realistic,\u201d the association\u2019s chair\"",
    # upper case
    "THE CITY COUNCIL CLOSED THE OLD BRIDGE",
    # a line break inside the quote, and a paragraph break in the article
    ">-\n                cracks in two of its piers.\n                A council spokesperson",
    # an en dash for the article's em dash
    "\"six weeks\u201d \u2013 an estimate\"",
], ids=["straight-for-curly", "curly-for-straight", "case", "white-space", "en-dash"])
def test_quote_matches_after_folding(project, yaml_value):
    set_quote(project, yaml_value)
    assert project.lines() == []


def test_source_without_archive_gives_only_a_note(project):
    project.replace(SR, "    archive: bridge-report.txt\n", "")
    set_quote(project, "words that are not in the article")
    assert project.lines() == [
        "factsheets/sources.yaml:2:5: note: 1 quote(s) from source 'bridge-report' cannot be verified: it has no archived copy "
        "(set 'archive' on the source and in settings.yaml) [quote-unverified]"]


def test_settings_without_archive_gives_only_a_note(project):
    project.replace("factsheets/settings.yaml", "archive: archive\n", "")
    set_quote(project, "words that are not in the article")
    assert [(p.severity.value, p.code) for p in project.problems()] == [("note", "quote-unverified")]


def test_missing_archive_folder_gives_only_a_note(project):
    shutil.rmtree(project.path("archive"))
    set_quote(project, "words that are not in the article")
    archive = project.path("archive").resolve()
    assert project.lines() == [
        f"factsheets/sources.yaml:2:5: note: 1 quote(s) from source 'bridge-report' cannot be verified: its archived copy "
        f"'bridge-report.txt' was not found in {archive} [quote-unverified]"]


def test_missing_archive_file_gives_only_a_note(project):
    project.replace(SR, "archive: bridge-report.txt", "archive: not-captured.txt")
    problems = project.problems()
    assert [(p.severity.value, p.code) for p in problems] == [("note", "quote-unverified")]
    assert "'not-captured.txt' was not found" in problems[0].message


def test_forty_words_is_within_the_limit(project):
    assert len(LONG.split()) == 40
    set_quote(project, LONG)
    assert project.lines() == []


def test_quote_over_forty_words_is_a_warning(project):
    quote = LONG + " or how long"
    set_quote(project, quote)
    assert project.lines() == [
        "factsheets/sheets/s.yaml:18:22: warning: fact 'bridge-closed' quotes 43 words from 'bridge-report'; "
        "keep evidence to at most 40 words [quote-too-long]"]


@pytest.mark.parametrize("a, b", [
    ("\u201cno more than six weeks\u201d", '"No  More than\nsix weeks"'),
    ("residents\u2019 association", "residents' association"),
    ("six weeks \u2014 an estimate", "six weeks - an estimate"),
    ("Full\u00a0width\u3000space", "full width space"),
])
def test_normalize_for_quotes(a, b):
    assert normalize_for_quotes(a) == normalize_for_quotes(b)
