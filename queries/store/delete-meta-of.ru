#+ name: delete-meta-of
#+ title: Forget the metadata of one graph (a fragment of update-meta.ru, ends with its own ";")
DELETE WHERE { GRAPH $meta { $meta_subject ?p ?o } } ;
