"""The scoring model of the consistency and margin filters: any loadable model, a task or prompt per side.

It counts the texts it had to cut at the model's token limit, so reports can say how many.
"""

from __future__ import annotations

import numpy as np

from taskembed.curation.config import ModelOptions
from taskembed.scoring import embed_unit_counted


class ScoringModel:
    """Loads ``options.model`` once; embeds queries and documents to unit vectors."""

    def __init__(self, options: ModelOptions) -> None:
        import taskembed

        self.options = options
        self.embedder = taskembed.load(options.model)
        self.cut = 0  # texts cut at the model's token limit since the last take_cut()

    @property
    def cut_stat(self) -> str:
        """The report's name for the cut count."""
        return f"texts cut at {self.embedder.info.max_tokens} tokens"

    def take_cut(self) -> int:
        """Texts cut since the last call (the library also warns about each cut on stderr)."""
        cut, self.cut = self.cut, 0
        return cut

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
        vectors, cut = embed_unit_counted(self.embedder, texts, task, prompt, show_progress=show_progress)
        self.cut += cut
        return vectors
