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
    ("教师法第三章", "那第二款呢？"),  # a 款 of no article: was 「第二款 第三章」
    ("教师法第二十五条", "那第二段呢？"),  # an article's 第二段 would be a guess at its 第二款
    ("教师的工资有什么规定？", "那么在职业学校里面兼职的企业工程技术人员的工资待遇又是怎么规定的呢？"),  # long: stands alone
])
def test_a_question_that_stands_alone_is_left_alone(previous, question):
    assert read_follow_up(question, previous) is None


@pytest.mark.parametrize("previous, question, reading", [
    ("劳动合同法第十条是怎么规定的？", "那第二款呢？", "劳动合同法第十条第二款"),
    ("劳动合同法第十条第二款是什么？", "第三款呢？", "劳动合同法第十条第三款"),  # the part asked before gives way
    ("工伤保险条例第14条第一项", "那第（六）项呢", "工伤保险条例第14条第（六）项"),
    ("劳动合同法第十条是怎么规定的？", "那第十一条呢？", "劳动合同法第十一条"),
    ("劳动合同法第三十八条是怎么规定的？", "那原文呢？", "劳动合同法第三十八条原文"),  # was 「原文 合同法 第三十八条」
    ("劳动合同法第三十八条是怎么规定的？", "那它的原文呢？", "劳动合同法第三十八条原文"),
    ("教师法第三章", "那第四章呢？", "教师法第四章"),  # was 「第四章 第三章」
    ("教师法第三章讲了什么？", "那第十二条呢？", "教师法第十二条"),
    ("劳动合同法第三十八条", "那第五章呢？", "劳动合同法第五章"),
    ("劳动合同法第五章", "那第二节呢？", "劳动合同法第五章第二节"),  # the 节 of the chapter cited
    ("劳动合同法第五章第二节", "那第三节呢？", "劳动合同法第五章第三节"),  # was 「劳动合同法第三节」
    ("劳动合同法第五章第二节", "那第四章呢？", "劳动合同法第四章"),
    ("教师法第三章", "那原文呢？", "教师法第三章原文"),  # was 「原文 第三章」
    ("49号文第二部分第三段", "那第四段呢？", "49号文第二部分第四段"),  # the paragraph asked before gives way
    ("49号文第二部分讲了什么？", "第一段呢", "49号文第二部分第一段"),
])
def test_a_follow_up_inside_a_cited_law_keeps_its_law_and_article(previous, question, reading):
    # word by word, 「那第二款呢」 lost the law's name (劳动 合同法) and put 第二款 before the article
    assert read_follow_up(question, previous) == reading


def test_the_law_of_a_follow_up_article_is_the_one_cited_before(qa):
    answer = qa.ask(read_follow_up("那第二款呢？", "劳动合同法第十条是怎么规定的？"))
    assert not answer.refused and answer.citations[0].quote.startswith("已建立劳动关系")
    assert answer.citations[0].hit.chunk.doc_id == "27_laodong-hetong-fa-2012"


def test_follow_up_answer_says_how_it_was_read(qa):
    from policyqa.followup import reading_notice

    reading = read_follow_up("那事业单位呢？", "工作人员的试用期有多长？")
    assert reading and reading.startswith("事业单位")
    answer = qa.ask(reading)
    assert reading_notice(reading).startswith(f"按“{reading}”理解")
    hits = [h.chunk.doc_id for h in answer.retrieved[:3]]
    assert any(d.startswith("25_shiye-danwei") for d in hits), hits


@pytest.mark.parametrize("previous, question, reading", [
    ("劳动合同法一共有多少条？", "那教师法呢？", "教师法一共有多少条？"),  # was 「教师法 合同法 一共 条」
    ("教师法第二十五条怎么规定的？", "那职业教育法的呢？", "职业教育法第二十五条怎么规定的？"),
])
def test_another_documents_name_asks_the_previous_question_of_it(qa, previous, question, reading):
    names = lambda text: qa.live.retriever.references(text).spans  # noqa: E731
    assert read_follow_up(question, previous, names) == reading
    assert read_follow_up("那教师法呢？", "试用期多长？", names) == "教师法 多长"  # nothing named before: as before
    answer = qa.ask(read_follow_up("那教师法呢？", "劳动合同法一共有多少条？", names))
    assert "《中华人民共和国教师法》（2009年修正）共四十三条" in answer.notice


@pytest.mark.parametrize("previous, question, reading", [
    ("49号文讲了什么？", "那第二部分呢？", "49号文第二部分"),  # was left alone: a 第二部分 of no document
    ("人社部那个通知讲了什么", "那第二部分呢", "人社部那个通知第二部分"),  # was 「第二部分 社部 通知」
    ("教师法对工资有什么规定", "那第二十五条呢？", "教师法第二十五条"),
    ("教师法讲了什么", "第三章呢", "教师法第三章"),
])
def test_a_division_or_article_after_a_named_document_is_of_that_document(qa, previous, question, reading):
    names = lambda text: qa.live.retriever.references(text).spans  # noqa: E731
    assert read_follow_up(question, previous, names) == reading
    assert read_follow_up("那第二部分呢？", "技能人才有什么政策？", names) is None  # nothing named before


@pytest.mark.parametrize("previous, question, reading", [
    # was 「服务期 合同法 试用期」: the name cut into words, its first word taken for the subject
    ("劳动合同法对试用期怎么规定的", "那服务期呢？", "劳动合同法 服务期"),
    ("女职工劳动保护特别规定的附录讲了什么", "那孕期呢？", "女职工劳动保护特别规定 孕期"),  # was refused
    ("职业教育法对实习有什么规定", "那学徒呢", "职业教育法 学徒"),  # was 「学徒 教育法 实习」
])
def test_a_new_subject_after_a_named_document_keeps_the_document_whole(qa, previous, question, reading):
    names = lambda text: qa.live.retriever.references(text).spans  # noqa: E731
    assert read_follow_up(question, previous, names) == reading
    assert read_follow_up("那事业单位招聘呢？", "企业招聘有什么要求？", names) == "事业单位招聘 要求"  # nothing named: as before
