"""Questions that ask what a term means are answered by the sentence that defines it
(policyqa/definitions.py, policyqa/data/definitions.tsv)."""
import pytest

from policyqa.definitions import asked_term, definition_pattern, defines


@pytest.mark.parametrize("question, term", [
    ("什么是试用期？", "试用期"),
    ("什么叫计时工资", "计时工资"),
    ("“见习期”是什么意思？", "见习期"),
    ("兼职教师指的是哪些人？", "兼职教师"),
    ("年度的定义是什么？", "年度"),
    ("试用期最长多久？", ""),  # asks a period, not a meaning
    ("我们单位的加班怎么算？", ""),
])
def test_the_term_a_question_asks_the_meaning_of(question, term):
    assert asked_term(question) == term


@pytest.mark.parametrize("sentence, defined", [
    ("计时工资是指按计时工资标准支付的劳动报酬。", True),
    ("第九条 本规定所称计时工资，是指按标准支付的报酬。", True),
    ("推行按时计酬的办法（以下简称计时工资）。", True),
    ("计时工资按月支付。", False),  # uses the term, defines nothing
])
def test_a_sentence_defines_the_term_in_the_set_phrases_of_legal_drafting(sentence, defined):
    assert defines(definition_pattern("计时工资"), sentence) is defined
    assert not defines(definition_pattern(""), sentence)


@pytest.mark.slow
@pytest.mark.parametrize("question, piece", [
    # the law's 附则 defines it; 第三十一条 (what a 高等学校 does) ranked first
    ("什么是高等学校？", "本法所称高等学校是指"),
    # the plan names the pilot in brackets; another sentence of its item ranked first
    ("1+X证书是什么？", "以下称1+X证书制度试点"),
])
def test_a_what_is_question_is_answered_by_the_definition(qa, question, piece):
    answer = qa.ask(question)
    assert not answer.refused, answer.reason
    assert piece in answer.citations[0].quote, answer.citations[0].quote


@pytest.mark.parametrize("best", [0.9, 0.05])
def test_the_defining_sentence_goes_first_above_or_below_the_bar(best):
    # 什么叫本人工资: the regulation's 「本条例所称本人工资，是指…」 ranked under the refusal bar
    # behind another law's definition of 工资, and the question was refused
    import numpy as np

    from ingest.schema import SourceDocument
    from ingest.chunker import chunk_document
    from policyqa.ranker import Bars, Candidate, choose
    from retriever.search import Hit

    doc = SourceDocument(doc_id="d", title="《某条例》", text="第一条 工资按月支付。\n第二条 本条例所称本人工资，是指前12个月平均月缴费工资。\n")
    hits = [Hit(chunk, doc, score=1.0, rank=n) for n, chunk in enumerate(chunk_document(doc), start=1)]
    assert len(hits) == 2
    candidates = [Candidate(i, 0, len(h.chunk.text), 0.5) for i, h in enumerate(hits)]
    probabilities = np.array([best, 0.01])
    bars = Bars(0.1, 0.5)
    assert choose(candidates, probabilities, hits, bars, defining=[False, False]) == ([0] if best > 0.1 else [])
    assert choose(candidates, probabilities, hits, bars, defining=[False, True])[0] == 1
