"""retrieval → which sentences to quote: a small learned model instead of hand weights and rules.

Every sentence of the top hits is a *candidate*. Its features (:data:`FEATURES`) are read off the
search result: each retriever's score and rank for the passage, the sentence's own cosine with the
question and with the question's adapted vector (a learned linear correction toward how documents
state things, retriever/query_adapter.py), the same two cosines of the sentence embedded alone (the
stored sentence vector carries the heading path, which all sentences of an article share and which
drowns what tells them apart), word and character-bigram overlap, whether the passage is the
document or article the question names, and whether it is a document's apparatus (banner, 文号,
signature). A logistic regression gives the probability that the sentence states the answer. The
answer quotes the best candidates that clear the model's bars, one per passage, a sentence that
states the asked-for figure first; when the best clears none, the question is refused. (Features
for "states the asked kind of figure" were tried and left out: on held-out sets they made
near-miss figure questions quote some other figure instead of being refused.)

The model is fitted by ``policyqa train`` from the committed question sets (``eval/train_ranker.py``)
and kept as a small JSON file (``policyqa/data/ranker.json``): feature list, standardisation,
coefficients and bars, so it loads without scikit-learn and anyone can retrain it.
"""
from __future__ import annotations

import json
import math
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.rules import alternation, read_table
from ingest.structure import CLOSERS, CN_NUM, LEAD_IN_ENDS
from retriever.citations import heading_matches
from retriever.search import Hit, SearchResult
from retriever.text import has_words

DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_PATH = DATA_DIR / "ranker.json"
MODEL_VERSION = 1

#: A chunk this short without a sentence end is a block of lines (a signature and its date): one candidate.
BLOCK_CHARS = 80
#: A sentence shorter than this (a bare 第X条, a heading) is quoted together with the next one.
SHORT_SENTENCE_CHARS = 12
#: Retrievers whose score and rank are features (the sparse head is off by default).
RANKINGS = ("dense", "dense_sentence", "bm25", "bm25_sentence")

#: Signals that say more against the question's other candidates than alone (a 0.4 word overlap is
#: the best for one question and poor for another): each also enters as its gap to the question's
#: best (``_gap``; the cosine's is ``cosine_gap``) and as 1 / (1 + how many candidates beat it) (``_rank``).
RELATIVE = ("cosine", "word_overlap", "bigram_overlap", "passage_overlap", "heading_overlap", "fused_share", "adapted_cosine",
            "bare_cosine", "adapted_bare_cosine")

FEATURES: tuple[str, ...] = (
    # the passage, as the hybrid search ranked it
    "fused_share",          # fused score / the first hit's
    "inverse_rank",         # 1 / rank of the passage
    *(f"{name}_score" for name in RANKINGS),  # raw score (BM25 divided by the best BM25 of the hits)
    *(f"{name}_inverse_rank" for name in RANKINGS),
    # the sentence
    "cosine",               # the sentence's cosine with the question
    "cosine_gap",           # its cosine minus the best candidate's
    "best_in_passage",      # 1 when no sentence of its passage has a higher cosine
    "adapted_cosine",       # its cosine with the adapted question vector (retriever/query_adapter.py)
    "adapted_best_in_passage",
    "bare_cosine",          # its cosine when embedded alone, without the heading path its neighbours share
    "bare_best_in_passage",
    "adapted_bare_cosine",  # the sentence alone against the adapted question vector
    "adapted_bare_best_in_passage",
    "word_overlap",         # IDF-weighted share of the question's words in the sentence
    "bigram_overlap",       # share of the question's character bigrams (official words added) in the sentence
    "passage_overlap",      # ... in the whole passage
    "heading_overlap",      # ... in the document title and heading path
    "log_length",
    "first_sentence",
    # structure
    "apparatus",            # the passage is banner/文号/title/addressees/signature only
    "named_document",       # the question names this passage's document (教师法, 49号文)
    "other_document_named", # the question names another document
    "named_article",        # the passage is the article the question asks for (第25条)
    # the question as a whole (answerability)
    "sentence_top",         # the best sentence cosine in the index
    "dense_top",
    # each candidate against the question's other candidates (see RELATIVE)
    *(f"{name}_gap" for name in RELATIVE if name != "cosine"),  # the cosine's gap is cosine_gap, above
    *(f"{name}_rank" for name in RELATIVE),
)

_IN_ORDER = operator.itemgetter(*FEATURES)  # a feature dict's values in FEATURES order

#: The cosines each candidate carries, in this order: with the question, with the adapted question
#: vector (retriever/query_adapter.py), of the sentence embedded alone, and that against the adapted vector.
COSINES = ("cosine", "adapted", "bare", "adapted_bare")


@dataclass(frozen=True)
class Candidate:
    """A quotable span ``[start, end)`` of ``hits[hit]``'s chunk text, with its :data:`COSINES`."""

    hit: int
    start: int
    end: int
    cosine: float
    adapted: float = 0.0
    bare: float = 0.0
    adapted_bare: float = 0.0


def sentence_cosines(hit: Hit) -> list[tuple[float, ...]]:
    """Per sentence of ``hit`` (order of ``sentence_scores``), its :data:`COSINES`. A kind the hit
    lacks takes the one it corrects: adapted ones the plain, bare ones the heading-path ones."""
    plain = [c for _s, _e, c in hit.sentence_scores]

    def kind(values: list[float], fallback: list[float]) -> list[float]:
        return values if len(values) == len(plain) else fallback

    adapted = kind(hit.adapted_cosines, plain)
    bare = kind(hit.bare_cosines, plain)
    has_adapter = len(hit.adapted_cosines) == len(plain)
    adapted_bare = kind(hit.adapted_bare_cosines, adapted if has_adapter else bare)
    return list(zip(plain, adapted, bare, adapted_bare))


def candidate_spans(hit: Hit) -> list[tuple[int, int, tuple[float, ...]]]:
    """The spans of ``hit`` that may be quoted, ``(start, end, cosines)`` (:data:`COSINES`): its
    sentences (a very short one joined to the next, each cosine the better of the two), or the
    whole chunk when it is a block of lines or has no scored sentence."""
    text = hit.chunk.text
    scored = [(s, e, cos) for (s, e, _c), cos in zip(hit.sentence_scores, sentence_cosines(hit))]
    if len(text) <= BLOCK_CHARS and not any(mark in text for mark in "。；！？"):
        best = tuple(max((cos[k] for _s, _e, cos in scored), default=0.0) for k in range(len(COSINES)))
        return [(0, len(text), best)]  # a banner or signature block: its lines belong together
    sentences = [t for t in scored if has_words(text[t[0]:t[1]])]
    if not sentences:
        return [(0, len(text), (0.0,) * len(COSINES))]
    spans = []
    for i, (s, e, cos) in enumerate(sentences):
        if e - s < SHORT_SENTENCE_CHARS and i + 1 < len(sentences):
            _s, e, nxt = sentences[i + 1]
            cos = tuple(max(a, b) for a, b in zip(cos, nxt))
        spans.append((s, e, cos))
    return spans


#: How a clause opens when it names one case of a series (policyqa/data/quote_units.tsv), matched
#: after any article number (第三条 …).
_CASE_CLAUSE = re.compile(rf"\s*(?:第[{CN_NUM}\d]+条\s*)?(?:" +
                          alternation([pattern for pattern, _why in read_table(DATA_DIR / "quote_units.tsv", 2)]) + ")")
#: Where a sentence ends for quoting: 。！？ or a line end (not ；, which only ends a clause).
_SENTENCE_END = re.compile(r"[。！？!?\n]")
_CLAUSE_END = re.compile(r"[；;]")
#: A series of cases longer than this is not quoted whole: the reader must still find the answer in it.
MAX_CASES_CHARS = 200


#: A line that is an item of a list: （一）…, (二)…, 1.…
_ITEM_LINE = re.compile(rf"[ \t\u3000]*(?:[（(][{CN_NUM}\d]{{1,3}}[）)]|\d{{1,2}}[.．、](?!\d))")
#: Each line after a position: its text (group 1), its newline before it.
_NEXT_LINE = re.compile(r"\n([^\n]*)")


def list_items_span(text: str, start: int, end: int, stop: int | None = None) -> tuple[int, int] | None:
    """When ``text[start:end]`` introduces a list (it ends in ：, and item lines follow it, before
    ``stop``), the span from ``start`` to the end of its last item line; else None. A lead-in quoted
    alone answers nothing: 「女职工在孕期禁忌从事的劳动范围：」 does not say what the range is."""
    if not text[start:end].rstrip().endswith(LEAD_IN_ENDS):
        return None
    last = None
    for line in _NEXT_LINE.finditer(text, end, len(text) if stop is None else stop):
        if not line.group(1).strip():
            continue  # a blank line between items
        if not _ITEM_LINE.match(line.group(1)):
            break
        last = line.end()
    if last is None:
        return None
    while text[last - 1].isspace():  # the last item without the whitespace after it
        last -= 1
    return start, last


#: An item's headline that opens its line, body text following on the same line:
#: 「（十三）推行职业技能等级认定。健全…」 (a plan's or opinion's item).
_HEADLINE = re.compile(rf"[（(][{CN_NUM}]{{1,3}}[）)][^，,；;。：:\n]{{2,30}}。(?=[^\n])")


def headline_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """When ``text[start:end]`` is an item's headline with its body on the same line, the span
    through the body's first sentence; else None. The headline alone names a topic, it says
    nothing of it: 「（十三）推行职业技能等级认定。」 does not say who recognises the grades."""
    at = start
    while at < end and text[at].isspace():
        at += 1
    if (at and text[at - 1] != "\n") or not (match := _HEADLINE.match(text, at)) or match.end() < len(text[:end].rstrip()):
        return None
    following = _SENTENCE_END.search(text, match.end())
    return start, following.end() if following else len(text.rstrip())


def quote_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of ``text`` to quote for the candidate clause ``[start, end)``: the whole sentence
    when its ；-clauses are a series of cases (at least two open as ``quote_units.tsv`` says, as in
    「满1年不满5年的，…；满5年的，…。」), since one case alone reads as the whole rule; else the
    candidate itself. The sentence runs from the last 。！？ or line end before ``start`` to the
    first at or after the candidate's end, with any closing quote mark."""
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    while left < start and (text[left].isspace() or text[left] in CLOSERS):
        left += 1
    found = _SENTENCE_END.search(text, max(end - 1, left))
    right = found.end() if found else len(text)
    while right < len(text) and text[right] in CLOSERS:
        right += 1
    sentence = text[left:right].rstrip()
    right = left + len(sentence)
    if (left, right) == (start, end) or right - left > MAX_CASES_CHARS:
        return start, end
    cases = sum(1 for clause in _CLAUSE_END.split(sentence) if _CASE_CLAUSE.match(clause))
    return (left, right) if cases >= 2 else (start, end)


def word_overlap(terms: dict[str, float], text: str) -> float:
    """IDF-weighted share of the question's words (``terms``: word → IDF) that occur in ``text``."""
    total = sum(terms.values())
    if not total:
        return 0.0
    return sum(w for term, w in terms.items() if term in text) / total


def bigram_overlap(bigrams: frozenset[str], text: str) -> float:
    """Share of ``bigrams`` that occur in ``text``."""
    if not bigrams:
        return 0.0
    return sum(1 for g in bigrams if g in text) / len(bigrams)


@dataclass
class QuestionView:
    """What the features need to know about the question beside the search result."""

    terms: dict[str, float]  # content words → IDF
    apparatus: list[bool] = field(default_factory=list)  # per hit: only banner/文号/title/signature lines
    bigrams: frozenset[str] = frozenset()  # character bigrams of the question and its official words


def featurise(result: SearchResult, view: QuestionView, max_hits: int = 10) -> tuple[list[Candidate], np.ndarray]:
    """Candidates of the first ``max_hits`` hits and their feature matrix (rows in :data:`FEATURES` order).

    A document the preference step demoted (an older version, a local rule of a place the question
    does not name) never competes with a preferred one: :func:`choose` quotes it only when nothing
    preferred clears the bar. So the candidates of preferred documents are measured against each
    other alone (their passage rank, share of the best fused score, gaps and ranks), as they would be
    in an index without the demoted documents; the demoted candidates, against all."""
    hits = result.hits[:max_hits]
    candidates = [Candidate(i, s, e, *cos) for i, hit in enumerate(hits) for s, e, cos in candidate_spans(hit)]
    if not candidates:
        return [], np.zeros((0, len(FEATURES)), np.float32)
    passage_best = {kind: {} for kind in COSINES}  # kind → hit → its best candidate's cosine
    for c in candidates:
        for kind in COSINES:
            passage_best[kind][c.hit] = max(passage_best[kind].get(c.hit, -1.0), getattr(c, kind))
    of_hit = {i: _passage_features(result, view, i, hit) for i, hit in enumerate(hits)}
    own = [_own_features(view, hits[c.hit], c, passage_best, of_hit[c.hit]) for c in candidates]
    rows = _measured(own, candidates, hits, list(range(len(hits))))
    preferred = [i for i, hit in enumerate(hits) if hit.preferred]
    if 0 < len(preferred) < len(hits):
        mine = [j for j, c in enumerate(candidates) if hits[c.hit].preferred]
        if mine:
            for j, row in zip(mine, _measured([own[j] for j in mine], [candidates[j] for j in mine], hits, preferred)):
                rows[j] = row
    return candidates, np.asarray([_IN_ORDER(f) for f in rows], dtype=np.float32)


#: The features read off the adapted question vector, per :data:`COSINES` kind: the only ones
#: another query adapter changes (:func:`readapted`).
_ADAPTED_FEATURES = {"adapted": "adapted_cosine", "adapted_bare": "adapted_bare_cosine"}


def readapted(result: SearchResult, candidates: list[Candidate], matrix: np.ndarray,
              max_hits: int = 10) -> tuple[list[Candidate], np.ndarray]:
    """``candidates`` and ``matrix`` (:func:`featurise` of ``result``) after its hits' adapted
    cosines were set by another query adapter: the same as :func:`featurise` gives, measuring again
    only the adapter's columns (cross-validation refits the adapter for every fold, and the words,
    ranks and other cosines of a candidate do not change)."""
    hits = result.hits[:max_hits]
    fresh = [Candidate(i, s, e, *cos) for i, hit in enumerate(hits) for s, e, cos in candidate_spans(hit)]
    if [(c.hit, c.start, c.end) for c in fresh] != [(c.hit, c.start, c.end) for c in candidates]:
        raise ValueError("readapted: the candidates are not those of these hits")
    if not fresh:
        return fresh, matrix
    matrix = matrix.copy()
    of_hit = np.asarray([c.hit for c in fresh])
    groups = [np.arange(len(fresh))]  # as in featurise: preferred candidates are also measured alone
    preferred = [i for i, hit in enumerate(hits) if hit.preferred]
    if 0 < len(preferred) < len(hits):
        mine = np.flatnonzero([hits[c.hit].preferred for c in fresh])
        if len(mine):
            groups.append(mine)
    for kind, name in _ADAPTED_FEATURES.items():
        values = np.asarray([getattr(c, kind) for c in fresh], dtype=np.float64)
        passage_best = np.full(len(hits), -1.0)
        np.maximum.at(passage_best, of_hit, values)
        matrix[:, FEATURES.index(name)] = values
        matrix[:, FEATURES.index(name.replace("_cosine", "_best_in_passage"))] = values >= passage_best[of_hit]
        for rows in groups:
            gaps, ranks = _relative(values[rows])
            matrix[rows, FEATURES.index(f"{name}_gap")] = gaps
            matrix[rows, FEATURES.index(f"{name}_rank")] = ranks
    return fresh, matrix


def _passage_features(result: SearchResult, view: QuestionView, i: int, hit: Hit) -> dict[str, float]:
    """The features every candidate of hit number ``i`` shares (computed once a hit, not once a sentence)."""
    refs = result.references
    f = {
        "passage_overlap": word_overlap(view.terms, hit.chunk.text),
        "heading_overlap": word_overlap(view.terms, f"{hit.doc.title} {hit.chunk.heading_path}"),
        "apparatus": float(i < len(view.apparatus) and view.apparatus[i]),
        "named_document": float(hit.chunk.doc_id in refs.documents),
        "other_document_named": float(bool(refs.documents) and hit.chunk.doc_id not in refs.documents),
        "named_article": float(any(heading_matches(hit.chunk.heading, a) for a in refs.asked_articles)),
        "sentence_top": result.sentence_top,
        "dense_top": result.dense_top,
    }
    for name in RANKINGS:
        rank = hit.ranks.get(name)
        f[f"{name}_inverse_rank"] = 1.0 / rank if rank else 0.0
    return f


def _own_features(view: QuestionView, hit: Hit, c: Candidate, passage_best: dict[str, dict[int, float]],
                  of_passage: dict[str, float]) -> dict[str, float]:
    """The features of candidate ``c`` that do not depend on which other candidates it competes with:
    its own, and ``of_passage`` (:func:`_passage_features` of its hit)."""
    text = hit.chunk.text[c.start:c.end]
    return {
        **of_passage,
        "cosine": c.cosine,
        "best_in_passage": float(c.cosine >= passage_best["cosine"][c.hit]),
        "adapted_cosine": c.adapted,
        "adapted_best_in_passage": float(c.adapted >= passage_best["adapted"][c.hit]),
        "bare_cosine": c.bare,
        "bare_best_in_passage": float(c.bare >= passage_best["bare"][c.hit]),
        "adapted_bare_cosine": c.adapted_bare,
        "adapted_bare_best_in_passage": float(c.adapted_bare >= passage_best["adapted_bare"][c.hit]),
        "word_overlap": word_overlap(view.terms, text),
        "log_length": math.log1p(len(text)),
        "first_sentence": float(c.start == 0),
        "bigram_overlap": bigram_overlap(view.bigrams, text),
    }


def _measured(own: list[dict[str, float]], candidates: list[Candidate], hits: list[Hit],
              competing: list[int]) -> list[dict[str, float]]:
    """``own`` (the candidates' own features) completed by those measured against each other and
    against the hits numbered ``competing`` (in order: a passage's rank is its place among them)."""
    place = {i: n for n, i in enumerate(competing)}
    hits_in = [hits[i] for i in competing]
    top_fused = hits_in[0].score or 1.0
    best_bm25 = {name: max((h.scores.get(name, 0.0) for h in hits_in), default=0.0) or 1.0 for name in ("bm25", "bm25_sentence")}
    best_cosine = max(c.cosine for c in candidates)
    rows = []
    for f, c in zip(own, candidates):
        hit = hits[c.hit]
        f = {**f, "fused_share": hit.score / top_fused, "inverse_rank": 1.0 / (place[c.hit] + 1),
             "cosine_gap": c.cosine - best_cosine}
        for name in RANKINGS:
            score = hit.scores.get(name, 0.0)
            f[f"{name}_score"] = score / best_bm25[name] if name in best_bm25 else score
        rows.append(f)
    _add_relative(rows)
    return rows


def _relative(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's gap to the best and 1 / (1 + how many values beat it) (ties share a rank)."""
    beaten_by = (values[None, :] > values[:, None]).sum(axis=1)
    return values - values.max(), 1.0 / (1 + beaten_by)


def _add_relative(rows: list[dict[str, float]]) -> None:
    """The :data:`RELATIVE` features of each candidate, from all the question's candidates."""
    for name in RELATIVE:
        gaps, ranks = _relative(np.asarray([f[name] for f in rows]))
        for f, rank, gap in zip(rows, ranks.tolist(), gaps.tolist()):
            f[f"{name}_rank"] = rank
            if name != "cosine":
                f[f"{name}_gap"] = gap


@dataclass(frozen=True)
class Bars:
    """The answer's two bars on a candidate's probability, and the most quotes it gives."""

    refuse_below: float
    extra_from: float
    max_quotes: int = 3


class RankerFileError(RuntimeError):
    """The ranker file is missing or does not fit this code; the message says what to do."""


@dataclass
class QuoteRanker:
    """Logistic regression over :data:`FEATURES`, with the bars the answer applies."""

    features: list[str]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    refuse_below: float  # the best candidate's probability under this: refuse
    extra_from: float  # further quotes (other passages) need at least this
    max_quotes: int = 3
    about: dict = field(default_factory=dict)  # what it was trained on (sets, sha256, counts)

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        if not len(matrix):
            return np.zeros(0)
        z = ((matrix - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        return {
            "format": "policyqa-quote-ranker", "version": MODEL_VERSION, "features": list(self.features),
            "mean": [round(float(x), 8) for x in self.mean], "scale": [round(float(x), 8) for x in self.scale],
            "coef": [round(float(x), 8) for x in self.coef], "intercept": round(float(self.intercept), 8),
            "refuse_below": round(float(self.refuse_below), 6), "extra_from": round(float(self.extra_from), 6),
            "max_quotes": self.max_quotes, "about": self.about,
        }

    def save(self, path: Path = MODEL_PATH) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, data) -> "QuoteRanker":
        if not isinstance(data, dict) or data.get("format") != "policyqa-quote-ranker" or data.get("version") != MODEL_VERSION:
            raise RankerFileError("排序模型文件格式不符，请运行 policyqa train 重新训练")
        if list(data.get("features") or []) != list(FEATURES):
            raise RankerFileError("排序模型的特征与代码不一致，请运行 policyqa train 重新训练")
        try:
            arrays = [np.asarray(data[name], dtype=np.float64) for name in ("mean", "scale", "coef")]
            if any(a.shape != (len(FEATURES),) for a in arrays):
                raise ValueError(f"每个向量应有 {len(FEATURES)} 个数")
            return cls(list(data["features"]), *arrays, float(data["intercept"]), float(data["refuse_below"]),
                       float(data["extra_from"]), int(data.get("max_quotes", 3)), dict(data.get("about") or {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise RankerFileError(f"排序模型文件不完整或已损坏（{type(exc).__name__}: {exc}），请运行 policyqa train 重新训练") from None

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "QuoteRanker":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RankerFileError(f"无法读取排序模型 {path}：{exc}；请运行 policyqa train") from exc
        return cls.from_json(data)


def choose(candidates: list[Candidate], probabilities: np.ndarray, hits: list[Hit], ranker: "QuoteRanker | Bars",
           figure_states: list[bool] | None = None, defining: list[bool] | None = None,
           mentioning: list[bool] | None = None) -> list[int]:
    """Indices of the candidates to quote, best first: none when the best is under the refusal bar;
    else the best and up to ``max_quotes - 1`` more from other passages that clear ``extra_from``.
    Only passages of preferred documents (``Hit.preferred``) compete when one of them clears the
    refusal bar. When the question asks for a figure, quotes that state it go first. When it asks
    what a term means, the best sentence ``defining`` it goes first: a text's own definition of the
    very term asked about answers the question whatever the ranker's probability. When it asks
    which documents use some words, the sentences ``mentioning`` them are quoted, one a document
    first: their use answers it (the notice counts every document that has them)."""
    if not candidates:
        return []
    order = sorted(range(len(candidates)), key=lambda i: (-probabilities[i], candidates[i].hit, candidates[i].start))
    if mentioning and any(mentioning):
        return _one_a_document([i for i in order if mentioning[i]], candidates, hits, ranker.max_quotes)
    definition = next((i for i in order if defining and defining[i]), None)
    # a document the preference step demoted (an older version, a local rule of a place the question
    # does not name) is quoted only when nothing preferred clears the bar: the ranker's cosines
    # cannot tell a local rule's sentence from the national one it repeats
    preferred = [i for i in order if hits[candidates[i].hit].preferred]
    if preferred and probabilities[preferred[0]] >= ranker.refuse_below:
        order = preferred
    if probabilities[order[0]] < ranker.refuse_below:
        return [] if definition is None else [definition]
    chosen = [order[0]]
    passages = {_passage(hits[candidates[order[0]].hit])}
    for i in order[1:]:
        if len(chosen) >= ranker.max_quotes or probabilities[i] < ranker.extra_from:
            break
        passage = _passage(hits[candidates[i].hit])
        if passage in passages:
            continue
        passages.add(passage)
        chosen.append(i)
    if figure_states is not None and any(figure_states) and not any(figure_states[i] for i in chosen):
        # the figure asked for is stated by another sentence of the best passage: quote that one
        first = _passage(hits[candidates[chosen[0]].hit])
        stating = [i for i in order if figure_states[i] and probabilities[i] >= ranker.refuse_below
                   and _passage(hits[candidates[i].hit]) == first]
        if stating:
            chosen[0] = stating[0]
    if figure_states is not None:
        chosen.sort(key=lambda i: not figure_states[i])  # stable: best first among equals
    if definition is not None and definition != chosen[0]:  # 什么是X: the sentence that defines X answers it
        first = _passage(hits[candidates[definition].hit])
        chosen = [definition, *(i for i in chosen if _passage(hits[candidates[i].hit]) != first)][:ranker.max_quotes]
    return chosen


def _one_a_document(order: list[int], candidates: list[Candidate], hits: list[Hit], most: int) -> list[int]:
    """Up to ``most`` of ``order``, each from another document while there are others, then from
    other passages of the same ones; in ``order`` within each round."""
    chosen: list[int] = []
    # another document is another passage, and the second round's key is the passage: one check serves
    for distinct in (lambda h: h.chunk.doc_id, _passage):
        taken = {distinct(hits[candidates[i].hit]) for i in chosen}
        for i in order:
            key = distinct(hits[candidates[i].hit])
            if len(chosen) < most and key not in taken:
                taken.add(key)
                chosen.append(i)
    return chosen


def _passage(hit: Hit) -> tuple[str, tuple[int, int]]:
    """A paragraph (or article) of a document: pieces of one long article count as one passage."""
    return hit.chunk.doc_id, tuple(hit.chunk.para_span)
