"""Derive the compact EuroVoc index shipped in ontology/eurovoc/index.tsv.gz from the EuroVoc concept table.

Why a derived file: the mapping needs only the labels that let it match a printed descriptor and describe the
concept (prefLabels fr/nl/en/de, altLabels fr/en, microthesauri); the source table also carries URIs that are
predictable from the id and broader links we do not publish. The output is gzip-compressed with a fixed mtime
so that running this script twice gives byte-identical files (the index is committed).

Usage: python ontology/eurovoc/make_index.py [SOURCE.tsv] [OUTPUT.tsv.gz]
(defaults: ../shared/eurovoc/eurovoc_concepts.tsv next to the repository, and this folder's index.tsv.gz).
EuroVoc is (c) European Union, CC BY 4.0 (Commission Decision 2011/833/EU): keep NOTICE.md next to the index.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parent.parent.parent / "shared" / "eurovoc" / "eurovoc_concepts.tsv"
DEFAULT_OUTPUT = HERE / "index.tsv.gz"

SOURCE_COLUMNS = ("id", "prefLabel_fr", "prefLabel_nl", "prefLabel_en", "prefLabel_de", "altLabels_fr",
                  "altLabels_en", "microthesauri")
INDEX_COLUMNS = ("id", "fr", "nl", "en", "de", "alt_fr", "alt_en", "microthesauri")
REQUIRED = ("id", "prefLabel_fr", "prefLabel_nl", "prefLabel_en", "prefLabel_de")


def _clean(value: str) -> str:
    """Tabs and newlines would break the TSV; runs of spaces are never meaningful in a label."""
    return " ".join(value.split())


def read_source(path: Path) -> list[tuple[str, ...]]:
    """Rows of the index, sorted by id, from the EuroVoc table; a row lacking a required label is an error."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = [c for c in SOURCE_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise SystemExit(f"{path}: header: missing columns {', '.join(missing)}")
        rows = []
        for line, row in enumerate(reader, start=2):
            empty = [c for c in REQUIRED if not (row[c] or "").strip()]
            if empty:
                raise SystemExit(f"{path}:{line}: {empty[0]}: empty, every concept needs fr/nl/en/de labels")
            rows.append(tuple(_clean(row[c] or "") for c in SOURCE_COLUMNS))
    return sorted(rows, key=lambda r: r[0])


def write_index(rows: list[tuple[str, ...]], output: Path) -> int:
    """Write the gzip TSV deterministically (mtime 0, no file name in the gzip header); returns bytes written."""
    text = io.StringIO()
    text.write("\t".join(INDEX_COLUMNS) + "\n")
    for row in rows:
        text.write("\t".join(row) + "\n")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    output.write_bytes(buffer.getvalue())
    return len(buffer.getvalue())


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    output = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    rows = read_source(source)
    size = write_index(rows, output)
    print(f"{output}: {len(rows)} concepts, {size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
