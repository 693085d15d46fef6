"""Reading texts from files and writing embeddings to files, streaming."""
