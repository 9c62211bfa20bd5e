"""What a reader of the shipped PDFs gets: links and bookmarks that open their target, citations that extract as tokens."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pypdf
import pytest

from conftest import REPO_ROOT
from factsheet.builder import build
from factsheet.checks import validated
from factsheet.i18n import translator
from factsheet.project import load_project
from pdfcheck import has_phrase, link_annotations, page_text


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Path:
    """The shipped project, built once: every sheet, language and template."""
    root = tmp_path_factory.mktemp("reading")
    for folder in ("factsheets", "translations", "templates"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    build(validated(load_project(root)), jobs=1)
    return root


def fact_text(fact, language: str) -> str:
    return fact.text.source if language == "en" else fact.text.translations[language].text


def pdfs(root: Path) -> list[Path]:
    return sorted((root / "out").glob("*.pdf"))


def _outline(reader: pypdf.PdfReader) -> list:
    found = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found.append(item)

    walk(reader.outline)
    return found


def test_every_bookmark_opens_the_page_and_place_of_its_heading(shipped):
    checked = 0
    for path in pdfs(shipped):
        reader = pypdf.PdfReader(path)
        for item in _outline(reader):
            page = reader.get_destination_page_number(item)
            text = " ".join(reader.pages[page].extract_text().split())
            heading = " ".join(item.title.split())
            assert heading in text, (path.name, heading, page)
            top = float(item["/Top"])
            assert 0 < top <= float(reader.pages[page].mediabox.top), (path.name, heading, top)
            checked += 1
    assert checked > 50


def test_every_citation_link_opens_the_page_of_its_source_entry(shipped):
    for path in pdfs(shipped):
        reader = pypdf.PdfReader(path)
        heading = translator(path.name.split(".")[1]).gettext("Sources")
        first = next(i for i, page in enumerate(reader.pages) if heading in page.extract_text())
        # The source list starts on page `first`; an entry may run onto the next page.
        entry_pages = {i for i, page in enumerate(reader.pages) if i >= first and re.search(r"^\d+\s", page.extract_text(), re.M)}
        internal = [link for link in link_annotations(reader) if link["uri"] is None]
        assert internal, path.name
        # The shipped sheets carry no corrections: every internal link is a citation into the source list.
        assert {link["dest_page"] for link in internal} <= entry_pages, path.name
        assert any(link["dest_page"] == first for link in internal), path.name


def test_citation_markers_extract_as_tokens_of_their_own(shipped):
    text = pypdf.PdfReader(shipped / "out" / "kursk-casualties.en.pdf").pages[0].extract_text()
    assert re.search(r"IANS\s1", text) and not re.search(r"IANS1", text)
    assert not re.search(r"[A-Za-z]\d,\d", text)  # no "Television1,2"


def test_every_key_figure_carries_its_status_and_the_legend_explains_the_badges(shipped):
    from factsheet.resolve import LABELS

    for path in pdfs(shipped):
        if "kursk-deployment" not in path.name:
            continue
        language = path.name.split(".")[1]
        t = translator(language)
        text = " ".join(pypdf.PdfReader(path).pages[0].extract_text().split())
        assert t.gettext(LABELS["legend"]) in text, path.name
        for status in ("confirmed", "reported", "claimed", "disputed"):
            assert has_phrase(text, t.gettext(LABELS[f"legend_{status}"])), (path.name, status)
        # Shoigu's pledges are claims: both key numbers carry the CLAIMED badge.
        from factsheet.i18n import STATUS_LABELS

        assert text.count(t.gettext(STATUS_LABELS["claimed"]).upper()) >= 3, path.name  # two figures and the legend


def test_a_card_fills_its_page_and_says_where_the_rest_is(shipped):
    import pypdfium2

    for path in pdfs(shipped):
        if ".card." not in path.name:
            continue
        language = path.name.split(".")[1]
        reader = pypdf.PdfReader(path)
        assert len(reader.pages) == 1, path.name
        text = " ".join(reader.pages[0].extract_text().split())
        sheet = load_project(shipped).sheets[path.name.split(".")[0]]
        shown = sum(has_phrase(text, " ".join(fact_text(fact, language).split()[:4])) for fact in sheet.facts())
        if shown < len(sheet.facts()):  # some facts are left out: the card names the full briefing
            assert f"{sheet.id}.{language}.pdf" in text, path.name
        page = pypdfium2.PdfDocument(path)[0]
        image = page.render(scale=0.5).to_pil().convert("L")
        darkest = [image.crop((0, y, image.width, y + 1)).getextrema()[0] for y in range(image.height)]
        inked = [y for y, value in enumerate(darkest) if value < 200 and y < image.height * 0.9]
        assert inked and max(inked) > image.height * 0.75, (path.name, "the card leaves its lower quarter empty")


def test_page_furniture_a_reader_understands(shipped):
    """No running header above the title band on page 1; every page of a translation says the English prevails."""
    from factsheet.resolve import LABELS

    for path in pdfs(shipped):
        language = path.name.split(".")[1]
        reader = pypdf.PdfReader(path)
        for number, page in enumerate(reader.pages):
            text = " ".join(page.extract_text().split())
            if language != "en":
                assert has_phrase(text, translator(language).gettext(LABELS["prevails"])), (path.name, number)
            else:
                assert "prevails" not in text
        from factsheet.resolve import resolve_sheet

        project = load_project(shipped)
        heading = resolve_sheet(project, project.sheets[path.name.split(".")[0]], language).title.text
        opening = heading.split()[0]
        # The title appears once at the top of page 1, in the title band: no running header repeats it above.
        assert sum(line.startswith(opening) for line in _lines_from_top(path)[:4]) == 1, (path.name, opening)


def _lines_from_top(path: Path) -> list[str]:
    """Page 1's text lines, top to bottom."""
    import pypdfium2

    page = pypdfium2.PdfDocument(path)[0]
    text = page.get_textpage().get_text_bounded()
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_no_heading_ends_a_page_alone_and_a_split_says_continued(shipped):
    from pdfcheck import placed_lines

    continued = 0
    for path in pdfs(shipped):
        body = placed_lines(path, 9.5) + placed_lines(path, 7.5)
        for page, y, text in placed_lines(path, 11):  # section, timeline and source headings
            below = [line for line in body if line[0] == page and line[1] < y]
            assert below, (path.name, page, text, "a heading with nothing under it on its page")
        language = path.name.split(".")[1]
        marker = translator(language).gettext("{heading} (continued)").replace("{heading}", "").strip()
        continued += sum(marker in text for _, _, text in placed_lines(path, 11))
    assert continued >= 2  # some section of the shipped briefings runs onto page 2, and says so


def test_a_clear_band_above_the_footer(shipped):
    from factsheet.templates import load_template
    from pdfcheck import placed_lines

    for path in pdfs(shipped):
        template = load_template(shipped / "templates", "card" if ".card." in path.name else "briefing")
        rule = template.margins["bottom"] - 4  # where the footer rule is drawn
        lines = [y for size in (template.sizes["body"], template.sizes["small"]) for _, y, _ in placed_lines(path, size)
                 if y > rule + 1]  # above the rule: the page's own text, not the footer
        assert min(lines) - rule >= 10, (path.name, round(min(lines) - rule, 1))


def test_no_last_page_holds_a_remnant(shipped):
    from pdfcheck import inked_share

    for path in pdfs(shipped):
        pages = len(pypdf.PdfReader(path).pages)
        if pages > 1:
            assert inked_share(path, pages - 1) >= 0.2, (path.name, round(inked_share(path, pages - 1), 2))


def test_page_one_opens_with_the_bottom_line_each_takeaway_with_status_and_source(shipped):
    from factsheet.resolve import LABELS, resolve_sheet
    from factsheet.i18n import STATUS_LABELS

    project = load_project(shipped)
    for path in pdfs(shipped):
        language = path.name.split(".")[1]
        t = translator(language)
        sheet = resolve_sheet(project, project.sheets[path.name.split(".")[0]], language)
        assert 2 <= len(sheet.bottom_line) <= 3, path.name
        text = " ".join(pypdf.PdfReader(path).pages[0].extract_text().split())
        panel = text.index(t.gettext(LABELS["bottom_line"]).upper())
        for takeaway in sheet.bottom_line:
            at = text.find(" ".join(takeaway.text.text.split()[:3]), panel)
            assert at > panel, (path.name, takeaway.id)
            badge = t.gettext(STATUS_LABELS[takeaway.status]).upper()
            assert badge in text[panel:at], (path.name, takeaway.id)  # its badge precedes it
            assert has_phrase(text, t.gettext(LABELS["according_to"]).format(who=takeaway.attribution)), (path.name, takeaway.id)


def test_type_sizes_measure_and_titles(shipped):
    """Body at 9.5 pt in lines of about 90 characters at most, nothing but citation markers under 7.5 pt,
    and no title ending on a line of one word."""

    import pypdfium2
    import pypdfium2.raw as raw

    from factsheet.templates import load_template
    from pdfcheck import placed_lines

    for path in pdfs(shipped):
        template = load_template(shipped / "templates", "card" if ".card." in path.name else "briefing")
        assert template.sizes["body"] >= 9.5 and template.sizes["small"] >= 7.5
        assert max((len(text) for _, _, text in placed_lines(path, template.sizes["body"])), default=0) <= 100, path.name
        document = pypdfium2.PdfDocument(path)
        for page in document:
            textpage = page.get_textpage()
            for index in range(raw.FPDFText_CountChars(textpage.raw)):
                size = raw.FPDFText_GetFontSize(textpage.raw, index)
                char = chr(raw.FPDFText_GetUnicode(textpage.raw, index))
                if 1.5 < size < 7.45 and not (char.isdigit() or char in ", \u00a0"):
                    raise AssertionError((path.name, char, size))
        title_lines = [text for page, _, text in placed_lines(path, template.sizes["title"]) if page == 0]
        assert title_lines and all(len(line.split()) > 1 for line in title_lines[-1:]), (path.name, title_lines)
        document.close()


def test_one_house_colour_scheme_across_templates():
    from factsheet.templates import load_template

    briefing, card = (load_template(REPO_ROOT / "templates", name) for name in ("briefing", "card"))
    assert briefing.colours == card.colours


def test_source_entries_link_out_exactly_where_an_address_is_known(shipped):
    """No address of the two shipped sources was captured, so no PDF may carry an external link
    (the fixture project's test_build checks an entry with an address links to it)."""
    from factsheet.resolve import resolve_sheet

    project = load_project(shipped)
    for path in pdfs(shipped):
        sheet = resolve_sheet(project, project.sheets[path.name.split(".")[0]], path.name.split(".")[1])
        addresses = {source.url for source in sheet.sources if source.url}
        links = {link["uri"] for link in link_annotations(pypdf.PdfReader(path)) if link["uri"]}
        assert links == addresses, path.name


def test_the_timeline_is_an_edited_chronology(shipped):
    """Dated events with their own short text, each once: never a copy of a fact."""
    from factsheet.resolve import resolve_sheet

    project = load_project(shipped)
    for path in pdfs(shipped):
        if ".card." in path.name:
            continue
        language = path.name.split(".")[1]
        sheet = resolve_sheet(project, project.sheets[path.name.split(".")[0]], language)
        facts = {" ".join(fact.text.text.split()) for section in sheet.sections for fact in section.facts}
        events = [" ".join(entry.text.text.split()) for entry in sheet.timeline]
        assert events and len(set(events)) == len(events), path.name
        assert not facts & set(events), path.name
        text = page_text(path)
        after = text[text.rindex(translator(language).gettext("Timeline")):]
        for event in events:
            assert has_phrase(after, event), (path.name, event)


def test_pagination_is_the_same_in_every_language(shipped):
    """The same sheet has as many pages in every language, opens with the same blocks on page 1
    and keeps the chronology and sources together at its end."""
    from factsheet.resolve import LABELS

    by_sheet: dict[tuple[str, str], dict[str, int]] = {}
    for path in pdfs(shipped):
        sheet, language, *card = path.name.split(".")[:-1]
        reader = pypdf.PdfReader(path)
        by_sheet.setdefault((sheet, "card" if card else "briefing"), {})[language] = len(reader.pages)
        t = translator(language)
        first = " ".join(reader.pages[0].extract_text().split())
        assert t.gettext(LABELS["bottom_line"]).upper() in first, path.name
        assert t.gettext(LABELS["legend"]) in first, path.name
        if sheet == "kursk-casualties":
            assert has_phrase(first, t.gettext(LABELS["contrast_note"])), path.name
        if not card:
            last = " ".join(reader.pages[-1].extract_text().split())
            assert t.gettext("Timeline") in last and t.gettext("Sources") in last, path.name
    for key, pages in by_sheet.items():
        assert len(set(pages.values())) == 1 and len(pages) == 4, (key, pages)


def test_different_quantities_are_drawn_as_a_contrast_never_on_a_shared_axis(shipped):
    from factsheet.resolve import LABELS

    for path in pdfs(shipped):
        t = translator(path.name.split(".")[1])
        text = page_text(path)
        scale = t.gettext(LABELS["axis_title"]).split("{")[0].strip()
        assert scale not in text, path.name  # no shipped figure has rival claims, so no chart draws an axis
        if path.name.startswith("kursk-casualties"):
            assert has_phrase(text, t.gettext(LABELS["contrast_note"])), path.name


def test_long_words_are_hyphenated_where_the_language_has_a_dictionary(shipped):
    """Some line of every hyphenated language ends inside a word that the records spell without a hyphen."""
    from pdfcheck import placed_lines

    for language in ("en", "ru", "uk"):
        folder = shipped / ("factsheets/sheets" if language == "en" else f"translations/{language}")
        written = " ".join(path.read_text(encoding="utf-8") for path in folder.iterdir())
        split_words = []
        for path in pdfs(shipped):
            if f".{language}." not in path.name:
                continue
            lines = [text for _, _, text in placed_lines(path, 9.5)]
            for line, following in zip(lines, lines[1:]):
                if re.search(r"\w{2}[-\x02\u00ad]$", line) and following:
                    word = line.split()[-1][:-1] + re.match(r"\w*", following).group()
                    split_words += [word] if re.search(rf"\b{re.escape(word)}", written) else []
        assert split_words, language
