"""`export`, `load`, `push`, `serve`, and the real `senate-kg` script (subprocess, TTY vs pipe)."""

from __future__ import annotations

import fcntl
import gzip
import os
import pty
import select
import socket
import struct
import subprocess
import sys
import termios
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from cli_helpers import CLI_BASE, ROOT, SAMPLES, question_iri, read_quads, sample_identifiers
from rdflib import Dataset, Graph

from senate_kg.cli import main
from store import META_GRAPH, open_store

SCRIPT = Path(sys.executable).parent / "senate-kg"
PUSH_BASE = "http://cli-push.senate-kg.test/"
VOCAB_TTL = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://example.org/c/1> a skos:Concept ; skos:prefLabel "un"@fr, "een"@nl .
<http://example.org/c/2> a skos:Concept ; skos:prefLabel "deux"@fr ; skos:broader [ skos:prefLabel "x" ] .
"""
VOCAB_NT = '<http://example.org/c/3> <http://www.w3.org/2004/02/skos/core#prefLabel> "trois"@fr .\n'


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The sample built once for the read-only tests of this module."""
    store_dir = tmp_path_factory.mktemp("cli-built") / "store"
    assert main(["build", "--quiet", "--store", str(store_dir), "--base-uri", CLI_BASE, str(SAMPLES)]) == 0
    return store_dir


# ---------------------------------------------------------------- export
@pytest.mark.parametrize("name, fmt", [("all.nq.gz", "nquads"), ("all.trig", "trig"), ("all.jsonld", "json-ld")])
def test_export_round_trip(cli, built, tmp_path, name, fmt):
    output = tmp_path / name
    result = cli("export", "--store", built, "--output", output)
    assert result.status == 0, result.err
    written = int(result.out.split()[0])
    data = gzip.decompress(output.read_bytes()) if name.endswith(".gz") else output.read_bytes()
    dataset = Dataset()
    dataset.parse(data=data, format=fmt)
    assert len(set(dataset.quads((None, None, None, None)))) == written > 0
    graph_names = {str(c.identifier) for c in dataset.graphs()}
    assert {question_iri(CLI_BASE, i) for i in sample_identifiers()} <= graph_names
    assert META_GRAPH not in graph_names  # a dump holds the data, not the store's bookkeeping


def test_export_gzip_is_deterministic_and_rejects_unknown_suffixes(cli, built, tmp_path):
    assert cli("export", "--store", built, "--output", tmp_path / "a.nq.gz").status == 0
    assert cli("export", "--store", built, "--output", tmp_path / "b.nq.gz").status == 0
    assert (tmp_path / "a.nq.gz").read_bytes() == (tmp_path / "b.nq.gz").read_bytes()
    result = cli("export", "--store", built, "--output", tmp_path / "all.xlsx")
    assert result.status == 2 and ".nq" in result.err
    result = cli("export", "--store", tmp_path / "none", "--output", tmp_path / "x.nq")
    assert result.status == 2 and "no store here" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.nq.gz", "b.nq.gz"]  # no partial files left


# ---------------------------------------------------------------- load
def test_load_files_into_a_named_graph(cli, tmp_path):
    store_dir = tmp_path / "store"
    ttl, nt = tmp_path / "vocab.ttl", tmp_path / "more.nt"
    ttl.write_text(VOCAB_TTL, encoding="utf-8")
    nt.write_text(VOCAB_NT, encoding="utf-8")
    graph = "http://example.org/graph/vocab"

    result = cli("load", "--quiet", "--store", store_dir, "--graph", graph, ttl)
    assert result.status == 0, result.err
    assert result.out.startswith("7 triples")
    assert sum(q.endswith(f"<{graph}> .") for q in read_quads(cli, store_dir, tmp_path)) == 7

    result = cli("load", "--quiet", "--store", store_dir, "--graph", graph, ttl, nt)  # replaces, both files
    assert result.status == 0, result.err
    assert result.out.startswith("8 triples")
    in_graph = [q for q in read_quads(cli, store_dir, tmp_path) if q.endswith(f"<{graph}> .")]
    assert len(in_graph) == 8 and any('"trois"@fr' in q for q in in_graph)


def test_load_refuses_bad_input(cli, tmp_path):
    store_dir = tmp_path / "store"
    bad = tmp_path / "bad.ttl"
    bad.write_text("<http://example.org/a> <http://example.org/b> .\n", encoding="utf-8")
    good = tmp_path / "vocab.ttl"
    good.write_text(VOCAB_TTL, encoding="utf-8")
    graph = "http://example.org/g"
    assert cli("load", "--quiet", "--store", store_dir, "--graph", graph, good).status == 0
    for files in ([bad], [good, bad]):
        result = cli("load", "--quiet", "--store", store_dir, "--graph", graph, *files)
        assert result.status == 1 and str(bad) in result.err and "nothing loaded" in result.err
    assert sum(q.endswith(f"<{graph}> .") for q in read_quads(cli, store_dir, tmp_path)) == 7  # kept as it was
    result = cli("load", "--store", store_dir, "--graph", META_GRAPH, bad)
    assert result.status == 2 and "metadata" in result.err
    result = cli("load", "--store", store_dir, "--graph", "not an iri", bad)
    assert result.status == 2 and "absolute IRI" in result.err
    result = cli("load", "--store", store_dir, "--graph", "http://example.org/g", tmp_path / "missing.ttl")
    assert result.status == 2 and "no such file" in result.err


# ---------------------------------------------------------------- push (real `oxigraph serve`)
def fetch_graph(server: str, graph: str) -> Graph:
    url = f"{server}/store?graph={urllib.parse.quote(graph, safe='')}"
    request = urllib.request.Request(url, headers={"Accept": "application/n-triples"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return Graph().parse(data=response.read(), format="nt")


def test_push_sends_every_graph_and_its_metadata(cli, tmp_path, oxigraph_server):
    endpoint = oxigraph_server + "/query"
    bystander = PUSH_BASE + "bystander"  # stands for what others keep on a shared server
    remote = open_store(remote=endpoint)
    remote.replace_graphs([(bystander, b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n")])
    bystander_info = remote.graph_info(bystander)
    assert bystander_info is not None

    store_dir = tmp_path / "store"
    assert cli("build", "--quiet", "--store", store_dir, "--base-uri", PUSH_BASE, SAMPLES).status == 0
    exported = tmp_path / "local.nq"
    assert cli("export", "--store", store_dir, "--output", exported).status == 0
    local = Dataset()
    local.parse(exported, format="nquads")
    result = cli("push", "--quiet", "--store", store_dir, "--endpoint", endpoint)
    assert result.status == 0, result.err
    source = open_store(store_dir, read_only=True)
    try:
        stored = len(list(source.named_graphs()))  # questions, shared resources, placeholders, the vocabulary
    finally:
        source.close()
    assert stored > len(sample_identifiers())
    assert result.out.startswith(f"{stored + 1} graphs pushed")  # and the metadata graph

    source = open_store(store_dir, read_only=True)
    try:
        for iri in (question_iri(PUSH_BASE, i) for i in sample_identifiers()):
            fetched = fetch_graph(oxigraph_server, iri)
            assert set(fetched) == set(local.graph(iri)) and len(fetched) > 10, iri
            assert remote.graph_info(iri) == source.graph_info(iri)  # same ETag and date on both backends
    finally:
        source.close()
    assert remote.graph_info(bystander) == bystander_info  # the rest of the remote metadata is left alone


def test_push_to_a_store_that_is_down_exits_2(cli, built):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = cli("push", "--quiet", "--store", built, "--endpoint", f"http://127.0.0.1:{port}/query")
    assert result.status == 2 and "Traceback" not in result.err and str(port) in result.err


# ---------------------------------------------------------------- the real script
def test_script_builds_and_reports_like_main(tmp_path):
    store_dir = tmp_path / "store"
    done = subprocess.run([str(SCRIPT), "build", "--store", str(store_dir), "--base-uri", CLI_BASE, str(SAMPLES)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"questions loaded: {len(sample_identifiers())}" in done.stdout
    assert "\r" not in done.stderr and "question/s" not in done.stderr  # stderr is a pipe: no progress bar
    assert (tmp_path / "store.json").is_file()


def read_pty(fd: int, proc: subprocess.Popen, seconds: float = 120) -> str:
    chunks, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    return b"".join(chunks).decode("utf-8", "replace")


def run_on_terminal(*argv: str) -> tuple[int, str]:
    """Run the script with stderr on a pseudo-terminal, as a person at a shell would; (status, stderr)."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a size, like a real one
    proc = subprocess.Popen([str(SCRIPT), *argv], stdout=subprocess.PIPE, stderr=secondary)
    os.close(secondary)
    try:
        seen = read_pty(primary, proc)
        proc.wait(60)
    finally:
        os.close(primary)
    return proc.returncode, seen


def test_progress_bar_only_on_a_terminal():
    status, seen = run_on_terminal("validate", str(SAMPLES))
    assert status == 0
    assert "map+validate" in seen and "question" in seen  # tqdm drew on the terminal
    status, seen = run_on_terminal("validate", "--quiet", str(SAMPLES))
    assert status == 0 and "map+validate" not in seen


# ---------------------------------------------------------------- serve (gunicorn, real HTTP)
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(proc: subprocess.Popen, port: int, seconds: float = 30) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                return response.status
        except OSError:
            assert proc.poll() is None, proc.communicate()[1]
            time.sleep(0.2)
    raise AssertionError(f"no answer on port {port} in {seconds} s")


@pytest.mark.parametrize("backend", ["embedded", "remote"])
def test_serve_answers_on_either_backend(backend, built, request):
    port = free_port()
    if backend == "embedded":  # no --base-uri: the one recorded by build
        where = ["--store", str(built)]
    else:
        where = ["--remote", request.getfixturevalue("oxigraph_server") + "/query", "--base-uri", CLI_BASE]
    proc = subprocess.Popen([str(SCRIPT), "serve", *where, "--port", str(port), "--threads", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert wait_for_health(proc, port) == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert CLI_BASE in err and f"http://127.0.0.1:{port}/" in err  # it said what it serves, as which base
