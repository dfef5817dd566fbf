"""SHACL validation of question graphs against shapes/ (pyshacl), fast, with each violation tied to its graph.

Why it is built this way (DESIGN.md "Measured pitfalls", issue 2 "Speed"):
- pyshacl per graph costs a few ms of fixed overhead, so many question graphs are merged into one data graph
  per batch (up to 500) and validated in one run. Every question's own nodes have distinct IRIs, so each
  result's focus node points back to its graph: owned IRIs (`…/doc/WQ-5-8900…`, `…/event/WQ-5-8900-…`,
  `…/participation/WQ-5-8900_…`) to their question, shared nodes (EuroVoc concepts, persons, parties, offices,
  terms, stubs of other questions) to every graph of the batch that contains them.
- Merging must not change any graph's verdict. A batch only takes graphs that describe every shared node
  identically, and a graph's stub of another member's question must be a subset of that question's own
  description (see `_Batch`); a graph that does not fit waits for a later batch. So the batch verdict on a node
  is its verdict in each graph that holds it (tests/mapping/test_validate.py compares with one-by-one runs).
- The data graph is an `IndexedGraph`: dict indexes filled once, answering pyshacl's lookups directly, with
  IRIs interned to the shapes' own objects so that lookups match by identity.
- pyshacl evaluates a node shape's `sh:property` shapes one focus node at a time and re-interprets complex
  paths from the shapes graph at every step; `_speedups()` makes it evaluate each property shape once for all
  focus nodes of the batch and compiles paths once. Same results (the tests compare with plain pyshacl); they
  are applied only while this module validates.
- The cyclic garbage collector is paused during a run (it took ~35% of it: many short-lived containers).
- `validate_parallel` forks workers (both cores); the graphs reach them through fork, never pickled.

Measured (bench/bench_validate.py, synthetic questions of ~180 triples, CPU per question): one pyshacl call
per graph 7.5 ms; batched without the speed-ups 5.9 ms; `validate_many` ~0.8 ms.

Reports are plain words: `WQ-5-8900: eli:date_document: exactly one value required, found 0`.
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.paths import Path as RdfPath
from rdflib.plugins.stores.memory import Memory
from rdflib.term import Node

from mapping.iris import DEFAULT_BASE, Iris
from mapping.rdf import PREFIXES, gc_paused
from senate_kg.paths import SHAPES_DIR

Triple = tuple[Node, Node, Node]
GraphInput = Graph | Sequence[Triple] | bytes

DEFAULT_BATCH = 500


@dataclass(frozen=True)
class Violation:
    focus_node: str  # the full IRI (or blank node id) of the node that failed
    path: str | None  # the property, as a CURIE ("eli:date_document"), when the result has one
    message: str  # plain words, e.g. "exactly one value required, found 0"
    focus_label: str = ""  # short readable name of the focus node ("WQ-5-8900", "person/martine-taelman")
    value: str | None = None  # the offending value, in N-Triples/CURIE form, when there is one
    component: str = ""  # the SHACL constraint component, e.g. "MinCount"

    def __str__(self) -> str:
        where = self.focus_label or self.focus_node
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ShapesError(ValueError):
    """A shapes file that cannot be read: names the file and the reason."""


# ================================================================== the data graph
class IndexedGraph(Graph):
    """A read-only rdflib Graph over dict indexes filled once from triples; answers pyshacl's lookups
    (objects, subjects, predicate_objects, triples) without rdflib's per-triple store machinery.

    Indexes: subject -> predicate -> objects, filled as triples arrive (an rdflib Literal hashes in Python, so
    each literal is hashed once); predicate -> object -> subjects and object -> subject -> predicates are built
    on first use, per predicate."""

    def __init__(self, triples: Iterable[Triple] = (), identifier: str | None = None,
                 terms: dict[Node, Node] | None = None) -> None:
        """`terms`: IRI objects to use for equal IRIs of the data (the shapes' own), so that a lookup by a
        shape's predicate or class finds the key by identity, without rdflib's Python-level __eq__."""
        super().__init__(store=Memory(), identifier=URIRef(identifier) if identifier else None,
                         bind_namespaces="none")
        self._spo: dict[Node, dict[Node, dict[Node, None]]] = {}
        self._by_p: dict[Node, list[tuple[Node, Node]]] = {}
        self._pos: dict[Node, dict[Node, dict[Node, None]]] = {}
        self._osp: dict[Node, dict[Node, dict[Node, None]]] | None = None
        self._canonical: dict[Node, Node] = dict(terms) if terms else {}
        self._by_id: dict[int, tuple[Node, Node]] = {}
        self._size = 0
        self.add_all(triples)

    def add_all(self, triples: Iterable[Triple]) -> None:
        """Add triples (grouped by subject or not)."""
        for subject, pairs in _group(triples).items():
            self.add_described(subject, pairs)

    def add_described(self, subject: Node, pairs: Iterable[tuple[Node, Node]]) -> None:
        """Add the triples of one subject: the unit the batches are made of."""
        by_p, canonical = self._by_p, self._canonical
        # one object per distinct IRI: later lookups hit by identity instead of rdflib's Python __eq__
        s = canonical.setdefault(subject, subject)
        po = self._spo.get(s)
        if po is None:
            po = self._spo[s] = {}
        size = self._size
        for p, o in pairs:
            os_ = po.get(p)
            if os_ is None:
                p = canonical.setdefault(p, p)
                os_ = po[p] = {}
            if type(o) is not Literal:
                o = canonical.setdefault(o, o)
            before = len(os_)
            os_[o] = None
            if len(os_) != before:
                size += 1
                known = by_p.get(p)
                if known is None:
                    by_p[canonical.setdefault(p, p)] = [(s, o)]
                else:
                    known.append((s, o))
        self._size = size
        if self._pos:
            self._pos.clear()
        self._osp = None

    def add(self, triple):  # type: ignore[override]
        self.add_all((triple,))
        return self

    def _by_predicate(self, p: Node) -> dict[Node, dict[Node, None]]:
        ps = self._pos.get(p)
        if ps is None:
            ps = self._pos[p] = {}
            for s, o in self._by_p.get(p, ()):
                ss = ps.get(o)
                if ss is None:
                    ps[o] = {s: None}
                else:
                    ss[s] = None
        return ps

    def _by_object(self) -> dict[Node, dict[Node, dict[Node, None]]]:
        if self._osp is None:
            osp: dict[Node, dict[Node, dict[Node, None]]] = {}
            for s, po in self._spo.items():
                for p, os_ in po.items():
                    for o in os_:
                        osp.setdefault(o, {}).setdefault(s, {})[p] = None
            self._osp = osp
        return self._osp

    def triples(self, triple, context=None):  # type: ignore[override]
        s, p, o = triple
        if isinstance(p, RdfPath):
            for s2, o2 in p.eval(self, s, o):
                yield s2, p, o2
            return
        if s is not None:
            po = self._spo.get(s)
            if not po:
                return
            if p is not None:
                os_ = po.get(p)
                if os_:
                    if o is not None:
                        if o in os_:
                            yield s, p, o
                    else:
                        for o2 in os_:
                            yield s, p, o2
                return
            for p2, os_ in po.items():
                if o is None:
                    for o2 in os_:
                        yield s, p2, o2
                elif o in os_:
                    yield s, p2, o
            return
        if p is not None:
            ps = self._by_predicate(p)
            if not ps:
                return
            if o is not None:
                for s2 in ps.get(o, ()):
                    yield s2, p, o
            else:
                for o2, ss in ps.items():
                    for s2 in ss:
                        yield s2, p, o2
            return
        if o is not None:
            for s2, ps2 in self._by_object().get(o, {}).items():
                for p2 in ps2:
                    yield s2, p2, o
            return
        for s2, po in self._spo.items():
            for p2, os_ in po.items():
                for o2 in os_:
                    yield s2, p2, o2

    def _canon(self, term: Node) -> Node:
        """The index's own object for a query term (a shape's predicate or class): remembered by identity, so
        that each distinct query object pays rdflib's Python-level __eq__ once, not at every lookup."""
        hit = self._by_id.get(id(term))
        if hit is not None and hit[0] is term:
            return hit[1]
        canonical = self._canonical.get(term, term)
        self._by_id[id(term)] = (term, canonical)  # keeps `term` alive: its id cannot be reused meanwhile
        return canonical

    def object_set(self, subject: Node, predicate: Node) -> set:
        """set(objects(subject, predicate)) in one step (the call pyshacl makes for every value node)."""
        po = self._spo.get(subject)
        if not po:
            return set()
        return set(po.get(self._canon(predicate), ()))

    def subject_set(self, predicate: Node, object_: Node) -> set:
        return set(self._by_predicate(self._canon(predicate)).get(self._canon(object_), ()))

    def objects(self, subject=None, predicate=None, unique=False):  # type: ignore[override]
        if subject is not None and predicate is not None and not isinstance(predicate, RdfPath):
            po = self._spo.get(subject)
            return iter(tuple(po.get(self._canon(predicate), ()))) if po else iter(())
        return super().objects(subject, predicate, unique)

    def subjects(self, predicate=None, object=None, unique=False):  # type: ignore[override]  # noqa: A002
        if predicate is not None and object is not None and not isinstance(predicate, RdfPath):
            return iter(tuple(self._by_predicate(self._canon(predicate)).get(self._canon(object), ())))
        return super().subjects(predicate, object, unique)

    def predicate_objects(self, subject=None, unique=False):  # type: ignore[override]
        if subject is not None:
            po = self._spo.get(subject)
            return iter([(p, o) for p, os_ in po.items() for o in os_]) if po else iter(())
        return super().predicate_objects(subject, unique)

    def __len__(self) -> int:
        return self._size

    def __contains__(self, triple) -> bool:  # type: ignore[override]
        s, p, o = triple
        if s is not None and p is not None and o is not None:
            return o in self._spo.get(s, {}).get(p, ())
        return next(iter(self.triples(triple)), None) is not None

    def __iter__(self):  # type: ignore[override]
        return self.triples((None, None, None))

    def subject_nodes(self) -> Iterator[Node]:
        return iter(self._spo)


def _group(triples: Iterable[Triple]) -> dict[Node, list[tuple[Node, Node]]]:
    """Triples by subject, in order (one dict lookup per run of triples with the same subject object)."""
    groups: dict[Node, list[tuple[Node, Node]]] = {}
    last = pairs = None
    for s, p, o in triples:
        if s is not last:
            last = s
            pairs = groups.get(s)
            if pairs is None:
                pairs = groups[s] = []
        pairs.append((p, o))  # type: ignore[union-attr]
    return groups


# ================================================================== pyshacl speed-ups (same results, fewer calls)
_PATCH_LOCK = threading.RLock()


def _batched_property_shape(self, executor, prop_shape, target_graph, focus_value_nodes, potentially_recursive,
                            _evaluation_path):
    """PropertyConstraintComponent._evaluate_property_shape evaluated once for all value nodes instead of once
    per value node (the property shape reports per focus node either way)."""
    found = self.shape.get_other_shape(prop_shape)
    if potentially_recursive and found in potentially_recursive:
        return _ORIGINAL_EVALUATE(self, executor, prop_shape, target_graph, focus_value_nodes, potentially_recursive,
                                  _evaluation_path)
    if not found or not found.is_property_shape:
        return _ORIGINAL_EVALUATE(self, executor, prop_shape, target_graph, focus_value_nodes, potentially_recursive,
                                  _evaluation_path)
    values = list(dict.fromkeys(v for nodes in focus_value_nodes.values() for v in nodes))
    if not values:
        return False, []
    conforms, reports = found.validate(executor, target_graph, focus=values, _evaluation_path=_evaluation_path[:])
    return (not conforms), reports


_COMPILED_PATHS: dict[tuple[int, Node], tuple | None] = {}


def _compile_path(shapes: Graph, path: Node) -> tuple | None:
    """A SHACL path as a small tuple tree (IRI, inverse, sequence, alternative); None for the rest."""
    if isinstance(path, URIRef):
        return ("p", path)
    if shapes.value(path, RDF.first) is not None:
        steps = tuple(_compile_path(shapes, step) for step in shapes.items(path))
        return None if None in steps else ("seq", steps)
    inverse = shapes.value(path, SH.inversePath)
    if isinstance(inverse, URIRef):
        return ("inv", inverse)
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None:
        options = tuple(_compile_path(shapes, option) for option in shapes.items(alternatives))
        return None if None in options else ("alt", options)
    return None


def _eval_path(compiled: tuple, focus: Node, graph) -> set:
    kind, arg = compiled
    if kind == "p":
        return graph.object_set(focus, arg) if type(graph) is IndexedGraph else set(graph.objects(focus, arg))
    if kind == "inv":
        return graph.subject_set(arg, focus) if type(graph) is IndexedGraph else set(graph.subjects(arg, focus))
    if kind == "alt":
        found: set = set()
        for option in arg:
            found |= _eval_path(option, focus, graph)
        return found
    nodes = {focus}
    for step in arg:
        nodes = {v for node in nodes for v in _eval_path(step, node, graph)}
    return nodes


def _compiled_value_nodes(sg, focus, path_val, target_graph, inverse=False, recursion=0):
    """pyshacl's value_nodes_from_path with complex paths compiled once per shapes graph, and evaluated on our
    IndexedGraph directly (pyshacl's data-graph wrapper adds two generator layers to every lookup)."""
    graph = getattr(target_graph, "impl", target_graph)
    if type(graph) is IndexedGraph and type(path_val) is URIRef:
        return graph.subject_set(path_val, focus) if inverse else graph.object_set(focus, path_val)
    if inverse or isinstance(path_val, URIRef):
        return _ORIGINAL_VALUE_NODES(sg, focus, path_val, target_graph, inverse, recursion)
    key = (id(sg), path_val)
    compiled = _COMPILED_PATHS.get(key, False)
    if compiled is False:
        compiled = _COMPILED_PATHS[key] = _compile_path(sg.graph, path_val)
    if compiled is None:
        return _ORIGINAL_VALUE_NODES(sg, focus, path_val, target_graph, inverse, recursion)
    return _eval_path(compiled, focus, graph if type(graph) is IndexedGraph else target_graph)


try:  # the two pyshacl internals the speed-ups replace; without them validation is just slower
    import pyshacl.shape as _pyshacl_shape
    from pyshacl.constraints.core.shape_based_constraints import PropertyConstraintComponent as _PCC

    _ORIGINAL_EVALUATE = _PCC._evaluate_property_shape
    _ORIGINAL_VALUE_NODES = _pyshacl_shape.value_nodes_from_path
    SPEEDUPS_AVAILABLE = True
except (ImportError, AttributeError):  # pragma: no cover - a pyshacl that moved its internals
    SPEEDUPS_AVAILABLE = False


@contextlib.contextmanager
def _speedups(enabled: bool = True) -> Iterator[None]:
    """Apply the speed-ups for the duration of one validation run (under a lock: pyshacl is global state)."""
    with _PATCH_LOCK:
        if not (enabled and SPEEDUPS_AVAILABLE):
            yield
            return
        _PCC._evaluate_property_shape = _batched_property_shape
        _pyshacl_shape.value_nodes_from_path = _compiled_value_nodes
        try:
            yield
        finally:
            _PCC._evaluate_property_shape = _ORIGINAL_EVALUATE
            _pyshacl_shape.value_nodes_from_path = _ORIGINAL_VALUE_NODES


# ================================================================== shapes
def load_shapes(iris: Iris, directory: Path = SHAPES_DIR) -> Graph:
    """Every shapes/*.ttl (sorted), parsed with `{base}def/` as base IRI so local terms follow the base."""
    graph = Graph()
    files = sorted(directory.glob("*.ttl"))
    if not files:
        raise ShapesError(f"{directory}: no *.ttl shapes files")
    for path in files:
        try:
            graph.parse(path, format="turtle", publicID=iris.vocab())
        except Exception as exc:  # rdflib raises several types for bad Turtle
            raise ShapesError(f"{path}: cannot be parsed as Turtle: {exc}") from exc
    return graph


def _shape_terms(shapes: Graph) -> dict[Node, Node]:
    """Every IRI pyshacl will look data up by: its own constants first, then the shapes graph's IRIs."""
    import pyshacl.consts as consts

    terms: dict[Node, Node] = {}
    for value in vars(consts).values():
        if type(value) is URIRef:
            terms.setdefault(value, value)
    for triple in shapes:
        for term in triple:
            if type(term) is URIRef:
                terms.setdefault(term, term)
    return terms


# ================================================================== per-graph bookkeeping
@dataclass
class _Item:
    """One input graph, read once: its owner, its own triples and the description of every node it does not
    own. Descriptions are tuples of (p, o) in the graph's order: the mapping writes a shared node the same way
    every time, so equal descriptions compare equal (by identity, fast); a graph built another way may only be
    deferred to another batch by a spurious difference, never merged wrongly."""

    index: int
    owner: str | None  # question identifier "5-8900"
    own: list[tuple[Node, list]]  # (subject, its (p, o) pairs) for the subjects this graph owns
    foreign: dict[Node, tuple]  # node -> its (p, o) pairs in this graph (empty: only mentioned)
    question: Node | None  # its own question node
    _question_pairs: frozenset | None = None

    @property
    def question_pairs(self) -> frozenset:
        """The (p, o) pairs of its question node (another graph's stub of it must be a subset); computed only
        when a batch holds such a stub."""
        if self._question_pairs is None:
            question = self.question
            self._question_pairs = frozenset(pair for s, pairs in self.own if s == question for pair in pairs)
        return self._question_pairs


class _Owners:
    """Which question an IRI belongs to, from the IRI alone (memoised per call: nodes recur in every graph)."""

    def __init__(self, iris: Iris) -> None:
        self._iris = iris
        base = re.escape(iris.base)
        self._pattern = re.compile(rf"^{base}eli/dl/(?:doc|event|participation)/WQ-(\d+-\d+)(?:$|[-_/])")
        self._question = re.compile(rf"^{base}eli/dl/doc/WQ-(\d+-\d+)$")
        self._cache: dict[Node, str | None] = {}

    def clear(self) -> None:
        self._cache.clear()

    def owner(self, node: Node) -> str | None:
        found = self._cache.get(node, False)
        if found is False:
            match = self._pattern.match(node) if type(node) is URIRef else None
            found = self._cache[node] = match.group(1) if match else None
        return found

    def question_id(self, node: Node) -> str | None:
        match = self._question.match(node) if isinstance(node, URIRef) else None
        return match.group(1) if match else None

    def question_node(self, identifier: str) -> URIRef:
        return URIRef(self._iris.question(identifier))


def _read_item(index: int, graph: GraphInput, owners: _Owners) -> _Item:
    """Read a graph once: its owner (the graph's identifier when it is a question IRI, else the question owning
    most of its subjects), its own subjects' triples, and the (p, o) pairs of every node it does not own (shared
    nodes, stubs of other questions, blank nodes; empty when only mentioned)."""
    identifier = None
    if isinstance(graph, bytes):
        triples: Iterable[Triple] = Graph().parse(data=graph.decode("utf-8"), format="nt")
    elif isinstance(graph, Graph):
        triples = graph
        identifier = graph.identifier if isinstance(graph.identifier, URIRef) else None
    else:
        triples = graph
    groups = _group(triples)
    owner_of = owners.owner
    subject_owners = [owner_of(subject) for subject in groups]
    owner = owners.question_id(identifier) if identifier is not None else None
    if owner is None:
        votes = collections.Counter(filter(None, subject_owners))
        owner = min(votes, key=lambda o: (-votes[o], o)) if votes else None
    own: list[tuple[Node, list]] = []
    foreign: dict[Node, tuple] = {}
    for (subject, pairs), subject_owner in zip(groups.items(), subject_owners, strict=True):
        if owner is not None and subject_owner == owner:
            own.append((subject, pairs))
        else:
            foreign[subject] = tuple(pairs)
    for pairs in groups.values():
        for _p, o in pairs:
            if type(o) is not Literal and o not in foreign and (owner is None or owner_of(o) != owner):
                foreign[o] = ()
    question = owners.question_node(owner) if owner else None
    return _Item(index, owner, own, foreign, question)


class _Batch:
    """Graphs that can be merged without changing any verdict (see the module docstring):
    - never two graphs of one question;
    - a shared node is described identically by every member that mentions it (an empty description when it
      is only mentioned), so the merged description is each member's own;
    - a member's stub of another member's question (a sibling: type and identifier) is a subset of that
      question's own description, and no member describes any other node of another member's question. The
      shapes never inspect another question's node through a link (only the link's IRI form), so a stub
      borrows nothing from its question's full description; the subset rule keeps the stub from adding to it.
    """

    def __init__(self, owners: _Owners) -> None:
        self.owners = owners
        self.items: list[_Item] = []
        self.by_owner: dict[str, _Item] = {}
        self.foreign: dict[Node, tuple] = {}
        self.described_by_owner: dict[str, list[Node]] = {}  # question id -> its nodes described by members

    def _fits(self, node: Node, pairs: tuple, holder: _Item) -> bool:
        """Another member's description of a node owned by `holder`."""
        return not pairs or (node == holder.question and set(pairs) <= holder.question_pairs)

    def accepts(self, item: _Item) -> bool:
        if item.owner is not None:
            if item.owner in self.by_owner:
                return False
            for node in self.described_by_owner.get(item.owner, ()):
                if not self._fits(node, self.foreign[node], item):
                    return False
        known, by_owner, owner_of = self.foreign, self.by_owner, self.owners.owner
        for node, pairs in item.foreign.items():
            other = known.get(node)
            if other is not None and other != pairs and set(other) != set(pairs):
                return False
            if pairs:
                holder = by_owner.get(owner_of(node))  # type: ignore[arg-type]
                if holder is not None and not self._fits(node, pairs, holder):
                    return False
        return True

    def add(self, item: _Item) -> None:
        self.items.append(item)
        if item.owner is not None:
            self.by_owner[item.owner] = item
        for node, pairs in item.foreign.items():
            if node not in self.foreign:
                self.foreign[node] = pairs
                node_owner = self.owners.owner(node)
                if node_owner and pairs:
                    self.described_by_owner.setdefault(node_owner, []).append(node)

    def data_graph(self, terms: dict[Node, Node] | None = None) -> IndexedGraph:
        """The merged graph: each graph's own triples, and each shared node's description once."""
        data = IndexedGraph(terms=terms)
        done: set[Node] = set()
        for item in self.items:
            for subject, pairs in item.own:
                data.add_described(subject, pairs)
            for node, pairs in item.foreign.items():
                if pairs and node not in done and not self.by_owner.get(self.owners.owner(node)):  # type: ignore
                    done.add(node)
                    data.add_described(node, pairs)
        return data


def _plan(items: list[_Item], size: int, owners: _Owners) -> list[_Batch]:
    """Greedy conflict-free batches in input order; a graph that conflicts waits for a later batch."""
    batches: list[_Batch] = []
    pending = items
    while pending:
        batch, rest = _Batch(owners), []
        for item in pending:
            if len(batch.items) < size and batch.accepts(item):
                batch.add(item)
            else:
                rest.append(item)
        batches.append(batch)
        pending = rest
    return batches


# ================================================================== the validator
_COMPONENT_NAMES = re.compile(r"^http://www\.w3\.org/ns/shacl#(\w+)ConstraintComponent$")


class Validator:
    """Loads the shapes once; validates many question graphs, each result tied to its own graph."""

    def __init__(self, iris: Iris | None = None, *, batch_size: int = DEFAULT_BATCH, speedups: bool = True,
                 shapes_dir: Path = SHAPES_DIR) -> None:
        self.iris = iris or Iris(DEFAULT_BASE)
        self.batch_size = batch_size
        self.speedups = speedups
        self.shapes = load_shapes(self.iris, shapes_dir)
        self._owners = _Owners(self.iris)
        self._prefixes = sorted({**PREFIXES, "skg": self.iris.vocab()}.items(), key=lambda kv: -len(kv[1]))
        self._shapes_graph = None  # pyshacl's ShapesGraph, built on first use and then reused
        self._terms = _shape_terms(self.shapes)

    # ---- public API
    def validate(self, graph: GraphInput) -> list[Violation]:
        """The violations of one graph (a batch of one)."""
        return self.validate_many([graph])[0]

    def validate_many(self, graphs: Sequence[GraphInput]) -> list[list[Violation]]:
        """One list of violations per input graph, in order; empty means it conforms. Graphs may be rdflib
        Graphs, lists of triples (mapping.rdf.question_triples) or N-Triples bytes."""
        with gc_paused():  # the run allocates many short-lived containers: ~35% of it was spent in gc
            try:
                items = [_read_item(i, g, self._owners) for i, g in enumerate(graphs)]
                results: list[list[Violation]] = [[] for _ in items]
                for batch in _plan(items, self.batch_size, self._owners):
                    for index, violations in self._validate_batch(batch).items():
                        results[index] = violations
                for item in items:
                    if item.owner is None:  # nothing would be targeted: say so rather than let it pass
                        results[item.index].insert(0, self._no_question(graphs[item.index]))
                return results
            finally:
                self._owners.clear()

    def _no_question(self, graph: GraphInput) -> Violation:
        name = str(graph.identifier) if isinstance(graph, Graph) else "graph"
        return Violation(focus_node=name, path=None, component="Graph", focus_label=self.label(URIRef(name)),
                         message=f"no written question under {self.iris.base}eli/dl/doc/ in this graph (mapped "
                                 f"with another base URI?)")

    def validate_parallel(self, graphs: Sequence[GraphInput], workers: int = 2) -> list[list[Violation]]:
        """`validate_many` spread over `workers` forked processes (both cores); same results, same order."""
        return validate_parallel(self, graphs, workers)

    # ---- one batch
    def _pyshacl_shapes(self):
        if self._shapes_graph is None:
            from pyshacl.shapes_graph import ShapesGraph

            self._shapes_graph = ShapesGraph(self.shapes)
        return self._shapes_graph

    def _validate_batch(self, batch: _Batch) -> dict[int, list[Violation]]:
        data = batch.data_graph(self._terms)
        report = self._run_pyshacl(data)
        found: dict[int, set[Violation]] = {item.index: set() for item in batch.items}
        containing = self._containing(batch)
        for violation, focus in self._violations(report, data):
            for index in self._owners_of(focus, batch, containing):
                found[index].add(violation)
        return {index: sorted(v, key=lambda x: (x.focus_node, x.path or "", x.message)) for index, v in found.items()}

    def _run_pyshacl(self, data: Graph) -> Graph:
        from pyshacl.graph_abstraction import DataGraph

        with _speedups(self.speedups):
            validator = pyshacl.Validator(DataGraph.from_rdflib(data), shacl_graph=self.shapes,
                                         options={"inference": "none", "advanced": False})
            validator.shacl_graph = self._pyshacl_shapes()  # reuse the harvested shapes
            _conforms, report, _text = validator.run()
        return report

    @staticmethod
    def _containing(batch: _Batch) -> dict[Node, list[int]]:
        containing: dict[Node, list[int]] = {}
        for item in batch.items:
            for node in item.foreign:
                containing.setdefault(node, []).append(item.index)
        return containing

    def _owners_of(self, focus: Node, batch: _Batch, containing: dict[Node, list[int]]) -> list[int]:
        owner = self._owners.owner(focus)
        holder = batch.by_owner.get(owner) if owner else None
        if holder is not None and focus not in holder.foreign:
            return [holder.index]
        if focus in containing:
            return containing[focus]
        return [item.index for item in batch.items]  # cannot happen for a focus node of the data; be safe

    # ---- reading pyshacl's report
    def _violations(self, report: Graph, data: Graph) -> Iterator[tuple[Violation, Node]]:
        for result in report.subjects(RDF.type, SH.ValidationResult):
            focus = report.value(result, SH.focusNode)
            path = report.value(result, SH.resultPath)
            value = report.value(result, SH.value)
            component = report.value(result, SH.sourceConstraintComponent)
            shape = report.value(result, SH.sourceShape)
            fallback = report.value(result, SH.resultMessage)
            match = _COMPONENT_NAMES.match(str(component))
            name = match.group(1) if match else str(component)
            message = self._message(name, shape, focus, path, value, data, str(fallback or ""))
            yield Violation(
                focus_node=str(focus),
                path=self.curie(path) if isinstance(path, URIRef) else (self._path_text(path) if path else None),
                message=message,
                focus_label=self.label(focus),
                value=self.term_text(value) if value is not None else None,
                component=name,
            ), focus

    def _path_text(self, path: Node) -> str:
        """A complex path as SPARQL-like text (`eli:realizes/eli-dl:answers_to`, `eli:title|skg:text`)."""
        compiled = _compile_path(self.shapes, path)
        return self._compiled_text(compiled) if compiled else str(path)

    def _compiled_text(self, compiled: tuple) -> str:
        kind, arg = compiled
        if kind == "p":
            return self.curie(arg)
        if kind == "inv":
            return "^" + self.curie(arg)
        joiner = "/" if kind == "seq" else "|"
        parts = [self._compiled_text(c) for c in arg]
        return joiner.join(f"({p})" if ("|" in p and kind == "seq") else p for p in parts)

    def _param(self, shape: Node | None, name: str) -> Node | None:
        return self.shapes.value(shape, SH[name]) if shape is not None else None

    def _message(self, component: str, shape: Node | None, focus: Node, path: Node | None, value: Node | None,
                 data: Graph, fallback: str) -> str:
        """The result in plain words; a shape's own sh:message wins (it says why the rule exists)."""
        own = self._param(shape, "message")
        shown = self.term_text(value) if value is not None else ""
        if own is not None:
            return f"{own} ({shown})" if shown and component not in ("MinCount", "MaxCount") else str(own)
        count = self._count(focus, path, data)
        low, high = self._param(shape, "minCount"), self._param(shape, "maxCount")
        exactly = low is not None and high is not None and int(low) == int(high)
        if component in ("MinCount", "MaxCount"):
            if exactly:
                wanted = "exactly one value required" if int(low) == 1 else f"exactly {int(low)} values required"
            elif component == "MinCount":
                wanted = f"at least {int(low)} value{'s' if int(low) > 1 else ''} required"
            else:
                wanted = "no value allowed" if int(high) == 0 else \
                    f"at most {int(high)} value{'s' if int(high) > 1 else ''} allowed"
            return f"{wanted}, found {count}" if count is not None else wanted
        texts = {
            "Datatype": lambda: f"{shown} is not of type {self.curie(self._param(shape, 'datatype'))}",
            "Pattern": lambda: f"{shown} does not match {self._param(shape, 'pattern')}",
            "Closed": lambda: f"property not allowed on a {self._shape_label(shape)} (closed shape), value {shown}",
            "UniqueLang": lambda: "more than one value in the same language",
            "LanguageIn": lambda: f"{shown} is not in one of the languages {self._list(shape, 'languageIn')}",
            "In": lambda: f"{shown} is not one of {self._list(shape, 'in')}",
            "HasValue": lambda: f"must be {self.term_text(self._param(shape, 'hasValue'))}",
            "Class": lambda: f"{shown} is not a {self.curie(self._param(shape, 'class'))} in this graph",
            "NodeKind": lambda: f"{shown} must be a {self.curie(self._param(shape, 'nodeKind'))}",
            "MinLength": lambda: f"{shown} is empty",
            "Equals": lambda: f"{shown} differs from {self.curie(self._param(shape, 'equals'))}",
            "LessThanOrEquals": lambda: f"{shown} is later than {self.curie(self._param(shape, 'lessThanOrEquals'))}",
        }
        return texts[component]() if component in texts else fallback

    @staticmethod
    def _count(focus: Node, path: Node | None, data: Graph) -> int | None:
        if isinstance(path, URIRef):
            return len(set(data.objects(focus, path)))
        return None

    def _list(self, shape: Node | None, name: str) -> str:
        head = self._param(shape, name)
        items = list(self.shapes.items(head)) if head is not None else []
        return ", ".join(str(i) if isinstance(i, Literal) else self.curie(i) for i in items)

    def _shape_label(self, shape: Node | None) -> str:
        label = self.shapes.value(shape, RDFS.label) if shape is not None else None
        return str(label) if label else "node of this kind"

    # ---- names
    def curie(self, node: Node | None) -> str:
        """`eli:date_document` for IRIs under a known prefix, `<iri>` otherwise."""
        if node is None:
            return ""
        text = str(node)
        for prefix, namespace in self._prefixes:
            if text.startswith(namespace) and len(text) > len(namespace):
                return f"{prefix}:{text[len(namespace):]}"
        return f"<{text}>" if isinstance(node, URIRef) else text

    def term_text(self, node: Node | None) -> str:
        if isinstance(node, Literal):
            return node.n3(self.shapes.namespace_manager) if node.datatype not in (None, XSD.string) \
                else f'"{node}"' + (f"@{node.language}" if node.language else "")
        if isinstance(node, URIRef):
            label = self.label(node)
            return label if label != str(node) else self.curie(node)
        return str(node)

    def label(self, node: Node | None) -> str:
        """A short name for a node: question-local IRIs by their last segments (`WQ-5-8900`, `WQ-5-8900/fr`,
        `WQ-5-8900-SUB`), other IRIs under the base relative to it (`person/martine-taelman`), else a CURIE."""
        text = str(node)
        base = self.iris.base
        if isinstance(node, URIRef) and text.startswith(base):
            rest = text[len(base):]
            for folder in ("eli/dl/doc/", "eli/dl/event/", "eli/dl/participation/"):
                if rest.startswith(folder):
                    return rest[len(folder):]
            return rest
        return self.curie(node) if isinstance(node, URIRef) else text


# ================================================================== both cores
_FORKED: dict[str, Any] = {}


def _validate_chunk(bounds: tuple[int, int]) -> list[list[Violation]]:
    """Runs in a forked worker: the validator and the graphs came with the fork, only results go back."""
    validator: Validator = _FORKED["validator"]
    graphs: Sequence[GraphInput] = _FORKED["graphs"]
    start, end = bounds
    return validator.validate_many(graphs[start:end])


def validate_parallel(validator: Validator, graphs: Sequence[GraphInput], workers: int = 2) -> list[list[Violation]]:
    """Split the graphs into contiguous chunks (at most one batch each, at least one chunk per worker) and
    validate them in `workers` forked processes. One process when fork is unavailable or there is one chunk."""
    size = max(1, min(validator.batch_size, -(-len(graphs) // max(workers, 1))))  # every worker gets a share
    bounds = [(i, min(i + size, len(graphs))) for i in range(0, len(graphs), size)]
    if workers <= 1 or len(bounds) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return validator.validate_many(graphs)
    validator._pyshacl_shapes()  # harvest the shapes once, before forking
    _FORKED.update(validator=validator, graphs=graphs)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            chunks = pool.map(_validate_chunk, bounds, chunksize=1)
    finally:
        _FORKED.clear()
    return [violations for chunk in chunks for violations in chunk]
