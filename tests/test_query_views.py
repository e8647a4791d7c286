"""The dense ranking vector: the question's query vector plus a share of its passage vector."""
import dataclasses

import numpy as np
import pytest

from retriever.search import mix_views


def retriever_with(qa, share):
    return qa.live.retriever.reconfigured(dataclasses.replace(qa.config, query_passage_share=share))


def test_one_batch_encodes_both_views_as_the_separate_calls_do(qa):
    import copy

    embedder = copy.copy(qa.embedder)
    embedder.precision = "float32"  # as questions are encoded (ingest may batch passages in bf16)
    query, passage = embedder.encode_query_and_passage("骨干老师去企业兼职", "骨干老师兼职")
    assert np.allclose(query, embedder.encode_queries(["骨干老师去企业兼职"])[0], atol=1e-5)
    assert np.allclose(passage, embedder.encode_passages(["骨干老师兼职"])[0], atol=1e-5)
    assert not np.allclose(query, embedder.encode_passages(["骨干老师去企业兼职"])[0], atol=1e-3)  # the prompts differ


def test_ranking_vector_is_the_normalised_mix_of_both_views():
    query, passage = np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)
    mixed = mix_views(query, passage, 0.5)
    assert np.allclose(mixed, np.array([1.0, 0.5]) / np.linalg.norm([1.0, 0.5]))
    assert mix_views(query, passage, 0.0).tolist() == query.tolist()


def test_passage_view_ranks_the_passage_that_says_what_the_question_says_first(qa):
    # a colloquial question whether the inter-ministerial meeting still exists is answered by
    # 「撤销职业教育工作部际联席会议…」 (on the six first documents the query vector alone ranked the
    # 联席会议办公室 paragraph first; on 26 it no longer does, so only the mixed view is checked)
    question = "职业教育部际联席会议后来还在不在？"
    assert "撤销职业教育工作部际联席会议" in retriever_with(qa, 0.5).search(question).hits[0].chunk.text


@pytest.mark.parametrize("question", ["老师能不能到企业兼职拿报酬？", "职业学校教师评高级职称要什么条件"])
def test_refusal_signals_stay_plain_query_cosines(qa, question):
    # min_dense_score is calibrated on query-vector cosines, so the mix must not move them
    result = retriever_with(qa, 0.5).search(question)
    plain = retriever_with(qa, 0.0).search(question)
    assert result.dense_top == pytest.approx(plain.dense_top, abs=1e-5)
    assert result.sentence_top == pytest.approx(plain.sentence_top, abs=1e-5)
    assert np.allclose(result.query_vector, plain.query_vector, atol=1e-6)
    # and quotes are chosen by the query vector too: a chunk in both results scores its sentences alike
    plain_rows = {h.row: h.sentence_scores for h in plain.hits}
    shared = [h for h in result.hits if h.row in plain_rows]
    assert shared and all(h.sentence_scores == plain_rows[h.row] for h in shared)
