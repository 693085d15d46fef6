"""The scoring model of the consistency and margin filters: any loadable model, a task or prompt per side."""

from __future__ import annotations

import numpy as np

from taskembed.curation.config import ModelOptions
from taskembed.scoring import embed_unit


class ScoringModel:
    """Loads ``options.model`` once; embeds queries and documents to unit vectors."""

    def __init__(self, options: ModelOptions) -> None:
        import taskembed

        self.options = options
        self.embedder = taskembed.load(options.model)

    def queries(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of query-side texts."""
        return self._embed(texts, self.options.query_task, self.options.query_prompt, False)

    def documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        """Unit vectors of document-side texts (a progress bar for long jobs such as a sample)."""
        return self._embed(texts, self.options.document_task, self.options.document_prompt, show_progress)

    def _embed(
        self, texts: list[str], task: str | None, prompt: str | None, show_progress: bool
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.embedder.info.dimension), dtype=np.float32)
        return embed_unit(self.embedder, texts, task, prompt, show_progress=show_progress)
