"""Layout templates: page, colours, fonts and blocks, read from YAML and validated like records."""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from . import model as m
from .errors import InputError
from .problems import Loc, Problems
from .validate import SKIP, Field, FieldError, Reader, boolean, exact_string, multilingual, scalar, slug, string
from .yamlio import Map, Node, Scalar, Seq, read_yaml

FONTS_FILE = "fonts.yaml"
PAGE_SIZES = {"A4": (595.2756, 841.8898), "letter": (612.0, 792.0), "A5": (419.5276, 595.2756)}
UNITS = {"mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "pt": 1.0}
COLOUR_NAMES = ("ink", "muted", "accent", "band", "band-text", "box", "rule", *m.STATUSES)
SIZE_NAMES = ("body", "small", "heading", "title", "figure")
ROLES = ("body", "heading", "figures")
HEADER_ITEMS = ("title", "as_of", "organisation", "marking", "page", "edition", "build")


class TemplateError(InputError):
    """A template that cannot be used; carries the problems found."""

    def __init__(self, problems: list) -> None:
        super().__init__("; ".join(p.message for p in problems), problems)


# Options each block type accepts: name -> (parser, default).
BLOCK_OPTIONS: dict[str, dict[str, Field]] = {
    "title-band": {"style": Field(lambda r, n: _choice(r, n, ("band", "plain")), default="band")},
    "notices": {},
    "changes": {"style": Field(lambda r, n: _choice(r, n, ("full", "short")), default="full")},
    "summary": {},
    "key-figures": {},
    "sections": {},
    "key-facts": {"limit": Field(lambda r, n: _limit(r, n), default=None)},
    "disputed-figures": {"chart": Field(boolean, default=True)},
    "contrasts": {},
    "status-legend": {},
    "bottom-line": {},
    "corrections": {},
    "timeline": {},
    "sources": {"style": Field(lambda r, n: _choice(r, n, ("full", "short")), default="full")},
}


@dataclass(frozen=True)
class Block:
    """One block of a template, with its validated options."""

    type: str
    options: dict
    loc: Loc
    drop_when_full: bool = False  # left out when the sheet would otherwise need more pages than the template allows


@dataclass(frozen=True)
class FontFamily:
    """A family's Regular and Bold TrueType files."""

    name: str
    regular: Path
    bold: Path


@dataclass(frozen=True)
class Template:
    """A validated layout."""

    name: str
    path: Traversable  # the template file: the project's own, or one shipped with factsheet
    fonts_path: Traversable  # the fonts.yaml it was read with
    description: str
    page_size: tuple
    margins: dict
    max_pages: int
    colours: dict
    sizes: dict
    roles: dict  # role -> (weight, {script: (family, ...)})
    families: dict  # name -> FontFamily
    header: tuple
    footer: tuple
    marking: m.Text
    blocks: tuple

    def families_for(self, role: str, script: str) -> tuple:
        """The families that set `script` in `role`, in order of preference."""
        weight, scripts = self.roles[role]
        return scripts.get(script) or scripts["default"]


def length(r: Reader, node: Node) -> float:
    """A length like 18mm, 0.5in or 12pt, in points."""
    value = string(r, scalar(node, "a length"))
    match = re.match(r"^(\d+(?:\.\d+)?)\s*(mm|cm|in|pt)$", value)
    if not match:
        raise FieldError(f"expected a length like 18mm, 1.5cm, 0.5in or 12pt, got '{value}'", "bad-length")
    return float(match.group(1)) * UNITS[match.group(2)]


def colour(r: Reader, node: Node) -> str:
    """A colour written as #rrggbb (never an expression)."""
    value = string(r, scalar(node, "a colour"))
    if not re.match(r"^#[0-9a-fA-F]{6}$", value):
        raise FieldError(f"expected a colour like #0b4f6c, got '{value}'", "bad-colour")
    return value.lower()


def point_size(r: Reader, node: Node) -> float:
    """A font size in points, between 4 and 72."""
    s = scalar(node, "a size in points")
    try:
        value = float(s.value)
    except ValueError:
        raise FieldError(f"expected a size in points like 9.5, got '{s.value}'", "bad-size") from None
    if not 4 <= value <= 72:
        raise FieldError(f"size {value} is out of range: use 4 to 72 points", "bad-size")
    return value


def _choice(r: Reader, node: Node, choices: tuple) -> str:
    value = string(r, node)
    if value not in choices:
        raise FieldError(f"'{value}' is not one of {', '.join(choices)}", "bad-option")
    return value


def _limit(r: Reader, node: Node) -> int | str:
    """A whole number, or 'fill': as many as the page holds."""
    if isinstance(node, Scalar) and node.value == "fill":
        return "fill"
    return _count(r, node)


def _count(r: Reader, node: Node) -> int:
    s = scalar(node, "a whole number")
    if not re.match(r"^[1-9]\d{0,2}$", s.value):
        raise FieldError(f"expected a whole number from 1 to 999, got '{s.value}'", "bad-number")
    return int(s.value)


def _fixed_map(names: tuple, parse) -> callable:
    """A parser for a mapping with exactly the keys `names`, each read by `parse`."""

    def read(r: Reader, node: Node) -> dict:
        values = r.record(node, {name: Field(parse, required=True) for name in names}, "template")
        if not values or any(values[name] is None for name in names):
            raise FieldError("", SKIP)
        return {name: values[name] for name in names}

    return read


def _items(choices: tuple) -> callable:
    def read(r: Reader, node: Node) -> tuple:
        if not isinstance(node, Seq):
            raise FieldError(f"expected a list drawn from {', '.join(choices)}", "wrong-type")
        return tuple(_choice(r, item, choices) for item in node.items)

    return read


def _blocks(r: Reader, node: Node) -> tuple:
    if not isinstance(node, Seq) or not node.items:
        raise FieldError("expected a list of blocks, each like '- type: summary'", "wrong-type")
    blocks = []
    for index, item in enumerate(node.items, 1):
        if not isinstance(item, Map) or item.get("type") is None:
            r.problems.error(item.loc, "bad-block", f"block {index}: expected a mapping with a 'type' key")
            continue
        kind = string(r, item.get("type"))
        if kind not in BLOCK_OPTIONS:
            close = difflib.get_close_matches(kind, list(BLOCK_OPTIONS), n=1)
            advice = f" (did you mean '{close[0]}'?)" if close else f"; use one of {', '.join(BLOCK_OPTIONS)}"
            r.problems.error(item.get("type").loc, "bad-block", f"block {index}: unknown block type '{kind}'{advice}")
            continue
        fields = {"type": Field(string, required=True), "drop_when_full": Field(boolean, default=False),
                  **BLOCK_OPTIONS[kind]}
        values = r.record(item, fields, f"block {index} ({kind})")
        if values:
            blocks.append(Block(kind, {k: v for k, v in values.items() if k in BLOCK_OPTIONS[kind]}, item.loc,
                                values["drop_when_full"]))
    return tuple(blocks)


def _scripts(r: Reader, node: Node) -> dict:
    if not isinstance(node, Map):
        raise FieldError("expected a mapping of script codes (default, Kore, Cyrl, ...) to lists of families", "wrong-type")
    result = {}
    for key, value in node.items.items():
        if key != "default" and not re.match(r"^[A-Z][a-z]{3}$", key):
            raise FieldError(f"'{key}' is not a script code: use ISO 15924 codes like Kore, Cyrl, Latn, or 'default'",
                             "bad-script", node.key_locs[key])
        if not isinstance(value, Seq) or not value.items:
            raise FieldError(f"script '{key}' needs a list of font families", "wrong-type", value.loc)
        result[key] = tuple(slug(r, item) for item in value.items)
    if "default" not in result:
        raise FieldError("needs a 'default' entry used for every script not listed", "missing-field")
    return result


ROLE_FIELDS = {
    "weight": Field(lambda r, n: _choice(r, n, ("regular", "bold")), required=True),
    "scripts": Field(_scripts),
}


def _roles(r: Reader, node: Node) -> dict:
    values = r.record(node, {role: Field(lambda r, n: r.record(n, ROLE_FIELDS, "font role"), required=True) for role in ROLES},
                      "fonts")
    if not values or any(values[role] is None for role in ROLES):
        raise FieldError("", SKIP)
    return {role: (values[role]["weight"], values[role]["scripts"]) for role in ROLES}


TEMPLATE_FIELDS = {
    "description": Field(string, required=True),
    "page": Field(lambda r, n: r.record(n, PAGE_FIELDS, "page"), required=True),
    "colours": Field(_fixed_map(COLOUR_NAMES, colour), required=True),
    "sizes": Field(_fixed_map(SIZE_NAMES, point_size), required=True),
    "fonts": Field(_roles, required=True),
    "header": Field(_items(HEADER_ITEMS), default=()),
    "footer": Field(_items(HEADER_ITEMS), default=()),
    "marking": Field(multilingual, required=True, hint="the distribution marking line, like 'Unclassified'"),
    "blocks": Field(_blocks, required=True),
}

PAGE_FIELDS = {
    "size": Field(lambda r, n: _choice(r, n, tuple(PAGE_SIZES)), required=True),
    "margins": Field(_fixed_map(("top", "bottom", "left", "right"), length), required=True),
    "max_pages": Field(_count, required=True),
}

FAMILY_FIELDS = {"regular": Field(string, required=True), "bold": Field(string, required=True)}


def builtin_templates() -> Traversable:
    """The templates shipped with factsheet: inside the installed package, or templates/ in a source checkout."""
    packaged = resources.files("factsheet") / "builtin_templates"
    if packaged.is_dir():
        return packaged
    # An editable install imports factsheet from src/; its templates are the repository's own folder.
    return Path(__file__).resolve().parents[2] / "templates"


def find_template_file(templates_dir: Path, filename: str) -> Traversable | None:
    """A file of the project's templates/ folder, else the one shipped with factsheet, else None.

    A project's file that is a link leading out of the project is not read; load_template says why.
    """
    for folder in (templates_dir, builtin_templates()):
        candidate = folder / filename
        if candidate.is_file():
            if folder is templates_dir and not m.is_inside(candidate, (templates_dir.parent.resolve(),)):
                return None
            return candidate
    return None


def _outside_links(templates_dir: Path, names: tuple, problems: Problems) -> None:
    for filename in names:
        path = templates_dir / filename
        if path.is_file() and not m.is_inside(path, (templates_dir.parent.resolve(),)):
            problems.error(Loc(path, 1, 1), "outside-project",
                           f"templates/{filename} is a link to {path.resolve()}, outside the project: copy the file in "
                           "instead of linking to it")


def available_templates(templates_dir: Path) -> list[str]:
    """Names of the templates a project can use: its own and those shipped with factsheet."""
    names = set()
    for folder in (templates_dir, builtin_templates()):
        if folder.is_dir():
            names.update(p.name[: -len(".yaml")] for p in folder.iterdir()
                         if p.name.endswith(".yaml") and p.name != FONTS_FILE)
    return sorted(names)


def load_fonts(templates_dir: Path, problems: Problems, roots: tuple = ()) -> tuple[dict, dict]:
    """Read fonts.yaml (the project's, else the shipped one): font families by name and the default families per script."""
    path = find_template_file(templates_dir, FONTS_FILE)
    tree = read_yaml(path, problems) if path is not None else None
    if tree is None:
        if path is None:
            problems.error(Loc(templates_dir / FONTS_FILE, 1, 1), "missing-fonts",
                           f"{templates_dir / FONTS_FILE} is missing: it lists the font families templates use")
        return {}, {}
    r = Reader(problems)
    roots = roots or (templates_dir.parent.resolve(),)
    values = r.record(tree, {"families": Field(lambda r, n: _families(r, n, templates_dir, roots), required=True),
                             "scripts": Field(_scripts, required=True)}, "fonts")
    if not values:
        return {}, {}
    return values["families"] or {}, values["scripts"] or {}


def _families(r: Reader, node: Node, base: Path, roots: tuple) -> dict:
    if not isinstance(node, Map):
        raise FieldError("expected a mapping of family names to {regular, bold}", "wrong-type")
    result = {}
    for name, value in node.items.items():
        values = r.record(value, FAMILY_FIELDS, f"font family '{name}'")
        if not values or not values["regular"] or not values["bold"]:
            continue
        files = {}
        for weight in ("regular", "bold"):
            try:
                files[weight] = resolve_font_file(values[weight], base, roots)
            except FontFileError as exc:
                r.problems.error(value.get(weight).loc, exc.code, f"font family '{name}', {weight}: {exc}")
        # A family whose file was refused is still known, so templates naming it get no second error;
        # the template is not used while that problem stands.
        result[name] = FontFamily(name, files.get("regular", Path()), files.get("bold", Path()))
    return result


class FontFileError(Exception):
    """A font file that is missing, outside the places fonts may come from, or not a TrueType font."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def resolve_font_file(spec: str, base: Path, roots: tuple = ()) -> Path:
    """Locate a TrueType file: 'package:NAME/PATH' inside an installed package, else relative to `base` within `roots`."""
    if spec.startswith("package:"):
        package, _, inner = spec[len("package:"):].partition("/")
        from importlib import util

        try:
            found = util.find_spec(package) if re.match(r"^[A-Za-z_][\w.]*$", package) else None
        except (ImportError, ValueError):
            found = None
        if found is None or not found.submodule_search_locations:
            raise FontFileError(f"package '{package}' is not installed (pip install it)", "missing-font")
        folder = Path(list(found.submodule_search_locations)[0]).resolve()
        path = (folder / inner).resolve()
        allowed = (folder,)
    else:
        path = (base / spec).resolve()
        allowed = roots or (base.parent.resolve(),)
    if not m.is_inside(path, allowed):
        if spec.startswith("package:"):
            raise FontFileError(f"'{inner}' leads out of package '{package}': name a file inside it", "outside-project")
        raise FontFileError(f"{path} is outside the project: put the font in the project, install it as a package, "
                            "or name its folder in read_outside in settings.yaml", "outside-project")
    if not path.is_file():
        raise FontFileError(f"no font file at {path}", "missing-font")
    reason = truetype_problem(path)
    if reason:
        raise FontFileError(f"{path} is not a usable TrueType font ({reason}): use a static .ttf file with "
                            "TrueType outlines, like those of the rendercv-fonts package", "bad-font")
    return path


def truetype_problem(path: Path) -> str | None:
    """Why a file cannot be a TrueType font ReportLab embeds, judged from its table directory; None if it can."""
    try:
        with path.open("rb") as stream:
            head = stream.read(12)
            size = path.stat().st_size
            if len(head) < 12:
                return "the file is too short"
            if head[:4] == b"OTTO":
                return "it has PostScript (CFF) outlines"
            if head[:4] not in (b"\x00\x01\x00\x00", b"true"):
                return "it does not start like a TrueType font"
            tables = int.from_bytes(head[4:6], "big")
            directory = stream.read(16 * tables)
    except OSError as exc:
        return exc.strerror or str(exc)
    if tables == 0 or len(directory) < 16 * tables:
        return "its table directory is cut short"
    for index in range(tables):
        record = directory[16 * index: 16 * index + 16]
        offset, length = int.from_bytes(record[8:12], "big"), int.from_bytes(record[12:16], "big")
        if offset + length > size:
            return f"table {record[:4].decode('latin-1')!r} runs past the end of the file"
    return None


TYPOGRAPHY_FILE = "typography.yaml"


def _typography_rules(r: Reader, node: Node):
    from .typography import Typography

    fields = {"quotes": Field(lambda r, n: _four_marks(r, n), required=True),
              "apostrophe": Field(exact_string, required=True),
              "hyphenation": Field(lambda r, n: _hyphenation(r, n)),
              "short_words": Field(lambda r, n: tuple(string(r, item) for item in getattr(n, "items", ())), default=()),
              "dates": Field(lambda r, n: _date_locale(r, n))}
    values = r.record(node, fields, "typography")
    if not values or values["quotes"] is None or values["apostrophe"] is None:
        raise FieldError("", SKIP)
    return Typography(values["quotes"], values["apostrophe"], values["hyphenation"], values["short_words"],
                      values["dates"])


def _date_locale(r: Reader, node: Node) -> str:
    from babel import Locale, UnknownLocaleError

    value = string(r, node)
    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError):
        raise FieldError(f"'{value}' is not a locale Babel knows, like en_GB or en_US", "bad-language") from None
    return value


def _four_marks(r: Reader, node: Node) -> tuple:
    if not isinstance(node, Seq) or len(node.items) != 4:
        raise FieldError("expected four marks: primary open, primary close, secondary open, secondary close, "
                         "like [“, ”, ‘, ’]", "wrong-type")
    return tuple(exact_string(r, item) for item in node.items)


def _hyphenation(r: Reader, node: Node) -> str:
    value = string(r, node)
    try:
        import pyphen
    except ImportError:  # pragma: no cover - pyphen is a dependency; a broken install is the environment's
        raise FieldError("hyphenation needs the pyphen package: pip install pyphen", "missing-hyphenation") from None
    if value not in pyphen.LANGUAGES:
        raise FieldError(f"no hyphenation dictionary '{value}' (pyphen has, for example, en_GB, ru_RU, uk_UA)",
                         "bad-hyphenation")
    return value


def load_typography(templates_dir: Path) -> dict:
    """Typography rules by language code ('default' for the rest); raise TemplateError listing every problem.

    Every sheet and language resolved asks for them, so a file is parsed once until it changes.
    """
    path = find_template_file(templates_dir, TYPOGRAPHY_FILE)
    info = path.stat() if isinstance(path, Path) else None
    return _typography(path, info.st_mtime_ns if info else 0, info.st_size if info else 0)


@functools.lru_cache(maxsize=8)
def _typography(path: Path | Traversable | None, mtime_ns: int, size: int) -> dict:
    from .typography import Typography

    problems = Problems()
    tree = read_yaml(path, problems) if path is not None else None
    rules = {"default": Typography()}
    if isinstance(tree, Map):
        r = Reader(problems)
        for code, node in tree.items.items():
            try:
                rules[code] = _typography_rules(r, node)
            except FieldError as exc:
                if exc.code != SKIP:
                    problems.error(node.loc, exc.code, f"typography, '{code}': {exc.message}")
    elif tree is not None:
        problems.error(tree.loc, "wrong-type", "typography: expected a mapping of language codes to rules")
    if problems.items:
        raise TemplateError(problems.items)
    return rules


def load_template(templates_dir: Path, name: str, roots: tuple = ()) -> Template:
    """Read and validate a template with its fonts; raise TemplateError listing every problem.

    Font files come from installed packages, the project, or the folders in `roots`
    (the project's readable_roots(): itself and those named in read_outside).
    """
    problems = Problems()
    path = find_template_file(templates_dir, f"{name}.yaml")
    _outside_links(templates_dir, (f"{name}.yaml", FONTS_FILE), problems)
    if problems.items:
        raise TemplateError(problems.items)
    if path is None:
        names = ", ".join(available_templates(templates_dir)) or "none"
        problems.error(Loc(templates_dir / f"{name}.yaml", 1, 1), "unknown-template",
                       f"no template '{name}' in {templates_dir} or among those shipped with factsheet (available: {names})")
        raise TemplateError(problems.items)
    families, default_scripts = load_fonts(templates_dir, problems, roots)
    tree = read_yaml(path, problems)
    values = Reader(problems).record(tree, TEMPLATE_FIELDS, f"template '{name}'") if tree is not None else None
    if values and values["fonts"]:
        for role, (weight, scripts) in list(values["fonts"].items()):
            scripts = scripts or default_scripts
            values["fonts"][role] = (weight, scripts)
            for script, chain in scripts.items():
                for family in chain:
                    if family not in families:
                        problems.error(values["_loc"], "unknown-font",
                                       f"template '{name}', font role '{role}', script '{script}': no font family "
                                       f"'{family}' in {FONTS_FILE} (known: {', '.join(families) or 'none'})")
    if values and values["page"] and values["page"]["size"] and values["page"]["margins"]:
        _check_text_area(values["page"], name, problems)
    if problems.items or not values:
        raise TemplateError(problems.items)
    page = values["page"]
    return Template(name, path, find_template_file(templates_dir, FONTS_FILE), values["description"],
                    PAGE_SIZES[page["size"]], page["margins"], page["max_pages"], values["colours"], values["sizes"],
                    values["fonts"], families, values["header"], values["footer"], values["marking"], values["blocks"])


# The smallest text area the blocks can be laid out in (key figures side by side, the chart).
MIN_TEXT_AREA = (80 * UNITS["mm"], 100 * UNITS["mm"])


def _check_text_area(page: dict, name: str, problems: Problems) -> None:
    width, height = PAGE_SIZES[page["size"]]
    margins = page["margins"]
    area = (width - margins["left"] - margins["right"], height - margins["top"] - margins["bottom"])
    if area[0] < MIN_TEXT_AREA[0] or area[1] < MIN_TEXT_AREA[1]:
        mm = UNITS["mm"]
        problems.error(page["_loc"], "bad-margins",
                       f"template '{name}', field 'page': the margins leave a text area of {max(area[0], 0) / mm:.0f} x "
                       f"{max(area[1], 0) / mm:.0f} mm on {page['size']} paper; it must be at least "
                       f"{MIN_TEXT_AREA[0] / mm:.0f} x {MIN_TEXT_AREA[1] / mm:.0f} mm: make the margins smaller")
