"""Scoring of PolicyQA runs: pure functions over plain JSON predictions.

Everything here works on dicts as written to ``predictions.jsonl`` (the same fields as
``policyqa ask --json`` plus ``id``), so a run can be re-scored without the pipeline:

    from eval.metrics import score_run, load_jsonl
    score_run(load_jsonl("eval/data/dev.jsonl"), load_jsonl("eval/out/predictions.jsonl"))

Definitions (the README of the eval suite repeats them):

* **support** — a passage supports a gold quote when, after NFKC normalisation and removal of all
  whitespace, their longest common substring covers at least 60 % of the quote. Quotes can
  straddle chunk borders, so a chunk holding most of the quote counts. When both the passage and
  the gold entry name a document, they must name the same one (a generic phrase repeated in
  another document is not support).
* **relevant passage** — supports any of the question's gold quotes. The gold quotes of one
  question are alternative statements of the same point, so retrieval "recall@k" is the share of
  answerable questions with at least one relevant passage in the top k (success@k).
* **citation precision** — supporting citations / all citations given on answered questions.
  Citations on unanswerable questions never support anything, so they count against precision.
* **citation recall** — answerable questions with at least one supporting citation / all
  answerable questions (a refusal gives no citation, so it is a miss).
* **first-quote precision** — answered questions whose first quote matches a gold quote of the same
  document (either covers ≥ 60 % of the other) / all answered questions (an answered unanswerable
  question counts against it). The quote is what a reader sees first.
* **answer recall** — answerable questions where some shown quote matches a gold quote of the same
  document / all answerable questions (a refusal is a miss).
* **quotes per answer** — citations / answered questions.
* **first-quote focus** — of a right first quote, the share that is the gold sentence (a longer
  quote matches more easily; this says what the match cost the reader).
* **where the first quote goes wrong** (``miss_<kind>``) — answerable questions whose first quote is
  not gold, counted by :data:`MISS_KINDS`: refused; gold quoted, but not first; another sentence of
  a passage that holds the gold; another passage of the gold's document; another document.
* **non-verbatim quote** — a citation whose ``quote`` is empty or not a substring of its ``text``.
* **refusal rate** — refused / unanswerable; **false-refusal rate** — refused / answerable.
"""
from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

#: Share of a gold quote that a passage must contain (as one contiguous piece) to support it.
SUPPORT_THRESHOLD = 0.6
RECALL_KS = (1, 3, 5, 10)
#: Default-system targets (the answers issue): (metric, comparison, value). ``--check-targets`` exits 1
#: when one is missed.
TARGETS = (
    ("recall@5", ">=", 0.95),
    ("first_quote_precision", ">=", 0.90),
    ("answer_recall", ">=", 0.95),
    ("citations_per_answer", "<=", 1.5),
    ("max_quotes", "<=", 3),
    ("refusal_rate", ">=", 0.90),
    ("false_refusal_rate", "<=", 0.05),
    ("non_verbatim_quotes", "<=", 0),
)


# -- text support ------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """NFKC, then every whitespace character removed (page breaks, U+3000, newlines)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def has_common_substring(text: str, other: str, length: int) -> bool:
    """Whether ``text`` and ``other`` share a substring of ``length`` characters.

    Slides a window over ``other`` and tests each with ``in`` (C speed): for inputs of ~1,000
    characters this is microseconds, far cheaper than a Python DP table.
    """
    if length <= 0:
        return True
    if length > min(len(text), len(other)):
        return False
    return any(other[i : i + length] in text for i in range(len(other) - length + 1))


def longest_common_substring(a: str, b: str) -> int:
    """Length of the longest common substring of ``a`` and ``b``.

    Binary search on the length: a common substring of length L implies one of every shorter
    length, so :func:`has_common_substring` is monotone in L.
    """
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if has_common_substring(a, b, mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def coverage(passage: str, quote: str) -> float:
    """Share of the (normalised) quote covered by its longest common substring with the passage."""
    q = normalise(quote)
    if not q:
        return 0.0
    return longest_common_substring(normalise(passage), q) / len(q)


@lru_cache(maxsize=262144)
def supports(passage: str, quote: str, threshold: float = SUPPORT_THRESHOLD) -> bool:
    """Whether ``passage`` contains at least ``threshold`` of ``quote`` as one contiguous piece.

    Both are NFKC-normalised and stripped of all whitespace first. An empty quote is supported
    by nothing.
    """
    q = normalise(quote)
    if not q:
        return False
    # The smallest whole number of characters that reaches the threshold (1e-9: float noise).
    need = max(1, math.ceil(threshold * len(q) - 1e-9))
    return has_common_substring(normalise(passage), q, need)


def gold_of_document(item: dict, gold: Sequence[dict]) -> list[dict]:
    """The gold entries of the document ``item`` (a passage or citation, ``{"doc", …}``) is from;
    all of them when either side names no document."""
    return [g for g in gold if not item.get("doc") or not g.get("doc") or g["doc"] == item["doc"]]


def passage_supports_gold(passage: dict, gold: Sequence[dict], threshold: float = SUPPORT_THRESHOLD) -> bool:
    """Whether a retrieved/cited passage (``{"doc", "text"}``) supports any gold entry."""
    return any(supports(passage.get("text", ""), g["quote"], threshold) for g in gold_of_document(passage, gold))


def quote_matches_gold(quote: str, gold: Sequence[dict], threshold: float = SUPPORT_THRESHOLD) -> bool:
    """Whether an answer's quote substantially overlaps a gold quote, in either direction.

    Diagnostic only (no target): it tells whether the answer quoted the right sentence of a
    supporting passage, not merely cited the right passage.
    """
    return any(supports(quote, g["quote"], threshold) or supports(g["quote"], quote, threshold) for g in gold)


def citation_quotes_gold(citation: dict, gold: Sequence[dict], threshold: float = SUPPORT_THRESHOLD) -> bool:
    """Whether a citation's quote matches a gold quote of the document it cites (see
    :func:`quote_matches_gold`; the same sentence in another document is not the answer)."""
    return quote_matches_gold(citation.get("quote", ""), gold_of_document(citation, gold), threshold)


def quote_focus(citation: dict, gold: Sequence[dict]) -> float:
    """Share of a citation's (normalised) quote covered by its longest common substring with a gold
    quote of the document it cites (the best one): 1.0 when the quote is all gold."""
    quote = normalise(citation.get("quote", ""))
    same_doc = gold_of_document(citation, gold)
    if not quote or not same_doc:
        return 0.0
    return max(longest_common_substring(quote, normalise(g["quote"])) for g in same_doc) / len(quote)


#: Where an answerable question's first quote goes wrong (:func:`first_quote_miss`) → how a report
#: names it, in the order they are told apart.
MISS_KINDS = {
    "refused": "refused",
    "later_quote": "gold quoted, but not first",
    "same_passage": "another sentence of a gold passage",
    "same_document": "another passage of the gold's document",
    "other_document": "another document",
}


def first_quote_miss(quotes_gold: Sequence[bool], passages_support: Sequence[bool], first_in_gold_document: bool) -> str:
    """One of :data:`MISS_KINDS` for an answerable question whose first quote is not gold, else "".
    Per citation, in order (none when refused): whether its quote matches a gold quote of its
    document, and whether its passage supports one; and whether the first cites a gold document.
    What a reader sees first tells which part of the pipeline to look at: search, the passage
    chosen, or the sentence."""
    if not quotes_gold:
        return "refused"
    if quotes_gold[0]:
        return ""
    if any(quotes_gold[1:]):
        return "later_quote"
    if passages_support[0]:
        return "same_passage"
    return "same_document" if first_in_gold_document else "other_document"


def is_verbatim(citation: dict) -> bool:
    """A citation's quote is non-empty and a substring of the passage text it cites."""
    quote = citation.get("quote") or ""
    return bool(quote) and quote in (citation.get("text") or "")


# -- retrieval -----------------------------------------------------------------------------


def recall_at_k(ranked_supports: Sequence[bool], k: int) -> float:
    """1.0 when any of the first ``k`` passages is relevant, else 0.0 (success@k).

    Averaged over answerable questions this is the share whose answer is in the top k.
    """
    return 1.0 if any(ranked_supports[:k]) else 0.0


def first_relevant_rank(ranked_supports: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant passage, or None."""
    for rank, relevant in enumerate(ranked_supports, start=1):
        if relevant:
            return rank
    return None


def reciprocal_rank(ranked_supports: Sequence[bool], k: int = 10) -> float:
    """1 / rank of the first relevant passage within the top ``k``; 0.0 when there is none."""
    rank = first_relevant_rank(ranked_supports[:k])
    return 1.0 / rank if rank else 0.0


def ndcg_at_k(ranked_supports: Sequence[bool], k: int = 10, n_relevant: int | None = None) -> float:
    """Binary-relevance nDCG@k: DCG = Σ rel_i / log2(i + 1) over ranks i = 1..k.

    Ideal DCG puts R relevant passages at the top, with R = min(k, max(n_relevant, relevant
    retrieved)). ``n_relevant`` is the number of gold quotes: each is stated in at least one
    passage, so an ideal ranking holds that many. The max with the relevant passages actually
    retrieved keeps nDCG ≤ 1 when one quote is split over two chunks (both support it).
    Without ``n_relevant`` only the retrieved ones count. No relevant passage → 0.0.
    """
    top = list(ranked_supports[:k])
    dcg = sum(1.0 / math.log2(i + 2) for i, relevant in enumerate(top) if relevant)
    if dcg == 0:
        return 0.0
    ideal = min(k, max(n_relevant or 0, sum(1 for r in top if r)))
    return dcg / sum(1.0 / math.log2(i + 2) for i in range(ideal))


def mean(values: Iterable[float]) -> float | None:
    """Arithmetic mean, or None for no values (a metric with nothing to measure)."""
    values = list(values)
    return sum(values) / len(values) if values else None


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when the denominator is 0."""
    return numerator / denominator if denominator else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """The ``p``-th percentile (0–100) with linear interpolation (numpy's default method)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


# -- one question ----------------------------------------------------------------------------


def top_dense_score(prediction: dict) -> float | None:
    """Best dense cosine among the retrieved passages (the refusal signal), if recorded.

    Uses the prediction's ``dense_top`` when present; otherwise the best ``scores["dense"]`` of
    the (top-10) retrieved passages, which equals the index-wide best whenever the dense top-1
    is among them.
    """
    if prediction.get("dense_top") is not None:
        return float(prediction["dense_top"])
    scores = [h["scores"]["dense"] for h in prediction.get("retrieved", []) if "dense" in (h.get("scores") or {})]
    return max(scores) if scores else None


def judge_question(question: dict, prediction: dict, k: int = 10) -> dict:
    """Per-question facts every metric is computed from (JSON-serialisable)."""
    gold = question.get("gold") or []
    answerable = bool(question["answerable"])
    refused = bool(prediction.get("refused"))
    retrieved = prediction.get("retrieved", [])[:k]
    citations = [] if refused else prediction.get("citations", [])
    ranked = [passage_supports_gold(h, gold) for h in retrieved] if answerable else []
    cited = [passage_supports_gold(c, gold) for c in citations] if answerable else [False] * len(citations)
    quotes_ok = [quote_matches_gold(c.get("quote", ""), gold) for c in citations] if answerable else [False] * len(citations)
    gold_quotes = [citation_quotes_gold(c, gold) for c in citations] if answerable else [False] * len(citations)
    first = normalise(citations[0].get("quote", "")) if citations else ""
    return {
        "id": question["id"],
        "persona": question.get("persona", ""),
        "question": question["question"],
        "answerable": answerable,
        "refused": refused,
        "n_gold": len(gold),
        "ranked_supports": ranked,
        "first_relevant_rank": first_relevant_rank(ranked),
        "n_citations": len(citations),
        "supporting_citations": sum(cited),
        "matching_quotes": sum(quotes_ok),
        "first_quote_ok": bool(gold_quotes and gold_quotes[0]),
        "first_quote_chars": len(first) if citations else None,
        # of a right first quote, the share that is gold: a longer quote matches a gold sentence
        # more easily, so this says what the match cost the reader
        "first_quote_focus": quote_focus(citations[0], gold) if gold_quotes and gold_quotes[0] else None,
        "any_quote_ok": any(gold_quotes),
        "first_quote_miss": first_quote_miss(gold_quotes, cited, bool(citations and gold_of_document(citations[0], gold)))
                            if answerable else "",
        "non_verbatim": sum(1 for c in citations if not is_verbatim(c)),
        "latency_ms": float(prediction.get("latency_ms") or 0.0),
        "dense_top": top_dense_score(prediction),
        "reason": prediction.get("reason", ""),
    }


def problems(judged: dict) -> list[str]:
    """What went wrong for one question, worst first (empty when all is well)."""
    out = []
    if judged["non_verbatim"]:
        out.append(f"non-verbatim quote ({judged['non_verbatim']})")
    if judged["answerable"]:
        rank = judged["first_relevant_rank"]
        if rank is None:
            out.append("retrieval miss (no gold passage in top 10)")
        elif rank > 5:
            out.append(f"gold passage only at rank {rank}")
        if judged["refused"]:
            out.append("false refusal")
        elif judged["supporting_citations"] == 0:
            out.append("wrong citation (no cited passage supports the gold)")
        elif judged["supporting_citations"] < judged["n_citations"]:
            out.append(f"extra citation ({judged['n_citations'] - judged['supporting_citations']} of {judged['n_citations']} off-target)")
    elif not judged["refused"]:
        out.append(f"missed refusal ({judged['n_citations']} citation(s) given)")
    return out


# Severity order of the worst-question list: silent wrong answers first.
_SEVERITY = ("non-verbatim", "missed refusal", "wrong citation", "retrieval miss", "false refusal", "gold passage only", "extra citation")


def _severity(problem_list: list[str]) -> int:
    return min((i for i, name in enumerate(_SEVERITY) for p in problem_list if p.startswith(name)), default=len(_SEVERITY))


# -- aggregates ------------------------------------------------------------------------------


def aggregate(judged: Sequence[dict]) -> dict:
    """All metrics over a set of judged questions (None where there is nothing to measure)."""
    answerable = [j for j in judged if j["answerable"]]
    unanswerable = [j for j in judged if not j["answerable"]]
    answered = [j for j in judged if not j["refused"]]
    metrics: dict[str, float | int | None] = {
        "questions": len(judged),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
    }
    for k in RECALL_KS:
        metrics[f"recall@{k}"] = mean(recall_at_k(j["ranked_supports"], k) for j in answerable)
    metrics["mrr@10"] = mean(reciprocal_rank(j["ranked_supports"], 10) for j in answerable)
    metrics["ndcg@10"] = mean(ndcg_at_k(j["ranked_supports"], 10, j["n_gold"]) for j in answerable)
    all_citations = sum(j["n_citations"] for j in answered)
    metrics["citation_precision"] = ratio(sum(j["supporting_citations"] for j in answered), all_citations)
    metrics["citation_recall"] = ratio(sum(1 for j in answerable if j["supporting_citations"] > 0), len(answerable))
    metrics["quote_precision"] = ratio(sum(j["matching_quotes"] for j in answered), all_citations)
    metrics["citations_per_answer"] = ratio(all_citations, len(answered))
    metrics["first_quote_precision"] = ratio(sum(1 for j in answered if j.get("first_quote_ok")), len(answered))
    metrics["answer_recall"] = ratio(sum(1 for j in answerable if j.get("any_quote_ok")), len(answerable))
    metrics["first_quote_chars"] = mean(j["first_quote_chars"] for j in answered if j.get("first_quote_chars") is not None)
    metrics["first_quote_focus"] = mean(j["first_quote_focus"] for j in answered if j.get("first_quote_focus") is not None)
    metrics["max_quotes"] = max((j["n_citations"] for j in answered), default=0)
    for kind in MISS_KINDS:  # answerable questions whose first quote is not gold, by where it went wrong
        metrics[f"miss_{kind}"] = sum(1 for j in answerable if j.get("first_quote_miss") == kind)
    metrics["non_verbatim_quotes"] = sum(j["non_verbatim"] for j in judged)
    metrics["refusal_rate"] = ratio(sum(1 for j in unanswerable if j["refused"]), len(unanswerable))
    metrics["false_refusal_rate"] = ratio(sum(1 for j in answerable if j["refused"]), len(answerable))
    latencies = [j["latency_ms"] for j in judged]
    metrics["latency_p50_ms"] = percentile(latencies, 50)
    metrics["latency_p95_ms"] = percentile(latencies, 95)
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}


def check_targets(metrics: dict, targets: Sequence[tuple[str, str, float]] = TARGETS) -> list[dict]:
    """Each target with the measured value and whether it passes (a missing value fails)."""
    rows = []
    for name, op, goal in targets:
        value = metrics.get(name)
        ok = value is not None and (value >= goal if op == ">=" else value <= goal)
        rows.append({"metric": name, "target": f"{op} {goal}", "value": value, "passed": ok})
    return rows


def refusal_threshold_sweep(judged: Sequence[dict], current: float | None = None) -> dict:
    """How a refusal rule "refuse when the top dense cosine < t" alone would separate the classes.

    Tries every midpoint between observed scores and returns the threshold maximising
    balanced accuracy (mean of refusal rate and 1 − false-refusal rate), with both rates and
    the score ranges of each class; ``current`` (the configured threshold) is evaluated too.
    Questions without a recorded dense score are skipped.
    """
    pos = sorted(j["dense_top"] for j in judged if j["answerable"] and j["dense_top"] is not None)
    neg = sorted(j["dense_top"] for j in judged if not j["answerable"] and j["dense_top"] is not None)
    if not pos or not neg:
        return {}
    values = sorted(set(pos + neg))
    candidates = [(a + b) / 2 for a, b in zip(values, values[1:])] or values

    def rates(t: float) -> tuple[float, float]:
        return sum(1 for s in neg if s < t) / len(neg), sum(1 for s in pos if s < t) / len(pos)

    def balanced_accuracy(t: float) -> float:
        refusal, false_refusal = rates(t)
        return round((refusal + 1 - false_refusal) / 2, 9)

    top = max(balanced_accuracy(t) for t in candidates)
    equally_good = [t for t in candidates if balanced_accuracy(t) == top]
    best = equally_good[0]  # the lowest of the equally good: withholds the fewest answers
    refusal, false_refusal = rates(best)
    result = {
        "best_threshold": round(best, 4),
        "equally_good_up_to": round(equally_good[-1], 4),
        "balanced_accuracy": round(top, 4),
        "refusal_rate": round(refusal, 4),
        "false_refusal_rate": round(false_refusal, 4),
        "answerable_range": [round(pos[0], 4), round(pos[-1], 4)],
        "unanswerable_range": [round(neg[0], 4), round(neg[-1], 4)],
        "answerable_p05": round(percentile(pos, 5), 4),
        "unanswerable_p95": round(percentile(neg, 95), 4),
    }
    if current is not None:
        refusal, false_refusal = rates(current)
        result["at_current"] = {"threshold": current, "refusal_rate": round(refusal, 4), "false_refusal_rate": round(false_refusal, 4)}
    return result


def score_run(questions: Sequence[dict], predictions: Sequence[dict], n_slowest: int = 5, refusal_threshold: float | None = None) -> dict:
    """Every metric, overall and per persona, plus the slowest and the worst questions.

    ``predictions`` are matched to ``questions`` by ``id``; a question without a prediction is
    an error (a partial run would look better than it is). ``refusal_threshold`` (the
    configured dense threshold) is only used to describe the threshold sweep.
    """
    by_id = {p["id"]: p for p in predictions}
    missing = [q["id"] for q in questions if q["id"] not in by_id]
    if missing:
        raise ValueError(f"{len(missing)} question(s) without a prediction: {', '.join(missing[:10])}")
    judged = [judge_question(q, by_id[q["id"]]) for q in questions]
    personas = sorted({j["persona"] for j in judged})
    slowest = sorted(judged, key=lambda j: -j["latency_ms"])[:n_slowest]
    worst = []
    for j in judged:
        found = problems(j)
        if found:
            worst.append(
                {
                    "id": j["id"],
                    "persona": j["persona"],
                    "answerable": j["answerable"],
                    "question": j["question"],
                    "problems": found,
                    "first_relevant_rank": j["first_relevant_rank"],
                    "dense_top": j["dense_top"],
                    "reason": j["reason"],
                }
            )
    worst.sort(key=lambda w: (_severity(w["problems"]), -len(w["problems"]), w["id"]))
    return {
        "overall": aggregate(judged),
        "per_persona": {p: aggregate([j for j in judged if j["persona"] == p]) for p in personas},
        "slowest": [{"id": j["id"], "question": j["question"], "latency_ms": round(j["latency_ms"], 1)} for j in slowest],
        "worst": worst,
        "refusal_threshold": refusal_threshold_sweep(judged, refusal_threshold),
        "per_question": [
            {k: j[k] for k in ("id", "persona", "answerable", "refused", "first_relevant_rank", "n_citations", "supporting_citations", "matching_quotes", "first_quote_ok", "any_quote_ok", "first_quote_miss", "first_quote_chars", "first_quote_focus", "non_verbatim", "latency_ms", "dense_top")}
            for j in judged
        ],
    }


def load_jsonl(path: str | Path) -> list[dict]:
    """One JSON object per non-blank line."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
