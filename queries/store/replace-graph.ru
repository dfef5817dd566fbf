#+ name: replace-graph
#+ title: Replace one named graph and its metadata in one update (one transaction)
#+ description: Used by store/embedded.py and store/remote.py (when no Graph Store Protocol endpoint is known).
#+ description: A template, not a named query: $graph and $meta_subject are checked IRIs in brackets, $triples and
#+ description: $meta_triples N-Triples lines re-serialised by the store after parsing, never a caller's raw text.
DROP SILENT GRAPH $graph ;
CREATE SILENT GRAPH $graph ;
INSERT DATA { GRAPH $graph {
$triples
} } ;
DELETE WHERE { GRAPH $meta { $meta_subject ?p ?o } } ;
INSERT DATA { GRAPH $meta {
$meta_triples
} }
