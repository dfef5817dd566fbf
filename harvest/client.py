"""The HTTP side of the harvest: one connection, a User-Agent that names us, retries as urllib3's `Retry` does them.

Why drive `Retry` by hand (`increment`, `sleep`) instead of passing it to `urlopen`: every attempt, the 429 and
the 503 included, must reach the archive, and a block page must stop the harvest rather than be retried; the
policy itself (which statuses and errors, how many times, exponential backoff with jitter, `Retry-After`) is the
library's. A body shorter than its `Content-Length`, a reset or a read timeout is an error urllib3 raises and
`Retry` counts; when the attempts are spent the URL is reported failed and the harvest goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError
from urllib3.util.retry import Retry

from harvest.archive import Exchange
from harvest.state import utc_now

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_MAX = 600  # a server asking for more than 10 minutes is not going to serve this harvest today


class FetchFailed(Exception):
    """A URL that gave no usable answer after every attempt; names the URL and the last reason."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason = url, reason


@dataclass(frozen=True)
class ClientSettings:
    user_agent: str
    delay: float = 1.0  # seconds between two requests (politeness), whatever their outcome
    timeout: float = 30.0
    retries: int = 4
    backoff: float = 1.0  # backoff factor: 0, 2, 4, 8 s ... (+ up to `backoff` s of jitter)


def make_retry(settings: ClientSettings) -> Retry:
    return Retry(total=settings.retries, redirect=0, status_forcelist=RETRY_STATUSES, allowed_methods={"GET"},
                 backoff_factor=settings.backoff, backoff_jitter=settings.backoff, backoff_max=120,
                 respect_retry_after_header=True, retry_after_max=RETRY_AFTER_MAX, raise_on_status=False)


class Client:
    """GETs one URL at a time over one kept-alive connection per host, spacing requests by `delay`."""

    def __init__(self, settings: ClientSettings, on_exchange: Callable[[Exchange], None] | None = None) -> None:
        self.settings = settings
        self.on_exchange = on_exchange
        self.pool = urllib3.PoolManager(num_pools=2, maxsize=1, block=True, retries=False,
                                        timeout=urllib3.Timeout(connect=settings.timeout, read=settings.timeout))
        self._last = 0.0
        self.requests = 0

    def _wait_turn(self) -> None:
        wait = self._last + self.settings.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"User-Agent": self.settings.user_agent, "Accept": "text/html,*/*;q=0.5",
                   "Accept-Encoding": "gzip", "Accept-Language": "fr, nl;q=0.9"}
        headers.update(extra or {})
        return headers

    def _attempt(self, url: str, headers: dict[str, str]) -> Exchange:
        self._wait_turn()
        started = utc_now()
        self.requests += 1
        response = self.pool.request("GET", url, headers=headers, redirect=False, preload_content=False,
                                     decode_content=False)
        try:
            body = response.read(decode_content=False)
        finally:
            response.release_conn()
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        request_headers = (("Host", parts.netloc), *headers.items())
        return Exchange(url, f"GET {target} HTTP/1.1", tuple(request_headers), response.status,
                        response.reason or "", tuple(response.headers.items()), body, started)

    def get(self, url: str, headers: dict[str, str] | None = None,
            is_final: Callable[[Exchange], bool] | None = None) -> Exchange:
        """The final answer for `url` after the retries `Retry` allows; every answer goes to `on_exchange`.
        `is_final(exchange)` may end the retries early (a block page is not retried). Raises FetchFailed."""
        retry = make_retry(self.settings)
        sent = self._headers(headers)
        while True:
            try:
                exchange = self._attempt(url, sent)
            except HTTPError as exc:  # timeout, reset, short body, refused
                retry = self._next(retry, url, error=exc)
                continue
            if self.on_exchange is not None:
                self.on_exchange(exchange)
            response = urllib3.HTTPResponse(body=b"", headers=dict(exchange.response_headers),
                                            status=exchange.status, preload_content=False)
            if (is_final is not None and is_final(exchange)) or not retry.is_retry(
                    "GET", exchange.status, "Retry-After" in response.headers):
                return exchange
            retry = self._next(retry, url, response=response)

    def _next(self, retry: Retry, url: str, *, error: Exception | None = None,
              response: urllib3.HTTPResponse | None = None) -> Retry:
        try:
            retry = retry.increment("GET", url, response=response, error=error)
        except MaxRetryError as exc:
            reason = exc.reason or error
            raise FetchFailed(url, f"gave up after {self.settings.retries + 1} attempts: {reason}") from exc
        retry.sleep(response)
        return retry

    def close(self) -> None:
        self.pool.clear()
