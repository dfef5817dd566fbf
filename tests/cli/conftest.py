"""Fixtures for the command-line tests: run `main(argv)` in-process, a private copy of the sample pages."""

from __future__ import annotations

import shutil
import sys

import pytest
from cli_helpers import ROOT, SAMPLES, Run

# pytest puts tests/ on sys.path (rootdir conftest, no __init__.py), where tests/server/ and tests/mapping/ look
# like namespace packages that shadow the editable install's `server` (its __init__ is never run). With the
# project root on the path too, the real packages win: a regular package beats a namespace portion.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from senate_kg.cli import main


@pytest.fixture
def cli(capsys):
    """Run the command line in-process; returns status, stdout and stderr."""

    def run(*argv: object) -> Run:
        capsys.readouterr()
        status = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run


@pytest.fixture
def pages_copy(tmp_path):
    """A private copy of the sample pages (tests change or break some of them)."""
    folder = tmp_path / "pages"
    shutil.copytree(SAMPLES, folder)
    return folder
