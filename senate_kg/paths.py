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
