"""factsheet: citation-backed YAML fact records to multi-language PDF briefings.

The library face: load a project, check it, and build or send only what passed::

    import factsheet
    valid = factsheet.validated(factsheet.load_project("my-desk"))  # raises InvalidProject with every problem
    factsheet.build(valid)

Every error meant for a person derives from FactsheetError.
"""

__version__ = "0.1.0"
__all__ = ["FactsheetError", "InvalidProject", "ValidProject", "build", "check", "load_project", "send", "validated"]

_WHERE = {"FactsheetError": "errors", "InvalidProject": "checks", "ValidProject": "checks", "build": "builder",
          "check": "checks", "load_project": "project", "send": "mail.send", "validated": "checks"}


def __getattr__(name: str):
    """Import the public names on first use, so that `factsheet check` never loads the PDF machinery."""
    if name not in _WHERE:
        raise AttributeError(f"module 'factsheet' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"factsheet.{_WHERE[name]}"), name)
