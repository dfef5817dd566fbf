"""Page text -> Question record (parse, merge) -> RDF graph of one question (rdf) -> SHACL (validate).

Nothing in this package knows about HTTP or the store.
"""
