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


# -- sentence views: on by default, off for large corpora ------------------------------------


def test_sentence_index_auto_follows_the_chunk_count():
    assert store.sentence_views("auto", store.AUTO_SENTENCE_LIMIT) == "index"
    assert store.sentence_views("auto", store.AUTO_SENTENCE_LIMIT + 1) != "index"
    assert store.sentence_views("on", 10_000_000) == "index" and store.sentence_views("off", 10) != "index"
    # between the two limits the sentences' vectors are kept, without FAISS or BM25 over them
    assert store.sentence_views("auto", store.AUTO_SENTENCE_LIMIT + 1) == "vectors"
    assert store.sentence_views("auto", store.AUTO_SENTENCE_VECTOR_LIMIT) == "vectors"
    assert store.sentence_views("auto", store.AUTO_SENTENCE_VECTOR_LIMIT + 1) == "none"
    assert store.sentence_views("vectors", 10) == "vectors" and store.sentence_views("off", 10) == "none"
    with pytest.raises(ValueError, match="sentence_index"):
        store.sentence_views("yes", 10)
    # builds written before "sentence_vectors" existed had both or neither
    assert store.manifest_sentence_views({"sentence_index": True}) == "index"
    assert store.manifest_sentence_views({"sentence_index": False}) == "none"


def test_without_sentence_index_answers_still_quote_the_best_sentence(tmp_path, embedder):
    import dataclasses
    import shutil

    from retriever.build import ingest
    from policyqa.config import PROJECT_ROOT, Config
    from policyqa.qa import PolicyQA

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PROJECT_ROOT / "data" / "policies" / "12_jiaoshi-fa-2009.txt", corpus)
    cfg = Config.load(corpus_dir=corpus, index_dir=tmp_path / "index", sentence_index="off")
    ingest(cfg, embedder=embedder, progress=False)
    build = store.read_current(cfg.index_dir)
    manifest = store.load_index(cfg.index_dir, with_search=False).manifest
    assert manifest["sentence_index"] is False and manifest["sentence_count"] > manifest["chunk_count"]
    assert not (build / "sentence_embeddings.npy").exists() and not (build / "bm25_sentences").exists()

    qa = PolicyQA(cfg, embedder=embedder)
    result = qa.search("教师节是哪一天？")
    assert "dense_sentence" not in result.hits[0].ranks and result.hits[0].sentence_scores == []
    answer = qa.ask("教师节是哪一天？")
    assert not answer.refused and answer.citations[0].quote == "第六条 每年九月十日为教师节。"
    assert answer.sentence_top >= cfg.min_dense_score

    # turning the sentence views on again rebuilds them but reuses every chunk vector
    report = ingest(dataclasses.replace(cfg, sentence_index="on"), embedder=embedder, progress=False)
    assert report.embedded_chunks == 0
    assert store.load_index(cfg.index_dir, with_search=False).manifest["sentence_index"] is True
    assert (store.read_current(cfg.index_dir) / "sentence_embeddings.npy").exists()


def test_stored_sentence_vectors_score_the_hits_as_embedding_them_at_question_time_does(tmp_path, embedder):
    """``sentence_index=vectors`` (what ``auto`` chooses for 100,000–400,000 chunks): every
    sentence's vector is stored (float16) without FAISS or BM25 over them, and a question embeds
    no sentence: the hits' sentences get the cosines the ``off`` build computes at question time."""
    import dataclasses
    import shutil

    from retriever.build import ingest
    from policyqa.config import PROJECT_ROOT, Config
    from policyqa.qa import PolicyQA

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PROJECT_ROOT / "data" / "policies" / "12_jiaoshi-fa-2009.txt", corpus)
    off = Config.load(corpus_dir=corpus, index_dir=tmp_path / "off", sentence_index="off")
    cfg = dataclasses.replace(off, index_dir=tmp_path / "vectors", sentence_index="vectors")
    ingest(off, embedder=embedder, progress=False)
    ingest(cfg, embedder=embedder, progress=False)
    build = store.read_current(cfg.index_dir)
    data = store.load_index(cfg.index_dir)
    assert data.manifest["sentence_index"] is False and data.manifest["sentence_vectors"] is True
    assert data.sentence_embeddings.dtype == np.float16 and len(data.sentence_embeddings) == data.manifest["sentence_count"]
    assert not (build / "sentences.faiss").exists() and not (build / "bm25_sentences").exists()

    question = "教师节是哪一天？"
    at_question_time = PolicyQA(off, embedder=embedder)
    stored = PolicyQA(cfg, embedder=embedder)
    calls = []
    encode = embedder.encode_passages
    embedder.encode_passages = lambda texts, **kw: calls.append(len(texts)) or encode(texts, **kw)
    try:
        answer = stored.ask(question)
    finally:
        del embedder.encode_passages
    assert calls == []  # nothing embedded at question time
    result = stored.search(question)
    assert "dense_sentence" not in result.hits[0].ranks and "bm25_sentence" not in result.hits[0].ranks
    assert all(hit.sentence_scores for hit in result.hits)  # every hit is scored, not only the first few
    reference = at_question_time.search(question)
    at_question_time.live.retriever.score_hit_sentences(reference, n=len(reference.hits))
    for mine, theirs in zip(result.hits, reference.hits):
        assert mine.chunk.chunk_id == theirs.chunk.chunk_id
        assert np.allclose([c for _s, _e, c in mine.sentence_scores], [c for _s, _e, c in theirs.sentence_scores], atol=2e-3)
        # each sentence alone: stored in float16, or embedded at question time with its view
        assert len(mine.bare_cosines) == len(mine.sentence_scores) and np.allclose(mine.bare_cosines, theirs.bare_cosines, atol=2e-3)
        # and both against the adapted question vector
        for kind in ("adapted_cosines", "adapted_bare_cosines"):
            ours, reference_cosines = getattr(mine, kind), getattr(theirs, kind)
            assert len(ours) == len(mine.sentence_scores) and np.allclose(ours, reference_cosines, atol=2e-3), kind
    assert data.sentence_bare.dtype == np.float16 and len(data.sentence_bare) == data.manifest["sentence_count"]
    assert any(abs(b - c) > 0.01 for h in result.hits for (_s, _e, c), b in zip(h.sentence_scores, h.bare_cosines))
    assert not answer.refused and answer.citations[0].quote == "第六条 每年九月十日为教师节。"
    assert answer.sentence_top == pytest.approx(max(c for h in result.hits for _s, _e, c in h.sentence_scores), abs=1e-6)

    # an ingest with nothing new reuses the stored vectors; switching to a full sentence index builds it
    assert ingest(cfg, embedder=embedder, progress=False).index_path == str(build)
    report = ingest(dataclasses.replace(cfg, sentence_index="on"), embedder=embedder, progress=False)
    assert report.embedded_chunks == 0
    assert (store.read_current(cfg.index_dir) / "sentences.faiss").exists()


def test_bm25_beside_the_dense_branch_gives_the_same_ranking(qa, monkeypatch):
    import retriever.search as search

    question = "双师型教师去企业实践有什么要求？"
    serial = qa.search(question)
    monkeypatch.setattr(search, "PARALLEL_BM25_ABOVE", 0)  # what a large index does
    parallel = qa.search(question)
    assert [h.chunk.chunk_id for h in parallel.hits] == [h.chunk.chunk_id for h in serial.hits]
    assert [h.ranks for h in parallel.hits] == [h.ranks for h in serial.hits] and "bm25" in parallel.timings_ms
