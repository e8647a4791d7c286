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

from ingest.structure import split_sentences
from policyqa.config import REFUSAL_TEXT, Config
from retriever.search import Hit, SearchResult
from retriever.text import STOPWORDS, content_terms, strip_control, tokenize

RELATED_TEXT = "以下段落可能相关，但不足以回答该问题，仅供参考："


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
        return f"{doc.title}{number}{self.hit.chunk.heading_path}".strip()

    def to_dict(self) -> dict:
        doc, chunk = self.hit.doc, self.hit.chunk
        start, end = self.source_span
        return {
            "number": self.number,
            "doc": doc.title,
            "doc_number": doc.doc_number,
            "date": doc.date,
            "heading": chunk.heading_path,
            "chunk_id": chunk.chunk_id,
            "quote": self.quote,
            "text": chunk.text,
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

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "reason": self.reason,
            "notice": self.notice,
            "citations": [c.to_dict() for c in self.citations],
            "retrieved": [h.to_dict() for h in self.retrieved[:10]],
            "latency_ms": round(self.latency_ms, 1),
        }


def clean_question(question: str, max_chars: int = 1000) -> tuple[str, str]:
    """Strip control characters, reject empty questions, truncate long ones with a notice."""
    if not isinstance(question, str):
        raise QuestionError("问题必须是文字。")
    text = strip_control(question).strip()
    if not text:
        raise QuestionError("问题为空，请输入要查询的问题。")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise QuestionError("问题中没有文字内容（只有标点或符号），请用文字描述您的问题。")
    notice = ""
    if len(text) > max_chars:
        notice = f"问题过长（{len(text)} 字），只使用了前 {max_chars} 字。"
        text = text[:max_chars]
    return text, notice


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


def choose_quote(query_terms: dict[str, float], text: str) -> tuple[int, int]:
    """The span of the best sentence of ``text``, extended by a neighbour that also matches well."""
    spans = [s for s in split_sentences(text) if _has_words(text[s[0]:s[1]])]
    if not spans:
        return 0, len(text)
    scores = [score_sentence(query_terms, text[s:e]) for s, e in spans]
    best = max(range(len(spans)), key=lambda i: (scores[i], -i))
    start, end = spans[best]
    # A heading-only first sentence (“第三十三条 …”) says little alone: keep the next one too.
    for neighbour in (best - 1, best + 1):
        if 0 <= neighbour < len(spans) and scores[best] > 0 and scores[neighbour] >= 0.8 * scores[best]:
            start, end = min(start, spans[neighbour][0]), max(end, spans[neighbour][1])
    if end - start < 12 and best + 1 < len(spans):
        end = spans[best + 1][1]
    return start, end


def _has_words(text: str) -> bool:
    return bool(re.search(r"[\w\u3400-\u9fff]", text))


def should_refuse(result: SearchResult, config: Config, coverage: float) -> str:
    """The reason to refuse, or "" to answer. Thresholds are calibrated on eval/data/dev.jsonl."""
    if not result.hits:
        return "没有检索到相关段落"
    if result.dense_top < config.min_dense_score:
        return f"最相关段落的语义相似度 {result.dense_top:.3f} 低于阈值 {config.min_dense_score}"
    if coverage < config.min_term_coverage:
        return f"问题中的关键词在文档中出现的比例 {coverage:.2f} 低于阈值 {config.min_term_coverage}"
    return ""


def term_coverage(question: str, corpus_text: str) -> float:
    """Share of the question's content words that occur anywhere in the corpus."""
    terms = content_terms(question)
    if not terms:
        return 0.0
    return sum(1 for t in terms if t in corpus_text) / len(terms)


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


def compose(question: str, result: SearchResult, config: Config, idf: dict[str, float], corpus_text: str, notice: str = "") -> Answer:
    """The answer for ``question`` from ``result``: quotes with citations, or a refusal."""
    reason = should_refuse(result, config, term_coverage(result.query, corpus_text))
    if reason:
        return Answer(question, REFUSAL_TEXT, True, [], result.hits, notice=notice, reason=reason)
    terms = question_terms(result.query, idf)
    citations = []
    for number, hit in enumerate(select_citations(result, config), start=1):
        start, end = choose_quote(terms, hit.chunk.text)
        citations.append(Citation(number, hit, hit.chunk.text[start:end], start, end))
    verify(citations)
    return Answer(question, render(citations), False, citations, result.hits, notice=notice)


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
