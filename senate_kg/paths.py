"""Where the project's data folders are: computed once, here, and nowhere else.

The data folders (`ontology/`, `shapes/`, `queries/`) live at the repository root, next to the Python
packages, as the design card lays them out; the project is installed editable (`pip install -e .`).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
SHAPES_DIR = ROOT / "shapes"
QUERIES_DIR = ROOT / "queries"
SAMPLES_DIR = ROOT / "data" / "samples"


def _shared_dir() -> Path:
    """The reference material (`../shared`: W3C protocol suite, DCAT-AP shapes, EuroVoc table, samples) the tests
    and benchmarks read: `SENATE_KG_SHARED` if set, else `../shared` beside the clone (as CI has it), else the
    copy under `tests/data/shared/` (protocol suite, DCAT-AP shapes, EuroVoc table; see its README), so that a
    fresh clone anywhere runs the whole suite."""
    import os

    if os.environ.get("SENATE_KG_SHARED"):
        return Path(os.environ["SENATE_KG_SHARED"])
    beside = ROOT.parent / "shared"
    return beside if (beside / "sparql-protocol").is_dir() else ROOT / "tests" / "data" / "shared"


SHARED_DIR = _shared_dir()


def stream_dir_for(store_dir: Path) -> Path:
    """`var/store` -> `var/store.ldes`: the event stream's pages and index (senate_kg/stream.py writes them, the
    server reads them), a sibling of the store like the dumps."""
    store_dir = Path(store_dir)
    return store_dir.with_name(store_dir.name + ".ldes")
