"""The `senate-kg` command line: the one place that wires mapping, store, publishing and server together.

`main(argv) -> int` returns the exit status (only `entry_point()` calls sys.exit), so tests run it in-process:
0 everything done · 1 some input was rejected (each on stderr as "FILE: FIELD: REASON", the rest still done) ·
2 usage error or the tool cannot work (missing path, store locked, remote store down), said in one clear line.
Data (summaries) goes to stdout; rejections, notes and the progress bar to stderr.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
import tempfile
import time
import traceback
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mapping.iris import DEFAULT_BASE, Iris
from senate_kg import __version__
from senate_kg.pipeline import (
    BuildReport,
    InputError,
    build,
    collect_pages,
    previous_layout_message,
    push,
    written_by_previous_layout,
)
from senate_kg.settings import SettingsError, remember_base, resolve_base
from store import META_GRAPH, Store, StoreError, open_store
from store.credentials import ENV_PASSWORD, ENV_USER, Credentials, CredentialsError, StoreAuthError
from store.credentials import from_environment as credentials_from_environment
from store.credentials import from_file as credentials_from_file
from store.engines import ENGINES

if TYPE_CHECKING:
    from senate_kg.publish import Publication

EXPORT_SUFFIXES = (".nq", ".nt", ".ttl", ".trig", ".jsonld")
STAGES = ("parse", "merge", "map", "validate", "load", "publish", "total")


class CliError(Exception):
    """A usage error or a tool failure, already phrased for the user: printed as one line, exit status 2."""


# ---------------------------------------------------------------- small helpers
def note(args: argparse.Namespace, message: str) -> None:
    """Informational line on stderr, silenced by --quiet."""
    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr)


def wants_progress(args: argparse.Namespace) -> bool:
    """A progress bar only for a person watching a terminal."""
    return not args.quiet and sys.stderr.isatty()


def open_embedded(store_dir: Path, *, read_only: bool = False, must_exist: bool = False) -> Store:
    """Open the on-disk store, turning the backend's errors (locked, corrupt) into one clear sentence."""
    if must_exist and not store_dir.is_dir():
        raise CliError(f"{store_dir}: no store here (make one with: senate-kg build --store {store_dir} PATH...)")
    try:
        return open_store(store_dir, read_only=read_only)
    except (StoreError, OSError) as exc:
        if "lock" in str(exc).lower():
            raise CliError(f"{store_dir}: the store is locked by another process (a build, load or push is "
                           f"writing to it); wait until it ends and run this again ({exc})") from exc
        raise CliError(f"{store_dir}: cannot open the store: {exc}") from exc


def run_publish(args: argparse.Namespace, store: Store, store_dir: Path, iris: Iris,
                publication: Publication | None = None) -> float | None:
    """Dumps and search index next to the store (senate_kg.publish), so they never fall out of step with it.
    `publication`: one the build started (its dumps may be under way). Returns the seconds it took."""
    from senate_kg.publish import Publication

    started = time.perf_counter()
    try:
        with publication or Publication(store_dir, iris) as running:
            report = running.finish(store)
    except OSError as exc:  # a full disk, a read-only folder: the store itself is complete and untouched
        raise CliError(f"publishing the dumps and search index next to {store_dir} failed: "
                       f"{exc.strerror or exc} ({exc.filename or store_dir})") from exc
    if report.skipped:
        note(args, f"published files in {report.dumps_dir} are already those of this content: left as they are")
    return time.perf_counter() - started


def format_timings(timings: dict[str, float]) -> str:
    ordered = [k for k in STAGES if k in timings] + sorted(k for k in timings if k not in STAGES)
    return ", ".join(f"{k} {timings[k]:.2f}" for k in ordered)


def print_report(report: BuildReport, *, loaded_label: str, stored: bool) -> None:
    """The summary on stdout (data), each rejection on stderr."""
    for rejection in report.rejections:
        print(rejection, file=sys.stderr)
    print(f"pages read: {report.pages_read}")
    print(f"{loaded_label}: {report.questions_loaded}")
    if stored:
        print(f"questions changed: {report.questions_changed}")
    print(f"rejected: {len(report.rejections)}")
    print(f"seconds: {format_timings(report.timings)}")


def page_files(paths: Sequence[Path]) -> list[Path]:
    """The pages to read; a missing path or a folder without pages is a usage error, caught before any work."""
    try:
        pages = collect_pages(paths)
    except InputError as exc:
        raise CliError(str(exc)) from exc
    if not pages:
        raise CliError(f"no page files (*.txt, *.html) in {', '.join(map(str, paths))}")
    return pages


# ---------------------------------------------------------------- subcommands
def refuse_previous_layout(store: Store, where: str) -> None:
    """Never add to, serve or push a store of the older layout: its default graph counts shared facts again
    for every question (issue "One fact, one place")."""
    if written_by_previous_layout(store):
        raise CliError(previous_layout_message(where))


def cmd_build(args: argparse.Namespace) -> int:
    pages = page_files(args.paths)
    iris = Iris(resolve_base(args.store, args.base_uri))
    store = open_embedded(args.store)
    try:
        refuse_previous_layout(store, str(args.store))
        remember_base(args.store, iris.base)  # before loading: a crash mid-build still leaves the base known
        from senate_kg.publish import Publication

        with Publication(args.store, iris) as publication:
            report = build(pages, store, iris, progress=wants_progress(args), workers=args.workers,
                           on_staged=lambda staged, quads: publication.prepare_dumps(nquads=(staged, quads)))
            seconds = run_publish(args, store, args.store, iris, publication)
        if seconds is not None:
            report.timings["publish"] = seconds
            report.timings["total"] = report.timings.get("total", 0.0) + seconds
    finally:
        store.close()
    print_report(report, loaded_label="questions loaded", stored=True)
    return 1 if report.rejections else 0


def cmd_validate(args: argparse.Namespace) -> int:
    pages = page_files(args.paths)
    iris = Iris(resolve_base(None, args.base_uri))
    report = build(pages, None, iris, progress=wants_progress(args), workers=args.workers)
    print_report(report, loaded_label="questions valid", stored=False)
    return 1 if report.rejections else 0


def export_format(output: Path) -> tuple[str, bool]:
    """(RDF suffix, gzip?) from the output name: `dump.nq.gz` -> (".nq", True)."""
    suffixes = [s.lower() for s in output.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    rdf_suffix = suffixes[-2] if compressed and len(suffixes) > 1 else (suffixes[-1] if suffixes and not compressed
                                                                         else "")
    if rdf_suffix not in EXPORT_SUFFIXES:
        allowed = ", ".join(EXPORT_SUFFIXES)
        raise CliError(f"--output {output}: unknown format {rdf_suffix or '(no suffix)'}; use one of {allowed} "
                       "(add .gz to compress)")
    return rdf_suffix, compressed


def gzip_file(source: Path, target: Path) -> None:
    """Compress without a name or a time in the header: the same store always gives the same bytes."""
    with source.open("rb") as src, target.open("wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)


def cmd_export(args: argparse.Namespace) -> int:
    rdf_suffix, compressed = export_format(args.output)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    store = open_embedded(args.store, read_only=True, must_exist=True)
    handle, partial_name = tempfile.mkstemp(dir=args.output.parent, prefix=f".{args.output.name}.", suffix=rdf_suffix)
    os.close(handle)
    partial = Path(partial_name)
    try:
        quads = store.dump(partial)
        if compressed:
            packed = partial.with_name(partial.name + ".gz")
            gzip_file(partial, packed)
            partial.unlink()
            partial = packed
        os.replace(partial, args.output)
    except ValueError as exc:
        raise CliError(f"--output {args.output}: {exc}") from exc
    finally:
        store.close()
        partial.unlink(missing_ok=True)
    print(f"{quads} quads written to {args.output}")
    return 0


def check_graph_iri(graph: str) -> str:
    """A named graph must be an absolute IRI and never the store's own bookkeeping graph."""
    from rdflib import URIRef

    if graph == META_GRAPH:
        raise CliError(f"--graph {graph}: this graph is the store's own metadata; choose another name")
    if ":" not in graph or any(c in graph for c in ' <>"{}|^`\\'):
        raise CliError(f"--graph {graph!r}: not an absolute IRI (e.g. http://example.org/graph/eurovoc)")
    URIRef(graph)
    return graph


def read_as_ntriples(paths: Sequence[Path]) -> bytes:
    """Several files for one graph: parsed with rdflib (fresh blank nodes per file), concatenated as N-Triples."""
    from rdflib import Graph
    from rdflib.util import guess_format

    chunks = []
    for path in paths:
        fmt = guess_format(str(path))
        if fmt is None:
            raise ValueError(f"{path}: format: unknown RDF file suffix {path.suffix!r}")
        try:
            chunks.append(Graph().parse(path, format=fmt).serialize(format="nt", encoding="utf-8"))
        except Exception as exc:  # noqa: BLE001 - rdflib's parsers raise many types for bad input
            raise ValueError(f"{path}: rdf: {exc}") from exc
    return b"".join(chunks)


def cmd_load(args: argparse.Namespace) -> int:
    graph = check_graph_iri(args.graph)
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        raise CliError(f"{', '.join(missing)}: no such file")
    store = open_embedded(args.store)
    try:
        try:
            if len(args.files) == 1:
                triples = store.load_file(graph, args.files[0])
            else:
                data = read_as_ntriples(args.files)
                store.replace_graphs([(graph, data)])
                triples = len({line for line in data.splitlines() if line.strip()})
        except (ValueError, SyntaxError) as exc:  # bad RDF: the graph stays as it was
            named = any(str(exc).startswith(str(f)) for f in args.files)
            print(str(exc) if named else f"{args.files[0]}: rdf: {exc}", file=sys.stderr)
            print("nothing loaded", file=sys.stderr)
            return 1
        run_publish(args, store, args.store, Iris(resolve_base(args.store, None)))
    finally:
        store.close()
    print(f"{triples} triples loaded into <{graph}>")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Remove questions (senate_kg/removal.py), then publish: the stream announces each removal."""
    from senate_kg.removal import bad_identifiers, remove_questions

    bad = bad_identifiers(args.identifiers)
    if bad:
        raise CliError(f"{', '.join(bad)}: not a question identifier (LEGISLATURE-NUMBER, e.g. 5-8900)")
    iris = Iris(resolve_base(args.store, None))
    store = open_embedded(args.store, must_exist=True)
    try:
        refuse_previous_layout(store, str(args.store))
        report = remove_questions(store, iris, args.identifiers)
        run_publish(args, store, args.store, iris)
    finally:
        store.close()
    for identifier in report.not_stored:
        print(f"{identifier}: no such question in the store", file=sys.stderr)
    for identifier in report.removed:
        kept = " (kept as a placeholder: other questions link to it)" if identifier in report.placeholders else ""
        print(f"removed: {identifier}{kept}")
    return 1 if report.not_stored else 0


def add_remove_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", type=Path, required=True, help="the embedded store folder")
    p.add_argument("identifiers", nargs="+", metavar="IDENTIFIER", help="question identifiers, e.g. 5-8900")


def refuse_userinfo(url: str | None, option: str) -> None:
    """A password in the URL would sit in the shell history and in `ps`: refused, without echoing it."""
    if url and "@" in urllib.parse.urlsplit(url).netloc:
        raise CliError(f"{option}: the URL holds a user or password; give credentials in "
                       f"{ENV_USER}/{ENV_PASSWORD} or --credentials-file, never on the command line")


def write_credentials(args: argparse.Namespace) -> Credentials | None:
    """The write credentials: --credentials-file (owner-only), else the environment, else none."""
    try:
        if args.credentials_file is not None:
            return credentials_from_file(args.credentials_file)
        return credentials_from_environment()
    except CredentialsError as exc:
        raise CliError(str(exc)) from exc


def remote_options(args: argparse.Namespace, *, writing: bool) -> dict:
    """RemoteStore options from --engine and the path overrides; credentials only for writing."""
    options: dict = {"engine": args.engine}
    for key in ("update_endpoint", "graph_store"):
        if getattr(args, key, None):
            refuse_userinfo(getattr(args, key), "--" + key.replace("_", "-"))
            options[key] = getattr(args, key)
    if writing:
        options["credentials"] = write_credentials(args)
    return options


def push_failure(target: Store, exc: Exception, endpoint: str) -> CliError:
    """One line: how far the push came (graphs go in sorted order) and that running it again resumes."""
    progress = getattr(target, "progress", None)
    if isinstance(exc, StoreAuthError):
        return CliError(f"--endpoint {endpoint}: the store refused the credentials: {exc}")
    done = ""
    if progress is not None:
        last = f", the last <{progress.last}>" if progress.last else ""
        done = (f" after writing {progress.written} graphs (in sorted order{last}; {progress.unchanged} already "
                f"there); run the same push again to resume: the graphs already written are skipped")
    return CliError(f"--endpoint {endpoint}: push failed{done}: {exc}")


def cmd_push(args: argparse.Namespace) -> int:
    refuse_userinfo(args.endpoint, "--endpoint")
    options = remote_options(args, writing=True)
    source = open_embedded(args.store, read_only=True, must_exist=True)
    try:
        refuse_previous_layout(source, str(args.store))
        try:
            target = open_store(remote=args.endpoint, **options)
        except (StoreError, OSError, ValueError) as exc:
            raise CliError(f"--endpoint {args.endpoint}: cannot use this SPARQL store: {exc}") from exc
        try:
            started = time.perf_counter()
            target.check_write_access()
            sent = push(source, target)
            seconds = time.perf_counter() - started
        except (StoreError, OSError) as exc:
            raise push_failure(target, exc, args.endpoint) from exc
        finally:
            target.close()
        run_publish(args, source, args.store, Iris(resolve_base(args.store, None)))
    finally:
        source.close()
    progress = target.progress
    print(f"{sent} graphs pushed to {args.endpoint} in {seconds:.2f} s ({progress.written} written, "
          f"{progress.unchanged} already there)")
    return 0


def server_config(args: argparse.Namespace) -> dict:
    """The Flask config for `serve`: the base URI must be the one the store was built with."""
    if args.store is None and not args.remote:
        raise CliError("--store DIR is required (or --remote URL to serve a remote SPARQL store)")
    if args.store is not None and not args.remote and not args.store.is_dir():
        raise CliError(f"{args.store}: no store here (make one with: senate-kg build --store {args.store} PATH...)")
    refuse_userinfo(args.remote, "--remote")
    config = {
        "BASE_URI": resolve_base(args.store, args.base_uri),
        "REMOTE_ENDPOINT": args.remote,
        "QUERY_TIMEOUT": args.query_timeout,
    }
    if args.engine:  # else SENATE_KG_REMOTE_ENGINE, else guessed from the URL
        config["REMOTE_ENGINE"] = args.engine
    if args.store is not None:
        config["STORE_PATH"] = str(args.store)
    return config


def check_layout_before_serving(config: dict) -> None:
    """Refuse a store of the older layout before serving it; an unreachable remote store is not an error here
    (the server answers 503 until it is up). The check runs in a child process that exits when done: opening
    RocksDB in gunicorn's master would leave its background threads' state to the forked workers, which then
    crash (SIGSEGV) when they exit."""
    import concurrent.futures
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        problem = pool.submit(_layout_problem, config).result()
    if problem:
        raise CliError(problem)


def _layout_problem(config: dict) -> str | None:
    """What refuses this store (one line), or None: in the child process of `check_layout_before_serving`."""
    where = config.get("REMOTE_ENDPOINT") or config["STORE_PATH"]
    try:
        engine = config.get("REMOTE_ENGINE") or os.environ.get("SENATE_KG_REMOTE_ENGINE")
        options = {"engine": engine} if config.get("REMOTE_ENDPOINT") else {}
        store = open_store(config.get("STORE_PATH"), remote=config.get("REMOTE_ENDPOINT"), read_only=True, **options)
    except (StoreError, OSError) as exc:
        return None if config.get("REMOTE_ENDPOINT") else f"cannot open the store: {exc}"
    try:
        refuse_previous_layout(store, where)
    except StoreError:
        return None
    except CliError as exc:
        return str(exc)
    finally:
        store.close()
    return None


def warn_if_unreachable(base: str, host: str, port: int) -> None:
    """A local base URI on another port than the one served mints IRIs that will not dereference here."""
    parsed = urllib.parse.urlsplit(base)
    local = parsed.hostname in {"127.0.0.1", "localhost", host}
    if local and (parsed.port or (443 if parsed.scheme == "https" else 80)) != port:
        print(f"senate-kg serve: note: the IRIs are minted under {base}, but this server listens on port {port}; "
              f"they dereference only through a proxy (or serve with --port {parsed.port or 80})", file=sys.stderr)


def refuse_write_credentials() -> None:
    """Serving is read-only: a process started with the write password in its environment keeps it in its
    memory (and in /proc/PID/environ, and in every worker it forks) whatever it unsets, so it is not started."""
    found = [name for name in (ENV_USER, ENV_PASSWORD) if os.environ.get(name)]
    if found:
        raise CliError(f"{' and '.join(found)} set: serve is read-only and must not hold the store's write "
                       f"credentials; start it without them (push reads them, serve never does)")


def cmd_serve(args: argparse.Namespace) -> int:
    """gunicorn (server/serving.py): the app is created here, in the master, then forked into the workers."""
    from server import create_app
    from server.serving import BindError, Settings, bind, serve, usable_cores

    refuse_write_credentials()
    config = server_config(args)
    check_layout_before_serving(config)
    try:
        app = create_app(config)
    except (StoreError, OSError) as exc:
        raise CliError(f"cannot open the store: {exc}") from exc
    settings = Settings(host=args.host, port=args.port, workers=args.workers or usable_cores(),
                        threads=args.threads, quiet=args.quiet, remote=bool(args.remote))
    try:
        listener = bind(settings.host, settings.port)
    except BindError as exc:
        raise CliError(str(exc)) from exc
    warn_if_unreachable(config["BASE_URI"], args.host, args.port)
    note(args, f"senate-kg {__version__}: serving {config.get('REMOTE_ENDPOINT') or config['STORE_PATH']} "
               f"as {config['BASE_URI']} on http://{args.host}:{args.port}/ with {settings.workers} processes "
               f"(threads {settings.pool_sizes()}) (Ctrl-C stops)")
    try:
        serve(app, settings, listener)
    except SystemExit as exc:  # gunicorn's master ends with sys.exit: 0 after SIGTERM/SIGINT
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return 0


# ---------------------------------------------------------------- the parser: one flat table
def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {value}")
    return value


def add_build_args(p: argparse.ArgumentParser, *, store: bool) -> None:
    if store:
        p.add_argument("--store", type=Path, required=True, metavar="DIR", help="embedded store folder")
    p.add_argument("--base-uri", metavar="URI", help=f"base of every minted IRI (default: the store's, else "
                                                     f"{DEFAULT_BASE})")
    p.add_argument("--workers", type=positive_int, metavar="N", help="processes (default: every core)")
    p.add_argument("paths", type=Path, nargs="+", metavar="PATH", help="page files or folders of pages")


def add_export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", type=Path, required=True, metavar="DIR")
    p.add_argument("--output", type=Path, required=True, metavar="FILE",
                   help=f"format from the suffix: {' '.join(EXPORT_SUFFIXES)} (+ .gz)")


def add_load_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", type=Path, required=True, metavar="DIR")
    p.add_argument("--graph", required=True, metavar="URI", help="named graph to replace")
    p.add_argument("files", type=Path, nargs="+", metavar="FILE", help="RDF files (format from the suffix)")


def add_engine_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=sorted(ENGINES), metavar="|".join(ENGINES),
                   help="the remote store's kind: decides the update and Graph Store paths, authentication and "
                        "dialect (store/engines.py; default: oxigraph for a URL ending in /query, else generic)")


def add_push_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", type=Path, required=True, metavar="DIR")
    p.add_argument("--endpoint", required=True, metavar="URL",
                   help="the engine's SPARQL URL (oxigraph: http://HOST:7878/query, virtuoso: http://HOST:8890/sparql)")
    add_engine_arg(p)
    p.add_argument("--update-endpoint", metavar="URL", help="its SPARQL Update endpoint (default: the engine's)")
    p.add_argument("--graph-store", metavar="URL", help="its Graph Store Protocol endpoint (default: the engine's)")
    p.add_argument("--credentials-file", type=Path, metavar="FILE",
                   help=f"`user=` and `password=` lines, readable only by you (else {ENV_USER} and "
                        f"{ENV_PASSWORD}); sent as the engine wants (Basic, Virtuoso: Digest)")


def add_serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", type=Path, metavar="DIR", help="embedded store folder (dumps and search next to it)")
    p.add_argument("--remote", metavar="URL", help="serve from this SPARQL endpoint instead of the embedded store")
    add_engine_arg(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--base-uri", metavar="URI", help="must match the one used by build (default: the store's)")
    p.add_argument("--query-timeout", type=positive_float, default=30.0, metavar="S")
    p.add_argument("--workers", type=positive_int, metavar="N",
                   help="server processes (default: one per usable core)")
    p.add_argument("--threads", type=positive_int, default=4, metavar="N",
                   help="threads per server process for cheap requests (default 4); N/4 more for pages, JSON-LD "
                        "and search, and 4N (at least 16) for /sparql queries and dumps, which mostly wait")


def cmd_harvest(args: argparse.Namespace) -> int:
    """Fetch senate.be politely into a WARC archive (harvest/); see senate_kg/harvesting.py."""
    from senate_kg.harvesting import cmd_harvest as harvest_command

    return harvest_command(args, wants_progress(args))


def cmd_update(args: argparse.Namespace) -> int:
    """The daily job: harvest, build the questions that changed since the last update, publish."""
    from senate_kg.harvesting import mark_built, pages_to_build, run_harvest

    harvested, _ = run_harvest(args, wants_progress(args))
    pages, started = pages_to_build(args.archive)
    if not pages:
        print("questions changed: 0 (nothing to build)")
        return harvested
    args.paths = pages
    built = cmd_build(args)
    if built != 2:
        mark_built(args.archive, started)
    return max(harvested, built)


def add_harvest_command_args(p: argparse.ArgumentParser) -> None:
    from senate_kg.harvesting import add_harvest_args

    add_harvest_args(p)


def add_update_command_args(p: argparse.ArgumentParser) -> None:
    from senate_kg.harvesting import add_update_args

    add_update_args(p)


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: tuple[Command, ...] = (
    Command("build", "parse, merge, map, validate and load pages into the store",
            lambda p: add_build_args(p, store=True), cmd_build),
    Command("validate", "the same as build, without storing", lambda p: add_build_args(p, store=False), cmd_validate),
    Command("export", "write the whole store to one RDF file", add_export_args, cmd_export),
    Command("load", "load RDF file(s) into one named graph", add_load_args, cmd_load),
    Command("remove", "take questions out of the store (announced on the event stream; their URIs answer 410)",
            add_remove_args, cmd_remove),
    Command("push", "send every named graph to a remote SPARQL store", add_push_args, cmd_push),
    Command("serve", "serve the store over HTTP (gunicorn: several processes)", add_serve_args, cmd_serve),
    Command("harvest", "fetch senate.be's question pages politely into a WARC archive", add_harvest_command_args,
            cmd_harvest),
    Command("update", "harvest, build what changed and publish: the daily job", add_update_command_args,
            cmd_update),
)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="senate-kg", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"senate-kg {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no notes")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help, description=command.help, parents=[common])
        command.add_arguments(sub)
        sub.set_defaults(func=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2), message already printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.func(args)
    except (CliError, SettingsError, InputError) as exc:
        print(f"senate-kg {args.command}: {exc}", file=sys.stderr)
    except StoreError as exc:
        print(f"senate-kg {args.command}: the store failed: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"senate-kg {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug: show where, but still exit with the tool's status
        traceback.print_exc()
        print(f"senate-kg {args.command}: internal error {type(exc).__name__}: {exc} (a bug, please report)",
              file=sys.stderr)
    return 2


def entry_point() -> None:
    sys.exit(main(sys.argv[1:]))
