"""Follow-up questions lean on the previous one (policyqa/followup.py)."""
from __future__ import annotations

import pytest

from policyqa.followup import read_follow_up


@pytest.mark.parametrize("previous, question, reading", [
    ("企业招聘有什么要求？", "那事业单位招聘呢？", "事业单位招聘 要求"),
    ("劳动合同的试用期怎么规定？", "它最长多久？", "劳动合同试用期最长多久？"),
    ("教师的工资有什么规定？", "那校长呢？", "校长 工资"),
])
def test_a_follow_up_is_read_with_the_previous_subject(previous, question, reading):
    assert read_follow_up(question, previous) == reading


@pytest.mark.parametrize("previous, question", [
    ("教师的工资有什么规定？", "教师资格怎么认定？"),  # says what it is about
    (None, "那高职呢？"),  # nothing before it
    ("教师的工资有什么规定？", "那么在职业学校里面兼职的企业工程技术人员的工资待遇又是怎么规定的呢？"),  # long: stands alone
])
def test_a_question_that_stands_alone_is_left_alone(previous, question):
    assert read_follow_up(question, previous) is None


def test_follow_up_answer_says_how_it_was_read(qa):
    from policyqa.followup import reading_notice

    reading = read_follow_up("那事业单位呢？", "工作人员的试用期有多长？")
    assert reading and reading.startswith("事业单位")
    answer = qa.ask(reading)
    assert reading_notice(reading).startswith(f"按“{reading}”理解")
    hits = [h.chunk.doc_id for h in answer.retrieved[:3]]
    assert any(d.startswith("25_shiye-danwei") for d in hits), hits
