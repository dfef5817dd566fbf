"""The senate.be URL scheme for written questions, as data: one template, one parser of it.

The site's query string is sent as it is written (the `/` in `MIval=/Vragen/...` is not percent-encoded): the
templates below are used verbatim, never rebuilt through urlencode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_SITE = "https://www.senate.be/"
CANONICAL_SITE = DEFAULT_SITE
BILINGUAL_PRINT, DETAIL, PRINT = "SVPrintNLFR", "SchriftelijkeVraag", "SVPrint"
PAGE_TEMPLATE = "{site}www/?MIval=/Vragen/{layout}&LEG={leg}&NR={nr}&LANG={lang}"
_PAGE = re.compile(r"^(?P<site>.*?)www/\?MIval=/?Vragen/(?P<layout>\w+)&LEG=(?P<leg>\d+)&NR=(?P<nr>\d+)"
                   r"&LANG=(?P<lang>fr|nl)$")


@dataclass(frozen=True)
class PageKey:
    layout: str
    legislature: int
    number: int
    lang: str


def normalise_site(site: str) -> str:
    """`https://www.senate.be` and `https://www.senate.be/` are the same site: always end with one slash."""
    return site.rstrip("/") + "/"


def page_url(site: str, layout: str, legislature: int, number: int, lang: str) -> str:
    return PAGE_TEMPLATE.format(site=normalise_site(site), layout=layout, leg=legislature, nr=number, lang=lang)


def page_key(url: str) -> PageKey | None:
    """A question page URL -> its layout, legislature, number and language; None for any other URL."""
    m = _PAGE.match(url)
    return PageKey(m["layout"], int(m["leg"]), int(m["nr"]), m["lang"]) if m else None


def canonical_url(url: str) -> str:
    """The same page on senate.be itself: what a question's provenance names when the pages were fetched from a
    mirror or the local stand-in (the archive keeps the URL really fetched). A senate.be URL is kept as it is."""
    m = _PAGE.match(url)
    if m is None or url.startswith(CANONICAL_SITE):
        return url
    return page_url(CANONICAL_SITE, m["layout"], int(m["leg"]), int(m["nr"]), m["lang"])
