"""For harvesters: the DCAT-AP 3.0 catalogue (/catalog), the VoID description (/.well-known/void), the dumps
(/dumps/<file>) and the sitemap (/sitemap.xml).

Everything here is rendered from the manifest that `senate-kg build` / `push` writes beside the dumps
(senate_kg/publish.py): sizes, checksums, figures and partitions were computed once from the store, so a
request costs no query and the catalogue can never describe dumps other than the ones served. Publisher,
licence and contact come from ontology/catalog/catalog.toml, overridable by config (README "Catalogue").

What harvesters do (DESIGN.md): CKAN's ckanext-dcat sends HEAD, then GET with `Accept: */*`, and picks its parser
from Content-Type alone: a request without a specific Accept gets Turtle. Every linked object is typed
explicitly (publisher foaf:Agent, landing page foaf:Document, URLs rdfs:Resource...) because the DCAT-AP range
shapes check classes, and every date is typed xsd:date / xsd:dateTime. The catalogue holds one dataset, so it
is not paged (no Hydra).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, Response, abort, current_app, redirect, render_template, request, send_file
from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS, VOID

from mapping.iris import EU_AUTHORITY, EUROVOC, Iris, slugify
from senate_kg.paths import ONTOLOGY_DIR
from senate_kg.publish import DUMP_FORMATS, MANIFEST, dumps_dir_for, read_manifest
from server.negotiation import BY_SUFFIX, HTML, RDF_FORMATS, TURTLE, Format, choose
from server.representations import Validators, conditional, rdf_response, serialise

bp = Blueprint("catalog", __name__)

CATALOG_SETTINGS = ONTOLOGY_DIR / "catalog" / "catalog.toml"
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
IANA = "https://www.iana.org/assignments/media-types/"
GEOSPARQL_WKT = URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")
DCATAP = Namespace("http://data.europa.eu/r5r/")
STABLE = URIRef("http://publications.europa.eu/resource/authority/planned-availability/STABLE")
# Belgium's bounding box and centre (WGS 84, longitude latitude), for harvesters that map datasets
BELGIUM_BBOX = "POLYGON((2.54 49.49,6.41 49.49,6.41 51.51,2.54 51.51,2.54 49.49))"
BELGIUM_CENTROID = "POINT(4.47 50.50)"
EUROVOC_SCHEME = URIRef("http://eurovoc.europa.eu/100141")
DATA_THEME = URIRef(f"{EU_AUTHORITY}data-theme")
CATALOG_OFFERS: tuple[Format, ...] = (*RDF_FORMATS, HTML)
VOID_OFFERS: tuple[Format, ...] = RDF_FORMATS
PREFIXES = {"dcatap": DCATAP, "dcat": DCAT, "dct": DCTERMS, "foaf": FOAF, "vcard": VCARD, "spdx": SPDX, "void": VOID,
            "skos": SKOS, "adms": ADMS, "eli": ELI, "xsd": XSD, "rdfs": RDFS}
NAMESPACE_ENDS = ("#", "/")


# ---------------------------------------------------------------- configuration
@dataclass(frozen=True)
class CatalogSettings:
    publisher_name: str
    publisher_uri: str
    publisher_homepage: str
    publisher_type: str
    contact_name: str
    contact_email: str
    contact_url: str
    license: str
    license_type: str
    frequency: str
    titles: dict[str, str]
    descriptions: dict[str, str]


def load_settings(config: dict[str, Any], base: str, path: Path = CATALOG_SETTINGS) -> CatalogSettings:
    """The TOML defaults, overridden by `CATALOG_*` config keys (and `PUBLISHER_NAME`, the app default)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))

    def pick(key: str, section: str, name: str) -> str:
        value = config.get(f"CATALOG_{key}")
        if value is None and key == "PUBLISHER_NAME":
            value = config.get("PUBLISHER_NAME")
        if value is None:
            value = data.get(section, {}).get(name, "")
        return str(value).replace("{base}", base)

    dataset = data.get("dataset", {})
    return CatalogSettings(
        publisher_name=pick("PUBLISHER_NAME", "publisher", "name"),
        publisher_uri=pick("PUBLISHER_URI", "publisher", "uri"),
        publisher_homepage=pick("PUBLISHER_HOMEPAGE", "publisher", "homepage"),
        publisher_type=pick("PUBLISHER_TYPE", "publisher", "type"),
        contact_name=pick("CONTACT_NAME", "contact", "name"),
        contact_email=pick("CONTACT_EMAIL", "contact", "email"),
        contact_url=pick("CONTACT_URL", "contact", "url"),
        license=pick("LICENSE", "licence", "uri"),
        license_type=pick("LICENSE_TYPE", "licence", "type"),
        frequency=pick("FREQUENCY", "dataset", "frequency"),
        titles={lang: dataset[f"title_{lang}"] for lang in ("fr", "nl", "en") if dataset.get(f"title_{lang}")},
        descriptions={lang: dataset[f"description_{lang}"] for lang in ("fr", "nl", "en")
                      if dataset.get(f"description_{lang}")},
    )


def dumps_dir(app: Flask | None = None) -> Path:
    app = app or current_app
    configured = app.config.get("DUMPS_DIR")
    return Path(configured) if configured else dumps_dir_for(Path(app.config["STORE_PATH"]))


def manifest() -> dict[str, Any]:
    """The publisher's manifest, re-read only when the file changes (a rebuild replaces it atomically)."""
    path = dumps_dir() / MANIFEST
    try:
        stat = path.stat()
    except OSError:
        return {}
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    cache = current_app.extensions.setdefault("catalog_manifest", {})
    if cache.get("key") != key:
        cache["key"], cache["value"] = key, read_manifest(path.parent)
    return cache["value"]


# ---------------------------------------------------------------- IRIs of the catalogue's things
@dataclass(frozen=True)
class CatalogIris:
    base: str

    @property
    def catalog(self) -> URIRef:
        return URIRef(f"{self.base}catalog")

    @property
    def dataset(self) -> URIRef:
        return URIRef(Iris(self.base).dataset())

    def distribution(self, key: str) -> URIRef:
        return URIRef(f"{self.dataset}/distribution/{key}")

    def service(self, key: str) -> URIRef:
        return URIRef(f"{self.base}service/{key}")

    def dump_url(self, name: str) -> URIRef:
        return URIRef(f"{self.base}dumps/{quote(name)}")

    def page(self, path: str) -> URIRef:
        return URIRef(f"{self.base}{path}")

    @property
    def void(self) -> URIRef:
        return URIRef(f"{self.base}.well-known/void")


def authority(table: str, code: str) -> URIRef:
    return URIRef(f"{EU_AUTHORITY}{table}/{code}")


def _in_authority_schemes(graph: Graph) -> None:
    """State the EU authority table of every authority value used (`skos:inScheme`), as the DCAT-AP
    controlled-vocabulary shapes expect; IANA media types get their own scheme the same way."""
    for node in set(graph.all_nodes()):
        text = str(node)
        if isinstance(node, URIRef) and text.startswith(EU_AUTHORITY) and text.count("/") > EU_AUTHORITY.count("/"):
            graph.add((node, SKOS.inScheme, URIRef(text.rsplit("/", 1)[0])))


def _datetime(text: str | None) -> Literal | None:
    if not text:
        return None
    return Literal(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC).replace(tzinfo=None)
                   .isoformat() + "Z", datatype=XSD.dateTime)


def _typed(graph: Graph, node: URIRef, *classes: URIRef) -> URIRef:
    for cls in classes:
        graph.add((node, RDF.type, cls))
    return node


def _labels(graph: Graph, node: URIRef, predicate: URIRef, texts: dict[str, str]) -> None:
    for lang, text in texts.items():
        graph.add((node, predicate, Literal(text, lang=lang)))


# ---------------------------------------------------------------- the DCAT-AP catalogue
def catalog_graph(data: dict[str, Any], settings: CatalogSettings, base: str) -> Graph:
    """The whole catalogue as one rdflib graph (small: one dataset, a few distributions and services)."""
    ids = CatalogIris(base)
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    publisher = _publisher(graph, settings)
    contact = _contact(graph, settings, ids)
    licence = _licence(graph, settings)
    languages = [_typed(graph, authority("language", code), DCTERMS.LinguisticSystem) for code in ("FRA", "NLD")]
    modified = _datetime(data.get("modified"))
    issued = _datetime(min((d["issued"] for d in data.get("dumps", [])), default=None))

    catalog = _typed(graph, ids.catalog, DCAT.Catalog)
    _labels(graph, catalog, DCTERMS.title, {lang: f"{t} — catalogue" if lang == "fr" else t
                                            for lang, t in settings.titles.items()})
    _labels(graph, catalog, DCTERMS.description, settings.descriptions)
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add((catalog, FOAF.homepage, _typed(graph, ids.page(""), FOAF.Document)))
    graph.add((catalog, DCTERMS.license, licence))
    graph.add((catalog, DCAT.themeTaxonomy, _scheme(graph, DATA_THEME, "Data theme")))
    graph.add((catalog, DCAT.themeTaxonomy, _scheme(graph, EUROVOC_SCHEME, "EuroVoc")))
    graph.add((catalog, DCTERMS.spatial, _belgium(graph)))
    for language in languages:
        graph.add((catalog, DCTERMS.language, language))
    for predicate, value in ((DCTERMS.modified, modified), (DCTERMS.issued, issued)):
        if value is not None:
            graph.add((catalog, predicate, value))

    dataset = _dataset(graph, data, settings, ids, publisher, contact, licence, languages)
    graph.add((catalog, DCAT.dataset, dataset))
    for service in _services(graph, settings, ids, dataset, publisher, contact, licence):
        graph.add((catalog, DCAT.service, service))
    _typed(graph, SPDX.checksumAlgorithm_sha256, SPDX.ChecksumAlgorithm)
    _in_authority_schemes(graph)
    return graph


def _publisher(graph: Graph, settings: CatalogSettings) -> URIRef:
    publisher = _typed(graph, URIRef(settings.publisher_uri), FOAF.Agent)
    graph.add((publisher, FOAF.name, Literal(settings.publisher_name)))
    if settings.publisher_type:
        kind = _typed(graph, URIRef(settings.publisher_type), SKOS.Concept)
        graph.add((kind, SKOS.prefLabel, Literal(settings.publisher_type.rsplit("/", 1)[-1], lang="en")))
        graph.add((publisher, DCTERMS.type, kind))
    if settings.publisher_homepage:
        graph.add((publisher, FOAF.homepage, _typed(graph, URIRef(settings.publisher_homepage), FOAF.Document)))
    return publisher


def _contact(graph: Graph, settings: CatalogSettings, ids: CatalogIris) -> URIRef:
    contact = _typed(graph, URIRef(f"{ids.catalog}#contact"), VCARD.Kind, VCARD.Organization)
    graph.add((contact, VCARD.fn, Literal(settings.contact_name)))
    if settings.contact_email:
        email = settings.contact_email
        graph.add((contact, VCARD.hasEmail, URIRef(email if email.startswith("mailto:") else f"mailto:{email}")))
    if settings.contact_url:
        graph.add((contact, VCARD.hasURL, _typed(graph, URIRef(settings.contact_url), RDFS.Resource)))
    return contact


def _licence(graph: Graph, settings: CatalogSettings) -> URIRef:
    licence = _typed(graph, URIRef(settings.license), DCTERMS.LicenseDocument)
    if settings.license_type:
        kind = _typed(graph, URIRef(settings.license_type), SKOS.Concept)
        graph.add((kind, SKOS.prefLabel, Literal(settings.license_type.rsplit("/", 1)[-1], lang="en")))
        graph.add((licence, DCTERMS.type, kind))
    return licence


def _belgium(graph: Graph) -> URIRef:
    belgium = _typed(graph, authority("country", "BEL"), DCTERMS.Location)
    graph.set((belgium, DCAT.bbox, Literal(BELGIUM_BBOX, datatype=GEOSPARQL_WKT)))
    graph.set((belgium, DCAT.centroid, Literal(BELGIUM_CENTROID, datatype=GEOSPARQL_WKT)))
    return belgium


def _government_theme(graph: Graph) -> URIRef:
    return _concept(graph, authority("data-theme", "GOVE"), DATA_THEME,
                    {"en": "Government and public sector", "fr": "Gouvernement et secteur public",
                     "nl": "Overheid en publieke sector"})


def _availability(graph: Graph) -> URIRef:
    stable = _typed(graph, STABLE, SKOS.Concept)
    graph.set((stable, SKOS.prefLabel, Literal("stable", lang="en")))
    return stable


def _scheme(graph: Graph, iri: URIRef, title: str) -> URIRef:
    _typed(graph, iri, SKOS.ConceptScheme)
    graph.add((iri, DCTERMS.title, Literal(title, lang="en")))
    return iri


def _concept(graph: Graph, iri: URIRef, scheme: URIRef, labels: dict[str, str]) -> URIRef:
    _typed(graph, iri, SKOS.Concept)
    graph.add((iri, SKOS.inScheme, scheme))
    _labels(graph, iri, SKOS.prefLabel, labels)
    return iri


def _dataset(graph: Graph, data: dict[str, Any], settings: CatalogSettings, ids: CatalogIris, publisher: URIRef,
             contact: URIRef, licence: URIRef, languages: list[URIRef]) -> URIRef:
    dataset = _typed(graph, ids.dataset, DCAT.Dataset)
    _labels(graph, dataset, DCTERMS.title, settings.titles)
    _labels(graph, dataset, DCTERMS.description, settings.descriptions)
    graph.add((dataset, DCTERMS.identifier, Literal(str(ids.dataset))))
    graph.add((dataset, DCTERMS.publisher, publisher))
    graph.add((dataset, DCAT.contactPoint, contact))
    graph.add((dataset, DCTERMS.license, licence))
    graph.add((dataset, DCAT.landingPage, _typed(graph, ids.page(""), FOAF.Document)))
    graph.add((dataset, FOAF.page, _typed(graph, ids.page("api/queries"), FOAF.Document)))
    graph.add((dataset, RDFS.seeAlso, ids.void))
    rights = _typed(graph, authority("access-right", "PUBLIC"), DCTERMS.RightsStatement)
    graph.add((dataset, DCTERMS.accessRights, rights))
    frequency = _typed(graph, authority("frequency", settings.frequency), DCTERMS.Frequency)
    graph.add((dataset, DCTERMS.accrualPeriodicity, frequency))
    graph.add((dataset, DCTERMS.spatial, _belgium(graph)))
    eli = _typed(graph, URIRef("http://data.europa.eu/eli/ontology"), DCTERMS.Standard)
    graph.add((dataset, DCTERMS.conformsTo, eli))
    for language in languages:
        graph.add((dataset, DCTERMS.language, language))
    graph.add((dataset, DCAT.theme, _government_theme(graph)))
    for concept in data.get("concepts", []):
        labels = {lang: concept[f"label_{lang}"] for lang in ("fr", "nl", "en") if concept.get(f"label_{lang}")}
        graph.add((dataset, DCAT.theme, _concept(graph, URIRef(concept["concept"]), EUROVOC_SCHEME, labels)))
        for lang in ("fr", "nl"):
            if labels.get(lang):
                graph.add((dataset, DCAT.keyword, Literal(labels[lang], lang=lang)))
    _temporal(graph, dataset, data.get("figures", {}), ids)
    modified = _datetime(data.get("modified"))
    if modified is not None:
        graph.add((dataset, DCTERMS.modified, modified))
    issued = _datetime(min((d["issued"] for d in data.get("dumps", [])), default=None))
    if issued is not None:
        graph.add((dataset, DCTERMS.issued, issued))
    for dump in data.get("dumps", []):
        graph.add((dataset, DCAT.distribution, _distribution(graph, dump, ids, licence, languages)))
    metadata = data.get("csvw_metadata")
    for table in data.get("tables", []):
        graph.add((dataset, DCAT.distribution, _table_distribution(graph, table, metadata, ids, licence, languages)))
    graph.add((dataset, DCAT.distribution, _endpoint_distribution(graph, ids, licence)))
    return dataset


def _temporal(graph: Graph, dataset: URIRef, figures: dict[str, Any], ids: CatalogIris) -> None:
    first, last = figures.get("first_date"), figures.get("last_date")
    if not first:
        return
    period = _typed(graph, URIRef(f"{ids.catalog}#temporal"), DCTERMS.PeriodOfTime)
    graph.add((period, DCAT.startDate, Literal(first, datatype=XSD.date)))
    if last:
        graph.add((period, DCAT.endDate, Literal(last, datatype=XSD.date)))
    graph.add((dataset, DCTERMS.temporal, period))


def _media_type(graph: Graph, media_type: str) -> URIRef:
    return _typed(graph, URIRef(IANA + media_type), DCTERMS.MediaType)


def _distribution(graph: Graph, dump: dict[str, Any], ids: CatalogIris, licence: URIRef,
                  languages: list[URIRef]) -> URIRef:
    node = _typed(graph, ids.distribution(dump["key"]), DCAT.Distribution)
    graph.add((node, DCTERMS.title, Literal(f"{dump['label']} dump (gzip)", lang="en")))
    graph.add((node, DCTERMS.description, Literal(
        f"Every named graph of the store as {dump['label']}, gzip-compressed: {dump['quads']} quads (the data: "
        "the store's bookkeeping, each graph's content hash and date, is not part of it).", lang="en")))
    _file(graph, node, dump, ids, dump["file_type"], dump["media_type"], licence, languages)
    return node


def _table_distribution(graph: Graph, table: dict[str, Any], metadata: dict[str, Any] | None, ids: CatalogIris,
                        licence: URIRef, languages: list[URIRef]) -> URIRef:
    """A tidy table (senate_kg/tables.py) as a distribution: text/csv, gzip-compressed, described by its CSV on
    the Web metadata (dcterms:conformsTo CSVW; the metadata file as foaf:page)."""
    node = _typed(graph, ids.distribution(table["key"]), DCAT.Distribution)
    graph.add((node, DCTERMS.title, Literal(f"{table['title']} (CSV, gzip)", lang="en")))
    graph.add((node, DCTERMS.description, Literal(
        f"{table['title']}: a tidy table of {table['rows']} rows, CSV described with CSV on the Web metadata "
        "(csv-metadata.json: column datatypes and the graph's IRIs and properties).", lang="en")))
    _file(graph, node, table, ids, "CSV", "text/csv", licence, languages)
    csvw = _typed(graph, URIRef("http://www.w3.org/ns/csvw"), DCTERMS.Standard)
    graph.add((node, DCTERMS.conformsTo, csvw))
    if metadata:
        graph.add((node, FOAF.page, _typed(graph, ids.dump_url(metadata["name"]), FOAF.Document)))
    return node


def _file(graph: Graph, node: URIRef, entry: dict[str, Any], ids: CatalogIris, file_type: str, media_type: str,
          licence: URIRef, languages: list[URIRef]) -> None:
    """What every downloadable file of the manifest says as a distribution (a dump or a table): its URL, format,
    gzip, size, SHA-256, dates, licence, availability and languages."""
    url = _typed(graph, ids.dump_url(entry["name"]), RDFS.Resource)
    graph.add((node, DCTERMS.identifier, Literal(str(node))))
    graph.add((node, DCAT.downloadURL, url))
    graph.add((node, DCAT.accessURL, url))
    graph.add((node, DCTERMS.format, _typed(graph, authority("file-type", file_type), DCTERMS.MediaTypeOrExtent)))
    graph.add((node, DCAT.mediaType, _media_type(graph, media_type)))
    graph.add((node, DCAT.compressFormat, _media_type(graph, "application/gzip")))
    # canonical xsd:decimal ("123.0"): Turtle writes it so, and every format must carry the same literal
    graph.add((node, DCAT.byteSize, Literal(f"{int(entry['byte_size'])}.0", datatype=XSD.decimal)))
    checksum = _typed(graph, URIRef(f"{node}#sha256"), SPDX.Checksum)
    graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    graph.add((checksum, SPDX.checksumValue, Literal(entry["sha256"], datatype=XSD.hexBinary)))
    graph.add((node, SPDX.checksum, checksum))
    graph.add((node, DCTERMS.issued, _datetime(entry["issued"])))
    graph.add((node, DCTERMS.modified, _datetime(entry["modified"])))
    graph.add((node, DCTERMS.license, licence))
    graph.add((node, DCATAP.availability, _availability(graph)))
    for language in languages:
        graph.add((node, DCTERMS.language, language))


def _endpoint_distribution(graph: Graph, ids: CatalogIris, licence: URIRef) -> URIRef:
    """The SPARQL endpoint also as a distribution: CKAN and many portals list distributions, not services."""
    node = _typed(graph, ids.distribution("sparql"), DCAT.Distribution)
    graph.add((node, DCTERMS.identifier, Literal(str(node))))
    graph.add((node, DCTERMS.title, Literal("SPARQL endpoint", lang="en")))
    graph.add((node, DCTERMS.description, Literal(
        "Query every question graph with SPARQL 1.1 (read-only; results as JSON, XML, CSV, TSV; graphs as "
        "Turtle, JSON-LD, RDF/XML, N-Triples).", lang="en")))
    graph.add((node, DCTERMS.format, _typed(graph, URIRef(IANA + "application/sparql-results+json"),
                                            DCTERMS.MediaTypeOrExtent)))
    graph.add((node, DCAT.accessURL, _typed(graph, ids.page("sparql"), RDFS.Resource)))
    graph.add((node, DCAT.accessService, ids.service("sparql")))
    graph.add((node, DCTERMS.license, licence))
    graph.add((node, DCATAP.availability, _availability(graph)))
    return node


def _services(graph: Graph, settings: CatalogSettings, ids: CatalogIris, dataset: URIRef, publisher: URIRef,
              contact: URIRef, licence: URIRef) -> list[URIRef]:
    table = (
        ("sparql", "SPARQL endpoint", "A read-only SPARQL 1.1 endpoint over every question graph.", "sparql",
         "sparql", "https://www.w3.org/TR/sparql11-protocol/"),
        ("api", "Named-query API", "Ready-made research queries as a REST API (JSON and CSV), described in "
         "OpenAPI 3.", "api/queries", "api/openapi.json", "https://spec.openapis.org/oas/v3.1.0"),
        ("search", "Full-text search API", "Search titles, questions and answers in French and Dutch (JSON).",
         "api/search", "api/openapi.json", "https://spec.openapis.org/oas/v3.1.0"),
        ("ldes", "Linked Data Event Stream", "Every version of every question, deletions included, as a Linked "
         "Data Event Stream (LDES 1.0): replicate the dataset and stay in sync without downloading the dumps "
         "again.", "ldes", "ldes", "https://w3id.org/ldes/specification"),
    )
    services = []
    for key, title, description, endpoint, endpoint_description, standard in table:
        node = _typed(graph, ids.service(key), DCAT.DataService)
        graph.add((node, DCTERMS.identifier, Literal(str(node))))
        graph.add((node, DCTERMS.title, Literal(title, lang="en")))
        graph.add((node, DCTERMS.description, Literal(description, lang="en")))
        graph.add((node, DCAT.endpointURL, _typed(graph, ids.page(endpoint), RDFS.Resource)))
        graph.add((node, DCAT.endpointDescription, _typed(graph, ids.page(endpoint_description), RDFS.Resource)))
        graph.add((node, DCAT.servesDataset, dataset))
        graph.add((node, DCTERMS.conformsTo, _typed(graph, URIRef(standard), DCTERMS.Standard)))
        graph.add((node, DCTERMS.publisher, publisher))
        graph.add((node, DCAT.contactPoint, contact))
        graph.add((node, DCTERMS.license, licence))
        graph.add((node, DCAT.theme, _government_theme(graph)))
        for keyword in (key, "parliament", "written questions"):
            graph.add((node, DCAT.keyword, Literal(keyword, lang="en")))
        services.append(node)
    return services


# ---------------------------------------------------------------- VoID
def _namespace(iri: str) -> str:
    cut = max(iri.rfind(end) for end in NAMESPACE_ENDS)
    return iri[:cut + 1]


def void_graph(data: dict[str, Any], settings: CatalogSettings, base: str) -> Graph:
    """VoID: figures, partitions, vocabularies, the endpoint, the dumps, and the linkset to EuroVoc."""
    ids = CatalogIris(base)
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    description = _typed(graph, ids.void, VOID.DatasetDescription)
    graph.add((description, DCTERMS.title, Literal("VoID description of the senate-kg dataset", lang="en")))
    graph.add((description, FOAF.primaryTopic, ids.dataset))
    dataset = _typed(graph, ids.dataset, VOID.Dataset)
    _labels(graph, dataset, DCTERMS.title, settings.titles)
    graph.add((dataset, DCTERMS.license, URIRef(settings.license)))
    graph.add((dataset, VOID.sparqlEndpoint, ids.page("sparql")))
    stream = _typed(graph, ids.page("ldes"), URIRef("https://w3id.org/ldes#EventStream"))  # server/ldes.py
    graph.add((dataset, RDFS.seeAlso, stream))
    graph.add((dataset, VOID.uriSpace, Literal(base)))
    graph.add((dataset, VOID.rootResource, ids.page("")))
    graph.add((dataset, FOAF.homepage, ids.page("")))
    for dump in data.get("dumps", []):
        graph.add((dataset, VOID.dataDump, ids.dump_url(dump["name"])))
    figures = data.get("figures", {})
    for key, predicate in (("triples", VOID.triples), ("entities", VOID.entities),
                           ("subjects", VOID.distinctSubjects), ("objects", VOID.distinctObjects)):
        if figures.get(key) is not None:
            graph.add((dataset, predicate, Literal(int(figures[key]))))
    classes, properties = data.get("classes", []), data.get("properties", [])
    graph.add((dataset, VOID.classes, Literal(len(classes))))
    graph.add((dataset, VOID.properties, Literal(len(properties))))
    if data.get("example"):
        graph.add((dataset, VOID.exampleResource, URIRef(data["example"])))
    vocabularies = {_namespace(c["class"]) for c in classes} | {_namespace(p["property"]) for p in properties}
    for vocabulary in sorted(vocabularies):
        graph.add((dataset, VOID.vocabulary, URIRef(vocabulary)))
    for item in classes:
        node = URIRef(f"{ids.void}#class-{slugify(item['class'])}")
        graph.add((dataset, VOID.classPartition, node))
        graph.add((node, VOID["class"], URIRef(item["class"])))
        graph.add((node, VOID.entities, Literal(int(item["entities"]))))
    for item in properties:
        node = URIRef(f"{ids.void}#property-{slugify(item['property'])}")
        graph.add((dataset, VOID.propertyPartition, node))
        graph.add((node, VOID.property, URIRef(item["property"])))
        graph.add((node, VOID.triples, Literal(int(item["triples"]))))
        graph.add((node, VOID.distinctSubjects, Literal(int(item["subjects"]))))
        graph.add((node, VOID.distinctObjects, Literal(int(item["objects"]))))
    _eurovoc_linkset(graph, dataset, figures, ids)
    return graph


def _eurovoc_linkset(graph: Graph, dataset: URIRef, figures: dict[str, Any], ids: CatalogIris) -> None:
    eurovoc = _typed(graph, EUROVOC_SCHEME, VOID.Dataset)
    graph.add((eurovoc, DCTERMS.title, Literal("EuroVoc", lang="en")))
    graph.add((eurovoc, VOID.uriSpace, Literal(EUROVOC)))
    graph.add((eurovoc, FOAF.homepage, URIRef("https://op.europa.eu/en/web/eu-vocabularies/eurovoc")))
    linkset = _typed(graph, URIRef(f"{ids.void}#eurovoc-links"), VOID.Linkset)
    graph.add((linkset, DCTERMS.title, Literal("Questions to their EuroVoc subjects (eli:is_about)", lang="en")))
    graph.add((linkset, VOID.linkPredicate, ELI.is_about))
    graph.add((linkset, VOID.subjectsTarget, dataset))
    graph.add((linkset, VOID.objectsTarget, eurovoc))
    if figures.get("eurovoc_links") is not None:
        graph.add((linkset, VOID.triples, Literal(int(figures["eurovoc_links"]))))
    graph.add((dataset, VOID.subset, linkset))


# ---------------------------------------------------------------- HTTP
def _validators(data: dict[str, Any], settings: CatalogSettings, what: str) -> Validators:
    """Changes when the data (the manifest's generation and times) or the configured settings change."""
    digest = hashlib.sha256(json.dumps([what, data.get("generation"), data.get("published"), data.get("modified"),
                                        repr(settings)], sort_keys=True).encode()).hexdigest()[:20]
    modified = data.get("published")
    when = dt.datetime.fromisoformat(modified).astimezone(dt.UTC) if modified else None
    return Validators(digest, when)


def _settings() -> CatalogSettings:
    cached = current_app.extensions.get("catalog_settings")
    if cached is None:
        cached = load_settings(current_app.config, current_app.config["BASE_URI"])
        current_app.extensions["catalog_settings"] = cached
    return cached


def _format(suffix: str | None, offers: tuple[Format, ...]) -> Format:
    if suffix is None:
        return choose(request, offers, TURTLE)
    fmt = BY_SUFFIX.get(suffix)
    if fmt is None or fmt not in offers:
        abort(404)
    return fmt


def _describe(what: str, path: str, suffix: str | None, offers: tuple[Format, ...], build) -> Response:
    data, settings = manifest(), _settings()
    fmt = _format(suffix, offers)
    validators = _validators(data, settings, what)
    ready = conditional(validators, fmt, path=path, offers=offers)
    if ready is not None:
        return ready
    if fmt is HTML:
        body = render_template("catalog.html", catalog=catalog_view(data, settings), formats=_links(path, offers))
    else:
        body = serialise(build(data, settings, current_app.config["BASE_URI"]), fmt)
    return rdf_response(body, fmt, validators=validators, path=path, offers=offers)


def _links(path: str, offers: tuple[Format, ...]) -> list[tuple[Format, str]]:
    return [(f, f"{request.script_root}{path}.{f.suffix}") for f in offers if f is not HTML]


@bp.get("/catalog")
@bp.get("/catalog.<suffix>")
def catalog(suffix: str | None = None):
    return _describe("catalog", "/catalog", suffix, CATALOG_OFFERS, catalog_graph)


@bp.get("/.well-known/void")
@bp.get("/.well-known/void.<suffix>")
def void(suffix: str | None = None):
    return _describe("void", "/.well-known/void", suffix, VOID_OFFERS, void_graph)


@bp.get("/dataset/questions")
@bp.get("/dataset/questions/distribution/<key>")
@bp.get("/service/<key>")
@bp.get("/org/publisher")
def described_in_catalog(key: str | None = None):
    """The catalogue's things (dataset, distributions, services, default publisher) are described in the
    catalogue document: 303 See Other to it, as Linked Data does for things that are not documents."""
    known = {d.key for d in DUMP_FORMATS} | {"sparql", "api", "search"}
    known |= {table["key"] for table in manifest().get("tables", [])}
    if key is not None and key not in known:
        abort(404)
    response = redirect(f"{request.script_root}/catalog", code=303)
    response.vary.add("Accept")
    return response


def _dump_entry(name: str) -> dict[str, Any] | None:
    data = manifest()
    files = [*data.get("dumps", []), *data.get("tables", []), data.get("csvw_metadata") or {}]
    return next((d for d in files if d.get("name") == name), None)


@bp.get("/dumps/<name>")
def dump(name: str):
    """A dump file: ETag is its SHA-256 (as in the catalogue), Last-Modified its content's change time;
    werkzeug answers Range with 206 and If-None-Match / If-Modified-Since with 304."""
    entry = _dump_entry(name)
    path = dumps_dir() / name
    if entry is None or not path.is_file():
        abort(404)
    modified = dt.datetime.fromisoformat(entry["modified"]).astimezone(dt.UTC)
    mimetype = "application/gzip" if name.endswith(".gz") else entry.get("media_type", "application/json")
    response = send_file(path, mimetype=mimetype, conditional=True, etag=entry["sha256"],
                         last_modified=modified, max_age=3600, download_name=name)
    response.headers["Link"] = f'<{request.script_root}/catalog>; rel="describedby"; type="text/turtle"'
    return response


@bp.get("/dumps/")
def dumps_listing():
    return redirect(f"{request.script_root}/catalog", code=303)


@bp.get("/sitemap.xml")
def sitemap():
    """The only sitemap file, or an index of the files when the site has more than 50,000 pages."""
    parts = manifest().get("sitemaps", [])
    if not parts:
        abort(404)
    if len(parts) == 1:
        return _sitemap_file(parts[0])
    base = current_app.config["BASE_URI"]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
             *(f"<sitemap><loc>{base}{part}</loc></sitemap>" for part in parts), "</sitemapindex>", ""]
    return Response("\n".join(lines), mimetype="application/xml")


@bp.get("/sitemap-<int:number>.xml")
def sitemap_part(number: int):
    name = f"sitemap-{number}.xml"
    if name not in manifest().get("sitemaps", []):
        abort(404)
    return _sitemap_file(name)


def _sitemap_file(name: str) -> Response:
    path = dumps_dir() / name
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/xml", conditional=True, max_age=3600)


# ---------------------------------------------------------------- the HTML page
def catalog_view(data: dict[str, Any], settings: CatalogSettings) -> dict[str, Any]:
    """What catalog.html shows: plain values, no RDF."""
    figures = data.get("figures", {})
    return {
        "settings": settings,
        "dumps": data.get("dumps", []),
        "figures": figures,
        "concepts": data.get("concepts", [])[:30],
        "concepts_used": data.get("concepts_used", 0),
        "published": data.get("published"),
        "available": bool(data),
    }


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    if not (dumps_dir(app) / MANIFEST).is_file() and not app.config.get("TESTING"):
        app.logger.warning("no publication manifest in %s: /catalog lists no dumps until `senate-kg build` "
                           "or `push` publishes them", dumps_dir(app))
