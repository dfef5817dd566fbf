"""`senate-kg push` to each engine (issue 13): the paths from `--engine`, the write credentials from the
environment or an owner-only file (never the command line), and one line with exit 2 for each way it fails.
Real stores: the session's shared `oxigraph serve` and Virtuoso (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.credentials import Credentials
from store.engines import ENGINES, endpoints
from store.remote import RemoteStore


@pytest.fixture
def credentials_copy(virtuoso_server, tmp_path: Path) -> Path:
    """A copy of the writer's credentials file (mode 600) that a test may spoil."""
    copy = tmp_path / "credentials"
    copy.write_bytes(virtuoso_server.credentials_file.read_bytes())
    copy.chmod(0o600)
    return copy


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_the_engine_decides_the_paths_and_options_override_them() -> None:
    virtuoso = endpoints(ENGINES["virtuoso"], "http://127.0.0.1:8890/sparql")
    assert (virtuoso.update, virtuoso.graph_store) == ("http://127.0.0.1:8890/sparql-auth",
                                                       "http://127.0.0.1:8890/sparql-graph-crud-auth")
    oxigraph = endpoints(ENGINES["oxigraph"], "http://127.0.0.1:7878/query")
    assert (oxigraph.update, oxigraph.graph_store) == ("http://127.0.0.1:7878/update", "http://127.0.0.1:7878/store")
    generic = endpoints(ENGINES["generic"], "http://127.0.0.1:3030/ds/query", graph_store="http://127.0.0.1:3030/ds/data")
    assert (generic.update, generic.graph_store) == ("http://127.0.0.1:3030/ds/query", "http://127.0.0.1:3030/ds/data")
    assert "secret" not in repr(Credentials("writer", "secret"))


def test_push_to_virtuoso_with_a_credentials_file_then_nothing_to_write(cli, sample_store_dir, virtuoso_server,
                                                                       credentials_copy) -> None:
    args = ["push", "--store", sample_store_dir, "--endpoint", virtuoso_server.url, "--engine", "virtuoso"]
    first = cli(*args, "--credentials-file", credentials_copy, "--quiet")
    assert first.status == 0, first.err
    second = cli(*args, "--credentials-file", credentials_copy, "--quiet")
    assert second.status == 0 and "(0 written," in second.out, second.out
    store = RemoteStore(virtuoso_server.url, engine="virtuoso")
    assert not store.can_write_with_credentials
    assert any("WQ-5-8900" in g for g in store.named_graphs())


def test_push_reads_the_environment_and_a_wrong_password_is_one_line(cli, sample_store_dir, virtuoso_server,
                                                                     monkeypatch) -> None:
    user = virtuoso_server.credentials().user
    monkeypatch.setenv("SENATE_KG_REMOTE_USER", user)
    monkeypatch.setenv("SENATE_KG_REMOTE_PASSWORD", "not-the-password-8c1e")
    wrong = cli("push", "--quiet", "--store", sample_store_dir, "--endpoint", virtuoso_server.url, "--engine",
                "virtuoso")
    assert wrong.status == 2
    line = _one_line(wrong.err)
    assert "refused the credentials" in line and "not-the-password-8c1e" not in wrong.err + wrong.out
    monkeypatch.setenv("SENATE_KG_REMOTE_PASSWORD", virtuoso_server.credentials().password)
    right = cli("push", "--quiet", "--store", sample_store_dir, "--endpoint", virtuoso_server.url, "--engine",
                "virtuoso")
    assert right.status == 0, right.err
    monkeypatch.delenv("SENATE_KG_REMOTE_PASSWORD")
    half = cli("push", "--quiet", "--store", sample_store_dir, "--endpoint", virtuoso_server.url)
    assert half.status == 2 and "SENATE_KG_REMOTE_PASSWORD is not set" in _one_line(half.err)


def test_without_credentials_virtuoso_refuses_the_write(cli, sample_store_dir, virtuoso_server) -> None:
    done = cli("push", "--quiet", "--store", sample_store_dir, "--endpoint", virtuoso_server.url, "--engine",
               "virtuoso")
    assert done.status == 2 and "refused" in _one_line(done.err)


def test_a_credentials_file_others_can_read_is_refused(cli, sample_store_dir, virtuoso_server,
                                                       credentials_copy) -> None:
    credentials_copy.chmod(0o644)
    done = cli("push", "--quiet", "--store", sample_store_dir, "--endpoint", virtuoso_server.url, "--engine",
               "virtuoso", "--credentials-file", credentials_copy)
    assert done.status == 2
    line = _one_line(done.err)
    assert "chmod 600" in line and virtuoso_server.credentials().password not in done.err


def test_a_password_in_the_url_is_refused_without_echoing_it(cli, sample_store_dir, virtuoso_server) -> None:
    url = virtuoso_server.url.replace("http://", "http://writer:pw-in-url-3b9a@")
    for command in (["push", "--store", sample_store_dir, "--endpoint", url],
                    ["serve", "--store", sample_store_dir, "--remote", url]):
        done = cli(*command, "--quiet")
        assert done.status == 2 and "never on the command line" in _one_line(done.err)
        assert "pw-in-url-3b9a" not in done.err


def test_the_generic_engine_writes_by_sparql_update_where_told(cli, sample_store_dir, oxigraph_server) -> None:
    """`--engine generic`: no Graph Store, graphs written by SPARQL Update at the given update endpoint."""
    done = cli("push", "--quiet", "--store", sample_store_dir, "--endpoint", oxigraph_server + "/query",
               "--engine", "generic", "--update-endpoint", oxigraph_server + "/update")
    assert done.status == 0, done.err
    store = RemoteStore(oxigraph_server + "/query", engine="generic")
    assert store.graph_store is None and store.update_endpoint == oxigraph_server + "/query"  # derives nothing
    assert store.graph_info("http://senate-kg.test/eli/dl/doc/WQ-5-8900") is not None
