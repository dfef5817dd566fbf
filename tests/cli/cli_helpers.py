"""Plain helpers for the command-line tests (fixtures are in conftest.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
CLI_BASE = "http://cli.senate-kg.test/"
_LEG_NR = re.compile(r"LEG(\d+)_NR(\d+)")


@dataclass(frozen=True)
class Run:
    status: int
    out: str
    err: str

    def summary(self) -> dict[str, str]:
        """`key: value` lines of the summary on stdout."""
        return dict(line.split(": ", 1) for line in self.out.splitlines() if ": " in line)


def sample_pages() -> list[Path]:
    return sorted(SAMPLES.glob("*.txt"))


def sample_identifiers() -> set[str]:
    """The questions the bundled pages describe, from their file names (the complete sample is 5-8900)."""
    found = {f"{m[1]}-{m[2]}" for p in sample_pages() if (m := _LEG_NR.search(p.name))}
    return found | {"5-8900"}


def question_iri(base: str, identifier: str) -> str:
    return f"{base}eli/dl/doc/WQ-{identifier}"


def read_quads(run, store_dir: Path, tmp_path: Path) -> list[str]:
    """Every quad of the store as sorted N-Quads lines, read back through `senate-kg export`."""
    out = tmp_path / f"quads-{len(list(tmp_path.glob('quads-*')))}.nq"
    result = run("export", "--quiet", "--store", store_dir, "--output", out)
    assert result.status == 0, result.err
    return sorted(line for line in out.read_text(encoding="utf-8").splitlines() if line.strip())
