"""A full disk, simulated by a small tmpfs: `senate-kg build` fails with a clear error (exit status 2, one message
naming the store or the file and the lack of space, no traceback) and corrupts nothing (the store reopens and
holds complete graphs only); once there is room again the same command completes the store.

Needs root to mount (skipped, with the reason, elsewhere). Short form: the 200 pages of version A in one build
(its first transaction alone does not fit in 20 MB); SENATE_KG_STRESS=long: batches of 25 pages until the disk
fills, checking the store after each.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from stress_helpers import problems, record, run_build, scaled, snapshot

pytestmark = pytest.mark.slow

DISK_SIZE = "12m"  # 200 synthetic questions take ~14 MB with the store around them (one fact, one place)
BATCH = scaled(200, 25)


def assert_clean_failure(result: subprocess.CompletedProcess, *names: str) -> None:
    """Exit status 2 and a message a person can act on: it says the disk is full and where."""
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr[-3000:]
    assert "No space left on device" in result.stderr or "disk is full" in result.stderr.lower(), result.stderr
    assert any(name in result.stderr for name in names), f"the message names none of {names}: {result.stderr}"


def _copy_batch(pages: list[Path], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for page in pages:
        shutil.copy2(page, folder / page.name)


def test_a_store_that_fills_the_disk_fails_cleanly_and_recovers(versions, tmpfs, tmp_path):
    disk = tmpfs(tmp_path / "disk", DISK_SIZE)
    store, pages, folder = disk / "store", sorted(versions.pages_a.glob("*.txt")), tmp_path / "pages"
    loaded: set[str] = set()
    for start in range(0, len(pages), BATCH):  # more pages each time, until the disk is full
        _copy_batch(pages[start:start + BATCH], folder)
        result = run_build(store, folder)
        snap = snapshot(store, known=versions.graphs_a)
        record("full-disk", pages=start + BATCH, status=result.returncode, graphs=len(snap.graphs),
               message=_last_line(result))
        assert not problems(snap, {"A": versions.graphs_a}, required=loaded), problems(snap, {"A": versions.graphs_a})
        if result.returncode != 0:
            break
        loaded = set(snap.graphs)
    else:
        pytest.fail(f"{len(pages)} pages fitted in {DISK_SIZE}: the disk never filled")
    assert_clean_failure(result, str(store), str(disk))

    again = run_build(store, folder)  # on the still-full disk: opening the store must fail as cleanly
    assert_clean_failure(again, str(store), str(disk))
    assert not problems(snapshot(store, known=versions.graphs_a), {"A": versions.graphs_a}, required=loaded)

    subprocess.run(["mount", "-o", "remount,size=400m", str(disk)], check=True)
    result = run_build(store, versions.pages_a)
    assert result.returncode == 0, result.stderr[-2000:]
    snap = snapshot(store, known=versions.graphs_a)
    assert snap.graphs == versions.graphs_a and not problems(snap, {"A": versions.graphs_a})


def _last_line(result: subprocess.CompletedProcess) -> str:
    return result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""


def _used_bytes(path: Path) -> int:
    stat = os.statvfs(path)
    return (stat.f_blocks - stat.f_bfree) * stat.f_frsize


def test_publishing_onto_a_full_disk_fails_cleanly_and_keeps_the_store(versions, tmpfs, tmp_path):
    """The store fits; the dumps written next to it (DIR.dumps/, a tmpfs here) do not. Twice: no room at all
    (the store's dump fails), then room for the uncompressed dump only (compressing it fails)."""
    store, expected = tmp_path / "store", {"A": versions.graphs_a}
    dumps = tmpfs(tmp_path / "store.dumps", "64k")
    result = run_build(store, versions.pages_a)
    snap = snapshot(store, known=versions.graphs_a)
    record("full-disk-publish", room="64 KB", status=result.returncode, message=_last_line(result))
    assert snap.graphs == versions.graphs_a and not problems(snap, expected)
    assert_clean_failure(result, str(dumps), str(store))

    room = _used_bytes(dumps) + snap.dump_bytes + 40_000  # the failed publishing left nothing behind to count
    subprocess.run(["mount", "-o", f"remount,size={room // 1024}k", str(dumps)], check=True)
    result = run_build(store, versions.pages_a)
    record("full-disk-publish", room="uncompressed dump only", status=result.returncode, message=_last_line(result))
    snap = snapshot(store, known=versions.graphs_a)
    assert snap.graphs == versions.graphs_a and not problems(snap, expected)
    assert_clean_failure(result, str(dumps), str(store))
