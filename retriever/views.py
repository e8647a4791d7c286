"""chunks → the texts that are embedded and BM25-indexed (the index's views of a chunk).

Build (retriever/build.py) and search (retriever/search.py, for a corpus without a sentence
index) both embed sentences through these functions, so their vectors are alike; both backends
(the local index, retriever/milvus_backend.py) index the words these functions give, so they rank alike.
"""
from __future__ import annotations

import numpy as np

from ingest.schema import Chunk, SourceDocument
from ingest.structure import split_sentences
from retriever.text import char_bigrams, tokenize


def passage_text(chunk: Chunk, doc: SourceDocument, text: str | None = None) -> str:
    """What is embedded and BM25-indexed for a chunk (or one of its sentences, ``text``):
    the document title and heading path give it context."""
    return f"{doc.title} {chunk.heading_path}\n{chunk.text if text is None else text}".strip()


def chunk_terms(chunk: Chunk, doc: SourceDocument) -> list[str]:
    """The words chunk BM25 indexes: jieba's search-mode tokens of :func:`passage_text`."""
    return tokenize(passage_text(chunk, doc))


def sentence_terms(chunk: Chunk, doc: SourceDocument, start: int, end: int) -> list[str]:
    """The character bigrams sentence BM25 indexes for ``chunk.text[start:end]``: the sentence with
    its title and heading path, as chunk BM25 keeps them."""
    return char_bigrams(passage_text(chunk, doc, chunk.text[start:end]))


def sentence_text(chunk: Chunk, text: str) -> str:
    """What a sentence is embedded as: its heading path and the sentence, without the document title.

    In a sentence of 30 characters the title (《中华人民共和国职业教育法》) would weigh as much as the
    sentence itself, so every sentence of a document would look like its title. Until index
    format 3 a sentence was embedded twice, with and without the title, and the two vectors summed;
    on the 26-document corpus this one view ranked as well (recall@1 summed over six question sets
    4.36 against 4.29) at a third less ingest work (docs/journal.md, "Ingest throughput")."""
    return f"{chunk.heading_path}\n{text}".strip()


def encode_sentences(embedder, texts: list[str], show_progress: bool = False) -> np.ndarray:
    """One passage vector a sentence (texts from :func:`sentence_text`)."""
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return embedder.encode_passages(list(texts), show_progress=show_progress)


def bare_text(view: str, sentence: str, alone: bool) -> str:
    """What a sentence's second vector embeds: the sentence without the heading path its sibling
    sentences share (that shared path drowns what tells them apart). A chunk's only sentence has no
    siblings, so its view (:func:`sentence_text`) serves and no second encoding is needed: 19 % of
    the sentence characters of the 26 documents, and cross-validated over nine question sets first-
    quote precision 0.748 -> 0.754 (docs/journal.md, Evaluation, "Session 14")."""
    return view if alone else sentence


def alone_in_chunk(rows: np.ndarray) -> np.ndarray:
    """bool per row of :func:`sentence_units` (``chunk row, start, end``): the chunk's only sentence."""
    chunk_rows = np.asarray(rows, dtype=np.int64).reshape(-1, 3)[:, 0]
    if not len(chunk_rows):
        return np.zeros(0, dtype=bool)
    counts = np.bincount(chunk_rows)
    return counts[chunk_rows] == 1


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
