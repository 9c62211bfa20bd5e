"""Inputs beyond the records, and a hostile environment: every command answers with a message and an exit code.

Each test names the input, runs the real command, and asserts the message
(with file and line where there is one), the exit code, and that no
traceback reached the user.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO_ROOT, SHEET_PATH
from factsheet import builder
from factsheet.builder import JOURNAL, MANIFEST, build, repair_output
from factsheet.checks import ValidProject, validated
from factsheet.cli import cli
from factsheet.errors import InputError, printable
from factsheet.mail.recipients import Recipient
from factsheet.mail.send import SendRefused, send, verify_outputs
from factsheet.problems import Loc
from factsheet.project import load_project


@pytest.fixture
def desk(project):
    """The small test project with the repository's templates, so they can be broken."""
    shutil.copytree(REPO_ROOT / "templates", project.root / "templates")
    return project


def run(desk, *args: str, env: dict | None = None):
    """Run a command in the project folder; return (exit code, everything printed)."""
    cwd = os.getcwd()
    os.chdir(desk.root)
    try:
        result = CliRunner().invoke(cli, list(args), env=env)
    finally:
        os.chdir(cwd)
    output = result.output  # stdout and stderr together
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    return result.exit_code, output


def many(kind: str, count: int) -> str:
    """YAML for `count` facts or claims of the test sheet."""
    if kind == "facts":
        return "".join(f"        - id: fact-{i}\n          text: Fact number {i} about the closure.\n"
                       "          status: confirmed\n          attribution: council\n          citations: [bridge-report]\n"
                       for i in range(count))
    return "".join(f"        - id: claim-{i}\n          value: {i + 1}\n          as_of: 2025-03-04\n"
                   "          attribution: council\n          citations: [bridge-report]\n" for i in range(count))


# --- numbers and sizes -----------------------------------------------------------------------------


def test_a_28_digit_value_is_a_check_error_not_a_build_crash(desk):
    desk.replace(SHEET_PATH, "value: {at_most: 6}", "value: 1234567890123456789012345678")
    code, output = run(desk, "check")
    assert code == 1
    assert ("factsheets/sheets/s.yaml:28:18: error: claim 'length-council', field 'value': "
            "'1234567890123456789012345678' is too large or too precise to format and chart") in output
    code, output = run(desk, "build")
    assert code == 1 and "s.yaml:28:18: error:" in output and not (desk.root / "out").exists()


def test_a_sheet_with_500_facts_is_refused_with_its_size(desk):
    desk.replace(SHEET_PATH, "      facts:\n", "      facts:\n" + many("facts", 500))
    code, output = run(desk, "build", "--template", "briefing")
    assert code == 1
    assert "factsheets/sheets/s.yaml:2:3: error: sheet 'bridge' (en) needs" in output
    assert "but template 'briefing' allows 2 (501 facts, 1 figure, 2 claims, 1 timeline entry)" in output


def test_a_figure_with_500_claims_is_refused_with_its_size(desk):
    desk.replace(SHEET_PATH, "      claims:\n", "      claims:\n" + many("claims", 500))
    code, output = run(desk, "build", "--template", "briefing")
    assert code == 1
    assert "sheet 'bridge' (en) needs" in output and "(1 fact, 1 figure, 502 claims, 1 timeline entry)" in output


# --- templates and fonts ---------------------------------------------------------------------------


def test_margins_wider_than_the_page(desk):
    desk.replace("templates/briefing.yaml", "left: 24mm, right: 24mm", "left: 317mm, right: 317mm")
    code, output = run(desk, "build")
    assert code == 1
    assert ("templates/briefing.yaml:4:3: error: template 'briefing', field 'page': the margins leave a text area of "
            "0 x 259 mm on A4 paper; it must be at least 80 x 100 mm: make the margins smaller [bad-margins]") in output


@pytest.mark.parametrize("content, reason", [
    (b"not a font at all", "it does not start like a TrueType font"),
    (b"OTTO" + bytes(200), "it has PostScript (CFF) outlines"),
    (b"\x00\x01\x00\x00\x00\x05" + bytes(20), "its table directory is cut short"),
], ids=["text", "cff", "truncated"])
def test_a_font_file_that_is_not_truetype(desk, content, reason):
    desk.write("templates/broken.ttf", content)
    desk.replace("templates/fonts.yaml", 'regular: "package:rendercv_fonts/Noto Sans/NotoSans-Regular.ttf"',
                 "regular: broken.ttf")
    code, output = run(desk, "build")
    assert code == 1
    assert "templates/fonts.yaml:6:14: error: font family 'noto-sans', regular:" in output
    assert f"is not a usable TrueType font ({reason})" in output and "[bad-font]" in output
    assert output.count("error:") == 1  # the family stays known: no cascade of unknown-font errors


def test_a_font_file_reportlab_rejects_after_all_is_a_problem(desk, monkeypatch):
    from reportlab.pdfbase.ttfonts import TTFError

    from factsheet import fonts

    def refuse(name, path):
        raise TTFError(f"Corrupt TTF file {path!r}")

    fonts._load.cache_clear()
    fonts._coverage.cache_clear()
    monkeypatch.setattr(fonts, "_cached_font", refuse)
    code, output = run(desk, "build", "-j", "1")
    fonts._load.cache_clear()
    fonts._coverage.cache_clear()
    assert code == 1
    assert "templates/fonts.yaml:1:1: error: a font file named here cannot be read by ReportLab (Corrupt TTF file" in output


@pytest.mark.parametrize("spec, words", [
    ("/usr/share/fonts/NotoSans-Regular.ttf", "is outside the project: put the font in the project"),
    ("../../outside.ttf", "is outside the project: put the font in the project"),
    ("package:rendercv_fonts/../../x.ttf", "'../../x.ttf' leads out of package 'rendercv_fonts'"),
])
def test_a_font_path_outside_the_project_is_refused(desk, spec, words):
    desk.replace("templates/fonts.yaml", 'regular: "package:rendercv_fonts/Noto Sans/NotoSans-Regular.ttf"',
                 f'regular: "{spec}"')
    code, output = run(desk, "build")
    assert code == 1
    assert "templates/fonts.yaml:6:14: error: font family 'noto-sans', regular:" in output
    assert words in output and "[outside-project]" in output


def test_a_font_folder_named_in_read_outside_may_be_used(desk, tmp_path):
    fonts = tmp_path / "desk-fonts"
    fonts.mkdir()
    import rendercv_fonts

    shutil.copy(Path(rendercv_fonts.__file__).parent / "Noto Sans" / "NotoSans-Regular.ttf", fonts / "Sans.ttf")
    desk.replace("templates/fonts.yaml", 'regular: "package:rendercv_fonts/Noto Sans/NotoSans-Regular.ttf"',
                 f'regular: "{fonts / "Sans.ttf"}"')
    desk.append("factsheets/settings.yaml", f"read_outside: [{fonts}]\n")
    code, output = run(desk, "build")
    assert code == 0, output


# --- the environment -------------------------------------------------------------------------------


def test_out_below_a_regular_file(desk):
    desk.write("blocker", "a file, not a folder\n")
    code, output = run(desk, "build", "--out", "blocker/out")
    assert code == 3
    assert "cannot write the PDFs into" in output and "blocker/out: Not a directory: a file stands where a folder" in output


@pytest.mark.parametrize("error, advice", [
    (errno.EACCES, "Permission denied: check the folder's permissions, or choose another with --out"),
    (errno.ENOSPC, "No space left on device: free some disk space and run it again"),
], ids=["unwritable", "full-disk"])
def test_unwritable_or_full_out_leaves_earlier_pdfs(desk, monkeypatch, error, advice):
    code, _ = run(desk, "build")
    assert code == 0
    before = {p.name: p.read_bytes() for p in (desk.root / "out").iterdir()}
    desk.replace(SHEET_PATH, "Engineers inspected the bridge.", "Engineers inspected the old bridge.")

    def fail(self, data):
        raise OSError(error, os.strerror(error), str(self))

    monkeypatch.setattr(Path, "write_bytes", fail)
    code, output = run(desk, "build", "-j", "1")
    assert code == 3
    assert advice in output
    assert {p.name: p.read_bytes() for p in (desk.root / "out").iterdir()} == before


def test_settings_holding_a_list(desk):
    desk.write("factsheets/settings.yaml", "- organisation\n- languages\n")
    for command in ("status", "check", "build"):
        code, output = run(desk, command)
        assert code == 1, command
        assert "factsheets/settings.yaml:1:1: error: settings: expected a mapping of keys and values, got a list" in output


def test_watch_keeps_going_when_the_project_vanishes(desk, monkeypatch):
    from factsheet import watch

    def vanish_then_return(root, on_change, **_):
        (desk.root / "factsheets" / "settings.yaml").unlink()
        on_change([desk.root / "factsheets" / "settings.yaml"])
        shutil.rmtree(desk.root / "factsheets")
        on_change([desk.root / "factsheets"])

    monkeypatch.setattr(watch, "watch", vanish_then_return)
    code, output = run(desk, "watch", "--lang", "en")
    assert code == 0
    assert output.count("Not built: no factsheets/settings.yaml in") == 2


def test_a_killed_worker_fails_the_build_instead_of_hanging_it(desk):
    script = textwrap.dedent(f"""
        import os, sys
        from factsheet import builder
        from factsheet.cli import main
        real = builder.render_task
        def dying(index):
            if index == 1:
                os._exit(9)  # as if the kernel had killed the worker
            return real(index)
        builder.render_task = dying
        # Three: with two, the build and its head start render, and either renders what the other leaves.
        sys.argv = ["factsheet", "build", "-C", {str(desk.root)!r}, "-j", "3", "--lang", "en,ko", "--force"]
        main()
    """)
    desk.replace("factsheets/settings.yaml", "languages: [ko]", "languages: [ko]")
    desk.replace(SHEET_PATH, "  languages: [en]", "  languages: [en, ko]")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "a worker process died while rendering" in done.stderr and "Traceback" not in done.stderr
    assert not (desk.root / "out").exists() or not list((desk.root / "out").glob("*.pdf"))


# --- what messages echo ----------------------------------------------------------------------------


def test_control_bidi_and_invisible_characters_are_shown_escaped(desk):
    desk.replace(SHEET_PATH, "  id: bridge\n", '  id: "bri\\e[2Jdge\\u202e\\u200b\\0"\n')
    code, output = run(desk, "check")
    assert code == 1
    assert "'bri\\x1b[2Jdge\\u202e\\u200b\\x00' is not a valid id" in output
    assert not any(char in output for char in "\x1b\u202e\u200b\x00")
    code, output = run(desk, "check", "--format", "json")
    assert "\\\\x1b[2J" in output and "\u202e" not in output


def test_printable_leaves_ordinary_text_alone():
    text = "Курск: 6 000 солдат — 쿠르스크 «тест» é\t"
    assert printable(text) == text.replace("\t", "\\x09")


def test_a_line_separator_in_settings_hides_no_key(desk):
    desk.replace("factsheets/settings.yaml", "languages: [ko]\n", "as_of: x\u2028languages: [ko]\n")
    code, output = run(desk, "build")
    assert code == 1
    assert ("factsheets/settings.yaml:3:9: error: a line separator (U+2028) is here: YAML reads it as a new line "
            "that most editors do not show") in output


# --- reads stay in the project ---------------------------------------------------------------------


def test_a_record_file_linking_outside_is_refused_unread(desk, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("sheet: {id: stolen, title: [broken\n", encoding="utf-8")
    (desk.root / "factsheets" / "sheets" / "link.yaml").symlink_to(outside)
    code, output = run(desk, "check")
    assert code == 1
    assert (f"factsheets/sheets/link.yaml:1:1: error: this file is a link to {outside}, outside the project: "
            "factsheet reads only files inside the project") in output
    assert "yaml-syntax" not in output  # not parsed


def test_a_template_linking_outside_is_refused(desk, tmp_path):
    outside = tmp_path / "card.yaml"
    shutil.move(desk.root / "templates" / "card.yaml", outside)
    (desk.root / "templates" / "card.yaml").symlink_to(outside)
    code, output = run(desk, "build", "--template", "card")
    assert code == 1
    assert f"templates/card.yaml:1:1: error: templates/card.yaml is a link to {outside}, outside the project" in output


def test_an_archive_outside_the_project_needs_read_outside(desk, tmp_path):
    shutil.move(desk.root / "archive", tmp_path / "archive")
    desk.replace("factsheets/settings.yaml", "archive: archive", "archive: ../archive")
    code, output = run(desk, "check")
    assert code == 1
    assert "factsheets/settings.yaml:1:1: error: settings, field 'archive': '../archive' leads outside the project" in output
    desk.append("factsheets/settings.yaml", "read_outside: [../archive]\n")
    code, output = run(desk, "check")
    assert code == 0, output


# --- out/ agrees with its manifest -----------------------------------------------------------------


def _killed_during_commit(desk, renames: int) -> None:
    """Rebuild every PDF in a child process that dies (no clean-up runs) after `renames` PDFs were moved into place."""
    pid = os.fork()
    if pid == 0:  # the child: real work, then an abrupt death in the middle of the commit
        try:
            real, done = os.replace, []

            def replace(src, dst):
                real(src, dst)
                if str(dst).endswith(".pdf"):
                    done.append(dst)
                    if len(done) == renames:
                        os._exit(9)

            os.replace = replace
            build(validated(load_project(desk.root)), force=True, jobs=1)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 9


def _disagreements(out: Path) -> list:
    import hashlib

    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["outputs"]
    return [name for name, entry in manifest.items()
            if hashlib.sha256((out / name).read_bytes()).hexdigest() != entry["sha256"]]


@pytest.fixture
def two_language_desk(desk):
    desk.replace(SHEET_PATH, "  languages: [en]", "  languages: [en, ko]")
    desk.replace("factsheets/settings.yaml", "organisation: Test Desk", "organisation: Test Desk\nextra_templates: [card]")
    build(validated(load_project(desk.root)), jobs=1)
    # The summary is on both templates, so every PDF changes.
    desk.replace(SHEET_PATH, "after an inspection.", "after an inspection in February.")
    return desk


def test_a_build_killed_while_committing_is_repaired_by_the_next_build(two_language_desk):
    desk, out = two_language_desk, two_language_desk.root / "out"
    _killed_during_commit(desk, renames=2)
    assert (out / JOURNAL).is_file() and len(_disagreements(out)) == 2  # the kill left them apart
    result = build(validated(load_project(desk.root)), jobs=1)
    assert not (out / JOURNAL).exists() and _disagreements(out) == []
    assert result.skipped == 2 and len(result.outputs) == 2  # the two moved in were kept, the two old ones rebuilt


def test_send_repairs_the_manifest_then_refuses_the_old_pdfs(two_language_desk):
    desk, out = two_language_desk, two_language_desk.root / "out"
    _killed_during_commit(desk, renames=1)
    with pytest.raises(SendRefused, match="older than its inputs.*factsheet build"):
        verify_outputs(validated(load_project(desk.root)), out, {"briefing", "card"})
    assert not (out / JOURNAL).exists() and _disagreements(out) == []


def test_repair_without_a_journal_changes_nothing(two_language_desk):
    out = two_language_desk.root / "out"
    before = (out / MANIFEST).read_bytes()
    assert repair_output(out) is False and (out / MANIFEST).read_bytes() == before


# --- the library trusts no caller ------------------------------------------------------------------


def test_only_a_passing_check_makes_a_valid_project(desk):
    project = load_project(desk.root)
    with pytest.raises(TypeError, match="validated"):
        ValidProject(project, ())
    with pytest.raises(TypeError, match="ValidProject"):
        build(project)


def test_send_refuses_a_recipient_naming_an_unknown_sheet(desk):
    desk.append("factsheets/settings.yaml", "mail:\n  from_name: Desk\n  from_address: desk@example.org\n")
    valid = validated(load_project(desk.root))
    build(valid, jobs=1)
    reader = Recipient("Reader", "reader@example.org", ("en",), ("no-such-sheet",), Loc(desk.root / "r.yaml", 3, 5))
    with pytest.raises(InputError, match="Nothing sent") as refused:
        import datetime as dt

        send(valid, [reader], dry_run=True, now=dt.datetime(2025, 3, 5, tzinfo=dt.timezone.utc))
    [problem] = refused.value.problems
    assert problem.code == "unknown-sheet" and "no sheet 'no-such-sheet'" in problem.message
    assert (problem.loc.line, problem.loc.column) == (3, 5)


def test_an_unexpected_bug_is_one_line_and_exit_70(desk, monkeypatch):
    monkeypatch.setattr(builder, "plan", lambda *a, **k: 1 / 0)
    code, output = run(desk, "build")
    assert code == 70
    assert "factsheet: internal error (ZeroDivisionError: division by zero). This is a bug in factsheet" in output


# Three processes: workers forked once the project is checked. Two: the build and its head start, which
# was forked before anything was loaded; both render (render_prepared), and both must end with the build.
@pytest.mark.parametrize("jobs, renderer", [("3", "render_task"), ("2", "render_prepared")])
def test_workers_die_with_their_parent(desk, tmp_path, jobs, renderer):
    pids = tmp_path / "pids"
    pids.mkdir()
    script = textwrap.dedent(f"""
        import os, sys, time
        from factsheet import builder
        from factsheet.cli import main
        def stuck(*args):
            (open({str(pids)!r} + "/" + str(os.getpid()), "w")).close()
            time.sleep(600)
        builder.{renderer} = stuck
        sys.argv = ["factsheet", "build", "-C", {str(desk.root)!r}, "-j", {jobs!r}, "--lang", "en,ko", "--force"]
        main()
    """)
    desk.replace(SHEET_PATH, "  languages: [en]", "  languages: [en, ko]")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):  # wait (at most a minute) for both workers to start
            if len(list(pids.iterdir())) == 2:
                break
            parent.wait(timeout=0.1) if parent.poll() is not None else __import__("time").sleep(0.1)
        workers = [int(p.name) for p in pids.iterdir()]
        assert len(workers) == 2
    finally:
        parent.kill()
        parent.wait()
    alive = workers
    for _ in range(600):  # the kernel ends them as soon as it has ended the parent
        alive = [pid for pid in alive if _running(pid)]
        if not alive:
            break
        __import__("time").sleep(0.1)
    assert alive == []


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie has ended; it only waits to be reaped
    except FileNotFoundError:
        return False


# --- interface catalogs ----------------------------------------------------------------------------


@pytest.mark.parametrize("content, place, words", [
    (b'msgid "Summary"\nmsgstr "x"\n\n# \xff\n', "4:1", "byte 0xff is not valid UTF-8: save the catalog as UTF-8"),
    (b'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n > 1 ? import os : 0);\\n"\n', "1:1",
     "the Plural-Forms rule '(n > 1 ? import os : 0)' is not an expression of n"),
    (b'msgid "Summary"\nmsgstr "x"\nthis is not po\n', "3:1", "this catalog cannot be read ("),
], ids=["not-utf8", "plural-rule", "syntax"])
def test_a_broken_interface_catalog(desk, content, place, words):
    desk.replace(SHEET_PATH, "  languages: [en]", "  languages: [en, ko]")
    desk.write("locale/ko/LC_MESSAGES/factsheet.po", content)
    for command in ("check", "build"):
        code, output = run(desk, command)
        assert code == 1, command
        assert f"locale/ko/LC_MESSAGES/factsheet.po:{place}: error: {words}" in output and "[bad-catalog]" in output


# --- dependencies ----------------------------------------------------------------------------------


def test_fonts_fall_back_to_reportlab_parsing_when_its_internals_differ(desk, monkeypatch, tmp_path):
    """fonts.py rebuilds TTFont objects from cached tables, which relies on ReportLab internals; a
    ReportLab whose internals differ must still give the same PDF, through ReportLab's own parser."""
    from factsheet import fonts

    def clear():
        fonts._load.cache_clear()
        fonts._coverage.cache_clear()

    valid = validated(load_project(desk.root))
    clear()
    build(valid, out_dir=tmp_path / "cached", jobs=1)

    def different(*args):
        raise AttributeError("this ReportLab keeps other state")

    used = []
    real_ttfont = fonts.TTFont

    def parsed(name, path, *args, **kwargs):
        used.append(name)
        return real_ttfont(name, path, *args, **kwargs)

    monkeypatch.setattr(fonts, "_font_from_state", different)
    monkeypatch.setattr(fonts, "TTFont", parsed)
    clear()
    try:
        build(valid, out_dir=tmp_path / "parsed", jobs=1)
    finally:
        clear()
    assert used  # the fallback really ran
    cached, parsed_pdfs = sorted((tmp_path / "cached").glob("*.pdf")), sorted((tmp_path / "parsed").glob("*.pdf"))
    assert [p.name for p in cached] == [p.name for p in parsed_pdfs]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(cached, parsed_pdfs))
