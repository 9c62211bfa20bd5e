"""Typography per language, as data: quotes, apostrophes, no-break spaces, dashes and hyphenation."""

from __future__ import annotations

import re

import pytest

from conftest import REPO_ROOT
from factsheet.templates import TemplateError, load_typography
from factsheet.typography import NBSP, typeset
from test_reading import shipped  # noqa: F401 (the shipped project, built once)

RULES = load_typography(REPO_ROOT / "templates")


@pytest.mark.parametrize("language, text, expected", [
    ("en", 'North Korea\'s "victory narrative"', "North Korea’s “victory narrative”"),
    ("en", "the soldiers' coffins", "the soldiers’ coffins"),
    ("en", 'He said: "a \'so-called\' plan".', "He said: “a ‘so-called’ plan”."),
    ("ru", 'так называемый "План"', "так называемый «План»"),
    ("uk", "п'ять трун", "пʼять трун"),
    ("uk", 'так званий "План"', "так званий «План»"),
    ("ko", '"승리 서사"', "“승리 서사”"),
])
def test_quotes_and_apostrophes_are_the_languages_own(language, text, expected):
    assert typeset(text, RULES[language]) == expected


@pytest.mark.parametrize("language, text, expected", [
    ("en", "more than 6,000 soldiers", f"more than 6,000{NBSP}soldiers"),  # a number stays with its noun
    ("en", "on June 30, 2025", f"on June{NBSP}30, 2025"),  # the day stays with its month
    ("en", "30 June 2025", f"30{NBSP}June 2025"),
    ("ru", "показали лишь 4–5 гробов — и всё", f"показали лишь 4–5{NBSP}гробов{NBSP}— и{NBSP}всё"),
    ("uk", "у Курській області і в Росії", f"у{NBSP}Курській області і{NBSP}в{NBSP}Росії"),
])
def test_no_break_spaces_where_a_break_would_mislead(language, text, expected):
    assert typeset(text, RULES[language]) == expected


def test_typography_is_data_and_checked(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "typography.yaml").write_text("en:\n  quotes: [“, ”]\n  apostrophe: ’\n  hyphenation: xx_YY\n",
                                            encoding="utf-8")
    with pytest.raises(TemplateError) as failure:
        load_typography(folder)
    messages = [p.message for p in failure.value.problems]
    assert any("expected four marks" in m for m in messages) or any("no hyphenation dictionary 'xx_YY'" in m
                                                                      for m in messages)


def test_hyphenation_dictionaries_exist_for_the_languages_that_name_one():
    import pyphen

    assert {code: RULES[code].hyphenation for code in ("en", "ru", "uk")} == {"en": "en_GB", "ru": "ru_RU", "uk": "uk_UA"}
    assert all(RULES[code].hyphenation in pyphen.LANGUAGES for code in ("en", "ru", "uk"))


def test_shipped_pdfs_have_no_straight_quotes_and_no_line_starting_with_a_dash(shipped):  # noqa: F811
    import pypdf

    for path in sorted((shipped / "out").glob("*.pdf")):
        for page in pypdf.PdfReader(path).pages:
            text = page.extract_text()
            assert '"' not in text, path.name
            assert not re.search(r"[A-Za-z]'[A-Za-z]", text), path.name  # no straight apostrophe
            assert not any(line.lstrip().startswith(("—", "–")) for line in text.splitlines()), path.name


def test_one_date_style_in_the_english_pdfs(shipped):  # noqa: F811
    import pypdf

    for path in sorted((shipped / "out").glob("*.en*.pdf")):
        text = " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
        assert re.search(r"\b\d{1,2}\s(June|March|October|December)\s\d{4}", text), path.name
        assert not re.search(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)"
                             r"\s\d{1,2},\s\d{4}", text), path.name  # never "June 30, 2025" beside "30 June 2025"


def test_words_with_a_hyphen_keep_it_in_the_pdfs(shipped):  # noqa: F811
    # ReportLab breaking a table cell's lines again, from the word list of its first
    # breaking, dropped the hyphen of a word broken at it: "a socalled plan".
    import pypdf

    sources = " ".join(path.read_text(encoding="utf-8") for path in (shipped / "factsheets").rglob("*.yaml"))
    joined = {first + second for first, second in re.findall(r"\b(\w+)-(\w+)\b", sources)}
    assert "socalled" in joined
    for path in sorted((shipped / "out").glob("*.pdf")):
        text = " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
        assert not {word for word in joined if re.search(rf"\b{word}\b", text)}, path.name


def test_a_paragraph_broken_at_its_hyphen_in_a_table_keeps_the_hyphen(tmp_path):
    import pypdf
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import SimpleDocTemplate, Table

    from factsheet import render  # noqa: F401 (ReportLab hardened as in a build)
    from factsheet.layout.context import Para

    style = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=12, embeddedHyphenation=1)
    text = 'Footage said to show Kim approving a so-called plan. <font color="#777777">According to a publisher</font>'

    def first_line(paragraph, width):
        paragraph.wrap(width, 1000)
        return "".join(word.text for word in paragraph.blPara.lines[0].words).rstrip()

    width = next(w for w in range(100, 300) if first_line(Para(text, style), w).endswith("so-"))
    cell = Para(text, style)
    cell.wrap(width, 1000)
    broken = [[word.text for word in line.words] for line in cell.blPara.lines]
    cell.wrap(width, 1000)  # as a table does: once to measure the row, once to draw it
    assert [[word.text for word in line.words] for line in cell.blPara.lines] == broken
    path = tmp_path / "cell.pdf"
    flat = [("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]
    SimpleDocTemplate(str(path)).build([Table([[Para(text, style)]], colWidths=[width], style=flat)])
    lines = pypdf.PdfReader(path).pages[0].extract_text().splitlines()
    assert lines[0].endswith("so-") and lines[1].startswith("called"), lines


@pytest.mark.parametrize("language, words", [
    ("en_GB", ["establishment", "deployment", "reconnaissance", "intelligence", "so-called", "Kursk"]),
    ("ru_RU", ["развертывание", "государственные", "представление", "Курской"]),
    ("uk_UA", ["розгортання", "передплатників", "розвідка", "Курській"]),
])
def test_a_hyphenation_dictionary_from_the_cache_breaks_words_as_pyphen_does(language, words, monkeypatch, tmp_path):
    import pyphen

    from factsheet import hyphenation

    monkeypatch.setenv("FACTSHEET_CACHE_DIR", str(tmp_path))
    path = pyphen.LANGUAGES[pyphen.language_fallback(language)]
    monkeypatch.setattr(pyphen, "hdcache", {})
    hyphenation.load(language)  # parsed by pyphen, and stored
    assert list((tmp_path / "hyphenation").glob("*.bin"))
    monkeypatch.setattr(pyphen, "hdcache", {})
    hyphenation.load(language)  # from the cache
    cached = pyphen.hdcache[path]
    assert cached.patterns == pyphen.HyphDict(path).patterns
    own = pyphen.Pyphen(filename=path, cache=False)
    for word in words:
        assert list(pyphen.Pyphen(lang=language).iterate(word)) == list(own.iterate(word)), word
