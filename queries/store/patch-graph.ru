#+ name: patch-graph
#+ title: Change one named graph to its new content by its difference, with its metadata, in one update
#+ description: Used by store/embedded.py for a graph that changed (a new answer, a corrected title): removing and
#+ description: adding only the triples that differ is ~6x faster than dropping and re-inserting the whole graph, and
#+ description: just as atomic (one update is one transaction). Not used when the graph has blank nodes (DELETE DATA
#+ description: cannot name them). Template: $graph and $meta_subject are checked IRIs in brackets, $removed, $added
#+ description: and $meta_triples N-Triples lines written by pyoxigraph.
DELETE DATA { GRAPH $graph {
$removed
} } ;
INSERT DATA { GRAPH $graph {
$added
} } ;
DELETE WHERE { GRAPH $meta { $meta_subject ?p ?o } } ;
INSERT DATA { GRAPH $meta {
$meta_triples
} }
