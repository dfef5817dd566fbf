"""The harvester: fetches senate.be question pages politely into a WARC archive with a SQLite state beside it.

Upstream of `mapping/` in the flow (DESIGN.md): it stores bytes and headers and knows no RDF; it imports neither
rdflib nor `mapping`. The build reads what it archived (`harvest.archive.latest_pages`).
"""
