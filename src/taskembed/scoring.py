"""Unit-length embeddings of texts under any loaded model, one side (task or prompt) at a time.

Used where a model scores pairs rather than serving them: hard-negative mining and the curation filters.
"""

from __future__ import annotations

import numpy as np

from taskembed.encode.embedder import Embedder
from taskembed.encode.postprocess import l2_normalize
from taskembed.options import EncodeOptions


def embed_unit_counted(
    embedder: Embedder, texts: list[str], task: str | None, prompt: str | None, *, show_progress: bool = True
) -> tuple[np.ndarray, int]:
    """Unit-length float32 rows for ``texts`` (``task`` or ``prompt``) and how many texts were cut.

    The count is of texts the model cut at its token limit (the library also warns about them).
    """
    options = EncodeOptions(task=task, prompt=prompt).validated(embedder.info)
    result = embedder.embed(texts, options, show_progress=show_progress)
    vectors = next(iter(result.embeddings.values()))
    return np.ascontiguousarray(l2_normalize(vectors), dtype=np.float32), len(result.truncated)


def embed_unit(
    embedder: Embedder, texts: list[str], task: str | None, prompt: str | None, *, show_progress: bool = True
) -> np.ndarray:
    """float32 rows of unit length for ``texts``, embedded with ``task`` or ``prompt``."""
    return embed_unit_counted(embedder, texts, task, prompt, show_progress=show_progress)[0]
