"""Steps that reduce embeddings and cluster them: UMAP, DBSCAN, TextClustering."""
