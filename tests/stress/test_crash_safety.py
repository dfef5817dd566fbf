"""Crash safety: `senate-kg build` killed with SIGKILL at random points, then restarted.

After every kill the store must open (read-only, as the server opens it) and hold, for each question, nothing
or one complete version of its graph (hash equal to the graph the pipeline maps for that version, see
stress_helpers), with metadata that matches; the restarted build must finish with the complete store.

Two phases: version A built from nothing (kills land in parsing, mapping, loading or publishing; the load is the
bulk path of store/bulk.py: staging, bulk loading beside the store, exchanging the folders), then version B (every
title changed) over the complete A (transactional writes: each graph must be entirely A or entirely B).
Within a phase every other kill starts again from the phase's starting state, the others hit a build restarted
after a kill; each phase ends with a restarted build that must complete.
Kill points take turns: a random delay after the build first writes towards the store (a transaction, or the
bulk path's first staged graphs), after a bulk load starts (phase A; the load is a small part of a build:
random times alone would rarely land in it), after publishing starts, or a random time. Short form: 200 pages,
one kill per trigger in A, one in B (during publishing); SENATE_KG_STRESS=long: 2,000 pages, 8 kills per phase.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from stress_helpers import (
    Kill,
    bulk_state,
    kill_build,
    problems,
    record,
    run_build,
    scaled,
    scratch_entries,
    snapshot,
    version_counts,
)

pytestmark = pytest.mark.slow

KILLS_PER_PHASE = scaled(1, 8)
WRITE_WINDOW = scaled(0.6, 8.0)  # seconds after the first write: B's 2,000 pages load in 4 transactions of 500
BULK_WINDOW = scaled(0.3, 1.5)  # seconds after a bulk load starts: 2,000 pages load and exchange in about 1 s
FIRST_BUILD = ("write", "bulk", "publish", "time")  # from nothing: the bulk path


def _kill(rng: random.Random, trigger: str, horizon: float) -> Kill:
    """"write": at once when the write-ahead log grows (inside the transaction's write, half the time) or up to
    WRITE_WINDOW s later (between transactions); "bulk": up to BULK_WINDOW s after a bulk load starts writing its
    new store (loading, exchanging the folders, just after); "publish": up to 1 s after publishing starts writing
    dumps; "time": anywhere up to `horizon` seconds."""
    if trigger == "write":
        return Kill("write", 0.0 if rng.random() < 0.5 else rng.uniform(0.0, WRITE_WINDOW))
    if trigger == "bulk":
        return Kill("bulk", rng.uniform(0.0, BULK_WINDOW))
    if trigger == "publish":
        return Kill("publish", rng.uniform(0.0, 1.0))
    return Kill("time", rng.uniform(0.3, horizon))


def _plan(rng: random.Random, count: int, horizon: float, *, start: int = 0,
          cycle: tuple[str, ...] = ("write", "publish", "time")) -> list[Kill]:
    """Triggers in turn, from `start`."""
    return [_kill(rng, cycle[(start + i) % len(cycle)], horizon) for i in range(count)]


def _kill_and_check(store: Path, pages: Path, kill: Kill, versions: dict[str, dict[str, str]], phase: str,
                    required: set[str]) -> None:
    kill_build(store, pages, kill)
    bulk = bulk_state(store)  # what the kill left of a bulk load
    snap = snapshot(store, known=set().union(*versions.values()))  # it must open and read after a kill anywhere
    found = problems(snap, versions, required=required)
    counts = version_counts(snap, versions)
    record("crash-kill", phase=phase, trigger=kill.trigger, delay_s=round(kill.delay, 3), killed_at_s=round(kill.at, 2),
           finished_first=kill.finished_first, orphans=kill.orphans, bulk=bulk,
           graphs=len(snap.graphs), **counts, problems=len(found))
    assert not found, f"after a kill ({kill}): " + "; ".join(found[:10])
    assert kill.orphans == 0, f"{kill.orphans} build processes were still running 10 s after the main one was killed"


def _finish(store: Path, pages: Path, expected: dict[str, str], phase: str) -> float:
    result = run_build(store, pages)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    snap = snapshot(store, known=expected)
    assert not problems(snap, {phase: expected}, required=set(expected)), problems(snap, {phase: expected})[:10]
    assert snap.graphs == expected
    seconds = float(result.stdout.rsplit("total ", 1)[-1].split()[0]) if "total " in result.stdout else 0.0
    record("crash-rebuild", phase=phase, graphs=len(snap.graphs), seconds=seconds)
    return seconds


SCRATCH_BUG = ("a killed build left a scratch folder (DIR.dumps/.dump-*, up to a whole uncompressed dump, or "
               "DIR.bulk/, a bulk load's staged graphs and store) behind after the rebuild")


def _restore(saved: Path | None, run: Path) -> None:
    """Put the phase's starting state back (None: nothing, a store built from scratch)."""
    shutil.rmtree(run, ignore_errors=True)
    if saved is None:
        run.mkdir(parents=True)
    else:
        shutil.copytree(saved, run)


def _phase(store: Path, saved: Path | None, pages: Path, kills: list[Kill], versions: dict[str, dict[str, str]],
           name: str, required: set[str]) -> None:
    """Every other kill starts again from the phase's starting state (so that kills explore different points of
    the same change), the others restart from what the previous kill left (a crash during a restarted build)."""
    for index, kill in enumerate(kills):
        if index % 2 == 0:
            _restore(saved, store.parent)
        _kill_and_check(store, pages, kill, versions, name, required)


def test_killed_builds_leave_whole_graphs_and_the_rebuild_completes(versions, tmp_path):
    rng = random.Random(2024)
    store = tmp_path / "run" / "store"
    a, b = versions.graphs_a, versions.graphs_b

    # Phase A: from nothing. The first kill is write-triggered; its time tells how long a build runs.
    first = _kill(rng, "write", 0)
    _phase(store, None, versions.pages_a, [first], {"A": a}, "A", set())
    rest = _plan(rng, max(KILLS_PER_PHASE, 4) - 1, horizon=max(2.0, 2 * first.at), start=1, cycle=FIRST_BUILD)
    _phase(store, None, versions.pages_a, rest, {"A": a}, "A", set())
    build_seconds = _finish(store, versions.pages_a, a, "A")
    shutil.copytree(store.parent, tmp_path / "complete-a")

    # Phase B: every graph changes; none may be lost or mixed on the way.
    plan = _plan(rng, KILLS_PER_PHASE, horizon=max(2.0, build_seconds + 0.5), start=1)
    _phase(store, tmp_path / "complete-a", versions.pages_b, plan, {"A": a, "B": b}, "A->B", set(a))
    _finish(store, versions.pages_b, b, "B")

    leftovers = scratch_entries(store)
    record("crash-leftovers", entries=len(leftovers))
    assert not leftovers, f"{SCRATCH_BUG}: {leftovers}"
