"""Fixtures for the stress tests: a hang watchdog, synthetic page versions A and B with the graphs the pipeline
maps for them, and a small tmpfs.

Short forms run by default; `SENATE_KG_STRESS=long` runs the long ones (bench/stress_report.py does, and
prints the figures the tests record).
"""

from __future__ import annotations

import faulthandler
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from stress_helpers import LONG, ROOT, expected_graphs, load_bench, scaled, write_version_b

# The same reason as tests/cli/conftest.py: the project root first, so the real packages win over tests/ folders.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WATCHDOG_SECONDS = 3600 if LONG else 600


@pytest.fixture(autouse=True)
def hang_watchdog() -> Iterator[None]:
    """A test that hangs (a regex stuck in C code cannot be interrupted from Python) dumps every thread's stack
    and ends the run, rather than blocking CI forever."""
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@dataclass(frozen=True)
class Versions:
    """Two versions of the same synthetic questions and, per question IRI, the hash of the graph the pipeline
    maps for each (see stress_helpers.expected_graphs)."""

    pages_a: Path
    pages_b: Path
    graphs_a: dict[str, str]
    graphs_b: dict[str, str]


@pytest.fixture(scope="session")
def versions(tmp_path_factory) -> Versions:
    synthetic = load_bench("synthetic")
    root = tmp_path_factory.mktemp("versions")
    synthetic.write_pages(scaled(200, 2000), root / "a", seed=5)
    write_version_b(root / "a", root / "b")
    graphs_a, graphs_b = expected_graphs(root / "a"), expected_graphs(root / "b")
    assert graphs_a.keys() == graphs_b.keys()
    assert all(graphs_a[iri] != graphs_b[iri] for iri in graphs_a), "version B must change every question graph"
    return Versions(root / "a", root / "b", graphs_a, graphs_b)


def _mount(point: Path, size: str) -> str | None:
    """Mount a tmpfs; None when done, else why it cannot be (not root, no mount permission in this container)."""
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    if shutil.which("mount") is None:
        return "no `mount` command"
    point.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                            capture_output=True, text=True, check=False)
    return None if result.returncode == 0 else f"mount -t tmpfs refused: {result.stderr.strip()}"


@pytest.fixture
def tmpfs(tmp_path) -> Iterator:
    """mount(point, size) mounts a small tmpfs (skips the test, with the reason, where that is not allowed);
    every mount is undone after the test."""
    mounted: list[Path] = []

    def mount(point: Path, size: str) -> Path:
        reason = _mount(point, size)
        if reason:
            pytest.skip(f"full-disk simulation skipped: {reason}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)
