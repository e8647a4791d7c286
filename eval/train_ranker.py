"""Fit the quote ranker (policyqa/ranker.py) from the committed question sets, and measure it honestly.

``policyqa train`` searches every question of :data:`TRAIN_SETS` once, labels each candidate
sentence (does it match a gold quote of its document?), fits the query adapter (retriever/query_adapter.py:
a ridge regression from each question's vector toward its gold sentences') and then a logistic
regression over the candidates (scikit-learn, deterministic), choosing the two bars of the answer
on out-of-fold scores of the same questions; the results are written to
``retriever/data/query_adapter.npz`` and ``policyqa/data/ranker.json``. The ranker learns from
*cross-fitted* adapted cosines: a question's come from an adapter fitted without its question set,
as they will for a question nobody has labelled. ``policyqa train --cv`` reports every figure
cross-validated by question set: for each set, an adapter and a ranker trained on all the others
answer it.

The sealed sets are never read here.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval import metrics
from policyqa.ranker import FEATURES, Bars, QuoteRanker, choose, featurise, readapted
from retriever.query_adapter import DEFAULT_ADAPTER, QueryAdapter, fit_adapter

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
#: The question sets a model is trained on (eval/data/<name>.jsonl); no sealed set (``sealed*``) is among them,
#: and neither is holdout8 or holdout9, kept unseen to measure the shipped model.
TRAIN_SETS = ("dev", "holdout", "holdout2", "holdout3", "holdout4", "set26", "holdout5", "holdout6", "holdout7")
#: Regularisation of the logistic regression (inverse strength); chosen once by cross-validation.
C = 1.0
#: A false refusal rate above this on the training questions rules a refusal bar out.
MAX_FALSE_REFUSALS = 0.04
#: At most this many quotes per answer on average (issue target); further quotes need a bar that keeps to it.
MAX_MEAN_QUOTES = 1.5
#: The mean the bar for further quotes aims at on the training questions, below the target for a margin.
QUOTE_BUDGET = 1.35
#: What quoting an unanswerable question costs, against +1 for a right answer (a wrong citation is worse than none).
WRONG_ANSWER_COST = 2.0


@dataclass
class Sample:
    """One question, searched once: its candidates, their features and labels."""

    set_name: str
    question: dict
    prepared: object  # policyqa.qa.Prepared
    matrix: np.ndarray
    labels: np.ndarray

    @property
    def answerable(self) -> bool:
        return bool(self.question["answerable"])

    @property
    def ruled_out(self) -> bool:
        return bool(self.prepared.rule_reason)


def label_candidates(prepared, gold: list[dict]) -> np.ndarray:
    """1 for a candidate whose text matches a gold quote of its own document, else 0."""
    hits = prepared.result.hits
    out = []
    for c in prepared.candidates:
        hit = hits[c.hit]
        same_doc = [g for g in gold if g["doc"] == hit.doc.title]
        out.append(int(bool(same_doc) and metrics.quote_matches_gold(hit.chunk.text[c.start:c.end], same_doc)))
    return np.asarray(out, dtype=np.int8)


def collect(qa, sets: tuple[str, ...] = TRAIN_SETS) -> list[Sample]:
    """Search every question of ``sets`` once (the ranker does not change the search). Two questions
    at a time, as the page serves them: one's Python work overlaps the other's encoding, which frees
    the GIL (about a sixth faster on two cores; each question's search is its own, so the same samples)."""
    samples = []
    with ThreadPoolExecutor(2) as pool:
        for name in sets:
            questions = metrics.load_jsonl(DATA / f"{name}.jsonl")
            for question, prepared in zip(questions, pool.map(qa.prepare, [q["question"] for q in questions])):
                samples.append(Sample(name, question, prepared, prepared.matrix, label_candidates(prepared, question.get("gold") or [])))
            log.info("%s: %d questions searched", name, sum(1 for s in samples if s.set_name == name))
    return samples


def fit_query_adapter(qa, samples: list[Sample], about: dict | None = None) -> QueryAdapter:
    """The query adapter fitted on the answerable ``samples``: each question's vector toward the
    mean vector of the sentences its gold candidates span."""
    retriever = qa.live.retriever
    questions, targets = [], []
    for s in samples:
        hits = s.prepared.result.hits
        gold = [retriever.span_vectors(hits[c.hit].row, c.start, c.end)
                for c, label in zip(s.prepared.candidates, s.labels) if label]
        gold = [v for v in gold if len(v)]
        if s.answerable and gold and s.prepared.result.query_vector is not None:
            questions.append(s.prepared.result.query_vector)
            targets.append(np.concatenate(gold).mean(axis=0))
    if not questions:
        raise ValueError("没有可用于拟合问题向量校正的已标注问题（需要句子索引）")
    return fit_adapter(np.stack(questions), np.stack(targets), qa.config.model, about=about)


def readapt(qa, sample: Sample, adapter: QueryAdapter) -> Sample:
    """``sample`` with its candidates' adapted cosines (and so its features) from ``adapter``; the
    search, candidates and labels stay as they are (the adapter changes no ranking)."""
    prepared = sample.prepared
    result = dataclasses.replace(prepared.result, hits=[dataclasses.replace(h) for h in prepared.result.hits])
    qa.live.retriever.adapt_hits(result, adapter)
    candidates, matrix = readapted(result, prepared.candidates, prepared.matrix, max_hits=qa.config.rank_hits)
    prepared = dataclasses.replace(prepared, result=result, candidates=candidates, matrix=matrix)
    return dataclasses.replace(sample, prepared=prepared, matrix=matrix)


def cross_fitted(qa, samples: list[Sample]) -> list[Sample]:
    """Each sample re-read with an adapter fitted without its question set: the adapted cosines a
    ranker should learn from (an adapter's cosines for the questions it was fitted on flatter it)."""
    sets = list(dict.fromkeys(s.set_name for s in samples))
    if len(sets) < 2:
        return samples
    adapters = {name: fit_query_adapter(qa, [s for s in samples if s.set_name != name]) for name in sets}
    return [readapt(qa, s, adapters[s.set_name]) for s in samples]


def _regression(samples: list[Sample], about: dict | None = None) -> QuoteRanker:
    """The logistic regression over the candidates of ``samples``, without bars yet."""
    from sklearn.linear_model import LogisticRegression

    X = np.concatenate([s.matrix for s in samples if len(s.matrix)])
    y = np.concatenate([s.labels for s in samples if len(s.matrix)])
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=5000, solver="newton-cg")
    model.fit((X - mean) / scale, y)
    return QuoteRanker(list(FEATURES), mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0]),
                       refuse_below=0.0, extra_from=1.0, about=about or {})


def out_of_fold_probabilities(samples: list[Sample]) -> list[np.ndarray]:
    """Each sample's candidate probabilities by a regression fitted without its question set: what
    the model's scores look like on questions it has not seen (in-sample scores are too confident)."""
    sets = list(dict.fromkeys(s.set_name for s in samples))
    if len(sets) < 2:
        model = _regression(samples)
        return [model.probabilities(s.matrix) for s in samples]
    by_set = {name: _regression([s for s in samples if s.set_name != name]) for name in sets}
    return [by_set[s.set_name].probabilities(s.matrix) for s in samples]


def fit(samples: list[Sample], about: dict | None = None) -> QuoteRanker:
    """Logistic regression over the candidates of ``samples`` (those a rule refuses included: they
    are good negatives); its bars are chosen on out-of-fold scores of the same questions, so they
    hold on unseen ones (bars chosen on in-sample scores moved by up to 0.05 with the training data)."""
    ranker = _regression(samples, about)
    ranker.refuse_below, ranker.extra_from = choose_bars(samples, out_of_fold_probabilities(samples), ranker.max_quotes)
    return ranker


def _utility_of_refusal_bar(best: list[tuple[float, bool, bool]], bar: float) -> tuple[float, float]:
    """(utility, false-refusal rate) of refusing below ``bar``. ``best``: per question, the best
    candidate's probability, whether the question is answerable and whether that candidate is right.
    A right answer +1, a wrong quote −1, a quote for an unanswerable question −:data:`WRONG_ANSWER_COST`
    (a wrong citation is worse than none), a refusal of an unanswerable question +1, of an answerable one 0."""
    utility, false_refusals, answerable = 0.0, 0, 0
    for p, is_answerable, right in best:
        answered = p >= bar
        if is_answerable:
            answerable += 1
            false_refusals += not answered
            utility += (1.0 if right else -1.0) if answered else 0.0
        else:
            utility += -WRONG_ANSWER_COST if answered else 1.0
    return utility, false_refusals / max(answerable, 1)


def choose_bars(samples: list[Sample], probabilities: list[np.ndarray], max_quotes: int = 3) -> tuple[float, float]:
    """The refusal bar (best utility with at most :data:`MAX_FALSE_REFUSALS` false refusals on the
    training questions) and the bar for further quotes: the lowest that keeps the mean number of
    quotes per answer within :data:`QUOTE_BUDGET` (below :data:`MAX_MEAN_QUOTES`, for a margin on
    unseen questions). Further quotes are what lets a reader see the answer when the first quote
    is not it. ``probabilities``: per sample, its candidates' scores."""
    pairs = [(s, p) for s, p in zip(samples, probabilities) if not s.ruled_out and len(s.matrix)]
    usable, probs = [s for s, _ in pairs], [p for _, p in pairs]
    best = []
    for s, p in zip(usable, probs):
        i = int(np.argmax(p))
        best.append((float(p[i]), s.answerable, bool(s.labels[i])))
    grid = sorted({round(float(b[0]), 4) for b in best} | {0.0})
    scored = [(bar, *_utility_of_refusal_bar(best, bar)) for bar in grid]
    allowed = [t for t in scored if t[2] <= MAX_FALSE_REFUSALS] or scored[:1]
    refuse_below = max(allowed, key=lambda t: (t[1], -t[0]))[0]
    # Each answered question's further quotes when their bar is wide open, best first: a bar for them
    # keeps those that clear it (choose stops at the first that does not), so one choose per question
    # serves every bar tried below.
    wide_open = Bars(refuse_below, 0.0, max_quotes=max(len(p) for p in probs) if probs else max_quotes)
    further = []
    for s, p in zip(usable, probs):
        chosen = choose(s.prepared.candidates, p, s.prepared.result.hits, wide_open)
        if chosen:
            further.append(p[chosen[1:]])
    extra_from = 1.0
    for extra in [x / 100 for x in range(99, 0, -1)]:
        if extra < refuse_below:
            break
        counts = [1 + min(max_quotes - 1, int((f >= extra).sum())) for f in further]
        if counts and sum(counts) / len(counts) > QUOTE_BUDGET:
            break
        extra_from = extra
    return refuse_below, extra_from


def data_digest(samples: list[Sample]) -> str:
    """A digest of the training matrix and labels: equal digests mean the same fit. An index built
    on another CPU (bf16 or another float32 kernel) moves cosines in the fifth decimal, and so the
    fit a little; ``tests/test_ranker.py`` then compares behaviour instead of coefficients."""
    h = hashlib.sha256()
    for s in samples:
        h.update(np.round(s.matrix.astype(np.float64), 5).tobytes())
        h.update(s.labels.tobytes())
    return h.hexdigest()[:16]


def _sets_about(sets: tuple[str, ...]) -> dict:
    return {name: hashlib.sha256((DATA / f"{name}.jsonl").read_bytes()).hexdigest()[:16] for name in sets}


def adapter_path(out: Path | None) -> Path:
    """Where ``policyqa train`` writes the query adapter: beside the ranker ``out`` names
    (``<out>.adapter.npz``), else the shipped file."""
    return Path(f"{out}.adapter.npz") if out else DEFAULT_ADAPTER


def train(qa, out: Path | None = None, sets: tuple[str, ...] = TRAIN_SETS, samples: list[Sample] | None = None) -> QuoteRanker:
    """Fit the query adapter and the ranker on every question of ``sets`` and save both
    (``policyqa train``): by default to the shipped files, else to ``out`` and :func:`adapter_path`."""
    samples = samples if samples is not None else collect(qa, sets)
    adapter = fit_query_adapter(qa, samples, {"sets": _sets_about(sets)})
    saved = adapter.save(adapter_path(out))
    log.info("问题向量校正已保存：%s（%d 个问题）", saved, adapter.about["questions"])
    samples = cross_fitted(qa, samples)
    about = {"sets": _sets_about(sets), "questions": len(samples),
             "candidates": int(sum(len(s.matrix) for s in samples)), "positives": int(sum(int(s.labels.sum()) for s in samples)), "C": C,
             "data": data_digest(samples)}
    ranker = fit(samples, about)
    path = ranker.save(out) if out else ranker.save()
    log.info("排序模型已保存：%s（%d 个问题，%d 个候选句）", path, about["questions"], about["candidates"])
    return ranker


def predictions_for(qa, samples: list[Sample], ranker: QuoteRanker) -> list[dict]:
    """``policyqa ask --json`` of each sample's question, answered with ``ranker``."""
    return [dict(qa.answer_prepared(s.prepared, ranker).to_dict(), id=s.question["id"]) for s in samples]


def cross_validate(qa, sets: tuple[str, ...] = TRAIN_SETS, samples: list[Sample] | None = None) -> dict[str, dict]:
    """Leave one set out: for each set, the metrics of an adapter and a ranker trained on all the
    others (the ranker on adapted cosines cross-fitted within those others)."""
    samples = samples if samples is not None else collect(qa, sets)
    out = {}
    for held_out in sets:
        rest = [s for s in samples if s.set_name != held_out]
        ranker = fit(cross_fitted(qa, rest))
        adapter = fit_query_adapter(qa, rest)
        test = [readapt(qa, s, adapter) for s in samples if s.set_name == held_out]
        scores = metrics.score_run([s.question for s in test], predictions_for(qa, test, ranker))
        out[held_out] = scores["overall"]
        log.info("%s (held out): %s", held_out, json.dumps({k: out[held_out].get(k) for k in REPORTED}))
    return out


#: The figures ``--cv`` prints, in this order.
REPORTED = ("recall@5", "first_quote_precision", "answer_recall", "first_quote_focus", "citation_precision", "citations_per_answer",
            "refusal_rate", "false_refusal_rate", "non_verbatim_quotes")


def format_table(results: dict[str, dict]) -> str:
    head = "| set | " + " | ".join(REPORTED) + " |"
    rows = [head, "|" + "---|" * (len(REPORTED) + 1)]
    for name, m in results.items():
        rows.append(f"| {name} | " + " | ".join("" if m.get(k) is None else f"{m[k]:.3f}" if isinstance(m[k], float) else str(m[k]) for k in REPORTED) + " |")
    return "\n".join(rows)
