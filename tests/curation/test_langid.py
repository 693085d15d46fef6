"""Language id: exact rows kept per allowed languages, the histogram, per-field lists, bad codes."""

from __future__ import annotations

import pytest

from taskembed.errors import InputError

ROWS = [
    {
        "query": "The weather is lovely today and we are going to the beach.",
        "positive": "It is sunny outside.",
    },
    {
        "query": "Das Wetter ist heute schön und wir gehen an den Strand.",
        "positive": "Es ist sonnig draußen.",
    },
    {"query": "Il fait beau aujourd'hui et nous allons à la plage.", "positive": "Il fait soleil dehors."},
    {"query": "今天天气很好\uff0c我们要去海滩。", "positive": "外面阳光明媚。"},
    {
        "query": "The weather is lovely today and we are going to the beach.",
        "positive": "Es ist sonnig draußen.",
    },
    {"query": "12345 67890", "positive": "It is sunny outside."},
]


def test_keeps_rows_whose_fields_are_all_allowed(curate):
    kept, report = curate(ROWS, [{"kind": "langid", "languages": ["en", "de"]}])
    assert kept == [ROWS[i] for i in (0, 1, 4)]
    step = report["steps"][0]
    assert step["dropped"] == {"language": 3}
    assert step["stats"] == {
        "language positive de": 2,
        "language positive en": 2,
        "language positive fr": 1,
        "language positive zh": 1,
        "language query de": 1,
        "language query en": 2,
        "language query fr": 1,
        "language query und": 1,
        "language query zh": 1,
    }
    assert step["samples"]["language"][0]["detail"].startswith("'query' is fr (")


def test_languages_per_field(curate):
    kept, _ = curate(ROWS, [{"kind": "langid", "languages": {"query": ["en"], "positive": ["de", "en"]}}])
    assert kept == [ROWS[i] for i in (0, 4)]


def test_min_confidence_makes_unsure_predictions_undetermined(curate):
    kept, report = curate(ROWS[:2], [{"kind": "langid", "languages": ["en", "de"], "min_confidence": 1.0}])
    assert kept == []
    assert report["steps"][0]["stats"]["language query und"] == 2


@pytest.mark.parametrize(
    ("languages", "message"),
    [(["english"], "unknown language code"), ({"title": ["en"]}, "names field 'title'")],
)
def test_bad_language_settings_are_clear_errors(curate, languages, message):
    with pytest.raises(InputError, match=message):
        curate(ROWS, [{"kind": "langid", "languages": languages}])


def test_languages_per_input(tmp_path):
    from tests.curation.conftest import read_jsonl, write_jsonl

    from taskembed.curation.config import parse_pipeline
    from taskembed.curation.pipeline import run_pipeline

    write_jsonl(tmp_path / "en.jsonl", ROWS[:2])
    write_jsonl(tmp_path / "de.jsonl", ROWS[:2])
    raw = {
        "input": [{"path": str(tmp_path / "en.jsonl")}, {"path": str(tmp_path / "de.jsonl")}],
        "output": str(tmp_path / "out.jsonl"),
        "step": [{"kind": "langid", "input_languages": {"en": ["en"], "de": ["de"]}}],
    }
    run_pipeline(parse_pipeline(raw), progress=False)
    assert read_jsonl(tmp_path / "out.jsonl") == [ROWS[0], ROWS[1]]
    raw["step"] = [{"kind": "langid", "input_languages": {"en": ["en"]}}]
    with pytest.raises(InputError, match="input 'de' .* has no entry in `input_languages`"):
        run_pipeline(parse_pipeline(raw), progress=False, overwrite=True)


def test_candidates_restrict_the_identifier_for_short_texts(curate):
    rows = [{"query": "A woman is drinking vodka.", "positive": "A woman is having a drink."}]
    kept, report = curate(rows, [{"kind": "langid", "languages": ["en"]}])
    assert kept == [] and report["steps"][0]["stats"]["language query af"] == 1  # Afrikaans, unrestricted
    kept, _ = curate(rows, [{"kind": "langid", "languages": ["en"], "candidates": ["en", "de", "nl"]}])
    assert kept == rows
    with pytest.raises(InputError, match="unknown candidate language"):
        curate(rows, [{"kind": "langid", "languages": ["en"], "candidates": ["english"]}])


def test_report_shows_the_language_histogram_as_a_table(curate, tmp_path):
    curate(ROWS, [{"kind": "langid", "languages": ["en", "de"]}])
    markdown = (tmp_path / "out.report.md").read_text()
    assert "| language | query | positive |" in markdown
    assert "| en | 2 | 2 |" in markdown
