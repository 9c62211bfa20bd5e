"""Reading generated PDFs in tests: text, links, fonts and where the ink is."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pypdfium2

MM = 72 / 25.4
EDGE = 10 * MM  # nothing may be drawn this close to the top or bottom edge


def page_text(path: Path) -> str:
    """All text of a PDF, pages joined, white space folded."""
    reader = pypdf.PdfReader(path)
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def link_annotations(reader: pypdf.PdfReader) -> list[dict]:
    """Every link annotation: its page, URI (if external) and destination page (if internal)."""
    pages = {page.indirect_reference.idnum: index for index, page in enumerate(reader.pages)}
    found = []
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot.get("/A") or {}
            dest = annot.get("/Dest")
            found.append({"page": index, "uri": action.get("/URI"),
                          "dest_page": pages.get(dest[0].idnum) if dest else None})
    return found


def embedded_fonts(reader: pypdf.PdfReader) -> dict[str, bool]:
    """Every font used on any page, by base name, and whether its program is embedded."""
    fonts = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            name = str(font.get("/BaseFont"))
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            fonts[name] = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    return fonts


def _render(path: Path, page: int, scale: float = 1.0):
    """One page as a PIL image."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        return document[page].render(scale=scale).to_pil()
    finally:
        document.close()


def _grey_rows(path: Path, page: int):
    """The page as rows of 0-255 grey values at 1 pixel per point, plus its size."""
    document = pypdfium2.PdfDocument(str(path))
    bitmap = document[page].render(scale=1.0, grayscale=True)
    width, height, stride = bitmap.width, bitmap.height, bitmap.stride
    buffer = bytes(bitmap.buffer)
    rows = [buffer[y * stride: y * stride + width] for y in range(height)]
    document.close()
    return rows, width, height


def ink_inside(path: Path, page: int) -> bool:
    """True when the page has any ink at all away from its edges."""
    rows, width, height = _grey_rows(path, page)
    return any(value < 200 for row in rows[int(EDGE):height - int(EDGE)] for value in row[int(EDGE):width - int(EDGE)])


def ink_outside(path: Path, page: int, left: float | None = None, right: float | None = None) -> int:
    """Count dark pixels outside the margins: left/right side strips over the whole page, and top/bottom edges."""
    rows, width, height = _grey_rows(path, page)
    left = int(left if left is not None else 15 * MM)
    right = int(right if right is not None else 15 * MM)
    count = 0
    for y, row in enumerate(rows):
        if y < EDGE or y > height - EDGE:
            count += sum(1 for value in row if value < 230)
        else:
            count += sum(1 for value in row[: left - 1] if value < 230)
            count += sum(1 for value in row[width - right + 1:] if value < 230)
    return count


def text_lines(path: Path, size: float) -> list[tuple[int, str]]:
    """(page, text) of every line set at font size `size`, one entry per column (read with pdfium's character boxes)."""
    return [(number, text) for number, _, text in placed_lines(path, size)]


def placed_lines(path: Path, size: float) -> list[tuple[int, float, str]]:
    """(page, baseline y, text) of every line set at font size `size`, one entry per column."""
    import ctypes
    from collections import defaultdict

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    found = []
    pdf = pdfium.PdfDocument(path)
    for number, page in enumerate(pdf):
        textpage = page.get_textpage()
        lines = defaultdict(list)
        for index in range(raw.FPDFText_CountChars(textpage.raw)):
            if abs(raw.FPDFText_GetFontSize(textpage.raw, index) - size) > 0.05:
                continue
            x, y = ctypes.c_double(), ctypes.c_double()
            raw.FPDFText_GetCharOrigin(textpage.raw, index, x, y)
            lines[round(y.value, 1)].append((x.value, chr(raw.FPDFText_GetUnicode(textpage.raw, index))))
        for chars in lines.values():
            chars.sort()
            column = [chars[0]]
            baseline = next(y for y, line in lines.items() if line is chars)
            for previous, char in zip(chars, chars[1:]):
                if char[0] - previous[0] > 40:  # a gap this wide separates two columns of a table
                    found.append((number, baseline, "".join(c for _, c in column).strip()))
                    column = []
                column.append(char)
            found.append((number, baseline, "".join(c for _, c in column).strip()))
    pdf.close()
    return [(number, y, text) for number, y, text in found if text]


def has_phrase(text: str, phrase: str) -> bool:
    """True when `phrase` is in extracted `text`, also where hyphenation broke one of its words ("associ- ation")."""
    import re

    pattern = r"(?:-\s)?".join(re.escape(char) if not char.isspace() else r"\s+" for char in phrase)
    return re.search(pattern, text) is not None


def inked_share(path: Path, page: int, top_mm: float = 22, bottom_mm: float = 22) -> float:
    """How far down the text area of a page the ink reaches, from 0 (empty) to 1 (to the foot)."""
    image = _render(path, page, 0.5).convert("L")
    top, bottom = int(top_mm * MM * 0.5), int(image.height - bottom_mm * MM * 0.5)
    inked = [y for y in range(top, bottom) if image.crop((0, y, image.width, y + 1)).getextrema()[0] < 200]
    return (max(inked) - top) / (bottom - top) if inked else 0.0
