"""The HTML edition: one accessible, self-contained page per sheet and language, from the same resolved sheet."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser

import pytest

from conftest import REPO_ROOT, SHEET_PATH
from factsheet.builder import build, read_manifest
from factsheet.checks import validated
from factsheet.project import load_project


class Tree(HTMLParser):
    """What the tests ask of a page: its elements with attributes, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self.svg_text: dict = {}

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag):]

    def handle_data(self, data):
        self.text.append(data)
        if self.open and self.open[-1] in ("title", "desc") and "svg" in self.open:
            self.svg_text.setdefault(self.open[-1], []).append(data)

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]


def parse(path) -> Tree:
    tree = Tree()
    tree.feed(path.read_text(encoding="utf-8"))
    return tree


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    root = tmp_path_factory.mktemp("web") / "desk"
    for folder in ("factsheets", "translations", "templates", "editions"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    build(validated(load_project(root)), formats=["html"])
    return root


def test_every_shipped_sheet_and_language_has_an_accessible_self_contained_page(shipped):
    pages = sorted((shipped / "out").glob("*.html"))
    assert len(pages) == 12
    for path in pages:
        tree = parse(path)
        language = path.name.split(".")[1]
        assert tree.all("html")[0]["lang"] == language, path.name
        assert len(tree.all("h1")) == 1
        levels = [int(tag[1]) for tag, _ in tree.tags if tag in ("h1", "h2", "h3", "h4")]
        assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:])), path.name  # no level skipped
        if not path.name.startswith("treaty-anniversary"):  # the two sheets with figures
            assert len(tree.all("table")) == len(tree.all("svg")) >= 1
            assert tree.svg_text.get("title") and tree.svg_text.get("desc")  # each chart's values, in words
        assert all(th.get("scope") in ("col", "row") for th in tree.all("th"))
        assert all(svg.get("role") == "img" and svg.get("aria-labelledby") for svg in tree.all("svg"))
        assert not tree.all("script") and not tree.all("img") and not tree.all("link") and not tree.all("iframe")
        assert not any(attrs.get("src") for _, attrs in tree.tags)  # nothing is fetched from anywhere
        for attrs in tree.all("a"):
            href = attrs["href"]
            assert href.startswith(("#src-", "#corrections", "https://", "http://")), href
            if href.startswith("#"):
                assert any(a.get("id") == href[1:] for _, a in tree.tags) or href == "#corrections", href
        text = " ".join(tree.text)
        assert "Edition 1" in text or language != "en"


def test_the_manifest_and_incremental_builds_cover_the_html_edition(shipped):
    manifest = read_manifest(shipped / "out")
    entry = manifest["kursk-casualties.ko.html"]
    assert entry["published"] and entry["edition"] == 1 and entry["sheet"] == "kursk-casualties"
    again = build(validated(load_project(shipped)), formats=["html"])
    assert again.outputs == [] and again.skipped == 12


def test_a_record_in_another_language_carries_its_lang_and_markup_is_shown_as_text(project):
    project.replace(SHEET_PATH, "  languages: [en]  # translation status is tested on its own\n", "  languages: [en, ko]\n")
    project.replace(SHEET_PATH, "Engineers inspected the bridge.", "<script>alert(1)</script> & <b>inspected</b>")
    build(validated(load_project(project.root)), formats=["html"])
    raw = project.path("out/bridge.ko.html").read_text(encoding="utf-8")
    assert "<script" not in raw and "<b>inspected" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in raw
    tree = parse(project.path("out/bridge.ko.html"))
    assert {"lang": "en"} in tree.all("span")  # the untranslated text, in English, marked as such
    assert "†" in " ".join(tree.text)


def test_pdf_and_html_together_and_a_bad_format_is_refused(project):
    from factsheet.builder import BuildRequestError

    result = build(validated(load_project(project.root)), formats=["pdf", "html"])
    assert sorted(o.file for o in result.outputs) == ["bridge.en.html", "bridge.en.pdf"]
    with pytest.raises(BuildRequestError, match="no output format 'docx'"):
        build(validated(load_project(project.root)), formats=["docx"])
