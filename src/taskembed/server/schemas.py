"""Request and response shapes: Jina's and OpenAI's embedding APIs in one request model."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from taskembed.types import EmbeddingType


class TextInput(BaseModel):
    """Jina's object form of an input."""

    model_config = ConfigDict(extra="forbid")
    text: str


class EmbeddingRequest(BaseModel):
    """POST /v1/embeddings. Jina fields and OpenAI fields may be mixed; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(None, description="served model name or alias; default: the first one")
    input: str | list[str | TextInput | int | list[int]] = Field(
        ..., description="a string, a list of strings, or Jina's objects {'text': ...}"
    )
    task: str | None = Field(None, description="one of the model's tasks (see GET /v1/models)")
    dimensions: int | None = Field(None, description="Matryoshka truncation, before normalization")
    normalized: bool = Field(True, description="L2-normalize after truncation")
    embedding_type: EmbeddingType | list[EmbeddingType] | None = Field(
        None, description="output type, or a list of them (then each embedding is an object keyed by type)"
    )
    encoding_format: Literal["float", "base64"] | None = Field(None, description="OpenAI's name for the type")
    truncate: bool = Field(False, description="cut over-long inputs at the model limit instead of a 422")
    late_chunking: bool = Field(
        False,
        description="the inputs are consecutive chunks of one document: each is embedded in its context",
    )
    window_overlap: int | None = Field(
        None,
        description="late chunking beyond the model window: tokens of left context per window (default L/8)",
    )
    user: str | None = Field(None, description="OpenAI's end-user id; accepted for compatibility, not used")


class ChunkRequest(BaseModel):
    """POST /v1/chunks: one document, split by a chunker or explicit character spans, embedded per chunk."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(None, description="served model name or alias; default: the first one")
    input: str = Field(..., description="the document")
    chunker: str | None = Field(None, description="sentences:N or tokens:N (or give spans)")
    spans: list[list[int]] | None = Field(None, description="explicit [start, end) character offsets")
    task: str | None = Field(None, description="one of the model's tasks (see GET /v1/models)")
    dimensions: int | None = Field(None, description="Matryoshka truncation, before normalization")
    normalized: bool = Field(True, description="L2-normalize after truncation")
    embedding_type: EmbeddingType | list[EmbeddingType] | None = Field(None, description="output type(s)")
    late_chunking: bool = Field(
        True, description="embed chunks in the document's context (false: each alone)"
    )
    window_overlap: int | None = Field(None, description="tokens of left context per macro window")


class ChunkItem(BaseModel):
    """One chunk: its text, character offsets [start, end) into the document, and its embedding."""

    object: Literal["chunk"] = "chunk"
    index: int
    text: str
    start: int
    end: int
    embedding: list[float] | list[int] | str | dict[str, Any]


class ChunkResponse(BaseModel):
    """The answer to POST /v1/chunks."""

    model: str
    object: Literal["list"] = "list"
    data: list[ChunkItem]
    usage: dict[str, int]


class EmbeddingItem(BaseModel):
    """One input's embedding."""

    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | list[int] | str | dict[str, Any]


class Usage(BaseModel):
    """Tokens the model processed; ``truncated_inputs`` lists inputs cut at the limit."""

    total_tokens: int
    prompt_tokens: int
    truncated_inputs: list[int] | None = None


class EmbeddingResponse(BaseModel):
    """The answer to POST /v1/embeddings."""

    model: str
    object: Literal["list"] = "list"
    data: list[EmbeddingItem]
    usage: Usage


class ModelCard(BaseModel):
    """One served model, in OpenAI's list shape plus what taskembed knows of it."""

    id: str
    object: Literal["model"] = "model"
    owned_by: str = "taskembed"
    aliases: list[str]
    default: bool
    family: str
    dimension: int
    max_tokens: int
    tasks: list[str]
    matryoshka_dimensions: list[int]
    embedding_types: list[str]


class ModelList(BaseModel):
    """GET /v1/models."""

    object: Literal["list"] = "list"
    data: list[ModelCard]


class ErrorBody(BaseModel):
    """Every error: a stable code, a sentence saying what to do, and the request id."""

    code: str
    detail: str
    request_id: str
