"""WARC files (ISO 28500, written with warcio) holding every request and response of the harvest.

Why WARC: the web archiving standard, readable by pywb and the Internet Archive's tools, so every page can be
parsed again later without fetching it again. Each record is its own gzip member; a file is appended to, its
committed size kept in the state (`harvest.state`) in the same transaction as the question it belongs to. On
open, any bytes past the committed size (a harvest killed mid-question) are cut off: the archive never holds a
half record, nor a record the state does not know (which a resumed harvest would write a second time).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from harvest.state import State

MAX_WARC_BYTES = 1 << 30  # a new file after 1 GiB, as Heritrix and wget do
WARC_SUFFIX = ".warc.gz"
# hop-by-hop framing that no longer describes the stored body (urllib3 de-chunks it)
_FRAMING = frozenset({"transfer-encoding"})


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its response, as sent and received (the body as it came, before any decoding)."""

    url: str
    request_line: str  # "GET /www/?MIval=... HTTP/1.1"
    request_headers: tuple[tuple[str, str], ...]
    status: int
    reason: str
    response_headers: tuple[tuple[str, str], ...]
    body: bytes
    started: str  # ISO 8601 UTC

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.response_headers if k.lower() == name), None)


@dataclass(frozen=True)
class Location:
    warc: str
    offset: int


@dataclass(frozen=True)
class StoredResponse:
    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes  # content-encoding removed (warcio decodes gzip/deflate)

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


def repair(folder: Path, state: State) -> None:
    """Cut every WARC file back to its committed size; remove files the state never committed anything to."""
    sizes = state.warc_sizes()
    for path in sorted(folder.glob(f"*{WARC_SUFFIX}")):
        committed = sizes.get(path.name)
        if committed is None:
            path.unlink()
        elif path.stat().st_size > committed:
            with path.open("r+b") as fh:
                fh.truncate(committed)


class WarcArchive:
    """Appends exchanges to the current WARC file of a folder. One instance per harvest run."""

    def __init__(self, folder: Path, state: State, software: str) -> None:
        self.folder, self.state, self.software = Path(folder), state, software
        repair(self.folder, state)
        self._fh: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None
        self.name = ""
        self._serial = 0

    def _open_new(self) -> None:
        self.close()
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
        self._serial += 1
        self.name = f"senate-kg-{stamp}-{os.getpid()}-{self._serial:05d}{WARC_SUFFIX}"
        self._fh = (self.folder / self.name).open("ab")
        self._writer = WARCWriter(self._fh, gzip=True)
        info = self._writer.create_warcinfo_record(self.name, {"software": self.software, "format": "WARC/1.1"})
        self._writer.write_record(info)
        self._fh.flush()
        self.state.set_warc_size(self.name, self._fh.tell())  # committed with the first question

    def _ready(self) -> WARCWriter:
        if self._writer is None or self._fh is None or self._fh.tell() > MAX_WARC_BYTES:
            self._open_new()
        assert self._writer is not None
        return self._writer

    def write(self, exchange: Exchange, *, revisit_of: tuple[str, str] | None = None) -> Location:
        """The request and the response (or, for bytes identical to an earlier response, a revisit record that
        points at it: (uri, date)). Returns where the response record starts."""
        writer = self._ready()
        assert self._fh is not None
        request = writer.create_warc_record(
            exchange.url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(exchange.request_line, list(exchange.request_headers), is_http_request=True),
            warc_headers_dict={"WARC-Date": exchange.started})
        http_headers = StatusAndHeaders(f"{exchange.status} {exchange.reason}".strip(),
                                        [(k, v) for k, v in exchange.response_headers if k.lower() not in _FRAMING],
                                        protocol="HTTP/1.1")
        if revisit_of is None:
            response = writer.create_warc_record(exchange.url, "response", payload=io.BytesIO(exchange.body),
                                                 http_headers=http_headers,
                                                 warc_headers_dict={"WARC-Date": exchange.started})
        else:
            digest = "sha1:" + base64.b32encode(hashlib.sha1(exchange.body).digest()).decode("ascii")
            response = writer.create_revisit_record(exchange.url, digest, revisit_of[0], revisit_of[1],
                                                    http_headers=http_headers)
            response.rec_headers.replace_header("WARC-Date", exchange.started)
        offset = self._fh.tell()
        writer.write_request_response_pair(request, response)
        return Location(self.name, offset)

    def commit_point(self) -> None:
        """Flush to the kernel (a SIGKILL then loses nothing) and record the size in the state's transaction."""
        if self._fh is not None:
            self._fh.flush()
            self.state.set_warc_size(self.name, self._fh.tell())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            self._fh.close()
        self._fh, self._writer = None, None


def read_response(folder: Path, location: Location) -> StoredResponse:
    """The response record at `location`: its status, headers and body (content-encoding undone)."""
    with (Path(folder) / location.warc).open("rb") as fh:
        fh.seek(location.offset)
        record = next(iter(ArchiveIterator(fh)))
        headers = record.http_headers
        body = record.content_stream().read()
        return StoredResponse(record.rec_headers.get_header("WARC-Target-URI"), int(headers.get_statuscode()),
                              tuple(headers.headers), body)
