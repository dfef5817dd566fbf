"""Fixtures for the command-line tests: run `main(argv)` in-process, a private copy of the sample pages."""

from __future__ import annotations

import shutil

import pytest
from cli_helpers import SAMPLES, Run

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
