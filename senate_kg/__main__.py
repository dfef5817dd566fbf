"""`python -m senate_kg ...` runs the command line, like the `senate-kg` script."""

from senate_kg.cli import entry_point

entry_point()
