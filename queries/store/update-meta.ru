#+ name: update-meta
#+ title: Set the metadata of some graphs (remote store: the data went by Graph Store Protocol PUT)
#+ description: Template: $deletes is one DELETE WHERE per graph (from delete-meta-of.ru), $meta_triples N-Triples lines.
$deletes
INSERT DATA { GRAPH $meta {
$meta_triples
} }
