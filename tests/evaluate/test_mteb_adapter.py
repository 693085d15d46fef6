"""The mteb adapter: mteb itself scores the bundled model on locally defined tasks fed from ../shared/data,
and its numbers equal our own evaluators' (and the published STSBenchmark score)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("mteb")

import mteb
from datasets import Dataset, DatasetDict
from mteb.abstasks.retrieval import AbsTaskRetrieval
from mteb.abstasks.sts import AbsTaskSTS
from mteb.abstasks.task_metadata import TaskMetadata
from mteb.types import PromptType
from tests.conftest import shared_data

import taskembed
from taskembed.errors import InputError
from taskembed.evaluate.data import RetrievalData, load_beir, load_stsbenchmark
from taskembed.evaluate.mteb_adapter import MtebEncoder, default_task_map, lookup
from taskembed.evaluate.retrieval import evaluate_retrieval
from taskembed.options import EncodeOptions

QUERY_PROMPT = "query: "


def metadata(name: str, task_type: str, main_score: str) -> TaskMetadata:
    return TaskMetadata(
        name=name,
        dataset={"path": f"local/{name}", "revision": "local"},
        description=f"{name}, read in place from ../shared/data.",
        reference=None,
        type=task_type,
        category="t2t",
        modalities=["text"],
        eval_splits=["test"],
        eval_langs=["eng-Latn"],
        main_score=main_score,
        date=None,
        domains=None,
        task_subtypes=None,
        license=None,
        annotations_creators=None,
        dialect=None,
        sample_creation=None,
        bibtex_citation=None,
    )


class LocalSTSBenchmark(AbsTaskSTS):
    min_score = 0
    max_score = 5
    metadata = metadata("LocalSTSBenchmark", "STS", "cosine_spearman")

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def load_data(self, num_proc: int | None = None, **kwargs: object) -> None:
        pairs = load_stsbenchmark(self.path)
        columns = {"sentence1": pairs.first, "sentence2": pairs.second, "score": pairs.gold}
        self.dataset = DatasetDict({"test": Dataset.from_dict(columns)})
        self.data_loaded = True


class LocalRetrieval(AbsTaskRetrieval):
    metadata = metadata("LocalSciFactSubset", "Retrieval", "ndcg_at_10")

    def __init__(self, data: RetrievalData) -> None:
        super().__init__()
        self.data = data

    def load_data(self, num_proc: int | None = None, **kwargs: object) -> None:
        ids, texts = list(self.data.corpus), list(self.data.corpus.values())
        corpus = Dataset.from_dict({"id": ids, "title": [""] * len(ids), "text": texts})
        queries = Dataset.from_dict({"id": list(self.data.queries), "text": list(self.data.queries.values())})
        split = {"corpus": corpus, "queries": queries, "relevant_docs": self.data.qrels, "top_ranked": None}
        self.dataset = {"default": {"test": split}}
        self.data_loaded = True


def scifact_subset(queries: int = 20, extra_documents: int = 100) -> RetrievalData:
    """The first test queries, their relevant documents and the first other documents of the corpus."""
    data = load_beir(shared_data("scifact"))
    kept_queries = list(data.queries)[:queries]
    relevant = {doc for q in kept_queries for doc in data.qrels[q]}
    documents = [d for d in data.corpus if d in relevant] + [d for d in data.corpus if d not in relevant]
    documents = documents[: len(relevant) + extra_documents]
    return RetrievalData(
        corpus={d: data.corpus[d] for d in documents},
        queries={q: data.queries[q] for q in kept_queries},
        qrels={q: data.qrels[q] for q in kept_queries},
    )


def scores_of(result: mteb.ModelResult) -> dict[str, float]:
    (task_result,) = result.task_results
    (scores,) = task_result.scores["test"]
    return scores


def test_mteb_scores_the_local_stsbenchmark_as_published(bundled):
    task = LocalSTSBenchmark(shared_data("stsbenchmark", "sts-test.csv"))
    scores = scores_of(mteb.evaluate(MtebEncoder(bundled), tasks=[task], cache=None, show_progress_bar=False))
    assert scores["main_score"] == pytest.approx(0.8203247, abs=1e-6)  # published MTEB score


def test_mteb_retrieval_routes_the_query_prompt_and_equals_our_evaluator(bundled):
    data = scifact_subset()
    encoder = MtebEncoder(bundled, prompts={"query": QUERY_PROMPT})
    result = mteb.evaluate(encoder, tasks=[LocalRetrieval(data)], cache=None, show_progress_bar=False)
    scores = scores_of(result)
    ours = evaluate_retrieval(bundled, data, query_options=EncodeOptions(prompt=QUERY_PROMPT)).scores
    plain = evaluate_retrieval(bundled, data).scores
    for metric in ("ndcg_at_10", "map_at_10", "recall_at_100"):
        assert scores[metric] == pytest.approx(ours[metric], abs=1e-5), metric
    assert ours["ndcg_at_10"] != pytest.approx(plain["ndcg_at_10"], abs=1e-6)  # the prompt mattered


def test_default_task_map_picks_the_model_tasks():
    v3 = ["retrieval.query", "retrieval.passage", "separation", "classification", "text-matching"]
    mapping = default_task_map(v3)
    assert mapping["query"] == "retrieval.query"
    assert mapping["document"] == "retrieval.passage"
    assert mapping["Clustering"] == "separation"
    assert mapping["STS"] == "text-matching"
    assert default_task_map([]) == {}
    assert default_task_map(["query", "document"]) == {"query": "query", "document": "document"}


def test_lookup_follows_mteb_precedence():
    mapping = {"SciFact-query": "a", "SciFact": "b", "Retrieval-query": "c", "Retrieval": "d", "query": "e"}
    assert lookup(mapping, "SciFact", "Retrieval", "query") == "a"
    assert lookup(mapping, "SciFact", "Retrieval", "document") == "b"
    assert lookup(mapping, "NFCorpus", "Retrieval", "query") == "c"
    assert lookup(mapping, "NFCorpus", "Retrieval", "document") == "d"
    assert lookup({"query": "e"}, "NFCorpus", "Retrieval", "query") == "e"
    assert lookup({"query": "e"}, "STSB", "STS", None) is None


def test_options_for_maps_prompt_types(make_st_checkpoint):
    folder = make_st_checkpoint(prompts={"query": "q: ", "document": "d: "})
    encoder = MtebEncoder(taskembed.load(str(folder)))
    task = LocalRetrieval.metadata
    assert encoder.options_for(task, PromptType.query).task == "query"
    assert encoder.options_for(task, PromptType.document).task == "document"
    assert encoder.options_for(LocalSTSBenchmark.metadata, None).task is None


def test_a_task_map_naming_a_missing_task_is_refused(bundled):
    with pytest.raises(InputError, match="does not have"):
        MtebEncoder(bundled, task_map={"query": "retrieval.query"})
