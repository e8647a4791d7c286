"""The naive RAG baseline, built as most tutorials build it, to show what the design choices buy.

* **Chunks**: fixed windows of 500 characters with 50 characters of overlap over each
  document's raw body text — no paragraphs, articles, headings or titles.
* **Index**: the same embedding model (passage prompt), FAISS ``IndexFlatIP``, in memory only
  (the main index folder is never touched); the chunk embeddings are cached as ``.npy`` under
  the eval output folder, keyed by a hash of the model id and the chunk texts.
* **Retrieval**: dense only, the question embedded with the query prompt as given.
* **Refusal**: the same rule as the pipeline's first one — refuse when the top cosine is below
  ``config.min_dense_score`` (no term-coverage check).
* **Answer**: cite the top-1 chunk only, quoting its sentence that shares the most character
  bigrams with the question (a simple, tokenizer-free overlap, as such tutorials use). The quote
  is a verbatim slice of the chunk.

Predictions have the same fields as the pipeline's, so :mod:`eval.metrics` scores them alike.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.loaders import LoadError, find_documents, load_document
from ingest.schema import SourceDocument
from ingest.structure import split_sentences
from policyqa.config import REFUSAL_TEXT, Config

log = logging.getLogger(__name__)

CHUNK_CHARS = 500
OVERLAP_CHARS = 50


@dataclass
class NaiveChunk:
    chunk_id: str
    doc: SourceDocument
    text: str
    start: int  # offset of the chunk in doc.text


def fixed_windows(text: str, size: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[tuple[int, int]]:
    """``(start, end)`` of consecutive ``size``-character windows overlapping by ``overlap``."""
    if size <= overlap:
        raise ValueError("chunk size must exceed the overlap")
    spans = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        spans.append((start, end))
        if end == len(text):
            break
        start = end - overlap
    return spans


def naive_chunks(documents: list[SourceDocument], size: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[NaiveChunk]:
    """Every document cut into fixed windows; blank windows are dropped."""
    chunks = []
    for doc in documents:
        for i, (s, e) in enumerate(fixed_windows(doc.text, size, overlap)):
            if doc.text[s:e].strip():
                chunks.append(NaiveChunk(f"{doc.doc_id}#w{i:03d}", doc, doc.text[s:e], s))
    return chunks


def bigrams(text: str) -> set[str]:
    """Character bigrams of the non-space characters of ``text``."""
    chars = "".join(text.split())
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def best_sentence(question: str, text: str) -> tuple[int, int]:
    """Span of the sentence of ``text`` sharing the most character bigrams with ``question``."""
    spans = split_sentences(text) or [(0, len(text))]
    wanted = bigrams(question)
    # Earliest sentence wins ties, so the choice is deterministic.
    return max(spans, key=lambda span: (len(wanted & bigrams(text[span[0] : span[1]])), -span[0]))


class NaiveBaseline:
    """In-memory fixed-window dense retriever with a top-1 extractive answer."""

    name = "naive"

    def __init__(self, config: Config, embedder, cache_dir: Path | None = None):
        import faiss

        self.config = config
        self.embedder = embedder
        documents = self._load_documents(config.corpus_dir)
        self.chunks = naive_chunks(documents)
        vectors = self._embed([c.text for c in self.chunks], cache_dir)
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)
        log.info("朴素基线：%d 个文档，%d 个固定长度片段", len(documents), len(self.chunks))

    @staticmethod
    def _load_documents(corpus_dir: Path) -> list[SourceDocument]:
        documents = []
        for path in find_documents(corpus_dir):
            try:
                documents.append(load_document(path))
            except LoadError as exc:  # the pipeline's ingest skips such files too
                log.warning("朴素基线跳过文件：%s", exc)
        return documents

    def _embed(self, texts: list[str], cache_dir: Path | None) -> np.ndarray:
        """Passage embeddings, cached under ``cache_dir`` (the same texts and model → same file)."""
        key = hashlib.sha256("\x00".join([self.embedder.model_id, *texts]).encode("utf-8")).hexdigest()[:16]
        cache = Path(cache_dir) / f"naive-embeddings-{key}.npy" if cache_dir else None
        if cache is not None and cache.exists():
            return np.load(cache)
        vectors = self.embedder.encode_passages(texts)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.save(cache, vectors)
        return vectors

    def ask(self, question: str, k: int = 10) -> dict:
        """A prediction dict with the fields of ``Answer.to_dict()``."""
        started = time.perf_counter()
        vector = self.embedder.encode_queries([question])
        scores, ids = self.index.search(vector, min(k, len(self.chunks)))
        hits = [(self.chunks[int(i)], float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        retrieved = [_hit_dict(chunk, score) for chunk, score in hits]
        top = hits[0][1] if hits else 0.0
        refused = not hits or top < self.config.min_dense_score
        citations = []
        if not refused:
            chunk = hits[0][0]
            start, end = best_sentence(question, chunk.text)
            citations.append(_citation_dict(chunk, start, end))
        answer = REFUSAL_TEXT if refused else f"根据现有政策文件：{citations[0]['doc']}：“{citations[0]['quote']}”[1]"
        return {
            "question": question,
            "answer": answer,
            "refused": refused,
            "reason": f"最相关片段的语义相似度 {top:.3f} 低于阈值 {self.config.min_dense_score}" if refused else "",
            "notice": "",
            "citations": citations,
            "retrieved": retrieved,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        }


def _hit_dict(chunk: NaiveChunk, score: float) -> dict:
    doc = chunk.doc
    return {
        "doc": doc.title,
        "doc_number": doc.doc_number,
        "chunk_id": chunk.chunk_id,
        "heading": "",
        "text": chunk.text,
        "score": round(score, 6),
        "scores": {"dense": round(score, 4)},
    }


def _citation_dict(chunk: NaiveChunk, start: int, end: int) -> dict:
    doc = chunk.doc
    return {
        "number": 1,
        "doc": doc.title,
        "doc_number": doc.doc_number,
        "date": doc.date,
        "heading": "",
        "chunk_id": chunk.chunk_id,
        "quote": chunk.text[start:end],
        "text": chunk.text,
        "source_start": chunk.start + start,
        "source_end": chunk.start + end,
    }
