"""Every reader's language: catalogs, CLDR formatting, translated content, fonts and translation status."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from conftest import REPO_ROOT
from factsheet.builder import BuildFailed, build
from factsheet.checks import InvalidProject, check, validated
from factsheet.cli import cli
from factsheet.editions import as_edition, editions
from factsheet.i18n import format_number, format_partial_date, format_value, translator
from factsheet.model import PartialDate, Value
from factsheet.project import load_project
from factsheet.resolve import LABELS, resolve_sheet
from factsheet.templates import load_template
from factsheet.translations import project_status
from pdfcheck import embedded_fonts, page_text

LANGUAGES = ("en", "ko", "ru", "uk")
ENGLISH_INTERFACE = [message.split("{")[0].strip() for message in LABELS.values() if len(message.split("{")[0].strip()) > 3]
ENGLISH_INTERFACE += ["CONFIRMED", "REPORTED", "CLAIMED", "DISPUTED", "Page ", "as reported by", "more than",
                      "sources cited", "more facts", "Unclassified"]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Path:
    """A copy of the shipped project (without the archive) built once, both templates, every language."""
    root = tmp_path_factory.mktemp("shipped")
    shutil.copytree(REPO_ROOT / "factsheets", root / "factsheets")
    shutil.copytree(REPO_ROOT / "translations", root / "translations")
    shutil.copytree(REPO_ROOT / "templates", root / "templates")
    build(validated(load_project(root)))
    return root


def copy_project(tmp_path: Path) -> Path:
    root = tmp_path / "desk"
    shutil.copytree(REPO_ROOT / "factsheets", root / "factsheets")
    shutil.copytree(REPO_ROOT / "translations", root / "translations")
    shutil.copytree(REPO_ROOT / "templates", root / "templates")
    return root


# --- formatting with Babel's CLDR data -----------------------------------------


@pytest.mark.parametrize("language, number, day, month", [
    ("en", "6,000", "June 30, 2025", "October 2024"),
    ("ru", "6\u00a0000", "30 июня 2025\u00a0г.", "октябрь 2024\u00a0г."),
    ("uk", "6\u00a0000", "30 червня 2025\u00a0р.", "жовтень 2024\u00a0р."),
    ("ko", "6,000", "2025년 6월 30일", "2024년 10월"),
])
def test_numbers_and_dates_follow_each_locale(language, number, day, month):
    locale = translator(language).locale
    assert format_number(Decimal(6000), locale) == number
    assert format_partial_date(PartialDate(2025, 6, 30), locale) == day
    assert format_partial_date(PartialDate(2024, 10), locale) == month


@pytest.mark.parametrize("language, expected", [
    ("en", ["more than 6,000 soldiers", "4–5 soldiers"]),
    ("ru", ["более 6\u00a0000\u00a0солдат", "4–5\u00a0солдат"]),  # no line break between a number and its noun
    ("uk", ["понад 6\u00a0000 солдатів", "4–5 солдатів"]),
])
def test_values_and_ranges_are_phrased_per_language(language, expected):
    unit = {"en": "soldiers", "ru": "солдат", "uk": "солдатів"}[language]
    t = translator(language)
    assert [format_value(Value("more_than", Decimal(6000)), unit, t),
            format_value(Value("range", Decimal(4), Decimal(5)), unit, t)] == expected


@pytest.mark.parametrize("language, forms", [
    ("ru", ["1 источник", "2 источника", "5 источников", "11 источников", "21 источник", "22 источника"]),
    ("uk", ["1 джерело", "2 джерела", "5 джерел", "11 джерел", "21 джерело", "22 джерела"]),
    ("en", ["1 source cited", "2 sources cited", "5 sources cited", "11 sources cited", "21 sources cited", "22 sources cited"]),
])
def test_plural_forms_where_a_count_meets_a_noun(language, forms):
    t = translator(language)
    assert [t.ngettext("{n} source cited", "{n} sources cited", n) for n in (1, 2, 5, 11, 21, 22)] == forms


def test_catalogs_translate_every_interface_message():
    for language in ("ko", "ru", "uk"):
        t = translator(language)
        untranslated = [message for message in LABELS.values() if not t.has(message)]
        assert untranslated == [], language


def test_formatting_never_reads_the_machine_locale(monkeypatch):
    monkeypatch.setenv("LC_ALL", "ru_RU.UTF-8")
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    assert format_partial_date(PartialDate(2025, 6, 30), translator("en").locale) == "June 30, 2025"


# --- the PDFs in every language -----------------------------------------------


def fact_text(root: Path, fact_id: str, language: str) -> str:
    project = load_project(root)
    for sheet in project.sheets.values():
        for fact in sheet.facts():
            if fact.id == fact_id:
                return fact.text.source if language == "en" else fact.text.translations[language].text
    raise KeyError(fact_id)


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_pdf_holds_that_languages_facts(shipped, language):
    text = " ".join(page_text(shipped / "out" / f"kursk-casualties.{language}.pdf").split())
    facts = load_project(shipped).sheets["kursk-casualties"].facts()
    for fact in (facts[0], facts[-1]):
        words = fact_text(shipped, fact.id, language).split()
        assert " ".join(words[:6]) in text, (fact.id, language)


@pytest.mark.parametrize("language", ["ko", "ru", "uk"])
@pytest.mark.parametrize("sheet", ["kursk-casualties", "kursk-deployment", "treaty-anniversary"])
def test_no_english_interface_words_in_translated_pdfs(shipped, sheet, language):
    for name in (f"{sheet}.{language}.pdf", f"{sheet}.{language}.card.pdf"):
        text = page_text(shipped / "out" / name)
        # Source titles are shown in their own language (English), so compare without them.
        for title in ("Footage shows North Korean leader mourning soldiers believed killed in Russia",
                      "Kim Jong-un Sheds a Tear Before Coffin of North Korean Soldier Killed in Russia"):
            text = text.replace(title, "")
        found = [word for word in ENGLISH_INTERFACE if word in text]
        assert found == [], (name, found)


@pytest.mark.parametrize("language", ["ko", "ru", "uk"])
def test_unreviewed_translation_is_announced_in_the_pdf(shipped, language):
    notice = translator(language).gettext("This translation has not yet been reviewed by a person.")
    assert notice != "This translation has not yet been reviewed by a person."
    assert notice in page_text(shipped / "out" / f"treaty-anniversary.{language}.pdf")


@pytest.mark.parametrize("language", LANGUAGES)
def test_fonts_are_embedded_and_bold_differs_from_regular(shipped, language):
    reader = pypdf.PdfReader(shipped / "out" / f"kursk-deployment.{language}.pdf")
    fonts = embedded_fonts(reader)
    assert fonts and all(fonts.values()), fonts
    names = {re.sub(r"^/[A-Z]{6}\+", "", name) for name in fonts}
    family = "NotoSansKR" if language == "ko" else "NotoSans"
    assert {f"{family}-Regular", f"{family}-Bold"} <= names, names
    programs = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            base = re.sub(r"^/[A-Z]{6}\+", "", str(font["/BaseFont"]))
            descriptor = font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            programs[base] = descriptor.get_object()["/FontFile2"].get_object().get_data()
    assert programs[f"{family}-Bold"] != programs[f"{family}-Regular"]


def test_citations_share_numbers_across_languages(shipped):
    project = load_project(shipped)
    sheet = project.sheets["kursk-deployment"]
    orders = {language: [s.id for s in resolve_sheet(project, sheet, language).sources] for language in LANGUAGES}
    assert len({tuple(order) for order in orders.values()}) == 1
    facts = {language: [f.citations for s in resolve_sheet(project, sheet, language).sections for f in s.facts]
             for language in LANGUAGES}
    assert len({tuple(v) for v in facts.values()}) == 1


def test_source_titles_stay_in_their_language_with_a_translation(shipped):
    text = page_text(shipped / "out" / "kursk-casualties.ru.pdf")
    project = load_project(shipped)
    source = project.sources["ians-footage"]
    assert source.title in text
    assert source.translated_title["ru"] in text


def test_korean_wraps_only_at_spaces(shipped):
    project = load_project(shipped)
    sheet = project.sheets["kursk-deployment"]
    resolved = as_edition(project, resolve_sheet(project, sheet, "ko"), editions(shipped, sheet.id))  # as the PDF has it
    words = {word for text, _ in resolved.texts() for word in re.findall(r"[가-힣]+", " ".join(text.split(" ")))}
    whole = {w for text, _ in resolved.texts() for w in text.split()}
    marking = load_template(shipped / "templates", "briefing").marking.translations["ko"].text
    whole |= set(marking.split())
    words |= set(re.findall(r"[가-힣]+", marking))
    reader = pypdf.PdfReader(shipped / "out" / "kursk-deployment.ko.pdf")
    edges = []
    for page in reader.pages:
        for line in page.extract_text().splitlines():
            tokens = line.split()
            edges += [tokens[0], tokens[-1]] if tokens else []
    hangul_edges = [re.findall(r"[가-힣]+", token) for token in edges if re.search(r"[가-힣]", token)]
    assert len(hangul_edges) > 40
    # A word cut in two would leave a line edge that is only part of a word of the source texts.
    # Counts such as "2쪽" (page 2) are filled in while drawing, so they are not among the texts.
    broken = [token for token in edges if re.search(r"[가-힣]", token) and not token[0].isdigit()
              and not any(token in word or word in token for word in whole)]
    assert broken == []
    for runs in hangul_edges:
        for run in runs:
            assert run in words or run in ("쪽", "중", "건"), \
                f"{run!r} is not a whole run of Hangul from the sheet: a word was broken"


def test_status_shows_complete_unreviewed_translations(shipped):
    rows = project_status(validated(load_project(shipped)))
    files = ("kursk-casualties", "kursk-deployment", "treaty-anniversary", "shared")
    assert {(r.catalog, r.language) for r in rows} == {(f, lang) for f in files for lang in ("ko", "ru", "uk")}
    for row in rows:
        assert row.complete and row.untranslated == 0 and row.fuzzy == 0, row
        assert row.unreviewed == row.total, row  # no reviewer has marked the shipped translations yet
    result = CliRunner().invoke(cli, ["status", "-C", str(shipped)])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["file", "language", "texts", "translated", "fuzzy", "untranslated", "unreviewed"]
    total = sum(r.total for r in rows if r.language == "ru")
    assert f"ru: {total} translated messages, 0 fuzzy translations, 0 untranslated messages ({total} not yet reviewed)." in lines
    json_result = CliRunner().invoke(cli, ["status", "-C", str(shipped), "--format", "json"])
    assert '"complete": true' in json_result.output


# --- translation status after an edit --------------------------------------------

def edit_english_fact(root: Path) -> tuple[str, str, int]:
    """Put a word before the English of the last fact of a sheet; return its id, new opening and its Korean PO line."""
    fact = load_project(root).sheets["kursk-casualties"].facts()[-1]
    text = fact.loc.path.read_text(encoding="utf-8")
    first = fact.text.source.split()[0]
    at = text.index(first, text.index(f"- id: {fact.id}\n"))
    fact.loc.path.write_text(text[:at] + "Edited " + text[at:], encoding="utf-8")
    lines = (root / "translations" / "ko" / "kursk-casualties.po").read_text(encoding="utf-8").splitlines()
    opening = " ".join(("Edited " + fact.text.source).split()[:5])
    return fact.id, opening, lines.index(f'msgctxt "fact:{fact.id}:text"') + 2  # the msgid line


def test_changing_the_english_makes_translations_stale(tmp_path):
    root = copy_project(tmp_path)
    fact_id, _, ko_line = edit_english_fact(root)
    problems = [p for p in check(load_project(root)) if p.code == "stale-translation"]
    assert [(p.loc.path.name, p.loc.line) for p in problems if p.language == "ko"] == [("kursk-casualties.po", ko_line)]
    assert {p.language for p in problems} == {"ko", "ru", "uk"}
    assert problems[0].message.startswith(f"the 'ko' translation of fact '{fact_id}' text is fuzzy: the English "
                                          "changed: (nothing) → «Edited»; update it, then clear its fuzzy flag")
    statuses = {(r.catalog, r.language): r for r in project_status(validated(load_project(root)))}
    assert statuses[("kursk-casualties", "ko")].fuzzy == 1


def test_build_falls_back_visibly_and_strict_refuses(tmp_path):
    root = copy_project(tmp_path)
    _, opening, _ = edit_english_fact(root)
    with pytest.raises(BuildFailed) as failure:
        build(validated(load_project(root)), sheets=["kursk-casualties"], languages=["ko"], strict=True)
    assert {p.code for p in failure.value.problems if p.is_error} == {"stale-translation"}
    assert not (root / "out" / "kursk-casualties.ko.pdf").exists()
    build(validated(load_project(root)), sheets=["kursk-casualties"], languages=["ko"], templates=["briefing"])
    text = page_text(root / "out" / "kursk-casualties.ko.pdf")
    assert opening in " ".join(text.split())
    assert "†" in text
    notice = translator("ko").ngettext(
        "{n} text is not yet translated and is shown in the original language, marked †.",
        "{n} texts are not yet translated and are shown in the original language, marked †.", 1)
    assert notice in text


def test_cli_strict_flag(tmp_path):
    root = copy_project(tmp_path)
    fact_id, _, _ = edit_english_fact(root)
    result = CliRunner().invoke(cli, ["build", "-C", str(root), "--strict", "--lang", "ru", "kursk-casualties"])
    assert result.exit_code == 1
    assert f"error: the 'ru' translation of fact '{fact_id}' text is fuzzy: the English changed" in result.output
    # Only the languages being built: the Korean and Ukrainian fuzzy entries stay warnings.
    assert f"warning: the 'ko' translation of fact '{fact_id}'" in result.output
    assert "error: the 'ko'" not in result.output and "error: the 'uk'" not in result.output


# --- fonts: fallback and missing glyphs ------------------------------------------------


def test_missing_glyph_is_an_error_naming_sheet_field_and_character(tmp_path):
    root = copy_project(tmp_path)
    section = load_project(root).sheets["kursk-casualties"].sections[-1]
    path = section.loc.path
    path.write_text(path.read_text(encoding="utf-8").replace(f"title: {section.title.source}\n",
                                                             f"title: {section.title.source} \U0001F600\n"), encoding="utf-8")
    with pytest.raises(BuildFailed) as failure:
        build(validated(load_project(root)), sheets=["kursk-casualties"], languages=["en"], templates=["briefing"])
    [problem] = failure.value.problems
    assert problem.code == "missing-glyph"
    assert problem.message.startswith("sheet 'kursk-casualties' (en): no configured font has a glyph for '😀' (U+1F600) "
                                      f"in section '{section.id}' title")


def test_ukrainian_title_inside_a_korean_sheet_falls_back_to_a_font_that_has_it(tmp_path):
    root = copy_project(tmp_path)
    sources = root / "factsheets" / "sources.yaml"
    title = "Їжак і ґанок: єдність"
    sources.write_text(sources.read_text(encoding="utf-8").replace(
        "    title: Footage shows North Korean leader mourning soldiers believed killed in Russia",
        f"    title: \"{title}\""), encoding="utf-8")
    build(validated(load_project(root)), sheets=["kursk-casualties"], languages=["ko"], templates=["briefing"])
    path = root / "out" / "kursk-casualties.ko.pdf"
    assert title in page_text(path)
    names = {re.sub(r"^/[A-Z]{6}\+", "", n) for n in embedded_fonts(pypdf.PdfReader(path))}
    assert "NotoSans-Regular" in names and "NotoSansKR-Regular" in names


# --- a fifth language is data only ------------------------------------------------------

JA_CATALOG = """\
msgid ""
msgstr ""
"Language: ja\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

msgid "Sources"
msgstr "出典"

msgid "Key facts"
msgstr "主な事実"
"""


def test_a_fifth_language_needs_only_data(tmp_path):
    root = copy_project(tmp_path)
    settings = root / "factsheets" / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("languages: [ko, ru, uk]", "languages: [ko, ru, uk, ja]"),
                        encoding="utf-8")
    sheet = root / "factsheets" / "sheets" / "kursk-casualties.yaml"
    text = sheet.read_text(encoding="utf-8")
    title = "North Korea's dead in Russia's war"
    text = text.replace("  languages: [en, ko, ru, uk]", "  languages: [en, ko, ru, uk, ja]")
    sheet.write_text(text, encoding="utf-8")
    po = root / "translations" / "ja" / "kursk-casualties.po"
    po.parent.mkdir(parents=True)
    po.write_text(f'msgctxt "sheet:kursk-casualties:title"\nmsgid "{title}"\nmsgstr "ロシアの戦争で死亡した北朝鮮兵"\n',
                  encoding="utf-8")
    catalog = root / "locale" / "ja" / "LC_MESSAGES" / "factsheet.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text(JA_CATALOG, encoding="utf-8")
    fonts = root / "templates" / "fonts.yaml"
    fonts.write_text(fonts.read_text(encoding="utf-8").replace(
        "\n# Which families", """
  noto-sans-jp:
    regular: "package:rendercv_fonts/Noto Sans/NotoSansJP-Regular.ttf"
    bold: "package:rendercv_fonts/Noto Sans/NotoSansJP-Bold.ttf"

# Which families""").replace("  Kore: [noto-sans-kr, noto-sans]", "  Kore: [noto-sans-kr, noto-sans]\n  Jpan: [noto-sans-jp, noto-sans]"),
                     encoding="utf-8")
    project = load_project(root)
    assert "ja" in project.sheets["kursk-casualties"].languages
    warnings = {p.code for p in check(project)}
    assert "missing-catalog" not in warnings and "missing-translation" in warnings  # the rest is not translated yet
    build(validated(project), sheets=["kursk-casualties"], languages=["ja"], templates=["card"])
    path = root / "out" / "kursk-casualties.ja.card.pdf"
    text = page_text(path)
    assert "ロシアの戦争で死亡した北朝鮮兵" in text and "出典" in text and "主な事実" in text
    assert "2025年6月30日" in text  # CLDR dates for Japanese, with no code for it
    names = {re.sub(r"^/[A-Z]{6}\+", "", n) for n in embedded_fonts(pypdf.PdfReader(path))}
    assert "NotoSansJP-Regular" in names


def test_a_language_without_catalog_is_warned_about(tmp_path):
    root = copy_project(tmp_path)
    settings = root / "factsheets" / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("languages: [ko, ru, uk]", "languages: [ko, ru, uk, de]"),
                        encoding="utf-8")
    [problem] = [p for p in check(load_project(root)) if p.code == "missing-catalog"]
    assert problem.message.startswith("no interface catalog for 'de'")


def test_today_is_never_read(shipped):
    # The PDF dates come from the sheet's as_of: a build today and one in a year are the same bytes.
    reader = pypdf.PdfReader(shipped / "out" / "kursk-casualties.en.pdf")
    assert reader.metadata["/CreationDate"].startswith("D:20250630")
    assert dt.date.today().isoformat().replace("-", "") not in reader.metadata["/CreationDate"]


def test_a_catalog_translation_with_wrong_placeholders_is_reported_not_crashed(tmp_path):
    root = copy_project(tmp_path)
    catalog = root / "locale" / "ko" / "LC_MESSAGES" / "factsheet.po"
    catalog.parent.mkdir(parents=True)
    source = (REPO_ROOT / "src" / "factsheet" / "locale" / "ko" / "LC_MESSAGES" / "factsheet.po").read_text(encoding="utf-8")
    assert 'msgstr "출처: {who}"' in source
    catalog.write_text(source.replace('msgstr "출처: {who}"', 'msgstr "출처: {누구}"'), encoding="utf-8")
    line = catalog.read_text(encoding="utf-8").splitlines().index('msgstr "출처: {누구}"')  # msgid is the line before
    [problem] = [p for p in check(load_project(root)) if p.code == "catalog-placeholders"]
    assert (problem.loc.path.name, problem.loc.line) == ("factsheet.po", line)
    assert problem.message.startswith("the 'ko' translation of \"According to {who}\" uses {누구} but the message has {who}")
    with pytest.raises(InvalidProject):
        validated(load_project(root))


def test_an_edited_catalog_is_read_again_in_the_same_process(tmp_path):
    root = copy_project(tmp_path)
    catalog = root / "locale" / "ko" / "LC_MESSAGES" / "factsheet.po"
    catalog.parent.mkdir(parents=True)
    source = (REPO_ROOT / "src" / "factsheet" / "locale" / "ko" / "LC_MESSAGES" / "factsheet.po").read_text(encoding="utf-8")
    catalog.write_text(source, encoding="utf-8")
    project = load_project(root)
    assert translator("ko", project.locale_dirs).gettext("Summary") == "요약"
    catalog.write_text(source.replace('msgstr "요약"', 'msgstr "개요"'), encoding="utf-8")
    assert translator("ko", project.locale_dirs).gettext("Summary") == "개요"


def test_status_says_when_the_records_have_errors(tmp_path):
    root = copy_project(tmp_path)
    (root / "factsheets" / "sheets" / "x.yaml").write_text("sheet:\n  id: x\n  title: X\n  summary: S\n  as_of: 2025-13-01\n")
    result = CliRunner().invoke(cli, ["status", "-C", str(root)])
    assert result.exit_code == 1
    assert "run 'factsheet check'" in result.output
    assert "Traceback" not in result.output
