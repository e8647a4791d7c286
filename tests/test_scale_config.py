"""The index kind ``auto`` chooses by size, and the search-time tuning that goes with it.

The figures behind these choices come from ``bench/bench_scale.py`` (bench/out/scale.md).
"""
from __future__ import annotations

import numpy as np
import pytest

from retriever import store


def test_auto_is_exact_up_to_the_limit():
    for n in (0, 1, 999, store.AUTO_FLAT_LIMIT):
        assert store.choose_factory("auto", n) == "Flat"


def test_auto_is_approximate_above_the_limit():
    for n in (store.AUTO_FLAT_LIMIT + 1, 1_000_000, 10_000_000):
        assert store.choose_factory("auto", n) == store.AUTO_APPROXIMATE == "HNSW32,SQfp16"


@pytest.mark.parametrize("factory", ["Flat", "HNSW32,Flat", "IVF1024,PQ48", "HNSW32,SQ8"])
def test_explicit_factory_is_kept_whatever_the_size(factory):
    for n in (10, store.AUTO_FLAT_LIMIT + 1, 1_000_000):
        assert store.choose_factory(factory, n) == factory


def test_ef_search_grows_with_the_index():
    sizes = [1_000, 100_000, 200_000, 200_001, 500_000, 1_000_000, 3_500_000]
    efs = [store.hnsw_ef_search(n) for n in sizes]
    assert efs == sorted(efs)
    assert store.hnsw_ef_search(100_000) == 512
    assert store.hnsw_ef_search(1_000_000) == store.HNSW_EF_SEARCH_MAX == 4096


def _unit_vectors(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_auto_approximate_index_builds_tunes_and_finds_exact_matches(tmp_path):
    faiss = pytest.importorskip("faiss")
    x = _unit_vectors(3000)
    index = store.build_faiss(x, store.AUTO_APPROXIMATE)  # no training step: works from any size
    path = tmp_path / "dense.faiss"
    faiss.write_index(index, str(path))
    loaded = faiss.read_index(str(path))
    store.tune_faiss(loaded)
    assert faiss.downcast_index(loaded).hnsw.efSearch == store.hnsw_ef_search(3000)
    _, ids = loaded.search(x[:50], 10)
    assert (ids[:, 0] == np.arange(50)).all()
    # the document filter of Retriever._faiss_search (an ID selector) keeps working
    allowed = np.arange(100, 400, dtype=np.int64)
    params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
    _, ids = loaded.search(x[150:151], 10, params=params)
    assert ids[0, 0] == 150 and set(ids[0][ids[0] >= 0]) <= set(allowed.tolist())


def test_explicit_ef_search_overrides_the_size_rule():
    pytest.importorskip("faiss")
    import faiss

    index = store.build_faiss(_unit_vectors(500), "HNSW32,Flat")
    store.tune_faiss(index, ef_search=77)
    assert faiss.downcast_index(index).hnsw.efSearch == 77
