"""Content translations in PO files: update, round trips through other PO tools, review, migration, the translator's view."""

from __future__ import annotations

import random
import shutil

import polib
import pytest
from click.testing import CliRunner

from conftest import REPO_ROOT, SHEET_PATH
from factsheet.builder import build
from factsheet.checks import check, validated
from factsheet.cli import cli
from factsheet.i18n import interface_messages, translator
from factsheet.pofiles import read_catalog
from factsheet.problems import Problems
from factsheet.project import load_project
from factsheet.translations import pending_texts, project_status
from pdfcheck import page_text

FACT = "The council closed the Old Bridge to all traffic on 3 March 2025."
KO_PO = "translations/ko/bridge.po"


@pytest.fixture
def desk(project):
    """The test project published in Korean and Russian, with its PO files made by `translations update`."""
    project.replace("factsheets/settings.yaml", "languages: [ko]", "languages: [ko, ru]")
    project.replace(SHEET_PATH, "  languages: [en]", "  languages: [en, ko, ru]")
    done = run(project, "translations", "update")
    assert done.exit_code == 0, done.output
    return project


def run(desk, *args: str):
    result = CliRunner().invoke(cli, [*args[:2], "-C", str(desk.root), *args[2:]] if args[0] == "translations"
                                else [args[0], "-C", str(desk.root), *args[1:]])
    assert "Traceback" not in result.output
    return result


def po(desk, rel: str = KO_PO) -> polib.POFile:
    return polib.pofile(str(desk.path(rel)))


def entry(pofile: polib.POFile, context: str) -> polib.POEntry:
    [found] = [e for e in pofile if e.msgctxt == context]
    return found


def test_update_creates_one_file_per_sheet_and_language_with_every_text_untranslated(desk):
    assert sorted(p.relative_to(desk.root).as_posix() for p in desk.path("translations").rglob("*.po")) == [
        "translations/ko/bridge.po", "translations/ko/shared.po", "translations/ru/bridge.po", "translations/ru/shared.po"]
    ko = po(desk)
    assert [e.msgctxt for e in ko] == [
        "sheet:bridge:title", "sheet:bridge:summary", "section:closure:title", "fact:bridge-closed:text",
        "figure:closure-length:label", "figure:closure-length:unit", "event:inspection:text"]
    fact = entry(ko, "fact:bridge-closed:text")
    assert (fact.msgid, fact.msgstr, fact.comment) == (FACT, "", "fact 'bridge-closed' text")
    assert [e.msgctxt for e in po(desk, "translations/ko/shared.po")] == [
        "actor:council:name", "actor:gazette:name", "actor:residents:name"]
    again = run(desk, "translations", "update")
    assert again.output.strip().endswith("Updated 0 of 4 PO files: all were in step with the English.")


def test_round_trip_through_another_po_library_reaches_the_pdf(desk):
    ko = po(desk)
    entry(ko, "fact:bridge-closed:text").msgstr = "시의회는 2025년 3월 3일 옛 다리의 모든 통행을 막았다."
    entry(ko, "sheet:bridge:title").msgstr = "옛 다리 폐쇄"
    ko.save()
    result = run(desk, "build", "--lang", "ko", "--template", "briefing")
    assert result.exit_code == 0, result.output
    text = page_text(desk.path("out/bridge.ko.pdf"))
    assert "시의회는 2025년 3월 3일 옛 다리의 모든 통행을 막았다." in text and "옛 다리 폐쇄" in text
    assert FACT not in text.replace("\n", " ")  # translated, not shown in English
    assert "The inspection" not in text and "Engineers inspected the bridge." in text.replace("\n", " ")  # † fallback
    assert "†" in text


def test_changing_the_english_marks_the_entry_fuzzy_with_the_previous_english(desk):
    ko = po(desk)
    entry(ko, "fact:bridge-closed:text").msgstr = "시의회는 옛 다리를 막았다."
    ko.save()
    desk.replace(SHEET_PATH, "on 3 March 2025.", "on 3 March 2025, all of it.")
    warnings = [p for p in check(load_project(desk.root)) if p.code == "stale-translation"]
    assert [p.format(desk.root) for p in warnings if p.language == "ko"] == [
        f"{KO_PO}:{_msgid_line(desk, 'fact:bridge-closed:text')}:1: warning: the 'ko' translation of fact 'bridge-closed' "
        "text is fuzzy: the English changed: «2025.» → «2025, all of it.»; update it, then clear its fuzzy flag "
        "[stale-translation]"]
    result = run(desk, "translations", "update", "--lang", "ko")
    assert f"{KO_PO}: 0 new, 1 fuzzy, 0 obsolete" in result.output
    fact = entry(po(desk), "fact:bridge-closed:text")
    assert "fuzzy" in fact.flags
    assert fact.previous_msgid == FACT and fact.msgid == FACT.replace("2025.", "2025, all of it.")
    assert fact.msgstr == "시의회는 옛 다리를 막았다."
    result = run(desk, "build", "--lang", "ko", "--template", "briefing")
    assert "시의회는 옛 다리를 막았다." not in page_text(desk.path("out/bridge.ko.pdf"))  # fuzzy: the English, marked †
    fixed = po(desk)
    fact = entry(fixed, "fact:bridge-closed:text")
    fact.msgstr, fact.flags = "시의회는 옛 다리를 모두 막았다.", []
    fixed.save()
    assert not [p for p in check(load_project(desk.root)) if p.code == "stale-translation" and p.language == "ko"]


def _msgid_line(desk, context: str, rel: str = KO_PO) -> int:
    lines = desk.path(rel).read_text(encoding="utf-8").splitlines()
    return lines.index(f'msgctxt "{context}"') + 2


def test_a_text_that_is_gone_becomes_obsolete(desk):
    ko = po(desk)
    entry(ko, "event:inspection:text").msgstr = "기술자들이 다리를 점검했다."
    ko.save()
    desk.replace(SHEET_PATH, "  timeline:\n    - id: inspection\n      date: 2025-02\n      text: Engineers inspected the bridge.\n"
                             "      citations: [bridge-report]\n", "")
    result = run(desk, "translations", "update", "--lang", "ko")
    assert f"{KO_PO}: 0 new, 0 fuzzy, 1 obsolete" in result.output
    [gone] = po(desk).obsolete_entries()
    assert (gone.msgctxt, gone.msgstr) == ("event:inspection:text", "기술자들이 다리를 점검했다.")


def test_a_file_rewritten_the_way_weblate_writes_reads_back_the_same(desk):
    ko = po(desk)
    for item in ko:
        item.msgstr = f"번역: {item.msgid}"
    entry(ko, "sheet:bridge:summary").flags.append("fuzzy")
    ko.save()
    before = _content(desk)
    weblate = po(desk)
    weblate.wrapwidth = 30  # wrapped lines
    weblate.metadata.update({"X-Generator": "Weblate 5.8", "Language-Team": "Korean <ko@example.org>",
                             "Last-Translator": "Kim Min-ji <minji@example.org>"})
    random.Random(7).shuffle(weblate)  # reordered entries
    weblate.save()
    written = desk.path(KO_PO).read_text(encoding="utf-8")
    assert "X-Generator: Weblate 5.8" in written and 'msgctxt ""\n"section:closure:title"' in written  # rewrapped
    assert _content(desk) == before
    result = run(desk, "translations", "update", "--lang", "ko")
    assert result.exit_code == 0
    header = po(desk).metadata
    assert header["X-Generator"] == "Weblate 5.8" and header["Last-Translator"] == "Kim Min-ji <minji@example.org>"
    assert _content(desk) == before  # same texts, same states


def _content(desk) -> dict:
    """What a PO file says, entry by entry, whatever its layout."""
    return {context: (item.english, item.translation, item.fuzzy, item.previous, item.review and item.review.string)
            for context, item in read_catalog(desk.path(KO_PO), Problems()).items()}


def test_review_marks_survive_and_a_changed_translation_voids_them(desk):
    ko = po(desk)
    for item in ko:
        item.msgstr = f"번역: {item.msgid}"
    entry(ko, "fact:bridge-closed:text").tcomment = "reviewed-by: Kim Min-ji (Seoul desk, freelance), 2026-11-02"
    ko.save()
    status = {(r.catalog, r.language): r for r in project_status(validated(load_project(desk.root)))}
    assert status[("bridge", "ko")].unreviewed == status[("bridge", "ko")].total - 1
    run(desk, "translations", "update", "--lang", "ko")
    fact = entry(po(desk), "fact:bridge-closed:text")
    assert fact.tcomment.startswith("reviewed-by: Kim Min-ji (Seoul desk, freelance), 2026-11-02, ")  # pinned to the translation it approved
    project = load_project(desk.root)
    translation = project.sheets["bridge"].sections[0].facts[0].text.translations["ko"]
    assert translation.reviewed and translation.reviewer == "Kim Min-ji (Seoul desk, freelance)"
    changed = po(desk)
    entry(changed, "fact:bridge-closed:text").msgstr = "다른 번역"
    changed.save()
    pending = [p for p in pending_texts(validated(load_project(desk.root)), ["ko"]) if p.context == "fact:bridge-closed:text"]
    assert [p.state for p in pending] == ["unreviewed"]


def test_status_details_and_statistics(desk):
    result = run(desk, "status", "--lang", "ko", "--details")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["file", "language", "texts", "translated", "fuzzy", "untranslated", "unreviewed"]
    line = _msgid_line(desk, "fact:bridge-closed:text")
    assert f"{desk.root / KO_PO}:{line}: ko: untranslated: fact 'bridge-closed' text [fact:bridge-closed:text]" in lines
    assert "ko: 0 translated messages, 0 fuzzy translations, 10 untranslated messages (0 not yet reviewed)." in lines
    assert not any(": ru: " in line for line in lines)


def test_check_lang_and_strict_concern_only_those_languages(desk):
    both = run(desk, "check")
    assert "'ko' translation" in both.output and "'ru' translation" in both.output
    only = run(desk, "check", "--lang", "ru")
    assert "'ru' translation" in only.output and "'ko' translation" not in only.output
    ko = po(desk)
    for item in ko:
        item.msgstr = f"번역: {item.msgid}"
    ko.save()
    shared = po(desk, "translations/ko/shared.po")
    for item in shared:
        item.msgstr = f"이름: {item.msgid}"
    shared.save()
    strict = run(desk, "build", "--lang", "ko", "--strict", "--template", "briefing")
    assert strict.exit_code == 0, strict.output  # Russian is untranslated, but only Korean is being built
    refused = run(desk, "build", "--lang", "ru", "--strict", "--template", "briefing")
    assert refused.exit_code == 1 and "error: 7 text(s) have no 'ru' translation" in refused.output


def test_build_lang_suggests_the_code_meant(desk):
    result = run(desk, "build", "--lang", "kr")
    assert result.exit_code == 2
    assert "the project does not publish kr (did you mean 'ko'?)" in result.output
    result = run(desk, "status", "--lang", "ua")
    assert result.exit_code == 2 and "(did you mean 'uk'?)" not in result.output and "does not publish 'ua'" in result.output


def test_outputs_of_a_deleted_sheet_leave_out_and_the_manifest(desk):
    import json

    second = desk.path(SHEET_PATH).read_text(encoding="utf-8").replace("id: bridge\n", "id: ferry\n", 1)
    for old, new in (("closure", "ferry-closure"), ("bridge-closed", "ferry-closed"), ("length-", "ferry-length-"),
                     ("inspection", "ferry-inspection")):
        second = second.replace(f"id: {old}", f"id: {new}")
    desk.write("factsheets/sheets/ferry.yaml", second)
    assert run(desk, "build", "--lang", "en").exit_code == 0
    assert desk.path("out/ferry.en.pdf").is_file()
    desk.path("factsheets/sheets/ferry.yaml").unlink()
    result = run(desk, "build", "--lang", "en")
    assert result.exit_code == 0 and "Removed 1 PDF(s) of sheets that no longer exist: ferry.en.pdf" in result.output
    assert not desk.path("out/ferry.en.pdf").exists()
    assert "ferry.en.pdf" not in json.loads(desk.path("out/manifest.json").read_text())["outputs"]


def test_a_partly_translated_interface_catalog_and_a_missing_marking_are_warned_about(desk, tmp_path):
    shutil.copytree(REPO_ROOT / "templates", desk.path("templates"))
    desk.replace("templates/briefing.yaml", "  ru: Несекретно. Для распространения среди подписчиков.\n", "")
    catalog = (REPO_ROOT / "src/factsheet/locale/ru/LC_MESSAGES/factsheet.po").read_text(encoding="utf-8")
    desk.write("locale/ru/LC_MESSAGES/factsheet.po", catalog.replace('msgstr "Ключевые цифры"', 'msgstr ""'))
    lines = [p.format(desk.root) for p in check(load_project(desk.root)) if p.code in ("partial-catalog", "missing-marking")]
    total = len(interface_messages())
    assert lines == [
        f"locale/ru/LC_MESSAGES/factsheet.po:1:1: warning: the 'ru' interface catalog translates {total - 1} of {total} messages; "
        "the rest (\"Key figures\") would appear in English: translate them [partial-catalog]",
        f"templates/briefing.yaml:{_line(desk, 'templates/briefing.yaml', 'marking:') + 1}:7: warning: template "
        "'briefing' has no 'ru' distribution marking, so 'ru' PDFs would show it in English: add a 'ru:' line under "
        "marking [missing-marking]"]


def _line(desk, rel: str, text: str) -> int:
    return desk.path(rel).read_text(encoding="utf-8").splitlines().index(text) + 1


# --- migration from translations in the YAML -----------------------------------------------------


OLD_TITLE = ("  # The title as readers see it.\n  title:\n    en: Old Bridge closure\n    ko:\n      text: 옛 다리 폐쇄\n"
             "      translates: {hash}\n      reviewed: true\n    ru:\n      text: Закрытие Старого моста\n"
             "      translates: 00000000\n")


def test_the_old_layout_is_refused_with_the_command_that_migrates_it(project):
    from factsheet.model import text_hash

    project.replace("factsheets/settings.yaml", "languages: [ko]", "languages: [ko, ru]")
    project.replace(SHEET_PATH, "  languages: [en]", "  languages: [en, ko, ru]")
    project.replace(SHEET_PATH, "  title: Old Bridge closure\n", OLD_TITLE.format(hash=text_hash("Old Bridge closure")))
    result = run(project, "check")
    assert result.exit_code == 1
    assert ("factsheets/sheets/s.yaml:5:5: error: this file keeps 1 text(s) with their translations in the YAML; "
            "translations now live in PO files under translations/: run 'factsheet translations migrate'") in result.output
    result = run(project, "translations", "migrate")
    assert result.exit_code == 0, result.output
    assert "Moved 2 translations into 4 PO files; 1 YAML files now hold only the English:" in result.output
    sheet = project.path(SHEET_PATH).read_text(encoding="utf-8")
    assert "  # The title as readers see it.\n  title: Old Bridge closure\n  summary:" in sheet  # comment kept
    ko, ru = po(project, "translations/ko/bridge.po"), po(project, "translations/ru/bridge.po")
    title_ko, title_ru = entry(ko, "sheet:bridge:title"), entry(ru, "sheet:bridge:title")
    assert (title_ko.msgstr, "fuzzy" in title_ko.flags) == ("옛 다리 폐쇄", False)
    assert title_ko.tcomment.startswith("reviewed-by: unrecorded (before PO files), ")
    assert (title_ru.msgstr, "fuzzy" in title_ru.flags) == ("Закрытие Старого моста", True)  # it was stale: still is
    assert [p.code for p in check(load_project(project.root)) if p.is_error] == []
    assert run(project, "translations", "migrate").output.strip() == "Nothing to migrate: the YAML holds no translations."


def test_migrating_the_shipped_layout_keeps_every_translation(tmp_path):
    """The commit before PO files, as a fixture: every translation it held is in the PO files now."""
    import subprocess

    old = subprocess.run(["git", "show", "6108dc7:factsheets/sheets/kursk-casualties.yaml"], cwd=REPO_ROOT,
                         capture_output=True, text=True, check=True).stdout
    root = tmp_path / "desk"
    for folder in ("factsheets", "templates"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    (root / "factsheets" / "sheets" / "kursk-casualties.yaml").write_text(old, encoding="utf-8")
    before = load_project(root)
    expected = {(lang, t.text) for section in before.sheets["kursk-casualties"].sections for fact in section.facts
                for lang, t in fact.text.translations.items()}
    assert len(expected) > 20
    result = CliRunner().invoke(cli, ["translations", "migrate", "-C", str(root)])
    assert result.exit_code == 0, result.output
    after = load_project(root)
    found = {(lang, t.text) for section in after.sheets["kursk-casualties"].sections for fact in section.facts
             for lang, t in fact.text.translations.items()}
    assert found == expected


def test_editing_a_po_file_rebuilds_exactly_that_languages_pdfs(desk):
    first = build(validated(load_project(desk.root)), templates=["briefing"], jobs=1)
    assert sorted(o.file for o in first.outputs) == ["bridge.en.pdf", "bridge.ko.pdf", "bridge.ru.pdf"]
    ko = po(desk)
    entry(ko, "sheet:bridge:title").msgstr = "옛 다리 폐쇄"
    ko.save()
    again = build(validated(load_project(desk.root)), templates=["briefing"], jobs=1)
    assert [o.file for o in again.outputs] == ["bridge.ko.pdf"] and again.skipped == 2
    shared = po(desk, "translations/ru/shared.po")
    entry(shared, "actor:council:name").msgstr = "Городской совет Ривертона"
    shared.save()
    third = build(validated(load_project(desk.root)), templates=["briefing"], jobs=1)
    assert [o.file for o in third.outputs] == ["bridge.ru.pdf"]


def test_the_untranslated_notice_counts_each_shown_text_once_units_included(desk):
    """A dated fact is also a timeline entry (one text, counted once); a figure's unit is a text too."""
    for rel in (KO_PO, "translations/ko/shared.po"):
        pofile = po(desk, rel)
        for item in pofile:
            if item.msgctxt not in ("fact:bridge-closed:text", "figure:closure-length:unit"):
                item.msgstr = f"번역 {item.msgid}"
        pofile.save()
    project = load_project(desk.root)
    from factsheet.resolve import resolve_sheet

    sheet = resolve_sheet(project, project.sheets["bridge"], "ko")
    assert [n for n in sheet.notices if "†" in n] == [
        translator("ko").ngettext("{n} text is not yet translated and is shown in the original language, marked †.",
                                  "{n} texts are not yet translated and are shown in the original language, marked †.", 2)]


def test_a_long_previous_english_is_written_as_valid_po(desk):
    long_english = " ".join(["The council closed the Old Bridge to all traffic on 3 March 2025 after an inspection"] * 3)
    desk.replace(SHEET_PATH, f"text: {FACT}", f"text: {long_english}")
    run(desk, "translations", "update", "--lang", "ko")
    ko = po(desk)
    entry(ko, "fact:bridge-closed:text").msgstr = "시의회는 옛 다리를 막았다."
    ko.save()
    desk.replace(SHEET_PATH, f"text: {long_english}", "text: The council shut the Old Bridge.")
    run(desk, "translations", "update", "--lang", "ko")
    text = desk.path(KO_PO).read_text(encoding="utf-8")
    assert '#| msgid ""\n#| "The council closed' in text  # wrapped as PO, each line quoted
    fact = entry(po(desk), "fact:bridge-closed:text")  # polib, like any PO tool, must read the file
    assert fact.previous_msgid == long_english and fact.msgid == "The council shut the Old Bridge."
    assert "fuzzy" in fact.flags and fact.msgstr == "시의회는 옛 다리를 막았다."
    assert read_catalog(desk.path(KO_PO), Problems())["fact:bridge-closed:text"].previous == long_english


def test_update_keeps_every_translator_comment_and_a_check_is_not_a_review(desk):
    ko = po(desk)
    fact = entry(ko, "fact:bridge-closed:text")
    fact.msgstr = "시의회는 옛 다리를 막았다."
    fact.tcomment = "checked-by: Korean reviewer (native-level, AI), 2026-11-30\nterm: 옛 다리 = Old Bridge"
    ko.save()
    run(desk, "translations", "update", "--lang", "ko")
    assert entry(po(desk), "fact:bridge-closed:text").tcomment.splitlines() == [
        "checked-by: Korean reviewer (native-level, AI), 2026-11-30", "term: 옛 다리 = Old Bridge"]
    translation = load_project(desk.root).sheets["bridge"].sections[0].facts[0].text.translations["ko"]
    assert not translation.reviewed  # a check by a tool or an AI is not review by a person
