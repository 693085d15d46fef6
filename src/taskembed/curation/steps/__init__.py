"""The curation filters, one module each; ``build_filter`` makes one from its step config."""

from __future__ import annotations

from taskembed.curation.config import (
    ConsistencyStep,
    DedupStep,
    LangidStep,
    MarginStep,
    OverlapStep,
    StepBase,
)
from taskembed.curation.steps.base import Filter


def build_filter(step: StepBase, fields: list[str], *, show_progress: bool = False) -> Filter:
    """The filter a step config describes, reading ``fields``; heavy parts are imported only when used."""
    if isinstance(step, DedupStep):
        from taskembed.curation.steps.dedup import Dedup

        return Dedup(step, fields)
    if isinstance(step, LangidStep):
        from taskembed.curation.steps.langid import Langid

        return Langid(step, fields)
    if isinstance(step, OverlapStep):
        from taskembed.curation.steps.overlap import Overlap

        return Overlap(step, fields)
    if isinstance(step, ConsistencyStep):
        from taskembed.curation.steps.consistency import Consistency

        return Consistency(step, fields, show_progress=show_progress)
    if isinstance(step, MarginStep):
        from taskembed.curation.steps.margin import Margin

        return Margin(step, fields)
    raise TypeError(f"no filter for {type(step).__name__}")
