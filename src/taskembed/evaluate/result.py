"""The result of evaluating one task: flat scores with a primary metric (MTEB's 0-1 scale)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TaskResult:
    """Scores of one task and split; ``main_score`` names the primary metric."""

    task: str
    split: str
    main_score: str
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def main(self) -> float:
        """The primary metric's value."""
        return self.scores[self.main_score]
