"""`senate-kg build` and `senate-kg validate`: summary, exit status, rejections, idempotence, replacement."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from cli_helpers import CLI_BASE, SAMPLES, question_iri, read_quads, sample_identifiers, sample_pages

from store import META_GRAPH, open_store

TITLE_657 = "Facebook - Publicités politiques - Refus par l'utilisateur - Disposition légale - Possibilités"
BROKEN_PAGE = "SÉNAT DE BELGIQUE BELGISCHE SENAAT\nthis is not a question page at all\n"


QUESTION_GRAPHS = """SELECT ?g WHERE { GRAPH ?g { ?g a <http://cli.senate-kg.test/def/WrittenQuestion> } }"""


def graph_infos(store_dir: Path) -> dict:
    store = open_store(store_dir, read_only=True)
    try:
        return store.all_graph_infos()
    finally:
        store.close()


def stored_graphs(store_dir: Path) -> set[str]:
    """The question graphs of pages that were read (not the shared graphs, not the placeholders)."""
    store = open_store(store_dir, read_only=True)
    try:
        return {str(row["g"]) for row in store.select(QUESTION_GRAPHS)}
    finally:
        store.close()


def test_build_samples_loads_every_question(cli, tmp_path):
    store_dir = tmp_path / "store"
    result = cli("build", "--quiet", "--store", store_dir, "--base-uri", CLI_BASE, SAMPLES)
    assert result.status == 0, result.err
    summary = result.summary()
    expected = {question_iri(CLI_BASE, i) for i in sample_identifiers()}
    assert int(summary["pages read"]) == len(sample_pages())  # SOURCES.tsv is not a page
    assert int(summary["questions loaded"]) == len(expected)
    assert int(summary["questions changed"]) == len(expected)
    assert summary["rejected"] == "0"
    for stage in ("parse", "merge", "map", "validate", "load", "total"):
        assert f"{stage} " in summary["seconds"]
    assert stored_graphs(store_dir) == expected
    assert result.err.strip() == "" or "publishing skipped" in result.err  # no bar, no rejection


def test_one_broken_page_is_reported_and_the_rest_loaded(cli, tmp_path, pages_copy):
    broken = pages_copy / "broken_page.txt"
    broken.write_text(BROKEN_PAGE, encoding="utf-8")
    unreadable = pages_copy / "SchriftelijkeVraag_LEG5_NR8912_LANGfr.excerpt.txt"
    unreadable.write_bytes(b"\xff\xfe" + bytes(range(0, 32)) * 4)  # binary garbage where a page was
    store_dir = tmp_path / "store"
    result = cli("build", "--quiet", "--store", store_dir, "--base-uri", CLI_BASE, pages_copy)
    assert result.status == 1
    lines = [line for line in result.err.splitlines() if not line.startswith("senate-kg:")]
    assert len(lines) == 2, result.err
    for path in (broken, unreadable):
        line = next(line for line in lines if line.startswith(f"{path}: "))
        field, reason = line[len(f"{path}: "):].split(": ", 1)
        assert field and reason.strip(), line
    assert result.summary()["rejected"] == "2"
    assert int(result.summary()["pages read"]) == len(sample_pages()) + 1
    expected = {question_iri(CLI_BASE, i) for i in sample_identifiers() - {"5-8912"}}
    assert stored_graphs(store_dir) == expected


def test_a_graph_that_fails_validation_is_rejected_in_plain_words(cli, tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    early = folder / "early_answer.txt"  # the complete sample, answered a month before it was asked
    text = (SAMPLES / "000_a9f2765591931727.txt").read_text(encoding="utf-8")
    for before, after in (("30/5/2013Antwoord", "30/3/2013Antwoord"), ("30 mai 2013", "30 mars 2013"),
                          ("30 mei 2013", "30 maart 2013")):
        assert before in text
        text = text.replace(before, after)
    early.write_text(text, encoding="utf-8")
    shutil.copy(SAMPLES / "SchriftelijkeVraag_LEG7_NR657_LANGfr.excerpt.txt", folder)
    store_dir = tmp_path / "store"
    result = cli("build", "--quiet", "--store", store_dir, "--base-uri", CLI_BASE, folder)
    assert result.status == 1
    [line] = result.err.splitlines()
    source, field, reason = line.split(": ", 2)
    assert source == str(early)
    assert "eli:date_document" in field
    assert "WQ-5-8900-ASW" in reason and "before" in reason
    assert stored_graphs(store_dir) == {question_iri(CLI_BASE, "7-657")}


def test_pages_of_one_question_that_disagree_reject_that_question(cli, tmp_path, pages_copy):
    page = pages_copy / "SchriftelijkeVraag_LEG5_NR8900_LANGfr.excerpt.txt"
    text = page.read_text(encoding="utf-8")
    assert "Martine Taelman" in text
    page.write_text(text.replace("Martine Taelman", "Martine Zorglub"), encoding="utf-8")
    store_dir = tmp_path / "store"
    result = cli("build", "--quiet", "--store", store_dir, "--base-uri", CLI_BASE, pages_copy)
    assert result.status == 1
    [line] = result.err.splitlines()
    assert str(page) in line and ": author: " in line and "Zorglub" in line
    expected = {question_iri(CLI_BASE, i) for i in sample_identifiers() - {"5-8900"}}
    assert stored_graphs(store_dir) == expected


def test_building_twice_gives_the_same_store(cli, tmp_path):
    store_dir = tmp_path / "store"
    first = cli("build", "--quiet", "--store", store_dir, "--base-uri", CLI_BASE, SAMPLES)
    before, infos_before = read_quads(cli, store_dir, tmp_path), graph_infos(store_dir)
    second = cli("build", "--quiet", "--store", store_dir, SAMPLES)  # base URI taken from the store
    after, infos_after = read_quads(cli, store_dir, tmp_path), graph_infos(store_dir)
    assert (first.status, second.status) == (0, 0)
    assert second.summary()["questions changed"] == "0"
    assert before == after
    assert infos_before == infos_after and len(infos_after) > len(sample_identifiers())  # same ETags and dates

    other = tmp_path / "other"
    assert cli("build", "--quiet", "--store", other, "--base-uri", CLI_BASE, SAMPLES).status == 0
    content = [line for line in read_quads(cli, other, tmp_path) if META_GRAPH not in line]
    assert content == [line for line in before if META_GRAPH not in line]


def test_a_changed_page_replaces_its_graph_only(cli, tmp_path, pages_copy):
    store_dir = tmp_path / "store"
    assert cli("build", "--quiet", "--store", store_dir, "--base-uri", CLI_BASE, pages_copy).status == 0
    store = open_store(store_dir, read_only=True)
    infos = {iri: store.graph_info(iri) for iri in store.named_graphs()}
    store.close()

    page = pages_copy / "SchriftelijkeVraag_LEG7_NR657_LANGfr.excerpt.txt"
    text = page.read_text(encoding="utf-8")
    assert TITLE_657 in text
    page.write_text(text.replace(TITLE_657, TITLE_657 + " - Zorglub"), encoding="utf-8")
    result = cli("build", "--quiet", "--store", store_dir, page)
    assert result.status == 0, result.err
    assert result.summary()["questions changed"] == "1"

    store = open_store(store_dir, read_only=True)
    changed = {iri for iri in infos if store.graph_info(iri).etag != infos[iri].etag}
    store.close()
    assert changed == {question_iri(CLI_BASE, "7-657")}
    quads = read_quads(cli, store_dir, tmp_path)
    assert any("Zorglub" in q and question_iri(CLI_BASE, "7-657") in q for q in quads)


def test_validate_stores_nothing_and_reports_like_build(cli, tmp_path, pages_copy):
    result = cli("validate", "--quiet", "--base-uri", CLI_BASE, SAMPLES)
    assert result.status == 0, result.err
    assert int(result.summary()["questions valid"]) == len(sample_identifiers())
    assert "questions changed" not in result.summary()

    (pages_copy / "broken_page.txt").write_text(BROKEN_PAGE, encoding="utf-8")
    result = cli("validate", "--quiet", pages_copy)
    assert result.status == 1
    assert f"{pages_copy / 'broken_page.txt'}: " in result.err
    assert list(tmp_path.glob("**/LOCK")) == []  # no store was created anywhere


def test_usage_errors_exit_2_with_a_clear_message(cli, tmp_path):
    missing = tmp_path / "nowhere"
    result = cli("build", "--quiet", "--store", tmp_path / "s", missing)
    assert result.status == 2 and f"{missing}: no such file or folder" in result.err
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli("build", "--quiet", "--store", tmp_path / "s", empty)
    assert result.status == 2 and "no page files" in result.err
    assert cli("build", "--store").status == 2
    assert cli("frobnicate").status == 2
    result = cli("build", "--quiet", "--store", tmp_path / "s", "--base-uri", "not a uri", SAMPLES)
    assert result.status == 2 and "--base-uri" in result.err
    assert "Traceback" not in result.err


def test_build_refuses_a_store_locked_by_another_process(cli, tmp_path):
    store_dir = tmp_path / "store"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from store import open_store; s = open_store(sys.argv[1]); "
                               "print('ready', flush=True); sys.stdin.read()", str(store_dir)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = cli("build", "--quiet", "--store", store_dir, SAMPLES)
    finally:
        holder.stdin.close()
        holder.wait(10)
    assert result.status == 2
    assert "locked by another process" in result.err and "Traceback" not in result.err


def test_base_uri_must_agree_with_the_store(cli, tmp_path):
    store_dir = tmp_path / "store"
    assert cli("build", "--quiet", "--store", store_dir, "--base-uri", CLI_BASE, SAMPLES).status == 0
    result = cli("build", "--quiet", "--store", store_dir, "--base-uri", "http://elsewhere.test/", SAMPLES)
    assert result.status == 2 and CLI_BASE in result.err
    result = cli("serve", "--store", store_dir, "--base-uri", "http://elsewhere.test/")
    assert result.status == 2 and CLI_BASE in result.err and "differs" in result.err


def test_folders_give_their_pages_sorted_and_nothing_else(tmp_path):
    from senate_kg.pipeline import collect_pages

    (tmp_path / "b").mkdir()
    for name in ("b/z.txt", "a.html", "m.TXT", "SOURCES.tsv", "README.txt", ".hidden.txt", "notes.md"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    readme = tmp_path / "README.txt"
    found = collect_pages([tmp_path, tmp_path / "a.html", readme])
    assert found == [tmp_path / "a.html", tmp_path / "b" / "z.txt", tmp_path / "m.TXT", readme]
