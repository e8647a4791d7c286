"""retrieval → answer: extractive, verifiable answers made of verbatim quotes, or a plain refusal.

There is no generator. The answer quotes the sentences of the best passages that share the most
(IDF-weighted) words with the question, each followed by a numbered citation. Every quote is
checked to be a verbatim substring of the paragraph it cites before it is returned.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from ingest.schema import quoted_title
from ingest.structure import split_sentences
from policyqa.config import REFUSAL_TEXT, Config
from retriever.references import heading_matches
from retriever.search import Hit, SearchResult
from policyqa.refusal import (
    AFTER_QUOTES, BEFORE_QUOTES, RefusalContext, asked_figures, first_reason, places_in, unanswered_figures,
)
from retriever.text import STOPWORDS, has_words, strip_control, strip_surrogates, tokenize

RELATED_TEXT = "以下段落可能相关，但不足以回答该问题，仅供参考："
#: Weight of word overlap beside the cosine when choosing the sentence to quote.
LEXICAL_SHARE = 0.1
#: A chunk this short without a sentence end is a block of lines (a signature and its date),
#: quoted whole.
BLOCK_CHARS = 80
#: A figure question whose first hit states no figure of the asked kind may quote the second
#: hit's figure instead, when that sentence has at least this share of the question's
#: (IDF-weighted) words: the figure must be about what the question is about. Without that
#: anchor the runner-up's figure is usually another subject's (a question about one event's month got another event's month).
FIGURE_FALLBACK_OVERLAP = 0.15
#: Figure kinds (policyqa.refusal.FIGURE_KINDS) whose answer pattern does not pin the subject, so
#: the runner-up is never quoted for them: a plan's target count (建设50所高水平高职) is seldom the
#: count asked for (a national total), and 数额 accepts any figure at all (一所 for a question about money).
NO_FALLBACK_KINDS = frozenset({"数量", "数额"})


class QuestionError(ValueError):
    """A question that cannot be searched (empty, no words); the message is shown to the user."""


class NotVerbatimError(AssertionError):
    """A quote that is not a verbatim substring of its cited paragraph: always a bug."""


@dataclass
class Citation:
    number: int
    hit: Hit
    quote: str
    quote_start: int  # offsets of the quote in hit.chunk.text
    quote_end: int

    @property
    def source_span(self) -> tuple[int, int]:
        """The quote's offsets in the document's text (the original file body)."""
        chunk = self.hit.chunk
        return chunk.source_offset(self.quote_start), chunk.source_offset(self.quote_end, end=True)

    def label(self) -> str:
        """《标题》（文号）第X条 — the form HR officers paste into their own documents."""
        doc = self.hit.doc
        number = f"（{doc.doc_number}）" if doc.doc_number else ""
        # a local rule always says whose it is; an old or abolished version says so
        notes = [f"{doc.region}地方性规定" if doc.region and doc.region not in doc.title else "",
                 f"{doc.date[:4]}年版，已有新版本" if doc.superseded_by else "", doc.status]
        note = "".join(f"〔{n}〕" for n in notes if n)
        return f"{quoted_title(doc.title)}{number}{note}{self.hit.chunk.heading_path}".strip()

    def to_dict(self) -> dict:
        doc, chunk = self.hit.doc, self.hit.chunk
        start, end = self.source_span
        return {
            "number": self.number,
            "doc": quoted_title(doc.title),
            "doc_number": doc.doc_number,
            "date": doc.date,
            "region": doc.region,  # "" for a national document (ingest/jurisdiction.py)
            "superseded": bool(doc.superseded_by),  # a newer version of the title is in the index
            "status": doc.status,  # the ``status:`` header, e.g. 已废止
            "heading": chunk.heading_path,
            "chunk_id": chunk.chunk_id,
            "quote": self.quote,
            "text": chunk.text,
            # the whole paragraph/article as in the file, when the cited chunk is a piece of it
            "paragraph": doc.text[slice(*chunk.para_span)],
            "source_start": start,
            "source_end": end,
        }


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[Hit] = field(default_factory=list)
    latency_ms: float = 0.0
    notice: str = ""  # e.g. the question was truncated
    reason: str = ""  # why it was refused (for evaluators and logs)
    dense_top: float = 0.0  # best chunk cosine in the (filtered) index
    sentence_top: float = 0.0  # best sentence cosine: the weak-evidence signal
    build: str = ""  # the index build that answered
    references: dict = field(default_factory=dict)  # documents/article the question was read to name

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "reason": self.reason,
            "notice": self.notice,
            "citations": [c.to_dict() for c in self.citations],
            "retrieved": [h.to_dict() for h in self.retrieved[:10]],
            "dense_top": round(self.dense_top, 4),
            "sentence_top": round(self.sentence_top, 4),
            "latency_ms": round(self.latency_ms, 1),
            "build": self.build,
            "references": self.references,
        }


def clean_question(question: str, max_chars: int = 1000) -> tuple[str, str]:
    """Strip control characters, reject empty questions, truncate long ones with a notice."""
    if not isinstance(question, str):
        raise QuestionError("问题必须是文字。")
    text = strip_surrogates(strip_control(question)).strip()
    if not text:
        raise QuestionError("问题为空，请输入要查询的问题。")
    if not _has_letters(text):
        raise QuestionError("问题中没有文字内容（只有标点或符号），请用文字描述您的问题。")
    notice = ""
    if len(text) > max_chars:
        notice = f"问题过长（{len(text)} 字），只使用了前 {max_chars} 字。"
        text = text[:max_chars]
        if not _has_letters(text):
            raise QuestionError(f"{notice}前 {max_chars} 字中没有文字内容，请把问题写在开头。")
    return text, notice


def _has_letters(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def term_weights(bm25) -> dict[str, float]:
    """IDF of every indexed token, read from the BM25 index (document frequency = column nnz)."""
    import numpy as np

    df = np.diff(bm25.scores["indptr"])
    n = max(int(bm25.scores.get("num_docs", len(df))), 1)
    return {tok: math.log(1 + (n - df[i] + 0.5) / (df[i] + 0.5)) for tok, i in bm25.vocab_dict.items() if i < len(df)}


def score_sentence(question_terms: dict[str, float], sentence: str) -> float:
    """IDF-weighted share of the question's words that occur in ``sentence``."""
    if not question_terms:
        return 0.0
    total = sum(question_terms.values())
    found = sum(w for term, w in question_terms.items() if term in sentence)
    return found / total


def question_terms(query: str, idf: dict[str, float]) -> dict[str, float]:
    """Search-mode words of the question with their IDF (unknown words get the highest IDF)."""
    top = max(idf.values(), default=1.0)
    return {t: idf.get(t, top) for t in dict.fromkeys(tokenize(query)) if t not in STOPWORDS}


def choose_quote(query_terms: dict[str, float], hit: Hit, require: list[re.Pattern] = ()) -> tuple[int, int] | None:
    """The span of the sentence of ``hit`` that best answers the question.

    Sentences are ranked by their cosine with the question (vectors built at ingest) plus a
    small share of the IDF-weighted word overlap. With ``require``, only sentences that match
    every pattern compete, and None is returned when none does. A very short best sentence (a
    bare article number) takes its successor along.
    """
    text = hit.chunk.text
    if not require and len(text) <= BLOCK_CHARS and not any(mark in text for mark in "。；！？"):
        return 0, len(text)  # a banner or signature block (部门 / 2021年4月30日): its lines belong together
    candidates = [(s, e, cos) for s, e, cos in hit.sentence_scores if has_words(text[s:e])]
    if require:
        candidates = [c for c in candidates if all(p.search(text[c[0]:c[1]]) for p in require)]
        if not candidates:
            return None
    if not candidates:
        return 0, len(text)
    scored = [(cos + LEXICAL_SHARE * score_sentence(query_terms, text[s:e]), s, e) for s, e, cos in candidates]
    _score, start, end = max(scored, key=lambda t: (t[0], -t[1]))
    if end - start < 12:
        following = [c for c in hit.sentence_scores if c[0] >= end and has_words(text[c[0]:c[1]])]
        if following:
            end = following[0][1]
    return start, end


def figure_fallback(query: str, query_terms: dict[str, float], result: SearchResult) -> Citation | None:
    """For a question that asks for a figure (多少, 几次, 多久…): the second hit's sentence that
    states a figure of every asked kind, when the first hit's quote states none and that sentence
    shares at least :data:`FIGURE_FALLBACK_OVERLAP` of the question's words; else None.

    Only the second hit: further down, a figure-bearing sentence is more often another
    subject's than the answer (measured on the four question sets, see README)."""
    asked = asked_figures(query)
    if not asked or len(result.hits) < 2 or any(kind in NO_FALLBACK_KINDS for kind, _ in asked):
        return None
    figures = [pattern for _kind, pattern in asked]
    hit = result.hits[1]
    span = choose_quote(query_terms, hit, require=figures)
    if span is None:
        return None
    start, end = span
    if score_sentence(query_terms, hit.chunk.text[start:end]) < FIGURE_FALLBACK_OVERLAP:
        return None
    return Citation(1, hit, hit.chunk.text[start:end], start, end)


def select_citations(result: SearchResult, config: Config) -> list[Hit]:
    """The top hit, plus runners-up that are nearly as good by the dense score (few, precise)."""
    hits = result.hits
    if not hits:
        return []
    chosen = [hits[0]]
    top_dense = hits[0].scores.get("dense", 0.0)
    for hit in hits[1:3]:
        if len(chosen) >= config.max_citations:
            break
        if hit.chunk.para_span == chosen[0].chunk.para_span:
            continue  # another piece of the same paragraph
        if hit.scores.get("dense", 0.0) >= top_dense - 0.005 and hit.ranks.get("bm25", 99) <= 3:
            chosen.append(hit)
    return chosen


def compose(question: str, result: SearchResult, config: Config, idf: dict[str, float],
            titles: set[str], notice: str = "", lexicon: dict | None = None) -> Answer:
    """The answer for ``question`` from ``result``: quotes with citations, or a refusal.

    ``idf`` (word → IDF of the BM25 index) weighs the question's words and is the corpus
    vocabulary of the refusal checks."""
    refs = result.references
    ctx = RefusalContext(
        query=result.query,
        sentence_top=result.sentence_top,
        quotes=[],
        vocabulary=idf,
        titles=titles,
        min_dense_score=config.min_dense_score,
        min_term_coverage=config.min_term_coverage,
        has_hits=bool(result.hits),
        places=places_in(result.query),
        lexicon=lexicon or {},
        article=refs.article,
        # search puts the asked-for article first whenever it exists
        article_found=refs.article is None or bool(result.hits) and heading_matches(result.hits[0].chunk.heading, refs.article),
        named_titles=[h.doc.title for h in result.hits if h.chunk.doc_id in refs.documents][:1],
        reference_spans=tuple(refs.spans),
    )
    reason = first_reason(ctx, BEFORE_QUOTES)
    citations = []
    if not reason:
        terms = question_terms(result.query, idf)
        for number, hit in enumerate(select_citations(result, config), start=1):
            start, end = choose_quote(terms, hit)
            citations.append(Citation(number, hit, hit.chunk.text[start:end], start, end))
        reason = _check_quotes(citations, ctx)
        fallback = figure_fallback(result.query, terms, result) if reason else None
        if fallback is not None:
            citations = [fallback]
            reason = _check_quotes(citations, ctx)
    about = {"dense_top": result.dense_top, "sentence_top": result.sentence_top, "build": result.build,
             "references": {"documents": list(refs.documents), "article": refs.article} if refs else {}}
    if reason:
        return Answer(question, REFUSAL_TEXT, True, [], result.hits, notice=notice, reason=reason, **about)
    for part, kind in unanswered_figures(result.query, [c.quote for c in citations]):
        # a sub-question the quotes leave open (missing_figure answered the rest): say so
        notice = f"{notice}问题中“{part}”所问的具体{kind}，现有政策文件没有给出。"
    return Answer(question, render(citations), False, citations, result.hits, notice=notice, **about)


def _check_quotes(citations: list[Citation], ctx: RefusalContext) -> str:
    """Verify the quotes are verbatim, then run the checks that need them: a refusal reason or ""."""
    verify(citations)
    ctx.quotes = [c.quote for c in citations]
    return first_reason(ctx, AFTER_QUOTES)


def verify(citations: list[Citation]) -> None:
    """Raise if any quote is not verbatim in its cited paragraph or its offsets are wrong."""
    for c in citations:
        text = c.hit.chunk.text
        if not c.quote or c.quote not in text or text[c.quote_start : c.quote_end] != c.quote:
            raise NotVerbatimError(f"引文不是原文：{c.quote!r} 不在 {c.hit.chunk.chunk_id} 中")


def render(citations: list[Citation]) -> str:
    """Short Chinese answer: one line per quote, each followed by its citation number."""
    lines = ["根据现有政策文件："]
    for c in citations:
        lines.append(f"{c.label()}：“{c.quote}”[{c.number}]")
    return "\n".join(lines)
