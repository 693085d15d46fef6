"""Embed a few sentences with the bundled model and rank them against a query."""

from __future__ import annotations

import sys

import taskembed

DOCUMENTS = [
    "The cat sits on the mat.",
    "Stock markets fell sharply after the announcement.",
    "A kitten is sleeping on a rug.",
    "The central bank raised interest rates again.",
    "Embeddings map text to vectors so that similar texts are close.",
]
QUERY = "Where is the cat sleeping?"


def main() -> None:
    """Print the documents ranked by cosine similarity to the query."""
    model = taskembed.load("default")
    documents = model.encode(DOCUMENTS)
    query = model.encode(QUERY)
    scores = documents @ query
    sys.stdout.write(f"query: {QUERY}\n")
    for index in scores.argsort()[::-1]:
        sys.stdout.write(f"  {scores[index]:.3f}  {DOCUMENTS[index]}\n")
    binary = model.encode(DOCUMENTS, embedding_type="ubinary", dimensions=128)
    sys.stdout.write(f"ubinary, 128 dimensions: {binary.shape[1]} bytes per document\n")


if __name__ == "__main__":
    main()
