"""A stand-in for senate.be on 127.0.0.1: the site's URL scheme, pages from files, faults on demand.

Tests, the benchmark and anyone trying the harvester use it instead of the real site (nothing in tests or CI
ever contacts it). Pages are HTML files, or text renderings turned into SYNTHETIC HTML on the fly
(harvest/synthetic_html.py), named like the samples: `SchriftelijkeVraag_LEG5_NR8900_LANGfr.html` / `.txt`.

    python -m harvest.standin --pages data/samples --port 8123 [--markup table|div] [--disallow]

Faults (`StandIn.fault(key_or_"*", "429", "503", ...)`: each request for that page takes the next one):
`429`/`503` (with `Retry-After`), `500`, `slow` (answers after the client's timeout), `reset` (connection reset),
`short` (a body shorter than its Content-Length), `error200` (an error page with status 200), `block` (a WAF's
challenge page), `frameset` (the page inside a frameset), `lying-charset` (Windows-1252 bytes declared UTF-8).
`robots="disallow"` makes robots.txt refuse the question pages. The query string must arrive as the site writes
it (`MIval=/Vragen/...`, the slash not percent-encoded): anything else is a 400.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import re
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from harvest.site import PageKey, page_key
from harvest.synthetic_html import make_html

_NAME = re.compile(r"(SVPrintNLFR|SchriftelijkeVraag|SVPrint)_LEG(\d+)_NR(\d+)_LANG(fr|nl)")
_FRAME_PATH = re.compile(r"^/www/frames/(\w+)_(\d+)_(\d+)_(fr|nl)\.html$")
NO_SUCH = ("<html><body><p>Cette question n'existe pas.</p><p>Deze vraag bestaat niet.</p></body></html>")
ERROR_PAGE = ("<html><body><h1>Erreur</h1><p>Une erreur s'est produite. Er is een fout opgetreden.</p>"
              "</body></html>")
BLOCK_PAGE = ("<html><head><title>Just a moment...</title></head><body><h1>Checking your browser before "
              "accessing www.senate.be</h1><p>Please enable JavaScript and cookies.</p></body></html>")
ROBOTS_ALLOW = "User-agent: *\nDisallow: /cgi-bin/\n"
ROBOTS_DISALLOW = "User-agent: *\nDisallow: /www/\n"


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html"
    text: str | None = None  # the text it was made from, when it was made (for `lying-charset`)


def load_pages(folder: Path, markup: str = "table", *, both_languages: bool = False) -> dict[PageKey, Page]:
    """Every page file under `folder` named like the samples; `.txt` renderings become synthetic HTML.
    `both_languages`: a bilingual print view is also served under the other LANG (the synthetic pages of
    bench/synthetic.py exist as LANG=nl only; the harvester asks for LANG=fr)."""
    pages: dict[PageKey, Page] = {}
    for path in sorted(Path(folder).rglob("*")):
        m = _NAME.search(path.name)
        if not m or path.suffix.lower() not in (".txt", ".html", ".htm"):
            continue
        key = PageKey(m[1], int(m[2]), int(m[3]), m[4])
        if path.suffix.lower() == ".txt":
            text = path.read_text("utf-8")
            pages[key] = Page(make_html(text, markup), "text/html", text)
        else:
            pages[key] = Page(path.read_bytes(), "text/html")
    if both_languages:
        for key in [k for k in pages if k.layout == "SVPrintNLFR"]:
            pages.setdefault(PageKey(key.layout, key.legislature, key.number, "nl" if key.lang == "fr" else "fr"),
                             pages[key])
    return pages


class StandIn:
    """The stand-in site, served by a thread; `url` is its base (`http://127.0.0.1:PORT/`)."""

    def __init__(self, pages: dict[PageKey, Page] | None = None, *, port: int = 0, robots: str = "allow",
                 slow_seconds: float = 2.0, retry_after: int = 1) -> None:
        self.pages: dict[PageKey, Page] = dict(pages or {})
        self.robots = robots
        self.slow_seconds, self.retry_after = slow_seconds, retry_after
        self.faults: dict[object, deque[str]] = defaultdict(deque)
        self.log: list[str] = []  # every request path, in order
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="standin", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> StandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fault(self, key: PageKey | str, *faults: str) -> None:
        """Queue faults for one page (or "*" for the next requests of any page, robots.txt excepted)."""
        with self.lock:
            self.faults[key].extend(faults)

    def next_fault(self, key: PageKey) -> str | None:
        with self.lock:
            for k in (key, "*"):
                if self.faults.get(k):
                    return self.faults[k].popleft()
        return None

    def questions(self) -> set[tuple[int, int]]:
        return {(k.legislature, k.number) for k in self.pages}

    def requests_for(self, legislature: int, number: int) -> list[str]:
        needle = f"&LEG={legislature}&NR={number}&"
        return [p for p in self.log if needle in p]


def _handler(site: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "senate-standin/1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            pass

        def setup(self) -> None:
            super().setup()  # headers and body go out in two writes: without this, Nagle adds 40 ms to each
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            with site.lock:
                site.log.append(self.path)
            if self.path == "/robots.txt":
                text = ROBOTS_DISALLOW if site.robots == "disallow" else ROBOTS_ALLOW
                return self._send(200, text.encode(), "text/plain")
            if m := _FRAME_PATH.match(self.path):
                key = PageKey(m[1], int(m[2]), int(m[3]), m[4])
                return self._page(key, site.pages.get(key), fault=None)
            if "%2F" in self.path.upper() or not self.path.startswith("/www/?MIval="):
                return self._send(400, b"<html><body>Bad request</body></html>")
            key = page_key(site.url + self.path[1:])
            if key is None:
                return self._send(404, NO_SUCH.encode())
            self._page(key, site.pages.get(key), fault=site.next_fault(key))

        def _page(self, key: PageKey, page: Page | None, fault: str | None) -> None:
            if fault in ("429", "503"):
                return self._send(int(fault), b"<html><body>Too busy</body></html>",
                                  extra={"Retry-After": str(site.retry_after)})
            if fault == "500":
                return self._send(500, b"<html><body>Internal Server Error</body></html>")
            if fault == "slow":
                time.sleep(site.slow_seconds)
            if fault == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return None
            if fault == "block":
                return self._send(200, BLOCK_PAGE.encode())
            if fault == "error200":
                return self._send(200, ERROR_PAGE.encode())
            if fault == "frameset":
                src = f"/www/frames/{key.layout}_{key.legislature}_{key.number}_{key.lang}.html"
                body = (f'<html><frameset rows="80,*"><frame name="nav" src="/www/nav.html">'
                        f'<frame name="main" src="{src}"></frameset></html>').encode()
                return self._send(200, body)
            if page is None:
                exists = any((k.legislature, k.number) == (key.legislature, key.number) for k in site.pages)
                return self._send(200, (ERROR_PAGE if exists else NO_SUCH).encode())
            body, content_type = page.body, page.content_type
            if fault == "lying-charset" and page.text is not None:
                body = make_html(page.text, "div", "windows-1252", meta_charset="utf-8")
                content_type = "text/html; charset=utf-8"
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", extra={"ETag": etag})
            if fault == "short":
                return self._send(200, body, content_type, extra={"ETag": etag}, length=len(body) + 500)
            return self._send(200, body, content_type, extra={"ETag": etag})

        def _send(self, status: int, body: bytes, content_type: str = "text/html; charset=iso-8859-1",
                  extra: dict[str, str] | None = None, length: int | None = None) -> None:
            self.send_response(status)
            if status != 304:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            if length is not None:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, required=True, help="folder of page files (.html, or .txt)")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--markup", choices=("table", "div"), default="table")
    parser.add_argument("--disallow", action="store_true", help="robots.txt disallows the question pages")
    parser.add_argument("--both-languages", action="store_true",
                        help="serve each bilingual print view under LANG=fr and LANG=nl (bench/synthetic.py pages)")
    args = parser.parse_args(argv)
    site = StandIn(load_pages(args.pages, args.markup, both_languages=args.both_languages), port=args.port,
                   robots="disallow" if args.disallow else "allow")
    print(f"stand-in senate.be on {site.url} with {len(site.pages)} pages (Ctrl-C stops)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        site.server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
