"""Reference renders of the shipped briefings: every template, language and page as a small PNG.

Refresh them after a deliberate change of layout or content, then look at them:

    .venv/bin/python tests/reference.py

tests/test_renders.py fails when a page drifts from its render beyond a small tolerance.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RENDERS = HERE / "renders"
REPO_ROOT = HERE.parent
SCALE = 0.5  # 36 dpi: enough to see a moved block, small enough to keep in the repository


def build_shipped(root: Path) -> Path:
    """Build the shipped project (every sheet, language and template) in `root`; return its out/ folder."""
    from factsheet.builder import build
    from factsheet.checks import validated
    from factsheet.project import load_project

    for folder in ("factsheets", "translations", "templates"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    build(validated(load_project(root)), jobs=1, source_date_epoch=0)
    return root / "out"


def render_pages(pdf: Path) -> list:
    """Each page of a PDF as a greyscale PIL image."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    images = [page.render(scale=SCALE).to_pil().convert("L") for page in document]
    document.close()
    return images


def render_name(pdf: Path, page: int) -> str:
    """The file name of a page's reference render."""
    return f"{pdf.name[:-4]}-p{page}.png"


def main() -> int:
    """Rebuild the shipped briefings and write every page's render into tests/renders/."""
    with tempfile.TemporaryDirectory() as folder:
        out = build_shipped(Path(folder))
        for old in RENDERS.glob("*.png"):
            old.unlink()
        RENDERS.mkdir(exist_ok=True)
        count = 0
        for pdf in sorted(out.glob("*.pdf")):
            for number, image in enumerate(render_pages(pdf), 1):
                image.save(RENDERS / render_name(pdf, number), optimize=True)
                count += 1
    print(f"Wrote {count} page renders into {RENDERS.relative_to(REPO_ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT / "src"))
    sys.exit(main())
