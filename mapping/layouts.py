"""The senate.be page layouts and their printed vocabulary, as data: one table, one lookup, one clear error.

`detect_layout` picks the entry whose banner opens the page. The labels the pages print (chronology events,
relations between questions, original-language notes, addressee articles) are dictionaries here, keyed by
their lower-case printed form, so that a label met on a new page is a one-line addition, never a new branch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapping.errors import ParseError
from mapping.model import EventKind, Layout
from mapping.text import normalise_text


@dataclass(frozen=True)
class LayoutSpec:
    layout: Layout
    banner: re.Pattern[str]  # the first non-blank line of the page
    language: str | None  # the page's language; None for the bilingual view
    description: str  # for error messages listing what is known


LAYOUTS: tuple[LayoutSpec, ...] = (
    LayoutSpec(Layout.BILINGUAL_PRINT,
               re.compile(r"S[ÉE]NAT DE BELGIQUE BELGISCHE SENAAT|BELGISCHE SENAAT S[ÉE]NAT DE BELGIQUE", re.I),
               None, "bilingual print view ('SÉNAT DE BELGIQUE BELGISCHE SENAAT')"),
    LayoutSpec(Layout.PRINT, re.compile(r"S[ÉE]NAT DE BELGIQUE", re.I), "fr",
               "French print view ('SÉNAT DE BELGIQUE')"),
    LayoutSpec(Layout.PRINT, re.compile(r"BELGISCHE SENAAT", re.I), "nl", "Dutch print view ('BELGISCHE SENAAT')"),
    LayoutSpec(Layout.DETAIL, re.compile(r"Version à imprimer bilingue( Version à imprimer unilingue)?", re.I), "fr",
               "French detail page ('Version à imprimer bilingue …')"),
    LayoutSpec(Layout.DETAIL, re.compile(r"Tweetalige printerversie( Eentalige printerversie)?", re.I), "nl",
               "Dutch detail page ('Tweetalige printerversie …')"),
)

# Pages that are recognisably senate.be question material but have no layout this parser reads: refused with
# a reason of their own rather than the generic "unknown layout".
UNSUPPORTED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\(Fr\.\): Question posée en français|\(N\.\): Vraag gesteld in het Nederlands"
                r"|Bulletin des Questions et Réponses|Bulletin van Vragen en Antwoorden", re.I),
     "an older 'Bulletin des Questions et Réponses' page (publications/viewPubDoc) without a question header "
     "(no number, author or date to read): not one of the question page layouts"),
)

BANNER_SEARCH_LINES = 5  # the banner is the first non-blank line; allow a few stray lines above it


def detect_layout(page: str | list[str], source: str = "<page>") -> tuple[LayoutSpec, int]:
    """(layout, index of its banner line) for a page given as text or as normalised lines;
    ParseError(field="layout") naming the known layouts when none matches."""
    lines = normalise_text(page).split("\n") if isinstance(page, str) else page
    seen = 0
    for index, line in enumerate(lines):
        if not line:
            continue
        for spec in LAYOUTS:
            if spec.banner.fullmatch(line):
                return spec, index
        for pattern, reason in UNSUPPORTED:
            if pattern.search(line):
                raise ParseError(source, "layout", reason, index + 1)
        seen += 1
        if seen >= BANNER_SEARCH_LINES:
            break
    first = next((line for line in lines if line), "")
    known = "; ".join(spec.description for spec in LAYOUTS)
    raise ParseError(source, "layout", f"no known page layout: the page opens with {first[:80]!r}, "
                                       f"expected one of: {known}", 1 if first else None)


# ------------------------------------------------------------------------------------------------ vocabulary
EVENT_LABELS: dict[str, EventKind] = {
    "envoi question": EventKind.SENT,
    "verzending vraag": EventKind.SENT,
    "rappel": EventKind.REMINDER,  # printed in French on the Dutch pages too
    "herinnering": EventKind.REMINDER,
    "réponse": EventKind.ANSWER,
    "antwoord": EventKind.ANSWER,
    "dossier clôturé": EventKind.CLOSED,
    "dossier gesloten": EventKind.CLOSED,
    "dossier afgesloten": EventKind.CLOSED,
}
DEADLINE_LABELS = frozenset({"fin du délai de réponse", "einde van de antwoordtermijn"})

ALSO_ASKED = "also_asked"
REINTRODUCED_AS = "reintroduced_as"
RELATION_LABELS: dict[str, str] = {
    "aussi posée à": ALSO_ASKED,
    "ook gesteld aan": ALSO_ASKED,
    "réintroduite comme": REINTRODUCED_AS,
    "opnieuw ingediend als": REINTRODUCED_AS,
    "heringediend als": REINTRODUCED_AS,
}

ORIGINAL_LANGUAGES: dict[str, str] = {  # "(Question posée en néerlandais)", "(Vraag gesteld in het Frans)"
    "français": "fr", "francais": "fr", "frans": "fr",
    "néerlandais": "nl", "neerlandais": "nl", "nederlands": "nl",
}

# The article before the addressee's office is stripped: the office is "premier ministre" whether the page
# says "au premier ministre" or "à la …"; the prefix also tells the label's language on the bilingual view.
# Longest first: the first prefix that matches wins.
ADDRESSEE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("à la ", "fr"), ("à l'", "fr"), ("à l’", "fr"), ("aux ", "fr"), ("au ", "fr"), ("à ", "fr"),
    ("aan de ", "nl"), ("aan het ", "nl"), ("aan ", "nl"),
)
AUTHOR_PREFIXES: tuple[str, ...] = ("de ", "van ", "d'", "d’")  # "de" also on the Dutch print view (sic)
