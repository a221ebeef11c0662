"""Knowledge bases on the node side: import, chunking, ChromaDB, hybrid retrieval (dense e5
through the embedding service plus BM25), with no half-indexed document ever served."""
