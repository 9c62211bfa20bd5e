"""What each number measures, corrections readers can see, quotes within their paragraph, attributions that read right."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

import pypdf
import pytest

from conftest import DATA, SHEET_PATH
from factsheet.builder import build
from factsheet.checks import check, validated
from factsheet.i18n import translator
from factsheet.mail.recipients import Recipient
from factsheet.mail.send import send
from factsheet.model import ACTOR_KINDS
from factsheet.problems import Loc
from factsheet.project import load_project
from factsheet.resolve import resolve_sheet
from pdfcheck import link_annotations, page_text

SECOND_FIGURE = """\
    - id: lanes-open
      label: Lanes the council says stay open to cyclists
      unit: lanes
      measures: open-lanes
      claims:
        - id: lanes-open-council
          value: 2
          as_of: 2025-03-04
          attribution: council
          citations: [bridge-report]
"""

CONTRAST = """\
  contrasts:
    - id: closure-vs-lanes
      title: How long, and what stays open
      figures: [closure-length, lanes-open]
      meaning: The two numbers count different things, weeks of closure and lanes left open.
"""


def codes_and_lines(project) -> list:
    return [p.format(project.root) for p in check(load_project(project.root)) if p.is_error or p.severity.value == "warning"]


def with_contrast(project) -> None:
    project.replace(SHEET_PATH, "  timeline:\n", SECOND_FIGURE + "  timeline:\n")
    project.replace(SHEET_PATH, "  languages: [en]", CONTRAST + "  languages: [en]")


# --- one quantity per figure ---------------------------------------------------------------------


def test_a_claim_of_another_quantity_is_refused_with_the_reason(project):
    project.replace(SHEET_PATH, "        - id: length-residents\n",
                    "        - id: length-residents\n          measures: coffins-shown\n")
    [line] = [x for x in codes_and_lines(project) if "[mixed-quantities]" in x]
    assert line.startswith("factsheets/sheets/s.yaml:32:11: error: claim 'length-residents' counts 'coffins-shown' but "
                           "figure 'closure-length' counts 'closure-weeks': a figure's claims are rival estimates of one "
                           "quantity, so give this claim a figure of its own and set the two side by side in a contrast")


def test_a_figure_must_say_what_it_measures(project):
    project.replace(SHEET_PATH, "      measures: closure-weeks\n", "")
    assert any("figure 'closure-length'" in x and "'measures'" in x and "[missing-field]" in x
               for x in codes_and_lines(project))


@pytest.mark.parametrize("figures, code, words", [
    ("[closure-length, closure-length]", "bad-contrast", "names figure 'closure-length' twice"),
    ("[closure-length, lanes-opn]", "unknown-figure", "names figure 'lanes-opn', which sheet 'bridge' does not have "
                                                      "(did you mean 'lanes-open'?)"),
], ids=["same-figure", "unknown-figure"])
def test_a_contrast_must_name_two_figures_of_the_sheet(project, figures, code, words):
    with_contrast(project)
    project.replace(SHEET_PATH, "figures: [closure-length, lanes-open]", f"figures: {figures}")
    assert any(f"[{code}]" in x and words in x for x in codes_and_lines(project)), codes_and_lines(project)


def test_a_contrast_of_one_quantity_is_refused(project):
    with_contrast(project)
    project.replace(SHEET_PATH, "measures: open-lanes", "measures: closure-weeks")
    [line] = [x for x in codes_and_lines(project) if "[bad-contrast]" in x]
    assert "figures 'closure-length' and 'lanes-open' both count 'closure-weeks': estimates of one quantity belong in one " \
           "figure" in line


def test_a_contrast_shows_two_quantities_side_by_side_never_as_rival_estimates(project):
    with_contrast(project)
    project.replace(SHEET_PATH, "      disputed: true\n", "      disputed: true\n      key: true\n")
    build(validated(load_project(project.root)), templates=["briefing"], jobs=1)
    text = " ".join(page_text(project.path("out/bridge.en.pdf")).split())
    assert "How long, and what stays open" in text
    assert "Two different quantities, not rival estimates" in text
    assert "The two numbers count different things, weeks of closure and lanes left open." in text
    assert text.count("Lanes the council says stay open to cyclists") == 1  # only in the contrast
    assert text.count("Expected length of the closure") == 1  # only in the contrast: not in key figures or the chart
    assert "Disputed figures" not in text and "Key figures" not in text
    assert "DISPUTED" in text  # the closure's own claims disagree: the contrast says so


# --- corrections ---------------------------------------------------------------------------------

WITHDRAWN = """\
        - id: bridge-reopens
          text: The council said the bridge would reopen within a week.
          status: reported
          attribution: council
          withdrawn: {date: 2025-03-06, note: The article said no such thing; the sentence was added in error.}
          citations:
            - source: bridge-report
              quote: closed the Old Bridge to all traffic on Monday
              locator: paragraph 1
"""


def with_corrections(project) -> None:
    project.replace(SHEET_PATH, "  figures:\n", WITHDRAWN + "  figures:\n")
    project.replace(SHEET_PATH, "          key: true\n          citations:\n",
                    "          key: true\n          corrections:\n            - date: 2025-03-06\n"
                    "              note: The date of the closure was given as 4 March; it was 3 March.\n"
                    "          citations:\n")


def test_a_withdrawn_and_a_corrected_fact_appear_dated_in_the_pdf(project):
    with_corrections(project)
    build(validated(load_project(project.root)), templates=["briefing"], jobs=1)
    path = project.path("out/bridge.en.pdf")
    text = " ".join(page_text(path).split())
    assert "Corrections" in text
    assert "Withdrawn 6 March 2025 The council said the bridge would reopen within a week. The article said no such " \
           "thing; the sentence was added in error." in text
    assert "Corrected 6 March 2025 The council closed the Old Bridge to all traffic on 3 March 2025. The date of the " \
           "closure was given as 4 March; it was 3 March." in text
    # The withdrawn fact is shown once, in the Corrections block, never as a fact.
    assert text.count("The council said the bridge would reopen within a week.") == 1
    assert "[Corrected 6 March 2025]" in text  # the mark beside the corrected fact
    reader = pypdf.PdfReader(path)
    corrections_page = next(i for i, page in enumerate(reader.pages) if "Corrections" in page.extract_text())
    marks = [link for link in link_annotations(reader) if link["uri"] is None and link["dest_page"] is not None]
    assert marks and all(link["dest_page"] == corrections_page for link in marks if link["page"] == corrections_page)


def test_corrections_reach_every_language_and_the_email(project):
    with_corrections(project)
    project.replace(SHEET_PATH, "  languages: [en]", "  languages: [en, ko]")
    project.append("factsheets/settings.yaml", "mail:\n  from_name: Desk\n  from_address: desk@example.org\n")
    valid = validated(load_project(project.root))
    build(valid, templates=["briefing"], jobs=1)
    korean = " ".join(page_text(project.path("out/bridge.ko.pdf")).split())
    assert "정정" in korean and "2025년 3월 6일 철회" in korean and "2025년 3월 6일 정정" in korean
    reader = Recipient("Reader", "reader@example.org", ("ko",), None, Loc(project.root / "r.yaml", 1, 1))
    send(valid, [reader], dry_run=True, now=dt.datetime(2025, 3, 7, tzinfo=dt.timezone.utc), sleep=[].append)
    [eml] = project.path("out/mail").glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    body = message.get_body(("plain",)).get_content()
    assert "2025년 3월 6일 철회: The council said the bridge would reopen within a week." in body
    assert "The article said no such thing" in body


def test_retracted_is_not_a_status_and_says_what_to_write(project):
    project.replace(SHEET_PATH, "status: confirmed", "status: retracted")
    [line] = [x for x in codes_and_lines(project) if "[bad-status]" in x]
    assert "'retracted' is not a status: to take a fact back, keep its status and add withdrawn: {date: ..., note: ...}" \
        in line


def test_a_record_resting_on_a_withdrawn_quote_is_flagged(project):
    with_corrections(project)
    [line] = [x for x in codes_and_lines(project) if "[rests-on-withdrawn]" in x]
    assert "fact 'bridge-closed' rests on the same quote from 'bridge-report' as fact 'bridge-reopens', which was " \
           "withdrawn: check that it still stands" in line


def test_correction_notes_are_translated_like_other_texts(project):
    from factsheet.pofiles import catalogs

    with_corrections(project)
    contexts = [entry.context for entry in catalogs(load_project(project.root))["bridge"]]
    assert "fact:bridge-closed:correction-1" in contexts and "fact:bridge-reopens:withdrawn" in contexts


# --- quotes within their paragraph ---------------------------------------------------------------


OTHER_SOURCE = """\
  - id: ferry-report
    title: Ferry service to start while the bridge is shut
    publisher: The Riverton Gazette
    published: 2025-03-05
    language: en
    archive: ferry-report.txt
    paragraphs_after: Ferry service to start while the bridge is shut
"""


@pytest.fixture
def two_sources(project):
    project.write("archive/ferry-report.txt",
                  "Ferry service to start while the bridge is shut\n\nA ferry will carry foot passengers from Friday.\n"
                  "It runs every twenty minutes.\n")
    project.append("factsheets/sources.yaml", OTHER_SOURCE)
    project.replace("factsheets/sources.yaml", "    archive: bridge-report.txt\n",
                    "    archive: bridge-report.txt\n    paragraphs_after: (An article written for the factsheet test suite.)\n")
    project.replace(SHEET_PATH, "      text: Engineers inspected the bridge.\n      citations: [bridge-report]\n",
                    "      text: Engineers inspected the bridge.\n      citations: [bridge-report, ferry-report]\n")
    return project


def test_the_data_archive_has_the_headline_line(two_sources):
    assert (DATA / "bridge-report.txt").read_text(encoding="utf-8").splitlines()[1] == \
        "(An article written for the factsheet test suite.)"
    assert codes_and_lines(two_sources) == []


def test_a_quote_found_only_in_the_other_article_is_an_error(two_sources):
    two_sources.replace(SHEET_PATH, "quote: closed the Old Bridge to all traffic on Monday",
                        "quote: A ferry will carry foot passengers from Friday")
    [line] = [x for x in codes_and_lines(two_sources) if "error" in x]
    assert "[quote-not-found]" in line and "does not occur in the archived copy of 'bridge-report'" in line


def test_a_quote_outside_its_paragraph_is_an_error(two_sources):
    two_sources.replace(SHEET_PATH, "locator: paragraph 1", "locator: paragraph 2")
    [line] = [x for x in codes_and_lines(two_sources) if "error" in x]
    assert "[quote-wrong-paragraph]" in line
    assert "is not in paragraph 2 of 'bridge-report' (it is in paragraph 1, counting the lines after \"(An article " \
           "written for the f…\"): fix the locator" in line


def test_a_paragraphs_after_line_missing_from_the_copy_is_an_error(two_sources):
    two_sources.replace("factsheets/sources.yaml", "paragraphs_after: Ferry service to start while the bridge is shut",
                        "paragraphs_after: Ferry service starts")
    assert any("[bad-paragraphs-after]" in x and "no line of its archived copy reads \"Ferry service starts\"" in x
               for x in codes_and_lines(two_sources))


# --- attributions that read right ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ACTOR_KINDS)
@pytest.mark.parametrize("language", ["en", "ko", "ru", "uk"])
def test_the_attribution_phrase_of_every_actor_kind_reads_right(project, kind, language):
    """A generic actor is named in its in-sentence form (translated), never a capitalised label pasted after 'according to'."""
    project.replace("factsheets/settings.yaml", "languages: [ko]", "languages: [ko, ru, uk]")
    project.replace("factsheets/actors.yaml", "  - id: council\n    name: Riverton city council\n    kind: government\n",
                    f"  - id: council\n    name: Unnamed council officials\n    kind: {kind}\n"
                    f"    in_sentence: unnamed council officials\n")
    project.replace(SHEET_PATH, "  languages: [en]", "  languages: [en, ko, ru, uk]")
    forms = {"ko": "익명의 시의회 관계자들", "ru": "неназванные представители городского совета",
             "uk": "неназвані представники міської ради"}
    if language != "en":
        project.write(f"translations/{language}/shared.po",
                      f'msgctxt "actor:council:in_sentence"\nmsgid "unnamed council officials"\n'
                      f'msgstr "{forms[language]}"\n')
    loaded = load_project(project.root)
    sheet = resolve_sheet(loaded, loaded.sheets["bridge"], language)
    fact = sheet.sections[0].facts[0]
    expected = forms.get(language, "unnamed council officials")
    assert fact.attribution == expected
    phrase = translator(language).gettext("According to {who}", who=fact.attribution)
    assert phrase in {"en": "According to unnamed council officials", "ko": f"출처: {expected}",
                      "ru": f"Источник: {expected}", "uk": f"Джерело: {expected}"}[language]
    assert "Unnamed council officials" not in phrase
