"""The flow's module boundaries (STYLE.md), checked by walking every module's imports:
parsing knows nothing of RDF or HTTP, the RDF mapping knows nothing of page layouts, only the store package touches
pyoxigraph, and the server never imports the parser."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PARSING = ["mapping/parse.py", "mapping/merge.py", "mapping/layouts.py", "mapping/text.py", "mapping/model.py",
           "mapping/errors.py"]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports count too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def imports_any(path: Path, prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in imported_modules(path) if m.split(".")[0] in prefixes or m.startswith(prefixes))


@pytest.mark.parametrize("relative", PARSING)
def test_parsing_imports_neither_rdf_nor_http(relative: str) -> None:
    forbidden = ("rdflib", "pyshacl", "flask", "werkzeug", "pyoxigraph", "store", "server")
    assert imports_any(ROOT / relative, forbidden) == []


@pytest.mark.parametrize("path", [ROOT / "mapping/rdf.py", ROOT / "mapping/validate.py", ROOT / "mapping/eurovoc.py"],
                         ids=lambda p: p.name)
def test_rdf_mapping_does_not_know_page_layouts(path: Path) -> None:
    assert imports_any(path, ("mapping.parse", "mapping.layouts", "mapping.text", "flask", "server")) == []


@pytest.mark.parametrize("folder", ["mapping", "server", "senate_kg"])
def test_only_the_store_package_imports_pyoxigraph(folder: str) -> None:
    offenders = {str(p.relative_to(ROOT)): imports_any(p, ("pyoxigraph",)) for p in python_files(folder)}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_server_never_imports_the_parser() -> None:
    offenders = {str(p.relative_to(ROOT)): imports_any(p, ("mapping.parse", "mapping.merge", "mapping.layouts",
                                                              "mapping.text", "senate_kg.pipeline"))
                 for p in python_files("server")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_walker_sees_imports_inside_functions(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    import pyoxigraph\n    from flask import Flask\n", encoding="utf-8")
    assert imported_modules(probe) == {"pyoxigraph", "flask"}


@pytest.mark.parametrize("path", python_files("harvest"), ids=lambda p: p.name)
def test_the_harvester_knows_no_rdf_and_no_mapping(path: Path) -> None:
    """The harvester is upstream of mapping/ (STYLE.md): it stores bytes and headers and knows no RDF."""
    forbidden = ("rdflib", "pyshacl", "pyoxigraph", "mapping", "store", "server", "senate_kg", "flask")
    assert imports_any(path, forbidden) == []


def test_html_rendering_knows_neither_rdf_nor_http() -> None:
    forbidden = ("rdflib", "pyshacl", "pyoxigraph", "urllib3", "requests", "http", "harvest", "store", "server")
    assert imports_any(ROOT / "mapping/html.py", forbidden) == []
