"""Allow `python -m factsheet`."""

from .cli import main

main()
