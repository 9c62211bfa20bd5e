"""Every page of every shipped briefing looks as its reference render does, within a small tolerance."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops

from reference import RENDERS, build_shipped, render_name, render_pages

# A page may differ in its build stamp and in anti-aliasing between renderer versions;
# a moved block, a new line or a missing badge changes far more than this.
CHANGED_PIXELS = 0.004  # share of pixels that may differ by more than a light grey
MEAN_DIFFERENCE = 1.5  # on a 0-255 scale


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
        difference = ImageChops.difference(image, reference)
        histogram = difference.histogram()
        total = image.width * image.height
        changed = sum(histogram[48:]) / total
        mean = sum(value * count for value, count in enumerate(histogram)) / total
        if changed > CHANGED_PIXELS or mean > MEAN_DIFFERENCE:
            drifted.append((name, f"{changed:.2%} of pixels changed, mean difference {mean:.2f}"))
    assert drifted == [], "pages drifted from their reference renders (tests/reference.py refreshes them): " + \
        "; ".join(f"{name}: {why}" for name, why in drifted)
