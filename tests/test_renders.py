"""Every page of every shipped briefing looks as its reference render does, within a small tolerance."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops

from reference import RENDERS, build_shipped, render_name, render_pages

# Anti-aliasing may differ a little between renderer versions; a reflowed word, a moved
# block or a missing badge changes far more. The footer (with its build stamp) is not compared.
CHANGED_PIXELS = 0.0005  # share of pixels that may differ by more than a light grey
MEAN_DIFFERENCE = 0.5  # on a 0-255 scale
FOOTER = 0.9  # compare the page above this fraction of its height


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict:
    out = build_shipped(tmp_path_factory.mktemp("renders"))
    return {render_name(pdf, number): image
            for pdf in sorted(out.glob("*.pdf")) for number, image in enumerate(render_pages(pdf), 1)}


def test_every_page_has_a_reference_and_every_reference_a_page(pages):
    assert sorted(pages) == sorted(path.name for path in RENDERS.glob("*.png")), \
        "pages and reference renders differ: run tests/reference.py after a deliberate change, and look at the renders"


def test_every_page_looks_as_its_reference_render(pages):
    drifted = []
    for name, image in pages.items():
        reference = Image.open(RENDERS / name).convert("L")
        if reference.size != image.size:
            drifted.append((name, "size"))
            continue
        box = (0, 0, image.width, int(image.height * FOOTER))
        difference = ImageChops.difference(image.crop(box), reference.crop(box))
        histogram = difference.histogram()
        total = difference.width * difference.height
        changed = sum(histogram[48:]) / total
        mean = sum(value * count for value, count in enumerate(histogram)) / total
        if changed > CHANGED_PIXELS or mean > MEAN_DIFFERENCE:
            drifted.append((name, f"{changed:.2%} of pixels changed, mean difference {mean:.2f}"))
    assert drifted == [], "pages drifted from their reference renders (tests/reference.py refreshes them): " + \
        "; ".join(f"{name}: {why}" for name, why in drifted)
