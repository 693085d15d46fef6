"""Generated pair data with known duplicates, for resume, memory and speed checks."""

from __future__ import annotations

import json
import random
from pathlib import Path

VOCABULARY = """
time year people way day man thing woman life child world school state family student group country
problem hand part place case week company system program question work government number night point
home water room mother area money story fact month lot right study book eye job word business issue
side kind head house service friend father power hour game line end member law car city community name
"""
WORDS = VOCABULARY.split()


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def write_pairs(path: Path, rows: int, *, seed: int = 0, words: int = 12) -> Path:
    """``rows`` (query, positive) lines; about 10 % exact repeats (case changed) and 5 % near repeats."""
    rng = random.Random(seed)
    recent: list[tuple[str, str]] = []
    with path.open("w", encoding="utf-8") as handle:
        for _ in range(rows):
            roll = rng.random()
            if recent and roll < 0.10:
                query, positive = rng.choice(recent)
                query = query.upper()
            elif recent and roll < 0.15:
                query, positive = rng.choice(recent)
                positive = positive[:-1] + " " + rng.choice(WORDS) + "."
            else:
                query, positive = sentence(rng, words), sentence(rng, 2 * words)
                recent = [*recent, (query, positive)][-1000:]
            handle.write(json.dumps({"query": query, "positive": positive}) + "\n")
    return path
