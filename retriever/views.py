"""chunks → the texts that are embedded and BM25-indexed (the index's views of a chunk).

Build (retriever/build.py) and search (retriever/search.py, for a corpus without a sentence
index) both embed sentences through these functions, so their vectors are alike.
"""
from __future__ import annotations

import numpy as np

from ingest.schema import Chunk, SourceDocument
from ingest.structure import split_sentences


def passage_text(chunk: Chunk, doc: SourceDocument, text: str | None = None) -> str:
    """What is embedded and BM25-indexed for a chunk (or one of its sentences, ``text``):
    the document title and heading path give it context."""
    return f"{doc.title} {chunk.heading_path}\n{chunk.text if text is None else text}".strip()


def sentence_views(chunk: Chunk, doc: SourceDocument, text: str) -> tuple[str, str]:
    """The two texts a sentence is embedded as: :func:`passage_text` (title, heading path,
    sentence), and the heading path and sentence without the document title."""
    return passage_text(chunk, doc, text), f"{chunk.heading_path}\n{text}".strip()


def encode_sentences(embedder, views: list[tuple[str, str]], show_progress: bool = False) -> np.ndarray:
    """One vector a sentence: the normalised sum of the passage vectors of its two
    :func:`sentence_views`, encoded in one batch.

    Why two: in a sentence of 30 characters the title (《中华人民共和国职业教育法》) weighs as
    much as the sentence itself, so every sentence of a document looks like its title, and a
    question that says 职业教育 pulls up the law's. Without the title a sentence loses its
    context (which law, which chapter). The sum keeps both; on dev + three held-out sets it
    ranked the right passage first for 12 more questions and 2 fewer (README, "Evaluation")."""
    if not views:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    flat = embedder.encode_passages([text for pair in views for text in pair], show_progress=show_progress)
    summed = flat[0::2] + flat[1::2]
    return (summed / np.linalg.norm(summed, axis=1, keepdims=True)).astype(np.float32)


#: A sentence needs this many characters to be a retrieval unit of its own.
MIN_SENTENCE_CHARS = 6


def sentence_units(chunks: list[Chunk]) -> np.ndarray:
    """int32 [S, 3] rows ``(chunk row, start, end)``: the sentences of every chunk.

    Sentences are embedded and BM25-indexed on their own as well, because questions usually
    target one sentence, and a 400-character paragraph's vector blurs several topics.
    """
    rows = []
    for i, chunk in enumerate(chunks):
        spans = [(s, e) for s, e in split_sentences(chunk.text) if e - s >= MIN_SENTENCE_CHARS]
        rows.extend((i, s, e) for s, e in spans or [(0, len(chunk.text))])
    return np.asarray(rows, dtype=np.int32).reshape(-1, 3)
