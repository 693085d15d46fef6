"""Language identification with py3langid (its model ships in the wheel; nothing is downloaded).

Each configured field is classified among all of the identifier's languages; the row is kept when every
field's language is allowed for that field (by ``input_languages`` for rows of a named input, else by
``languages``). A prediction below ``min_confidence`` counts as ``und``
(undetermined), which no list allows. ``candidates`` restricts the identifier to the languages a corpus
can hold, which makes short texts far more reliable. The per-field language histogram goes into the
report.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from taskembed.curation.config import LangidStep
from taskembed.curation.records import Row, origin_input
from taskembed.curation.steps.base import KEEP, Judged, Verdict, field_text
from taskembed.errors import InputError
from taskembed.extras import require_extra

UNDETERMINED = "und"


def load_identifier() -> Any:
    """py3langid's identifier with probabilities normalized to [0, 1]."""
    require_extra("curation", ("py3langid",), "language identification")
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


class Langid:
    """The language filter (see the module docstring)."""

    def __init__(self, config: LangidStep, fields: list[str]) -> None:
        self.config, self.fields = config, fields
        self.identifier = load_identifier()
        known = set(self.identifier.labels)
        if config.candidates is not None:
            unknown = sorted(set(config.candidates) - known)
            if unknown:
                raise InputError(f"langid: unknown candidate language code(s) {unknown}")
            self.identifier.set_languages(config.candidates)
        self.allowed = (
            self._allowed(config.languages, fields, known) if config.languages is not None else None
        )
        self.by_input = {
            name: self._allowed(codes, fields, known) for name, codes in config.input_languages.items()
        }

    @staticmethod
    def _allowed(
        languages: list[str] | dict[str, list[str]], fields: list[str], known: set[str]
    ) -> dict[str, set[str]]:
        """The allowed codes per field, checked against the identifier's languages."""
        if isinstance(languages, dict):
            missing = [name for name in languages if name not in fields]
            if missing:
                raise InputError(
                    f"langid: `languages` names field {missing[0]!r}, not one of `fields` {fields}"
                )
            allowed = {name: set(languages.get(name, [])) for name in fields}
        else:
            allowed = {name: set(languages) for name in fields}
        unknown = sorted({code for codes in allowed.values() for code in codes} - known)
        if unknown:
            raise InputError(
                f"langid: unknown language code(s) {unknown}; use ISO 639-1 codes such as en, de, zh "
                f"(known: {', '.join(sorted(known))})"
            )
        empty = [name for name, codes in allowed.items() if not codes]
        if empty:
            raise InputError(f"langid: no language allowed for field {empty[0]!r}")
        return allowed

    def _allowed_for(self, origin: str) -> dict[str, set[str]]:
        source = origin_input(origin)
        if source in self.by_input:
            return self.by_input[source]
        if self.allowed is None:
            raise InputError(f"langid: input {source!r} ({origin}) has no entry in `input_languages`")
        return self.allowed

    def prepare(self, db: sqlite3.Connection, rows: Callable[[], Iterator[Row]], folder: Path) -> None:
        """Nothing to prepare."""

    def classify(self, text: str) -> tuple[str, float]:
        """(language, confidence); ``und`` below the configured confidence or for text without letters."""
        language, confidence = self.identifier.classify(text)
        if confidence < self.config.min_confidence or not any(c.isalpha() for c in text):
            return UNDETERMINED, float(confidence)
        return str(language), float(confidence)

    def judge(self, rows: list[Row], db: sqlite3.Connection, start: int) -> Judged:
        """Keep a row when each field's language is allowed; count languages per field."""
        verdicts = []
        stats: Counter[str] = Counter()
        for origin, record in rows:
            verdict, allowed_for = KEEP, self._allowed_for(origin)
            for name in self.fields:
                language, confidence = self.classify(field_text(record, name, origin))
                stats[f"language {name} {language}"] += 1
                if verdict is KEEP and language not in allowed_for[name]:
                    allowed = ", ".join(sorted(allowed_for[name]))
                    verdict = Verdict(
                        "language", f"{name!r} is {language} ({confidence:.2f}), not in [{allowed}]"
                    )
            verdicts.append(verdict)
        return Judged(verdicts, stats)
