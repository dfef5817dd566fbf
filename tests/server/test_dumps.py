"""The dumps under /dumps/ and the sitemap, on both backends: conditional GET, byte ranges, and figures that
match the store (a dump reloaded gives back every quad the store holds)."""

from __future__ import annotations

import gzip
import hashlib
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from rdflib import Dataset

from senate_kg.publish import DUMP_FORMATS, read_manifest

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
RDFLIB_FORMATS = {"nquads": "nquads", "trig": "trig", "jsonld": "json-ld"}
COUNT_QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER (?g != <urn:senate-kg:meta>) }"


@pytest.fixture(scope="module")
def manifest(sample_store_dir):
    data = read_manifest(sample_store_dir.with_name(sample_store_dir.name + ".dumps"))
    assert data, "`senate-kg build` must publish the dumps"
    return data


@pytest.mark.parametrize("fmt", DUMP_FORMATS, ids=lambda f: f.key)
def test_each_dump_reloads_to_every_quad_of_the_store(client, app, manifest, fmt):
    entry = next(d for d in manifest["dumps"] if d["key"] == fmt.key)
    response = client.get(f"/dumps/{entry['name']}")
    assert response.status_code == 200
    assert response.mimetype == "application/gzip"
    body = response.get_data()
    assert hashlib.sha256(body).hexdigest() == entry["sha256"] and len(body) == entry["byte_size"]
    dataset = Dataset()
    dataset.parse(data=gzip.decompress(body), format=RDFLIB_FORMATS[fmt.key])
    reloaded = sum(1 for _ in dataset.quads((None, None, None, None)))
    stored = int(app.extensions["store"].select(COUNT_QUADS)[0]["n"])
    assert reloaded == entry["quads"] == stored


def test_dumps_answer_conditional_requests_and_byte_ranges(client, manifest):
    entry = manifest["dumps"][0]
    url = f"/dumps/{entry['name']}"
    full = client.get(url)
    assert full.headers["ETag"] == f'"{entry["sha256"]}"'
    assert full.headers["Last-Modified"]
    assert full.headers["Accept-Ranges"] == "bytes"
    assert client.get(url, headers={"If-None-Match": full.headers["ETag"]}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": full.headers["Last-Modified"]}).status_code == 304
    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 10-19/{entry['byte_size']}"
    assert part.get_data() == full.get_data()[10:20]
    head = client.head(url)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == entry["byte_size"]
    assert head.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["/dumps/nothing.nq.gz", "/dumps/manifest.json", "/dumps/../store.json",
                                  "/dumps/%2e%2e%2fstore.json", "/dumps/sitemap-1.xml"])
def test_only_the_published_dumps_are_served(client, path):
    assert client.get(path).status_code == 404


def test_the_sitemap_lists_the_pages_and_they_answer_in_html(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.get_data())
    urls = [loc.text for loc in root.iter(f"{SITEMAP}loc")]
    assert "http://senate-kg.test/eli/dl/doc/WQ-5-8900" in urls
    assert "http://senate-kg.test/person/martine-taelman" in urls
    assert len(urls) == len(set(urls))
    dated = [u for u in root.iter(f"{SITEMAP}url") if u.find(f"{SITEMAP}lastmod") is not None]
    assert dated, "question pages carry their last change"
    for url in urls[:40]:
        page = client.get(urlsplit(url).path or "/", headers={"Accept": "text/html"})
        assert page.status_code == 200, url
        assert page.mimetype == "text/html"
