#+ name: put-graph
#+ title: Replace one named graph in one update (one transaction), without metadata
#+ description: Used for the metadata graph itself (a push copies it verbatim) and by load paths without a
#+ description: Graph Store Protocol endpoint. Template: $graph is a checked IRI in brackets, $triples N-Triples lines.
DROP SILENT GRAPH $graph ;
CREATE SILENT GRAPH $graph ;
INSERT DATA { GRAPH $graph {
$triples
} }
