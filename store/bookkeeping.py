"""The embedded store's bookkeeping: each graph's etag and date, kept beside the RDF, not in it.

Why not in the RDF dataset (as the remote backend still keeps it, in the graph `urn:senate-kg:meta`): users'
queries see the union of every graph as their default graph, and Oxigraph's union includes every graph there is,
so bookkeeping stored as triples shows up in every `?s ?p ?o` a researcher writes (issue "One fact, one place").
A small SQLite file in the store's folder keeps it out: it moves with the folder (the bulk load's atomic
exchange of folders takes it along) and costs a dictionary lookup to read.

Consistency with the RDF, which SQLite and RocksDB cannot commit together:
- a writer first records what it is about to write as `pending` (committed), then writes the graphs to the store,
  then promotes the pending rows to `graphs` (one transaction);
- a crash in between leaves pending rows: whoever opens the store next checks each against the graph's content
  as stored (`resolve_pending`): the new etag if the graph holds the new content, else the old row stands. So a
  reader never pairs new content with an old etag (which would let an HTTP cache keep stale content);
- readers load every row once per store snapshot (`load`): a read-only RocksDB handle is a snapshot, and the
  etags it is served with must be that snapshot's, not whatever a running build has written since.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from store import GraphInfo, StoreError, meta

FILE_NAME = "senate-kg-bookkeeping.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS graphs (iri TEXT PRIMARY KEY, etag TEXT NOT NULL, modified TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending (iri TEXT PRIMARY KEY, etag TEXT NOT NULL, modified TEXT NOT NULL);
"""

Row = tuple[str, str, dt.datetime]  # graph IRI, etag, modified


def path_in(location: str | Path) -> Path:
    return Path(location) / FILE_NAME


@contextlib.contextmanager
def connect(location: str | Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to the bookkeeping of the store at `location` (created by a writer when missing)."""
    path = path_in(location)
    try:
        if read_only:
            if not path.exists():
                raise FileNotFoundError(path)
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        else:
            connection = sqlite3.connect(path, timeout=30)
            connection.executescript(SCHEMA)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"cannot open the store's bookkeeping {path}: {exc}") from exc
    try:
        yield connection
    except sqlite3.Error as exc:
        raise StoreError(f"the store's bookkeeping {path} failed: {exc}") from exc
    finally:
        connection.close()


def _info(iri: str, etag: str, modified: str) -> GraphInfo | None:
    return meta.graph_info(iri, etag, modified)


def load(location: str | Path, content_etag: Callable[[str], str | None]) -> dict[str, GraphInfo]:
    """Every graph's GraphInfo, with pending rows resolved against the content (`content_etag(iri)`: the etag
    of what the store holds now). A store without bookkeeping (new, or empty) has none."""
    try:
        with connect(location, read_only=True) as connection:
            rows = connection.execute("SELECT iri, etag, modified FROM graphs").fetchall()
            pending = connection.execute("SELECT iri, etag, modified FROM pending").fetchall()
    except StoreError:
        if not path_in(location).exists():
            return {}
        raise
    infos = {iri: info for iri, etag, modified in rows if (info := _info(iri, etag, modified))}
    for iri, etag, modified in pending:
        if content_etag(iri) == etag and (info := _info(iri, etag, modified)):
            infos[iri] = info
    return infos


def resolve_pending(location: str | Path, content_etag: Callable[[str], str | None]) -> None:
    """What a writer killed between its two commits left: keep each pending row whose content made it into the
    store, forget the others. Called by the next writer, which holds the store's lock."""
    with connect(location) as connection:
        pending = connection.execute("SELECT iri, etag, modified FROM pending").fetchall()
        with connection:
            for iri, etag, modified in pending:
                if content_etag(iri) == etag:
                    connection.execute("INSERT OR REPLACE INTO graphs VALUES (?, ?, ?)", (iri, etag, modified))
            connection.execute("DELETE FROM pending")


@contextlib.contextmanager
def writing(location: str | Path, rows: Iterable[Row]) -> Iterator[None]:
    """Around a write of the graphs `rows` describe: pending before, promoted after (see the module's doc)."""
    values = [(iri, etag, meta.format_time(when)) for iri, etag, when in rows]
    if not values:
        yield
        return
    with connect(location) as connection:
        with connection:
            connection.executemany("INSERT OR REPLACE INTO pending VALUES (?, ?, ?)", values)
        yield
        with connection:
            connection.executemany("INSERT OR REPLACE INTO graphs VALUES (?, ?, ?)", values)
            connection.executemany("DELETE FROM pending WHERE iri = ?", [(v[0],) for v in values])


def read(location: str | Path, iris: Iterable[str]) -> dict[str, GraphInfo]:
    """The writer's own view (it is the only writer): the rows of `iris`, pending ones excluded."""
    wanted = list(dict.fromkeys(iris))
    if not wanted or not path_in(location).exists():
        return {}
    found: dict[str, GraphInfo] = {}
    with connect(location) as connection:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for iri, etag, modified in connection.execute(
                    f"SELECT iri, etag, modified FROM graphs WHERE iri IN ({marks})", chunk):
                if info := _info(iri, etag, modified):
                    found[iri] = info
    return found


def forget(location: str | Path, iris: Iterable[str]) -> None:
    """Drop the rows of graphs about to be removed (before they are: see `Store.remove_graphs`)."""
    names = [(iri,) for iri in iris]
    if not names or not path_in(location).exists():
        return
    with connect(location) as connection, connection:
        connection.executemany("DELETE FROM graphs WHERE iri = ?", names)
        connection.executemany("DELETE FROM pending WHERE iri = ?", names)


def write_all(location: str | Path, rows: Iterable[Row]) -> None:
    """Rows for a store that is not in place yet (a bulk load's new store, before the folders are exchanged)."""
    with connect(location) as connection, connection:
        connection.executemany("INSERT OR REPLACE INTO graphs VALUES (?, ?, ?)",
                               [(iri, etag, meta.format_time(when)) for iri, etag, when in rows])
