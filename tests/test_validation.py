"""Each validation rule, broken once in the small project, with its full message pinned to file:line:col."""

from __future__ import annotations

import pytest

from conftest import SHEET_PATH as S
from factsheet import model as m
from factsheet import validate as v

A = "factsheets/actors.yaml"
SR = "factsheets/sources.yaml"
ST = "factsheets/settings.yaml"

ID_ADVICE = "is not a valid id: use lower-case letters, digits and single hyphens, starting with a letter, at most 64 characters"
FACT_CITATIONS = """\
          citations:
            - source: bridge-report
              quote: closed the Old Bridge to all traffic on Monday
              locator: paragraph 1
"""
SECOND_CLAIM = """\
        - id: length-residents
          value: {min: 10, max: 12}
          as_of: 2025-03-04
          attribution: {who: residents, via: gazette}
          citations: [bridge-report]
"""
UNUSED_GAZETTE = "factsheets/actors.yaml:5:5: warning: actor 'gazette' is never named in an attribution: use it or remove it [unused-actor]"
UNUSED_RESIDENTS = "factsheets/actors.yaml:8:5: warning: actor 'residents' is never named in an attribution: use it or remove it [unused-actor]"
DISPUTE_ONE_VOICE = ("factsheets/sheets/s.yaml:21:7: error: figure 'closure-length' is marked disputed but has claims from 1 "
                     "attribution(s): add the competing claim with its own attribution, or remove 'disputed: true' [dispute-needs-claims]")


def edit(project, edits) -> None:
    for file, old, new in edits:
        project.replace(file, old, new)


CASES = [
    # keys and required fields
    pytest.param([(S, "          citations:\n", "          citation:\n")], [
        "factsheets/sheets/s.yaml:10:11: error: fact 'bridge-closed': missing required field 'citations': every fact needs at least one citation [missing-field]",
        "factsheets/sheets/s.yaml:16:11: error: fact 'bridge-closed': unknown key 'citation' (did you mean 'citations'?) [unknown-key]",
    ], id="unknown-key-suggestion"),
    pytest.param([(S, "          status: confirmed\n", "")], [
        "factsheets/sheets/s.yaml:10:11: error: fact 'bridge-closed': missing required field 'status': one of confirmed, reported, claimed, disputed [missing-field]",
    ], id="missing-required-field"),
    pytest.param([(ST, "organisation: Test Desk\n", "")], [
        "factsheets/settings.yaml:1:1: error: settings: missing required field 'organisation': the desk's name, shown on every page [missing-field]",
    ], id="missing-settings-field"),
    # types and ambiguous plain values
    pytest.param([(S, "  title: Old Bridge closure", "  title: [Old, Bridge]")], [
        "factsheets/sheets/s.yaml:3:10: error: sheet 'bridge', field 'title': expected text, or a mapping of language codes to texts, got a list [wrong-type]",
    ], id="list-where-text-expected"),
    pytest.param([(ST, "languages: [ko]", "languages: [ko, no]")], [
        "factsheets/settings.yaml:3:17: error: settings, field 'languages': 'no' would be read by YAML as a true/false value; "
        "put it in quotes if you mean the text \"no\" [ambiguous-value]",
    ], id="language-no"),
    pytest.param([(S, "    - id: closure\n", "    - id: 012\n")], [
        "factsheets/sheets/s.yaml:7:11: error: section 1 of sheet, field 'id': '012' would be read by YAML as a number; "
        "put it in quotes if you mean the text \"012\" [ambiguous-value]",
    ], id="id-012"),
    pytest.param([(S, "  title: Old Bridge closure", "  title: yes")], [
        "factsheets/sheets/s.yaml:3:10: error: sheet 'bridge', field 'title': 'yes' would be read by YAML as a true/false value; "
        "put it in quotes if you mean the text \"yes\" [ambiguous-value]",
    ], id="title-yes"),
    pytest.param([(S, "  title: Old Bridge closure", "  title: ~")], [
        "factsheets/sheets/s.yaml:3:10: error: sheet 'bridge', field 'title': is empty: give a value, or write 'unknown' if the source does not say [empty-value]",
    ], id="title-null"),
    # ids
    pytest.param([(S, "  id: bridge\n", "  id: Old Bridge\n")], [
        f"factsheets/sheets/s.yaml:2:7: error: sheet, field 'id': 'Old Bridge' {ID_ADVICE}; try 'old-bridge' [bad-id]",
    ], id="id-with-space-and-capitals"),
    pytest.param([(S, "  id: bridge\n", "  id: old_bridge\n")], [
        f"factsheets/sheets/s.yaml:2:7: error: sheet, field 'id': 'old_bridge' {ID_ADVICE}; try 'old-bridge' [bad-id]",
    ], id="id-underscore"),
    pytest.param([(S, "  id: bridge\n", "  id: ../x\n")], [
        f"factsheets/sheets/s.yaml:2:7: error: sheet, field 'id': '../x' {ID_ADVICE}; try 'x' [bad-id]",
    ], id="id-path"),
    # dates
    pytest.param([(S, "date: 2025-03-03", "date: 2025-02-30")], [
        "factsheets/sheets/s.yaml:14:17: error: fact 'bridge-closed', field 'date': '2025-02-30' is not a real date: February 2025 has no day 30 [bad-date]",
    ], id="date-feb-30"),
    pytest.param([(S, "date: 2025-02\n", "date: 2025-13\n")], [
        "factsheets/sheets/s.yaml:39:13: error: event 'inspection', field 'date': '2025-13' has no month 13: months run from 01 to 12 [bad-date]",
    ], id="month-13"),
    pytest.param([(SR, "published: 2025-03-04", "published: 2025-03-04T10:00:00")], [
        "factsheets/sources.yaml:5:16: error: source 'bridge-report', field 'published': '2025-03-04T10:00:00' has no time zone: "
        "add one, like 2025-06-30T20:59:00+05:30 [bad-date]",
    ], id="datetime-without-zone"),
    pytest.param([(S, "  as_of: 2025-03-05\n", "  as_of: 2025-03\n")], [
        "factsheets/sheets/s.yaml:5:10: error: sheet 'bridge', field 'as_of': expected a full date like 2025-06-30, got '2025-03' [bad-date]",
    ], id="as-of-needs-day"),
    # references
    pytest.param([(S, "            - source: bridge-report", "            - source: bridge-reprt")], [
        "factsheets/sheets/s.yaml:17:15: error: fact 'bridge-closed' cites source 'bridge-reprt', which is not defined: "
        "add it to sources.yaml (did you mean 'bridge-report'?) [unknown-source]",
    ], id="unknown-source"),
    pytest.param([(S, "attribution: council\n          date", "attribution: counsil\n          date")], [
        "factsheets/sheets/s.yaml:13:24: error: fact 'bridge-closed' is attributed to actor 'counsil', which is not defined: "
        "add it to actors.yaml (did you mean 'council'?) [unknown-actor]",
    ], id="unknown-actor"),
    pytest.param([(S, FACT_CITATIONS, "          citations: []\n")], [
        "factsheets/sheets/s.yaml:16:22: error: fact 'bridge-closed', field 'citations': is empty: every statement needs at least one citation [no-citation]",
    ], id="empty-citations"),
    pytest.param([(S, FACT_CITATIONS, "")], [
        "factsheets/sheets/s.yaml:10:11: error: fact 'bridge-closed': missing required field 'citations': every fact needs at least one citation [missing-field]",
    ], id="no-citations"),
    pytest.param([(S, FACT_CITATIONS, "          citations: bridge-report\n")], [
        "factsheets/sheets/s.yaml:16:22: error: fact 'bridge-closed', field 'citations': expected a list of citations, got 'bridge-report' [wrong-type]",
    ], id="citations-not-a-list"),
    # figures and disputes
    pytest.param([(S, SECOND_CLAIM, "")], [UNUSED_GAZETTE, UNUSED_RESIDENTS, DISPUTE_ONE_VOICE], id="disputed-one-claim"),
    pytest.param([(S, "attribution: {who: residents, via: gazette}", "attribution: council")],
                 [UNUSED_GAZETTE, UNUSED_RESIDENTS, DISPUTE_ONE_VOICE], id="disputed-two-claims-same-attribution"),
    pytest.param([(S, "disputed: true", "disputed: false")], [
        "factsheets/sheets/s.yaml:21:7: warning: figure 'closure-length' has claims that do not agree but is not marked disputed: "
        "add 'disputed: true' [undeclared-dispute]",
    ], id="undeclared-dispute"),
    pytest.param([(S, "{min: 10, max: 12}", "{min: 12, max: 10}")], [
        "factsheets/sheets/s.yaml:33:18: error: claim 'length-residents', field 'value': range min 12 must be less than max 10 [bad-range]",
    ], id="range-min-above-max"),
    pytest.param([(S, "{min: 10, max: 12}", "{min: 10, max: 10}")], [
        "factsheets/sheets/s.yaml:33:18: error: claim 'length-residents', field 'value': range min 10 must be less than max 10 [bad-range]",
    ], id="range-min-equals-max"),
    pytest.param([(S, "{at_most: 6}", "{more_tan: 6000}")], [
        "factsheets/sheets/s.yaml:28:19: error: claim 'length-council', field 'value': unknown value form 'more_tan' (did you mean 'more_than'?) [unknown-key]",
    ], id="unknown-value-form"),
    pytest.param([(S, "value: {at_most: 6}", "value: 012")], [
        "factsheets/sheets/s.yaml:28:18: error: claim 'length-council', field 'value': expected a number written in digits like 6000 or 6_000, got '012' [bad-number]",
    ], id="number-leading-zero"),
    pytest.param([(S, "{at_most: 6}", "{more_than: 6000}")], [], id="value-more-than-ok"),
    pytest.param([(S, "value: {at_most: 6}", "value: 6_000")], [], id="value-grouped-digits-ok"),
    # dates after as_of
    pytest.param([(S, "date: 2025-03-03", "date: 2025-03-06")], [
        "factsheets/sheets/s.yaml:10:11: error: fact 'bridge-closed' has date 2025-03-06, after the sheet's as_of 2025-03-05: "
        "correct the date, or move the sheet's as_of forward [date-after-as-of]",
    ], id="fact-after-as-of"),
    pytest.param([(S, "date: 2025-02\n", "date: 2025-04\n")], [
        "factsheets/sheets/s.yaml:38:7: error: event 'inspection' has date 2025-04, after the sheet's as_of 2025-03-05: "
        "correct the date, or move the sheet's as_of forward [date-after-as-of]",
    ], id="event-after-as-of"),
    pytest.param([(S, "          as_of: 2025-03-04\n          attribution: council", "          as_of: 2025-03-06\n          attribution: council")], [
        "factsheets/sheets/s.yaml:27:11: error: claim 'length-council' has as_of 2025-03-06, after the sheet's as_of 2025-03-05: "
        "correct the date, or move the sheet's as_of forward [date-after-as-of]",
    ], id="claim-after-as-of"),
    pytest.param([(S, "date: 2025-02\n", "date: 2025-03\n")], [], id="event-in-as-of-month-ok"),
    # languages
    pytest.param([(SR, "language: en", "language: kr")], [
        "factsheets/sources.yaml:6:15: error: source 'bridge-report', field 'language': 'kr' is not a language code; did you mean 'ko'? [bad-language]",
    ], id="language-kr"),
    pytest.param([(ST, "languages: [ko]", "languages: [ua]")], [
        "factsheets/settings.yaml:3:13: error: settings, field 'languages': 'ua' is not a language code; did you mean 'uk'? [bad-language]",
    ], id="language-ua"),
    pytest.param([(S, "  languages: [en]  #", "  languages: [en, ru]  #")], [
        "factsheets/sheets/s.yaml:2:3: error: sheet 'bridge' lists language 'ru', which the project does not publish: add it to "
        "'languages' in settings.yaml or remove it from the sheet (project languages: en, ko) [unknown-language]",
    ], id="sheet-language-not-in-project"),
    pytest.param([(S, "  title: Old Bridge closure", "  title: {ko: 다리 폐쇄}")], [
        "factsheets/sheets/s.yaml:3:10: error: sheet 'bridge', field 'title': has translations but no 'en' text: "
        "every text needs the source language (en) [missing-source-text]",
    ], id="translation-without-source-language"),
    pytest.param([(S, "  title: Old Bridge closure", "  title:\n    en: Old Bridge closure\n    kr: 다리 폐쇄")], [
        "factsheets/sheets/s.yaml:5:5: error: sheet 'bridge', field 'title': 'kr' is not a language code; did you mean 'ko'? [bad-language]",
    ], id="translation-bad-language"),
    pytest.param([(S, "  title: Old Bridge closure",
                   "  title:\n    en: Old Bridge closure\n    ko:\n      text: 다리 폐쇄\n      translates: 3f9a0c1d\n      reviewed: false")],
                 ["factsheets/sheets/s.yaml:4:5: error: this file keeps 1 text(s) with their translations in the YAML; "
                  "translations now live in PO files under translations/: run 'factsheet translations migrate' to move "
                  "them (nothing is lost, and the YAML keeps only the English) [old-translation-layout]"],
                 id="translation-mapping-is-the-old-layout"),
    # sources
    pytest.param([(SR, "url: https://example.org/bridge", "url: javascript:alert(1)")], [
        "factsheets/sources.yaml:7:10: error: source 'bridge-report', field 'url': 'javascript:alert(1)' is not a web address: "
        "use a full http:// or https:// URL, or 'unknown' [bad-url]",
    ], id="url-javascript"),
    pytest.param([(SR, "url: https://example.org/bridge", "url: ftp://example.org/bridge")], [
        "factsheets/sources.yaml:7:10: error: source 'bridge-report', field 'url': 'ftp://example.org/bridge' is not a web address: "
        "use a full http:// or https:// URL, or 'unknown' [bad-url]",
    ], id="url-ftp"),
    pytest.param([(SR, "archive: bridge-report.txt", "archive: ../x.txt")], [
        "factsheets/sources.yaml:8:14: error: source 'bridge-report', field 'archive': '../x.txt' must be a file name inside the "
        "archive folder, not a path leading out of it [bad-archive]",
    ], id="archive-escapes-folder"),
    # choices and booleans
    pytest.param([(S, "status: confirmed", "status: confirmd")], [
        "factsheets/sheets/s.yaml:12:19: error: fact 'bridge-closed', field 'status': 'confirmd' is not a status (did you mean 'confirmed'?); "
        "use one of confirmed, reported, claimed, disputed [bad-status]",
    ], id="bad-status"),
    pytest.param([(S, "key: true", "key: yes")], [
        "factsheets/sheets/s.yaml:15:16: error: fact 'bridge-closed', field 'key': expected true or false, got 'yes' [bad-bool]",
    ], id="bad-bool"),
    # unused records
    pytest.param([(SR, "    archive: bridge-report.txt\n",
                   "    archive: bridge-report.txt\n  - id: unused-src\n    title: T\n    publisher: unknown\n"
                   "    published: unknown\n    language: en\n")], [
        "factsheets/sources.yaml:9:5: warning: source 'unused-src' is never cited: cite it or remove it [unused-source]",
    ], id="unused-source"),
    pytest.param([(A, "    kind: other\n", "    kind: other\n  - id: mayor\n    name: The mayor\n    kind: official\n")], [
        "factsheets/actors.yaml:11:5: warning: actor 'mayor' is never named in an attribution: use it or remove it [unused-actor]",
    ], id="unused-actor"),
]


@pytest.mark.parametrize("edits, expected", CASES)
def test_rule(project, edits, expected):
    edit(project, edits)
    # Translation status has its own tests; here it would only repeat itself.
    lines = [line for line in project.lines(("error", "warning")) if not line.endswith("[missing-translation]")]
    assert lines == expected


def test_duplicate_id_across_sheet_files(project):
    project.write("factsheets/sheets/t.yaml", """\
sheet:
  id: other-sheet
  title: Another sheet
  summary: Another sheet.
  as_of: 2025-03-05
  languages: [en]
  sections:
    - id: other-section
      title: Other
      facts:
        - id: bridge-closed
          text: Same id as a fact in s.yaml.
          status: reported
          attribution: council
          citations: [bridge-report]
""")
    assert project.lines() == [
        "factsheets/sheets/t.yaml:11:11: error: id 'bridge-closed' of this fact is already used by a fact at s.yaml:10: "
        "ids must be unique across the project [duplicate-id]",
    ]


def test_duplicate_source_id_across_files(project):
    project.write("factsheets/extra-sources.yaml", project.path(SR).read_text(encoding="utf-8"))
    assert project.lines() == [
        "factsheets/sources.yaml:2:5: error: id 'bridge-report' of this source is already used by a source at extra-sources.yaml:2: "
        "ids must be unique across the project [duplicate-id]",
    ]


def test_duplicate_id_between_actor_and_fact(project):
    project.append(A, "  - id: bridge-closed\n    name: X\n    kind: other\n")
    assert "factsheets/sheets/s.yaml:10:11: error: id 'bridge-closed' of this fact is already used by an actor at actors.yaml:11: " \
           "ids must be unique across the project [duplicate-id]" in project.lines()


@pytest.mark.parametrize("old, new, loc, code, text", [
    ("attribution: council\n          date", "attribution: {who: Council}\n          date", (13, 30), "bad-id", "'Council' is not a valid id"),
    ("attribution: council\n          date", "attribution: {via: gazette}\n          date", (13, 24), "missing-field", "missing required field 'who'"),
], ids=["bad-who", "missing-who"])
def test_bad_attribution_mapping_reports_one_problem(project, old, new, loc, code, text):
    """A problem inside {who, via} is reported once, at its place, with no empty follow-up error."""
    project.replace(S, old, new)
    problems = project.problems()
    assert [((p.loc.line, p.loc.column), p.code) for p in problems] == [(loc, code)]
    assert text in problems[0].message


def test_bad_not_before_date_reports_one_problem(project):
    project.replace(SR, "published: 2025-03-04", "published: {not_before: 2025-02-30}")
    problems = project.problems()
    assert [(p.format(project.root).split(": error")[0], p.code) for p in problems] == [("factsheets/sources.yaml:5:29", "bad-date")]
    assert all(p.message.strip() and not p.message.endswith(": ") for p in problems)


def test_source_without_id_is_not_called_none(project):
    project.replace(SR, "  - id: bridge-report\n", "  -\n")
    lines = project.lines()
    assert "factsheets/sources.yaml:3:5: error: source 1: missing required field 'id' [missing-field]" in lines
    assert not [line for line in lines if "'None'" in line]


@pytest.mark.parametrize("old, new, where", [
    ("url: https://example.org/bridge", "url: unknown", SR),
    ("published: 2025-03-04", "published: unknown", SR),
    ("published: 2025-03-04", "published: 2025-03-04T10:00:00+01:00", SR),
    ("published: 2025-03-04", "published: {not_before: 2025-03-01}", SR),
    ("attribution: council\n          date", "attribution: {who: [council, residents], via: gazette}\n          date", S),
    ("  title: Old Bridge closure", '  title: "yes"', S),
], ids=["url-unknown", "published-unknown", "published-datetime", "not-before", "who-list", "quoted-text"])
def test_valid_variants_pass(project, old, new, where):
    project.replace(where, old, new)
    assert project.lines(("error", "warning")) == []


@pytest.mark.parametrize("fields, record", [
    (v.ACTOR_FIELDS, m.Actor), (v.SOURCE_FIELDS, m.Source), (v.FACT_FIELDS, m.Fact), (v.CLAIM_FIELDS, m.Claim),
    (v.FIGURE_FIELDS, m.Figure), (v.SECTION_FIELDS, m.Section), (v.EVENT_FIELDS, m.Event),
    (v.CONTRAST_FIELDS, m.Contrast), (v.SHEET_FIELDS, m.Sheet),
], ids=lambda item: getattr(item, "__name__", ""))
def test_each_record_field_is_declared_once_and_built_by_name(fields, record):
    """The field table (what YAML may say) and the record (what code reads) name the same fields, so a record
    is built by name and no field can be read into the wrong place or left out."""
    import dataclasses

    assert set(fields) == {f.name for f in dataclasses.fields(record)} - {"loc"}
