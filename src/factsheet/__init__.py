"""factsheet: citation-backed YAML fact records to multi-language PDF briefings."""

__version__ = "0.1.0"
