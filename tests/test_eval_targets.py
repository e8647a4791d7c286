"""The answer figures, measured honestly in CI: cross-validated by question set.

For each question set (eval/data: dev, holdout…holdout7, set26) a query adapter and a quote ranker
are trained on all the other sets and answer the one left out (eval/train_ranker.py, ``policyqa
train --cv``). Each set is guarded at the level measured in session 9 (the lower of a float32 and
a bfloat16 index), one question below; the issue's targets
(eval.metrics.TARGETS) are not all met yet, and `policyqa eval --check-targets` says which.
The sealed sets are never run here.
"""
from __future__ import annotations

import json

import pytest

from eval.run import run_eval
from policyqa.config import PROJECT_ROOT

pytestmark = pytest.mark.slow

#: (first-quote precision, answer recall, refusal rate) floors per held-out set, and the caps every
#: set shares: false refusals, quotes per answer, non-verbatim quotes. Filled from the session-9 run;
#: session 11's second sentence cosine raised the mean first-quote precision (0.726 -> 0.753) and
#: moved set26's from 0.689 to 0.671 (two questions), so its floor was that run's, one question below;
#: session 12's cosine of the sentence alone against the adapted question vector raised the mean again
#: (0.753 -> 0.767); the sets it raised are guarded two questions below their new level (measured on a
#: bfloat16 index only; a float32 one has differed by a question a set). Session 14 added holdout6 and
#: holdout7 to the training sets (each guarded two questions below its cross-validated figures); with
#: nine sets dev's first-quote precision went 0.870 -> 0.851 and holdout4's answer recall 0.849 -> 0.818,
#: so those floors are two questions below the new figures. Session 18's figure words (几年, 几个月
#: under the yes/no mask) raised refusal on set26, holdout5, holdout6 and holdout7 by one question
#: each (0.769 -> 0.808, 0.818 -> 0.864, 0.800 -> 0.850, 0.650 -> 0.700); those refusal floors are two
#: questions below the new figures. Session 19's labour words in the query lexicon (retriever/data/
#: colloquial.tsv) raised the mean and holdout8 but cost holdout one question each of recall@5 and
#: first-quote precision (0.846 -> 0.821, 0.676 -> 0.636): its floors there are one question lower.
#: Session 25's figure-stating sentence of the best passage (policyqa.ranker.choose) cost holdout one
#: refusal (0.909 -> 0.818, float32): its refusal floor is one question below that.
FLOORS = {
    "dev": {"first_quote_precision": 0.83, "answer_recall": 0.861, "refusal_rate": 0.899, "recall@5": 0.972},
    "holdout": {"first_quote_precision": 0.60, "answer_recall": 0.564, "refusal_rate": 0.727, "recall@5": 0.79},
    "holdout2": {"first_quote_precision": 0.773, "answer_recall": 0.799, "refusal_rate": 0.866, "recall@5": 0.866},
    "holdout3": {"first_quote_precision": 0.794, "answer_recall": 0.852, "refusal_rate": 0.909, "recall@5": 0.97},
    "holdout4": {"first_quote_precision": 0.763, "answer_recall": 0.757, "refusal_rate": 0.749, "recall@5": 0.969},
    "set26": {"first_quote_precision": 0.658, "answer_recall": 0.679, "refusal_rate": 0.731, "recall@5": 0.935},
    "holdout5": {"first_quote_precision": 0.598, "answer_recall": 0.67, "refusal_rate": 0.773, "recall@5": 0.885},
    "holdout6": {"first_quote_precision": 0.719, "answer_recall": 0.733, "refusal_rate": 0.75, "recall@5": 0.916},
    "holdout7": {"first_quote_precision": 0.530, "answer_recall": 0.566, "refusal_rate": 0.60, "recall@5": 0.866},
}
#: The target is 1.5 quotes per answer on average; held out, set26 came to 1.64 (docs/journal.md), hence 1.75 here;
#: false refusals came to 0.21 at most (holdout: 8 of its 39 answerable questions), hence 0.25.
CAPS = {"false_refusal_rate": 0.25, "citations_per_answer": 1.75, "non_verbatim_quotes": 0}


@pytest.fixture(scope="module")
def cross_validated(qa, ranker_samples):
    from eval.train_ranker import cross_validate

    results = cross_validate(qa, samples=ranker_samples)
    print(json.dumps(results, ensure_ascii=False, indent=1))
    return results


@pytest.mark.parametrize("name", list(FLOORS))
def test_cross_validated_figures_hold(cross_validated, name):
    overall = cross_validated[name]
    floors = FLOORS[name]
    for metric, floor in floors.items():
        assert overall[metric] >= floor, f"{name} {metric} = {overall[metric]}, floor {floor}"
    for metric, cap in CAPS.items():
        assert overall[metric] <= cap, f"{name} {metric} = {overall[metric]}, cap {cap}"
    assert overall["max_quotes"] <= 3


def test_the_eval_command_scores_the_shipped_model(index_config, tmp_path):
    code = run_eval(index_config, PROJECT_ROOT / "eval" / "data" / "dev.jsonl", tmp_path, compare=False, check_targets=False)
    assert code == 0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    overall = report["systems"][report["default_system"]]["overall"]
    assert overall["non_verbatim_quotes"] == 0
    assert overall["recall@5"] >= 0.95
    assert overall["citations_per_answer"] <= 1.5 and overall["max_quotes"] <= 3


#: holdout8 (session 18) and holdout9 (session 19) are not training sets: the shipped ranker and
#: adapter never saw them, so the shipped model answers them as it would a new user's questions.
#: Floors two questions below what the shipped model scored on a float32 26-document index at the end
#: of session 19 (holdout8: first-quote precision 0.759, answer recall 0.750 of 60, refusal 0.800 of
#: 20, recall@5 0.967; holdout9: 0.770, 0.833, 0.750, 0.933); bf16 indexes have differed by a question.
UNSEEN_FLOORS = {
    "holdout8": {"first_quote_precision": 0.72, "answer_recall": 0.71, "refusal_rate": 0.70, "recall@5": 0.93},
    "holdout9": {"first_quote_precision": 0.73, "answer_recall": 0.80, "refusal_rate": 0.65, "recall@5": 0.90},
}


@pytest.mark.parametrize("name", list(UNSEEN_FLOORS))
def test_the_shipped_model_on_a_set_it_was_not_trained_on(index_config, tmp_path, name):
    from eval.train_ranker import TRAIN_SETS

    assert name not in TRAIN_SETS
    questions = PROJECT_ROOT / "eval" / "data" / f"{name}.jsonl"
    assert run_eval(index_config, questions, tmp_path, compare=False, check_targets=False) == 0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    overall = report["systems"][report["default_system"]]["overall"]
    for metric, floor in UNSEEN_FLOORS[name].items():
        assert overall[metric] >= floor, f"{name} {metric} = {overall[metric]}, floor {floor}"
    for metric, cap in CAPS.items():
        assert overall[metric] <= cap, f"{name} {metric} = {overall[metric]}, cap {cap}"
