"""`factsheet init`: write a new, valid project from the packaged skeleton."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import RequestError
from .templates import builtin_templates


class ScaffoldError(RequestError):
    """The target folder cannot take a new project."""


def skeleton_files() -> dict[str, bytes]:
    """The packaged example project, by relative path."""
    root = resources.files("factsheet") / "skeleton"
    found: dict[str, bytes] = {}

    def walk(node, prefix: str) -> None:
        for child in node.iterdir():
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif not child.name.startswith("."):
                found[prefix + child.name] = child.read_bytes()

    walk(root, "")
    return found


def create_project(directory: Path) -> list[Path]:
    """Create `directory` holding the example project and the shipped templates; refuse to overwrite anything."""
    files = skeleton_files()
    for node in builtin_templates().iterdir():
        if node.name.endswith(".yaml"):
            files[f"templates/{node.name}"] = node.read_bytes()
    # The interface catalog template, for a language factsheet does not ship (see the project's README).
    files["locale/factsheet.pot"] = (resources.files("factsheet") / "locale" / "factsheet.pot").read_bytes()
    targets = {directory / name: data for name, data in sorted(files.items())}
    clashes = [str(path) for path in targets if path.exists()]
    if (directory / "factsheets").exists():
        clashes.insert(0, str(directory / "factsheets"))
    if clashes:
        raise ScaffoldError(f"{directory} already holds a project ({clashes[0]} exists): choose an empty or new folder")
    for path, data in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return list(targets)
