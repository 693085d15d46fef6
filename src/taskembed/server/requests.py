"""Turning an EmbeddingRequest into texts and EncodeOptions, and results into the response body."""

from __future__ import annotations

from typing import Any

from taskembed.encode.chunkers import Piece
from taskembed.encode.embedder import EncodeResult
from taskembed.options import EncodeOptions
from taskembed.server.errors import ApiError
from taskembed.server.schemas import ChunkRequest, EmbeddingRequest, TextInput
from taskembed.types import EmbeddingType


def request_texts(body: EmbeddingRequest, max_inputs: int) -> list[str]:
    """The inputs as strings; token-id arrays and too many inputs are refused with the index or limit."""
    items = [body.input] if isinstance(body.input, str) else body.input
    if len(items) > max_inputs:
        raise ApiError(413, f"{len(items)} inputs in one request; this server accepts at most {max_inputs}")
    texts: list[str] = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, TextInput):
            texts.append(item.text)
        else:
            raise ApiError(
                422,
                f"input[{index}] is not text (token-id arrays are not accepted); send strings",
            )
    return texts


def request_options(body: EmbeddingRequest) -> EncodeOptions:
    """EncodeOptions from Jina's and OpenAI's fields (``embedding_type`` and ``encoding_format``)."""
    kind: Any = body.embedding_type
    if kind is not None and body.encoding_format is not None and kind != EmbeddingType(body.encoding_format):
        raise ApiError(422, "embedding_type and encoding_format disagree; send only one of them")
    if kind is None:
        kind = body.encoding_format or EmbeddingType.FLOAT
    return EncodeOptions.create(
        embedding_type=kind,
        task=body.task,
        dimensions=body.dimensions,
        normalized=body.normalized,
        truncate=body.truncate,
        late_chunking=body.late_chunking,
        window_overlap=body.window_overlap,
    )


def response_body(model: str, result: EncodeResult, many_types: bool) -> dict[str, Any]:
    """The Jina/OpenAI response: data in input order, usage, and which inputs were cut."""
    columns = {kind.value: array.tolist() for kind, array in result.embeddings.items()}  # one entry per input
    rows = len(result.token_counts)
    if many_types:
        embeddings: list[Any] = [{name: values[i] for name, values in columns.items()} for i in range(rows)]
    else:
        embeddings = next(iter(columns.values()))
    usage: dict[str, Any] = {"total_tokens": result.total_tokens, "prompt_tokens": result.total_tokens}
    if result.truncated:
        usage["truncated_inputs"] = list(result.truncated)
    return {
        "model": model,
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": e} for i, e in enumerate(embeddings)],
        "usage": usage,
    }


def chunk_options(body: ChunkRequest) -> EncodeOptions:
    """EncodeOptions of a chunk request."""
    return EncodeOptions.create(
        embedding_type=body.embedding_type or EmbeddingType.FLOAT,
        task=body.task,
        dimensions=body.dimensions,
        normalized=body.normalized,
        late_chunking=body.late_chunking,
        window_overlap=body.window_overlap,
    )


def chunks_body(model: str, document: str, chunks: list[Piece], embedded: dict[str, Any]) -> dict[str, Any]:
    """The chunk response: the embeddings response with each item's text and character offsets added."""
    data = [
        {
            "object": "chunk",
            "index": item["index"],
            "text": document[p.start : p.end],
            "start": p.start,
            "end": p.end,
        }
        | {"embedding": item["embedding"]}
        for p, item in zip(chunks, embedded["data"], strict=True)
    ]
    return {**embedded, "model": model, "data": data}
