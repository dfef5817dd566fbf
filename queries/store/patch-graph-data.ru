#+ name: patch-graph-data
#+ title: Change one named graph to its new content by its difference, in one update
#+ description: Used by store/embedded.py for a graph that changed (a new answer, a corrected title): removing and
#+ description: adding only the triples that differ is ~6x faster than dropping and re-inserting the whole graph, and
#+ description: just as atomic (one update is one transaction). Not used when the graph has blank nodes (DELETE DATA
#+ description: cannot name them). The embedded store keeps its bookkeeping beside the RDF (store/bookkeeping.py).
#+ description: Template: $graph is a checked IRI in brackets, $removed and $added N-Triples lines written by pyoxigraph.
DELETE DATA { GRAPH $graph {
$removed
} } ;
INSERT DATA { GRAPH $graph {
$added
} }
