"""A document filter narrows what may answer: the answer says a filter is on, and a question the
chosen documents never speak of is refused (policyqa/scope.py)."""
from __future__ import annotations

from policyqa.scope import filter_notice, missing_terms

TEACHERS_LAW = "12_jiaoshi-fa-2009"
QUALIFICATION = "24_jiaoshi-zige-tiaoli-1995"


def test_a_question_the_filtered_documents_do_not_answer_is_refused(qa):
    answer = qa.ask("双师型教师要有多少年企业经历？", docs=[TEACHERS_LAW])
    assert answer.refused and not answer.citations
    assert answer.notice.startswith("已限定文件：只在《中华人民共和国教师法》")
    # without the filter the same question is answered
    assert not qa.ask("双师型教师要有多少年企业经历？").refused


def test_a_filtered_answer_says_the_filter_is_on(qa):
    answer = qa.ask("教师资格怎么认定？", docs=[TEACHERS_LAW, QUALIFICATION])
    assert not answer.refused
    assert {c.hit.chunk.doc_id for c in answer.citations} <= {TEACHERS_LAW, QUALIFICATION}
    assert answer.notice.startswith("已限定文件：只在《") and "《教师资格条例》" in answer.notice
    assert "已限定文件" in answer.to_dict()["notice"]
    assert "已限定文件" not in qa.ask("教师资格怎么认定？").notice


def test_everyday_words_count_through_the_lexicon():
    # 老师 is not in the law, its official word 教师 is
    assert missing_terms("老师的工资", ["教师的平均工资水平"], {"老师", "工资"}, {"老师": ("教师",)}) == []
    assert missing_terms("双师型教师", ["教师的平均工资水平"], {"双师型", "教师"}, {}) == ["双师型"]
    # a word the corpus never uses is left to the usual refusal checks
    assert missing_terms("量子教师", ["教师"], {"教师"}, {}) == []


def test_notice_names_at_most_three_titles():
    assert filter_notice(["《甲》"]) == "已限定文件：只在《甲》中查找。"
    assert filter_notice(["《甲》", "《乙》", "《丙》", "《丁》"]) == "已限定文件：只在《甲》、《乙》、《丙》等 4 个文件中查找。"


def test_a_missing_corpus_word_refuses_when_the_rest_matches_better(qa):
    """within_filter itself: an answer found in 教师法 for a question about 双师型 is refused when the
    unfiltered best sentence is clearly better, and kept when it is not."""
    from policyqa.answer import Answer
    from policyqa.scope import MIN_GAP, within_filter

    live = qa.live
    docs = live.retriever.index.documents

    def answered():
        return Answer("双师型教师要有多少年企业经历？", "根据…", False, [], [], sentence_top=0.88)

    refused = within_filter(answered(), "双师型教师要有多少年企业经历？", [TEACHERS_LAW], docs, live.idf, live.retriever.lexicon, 0.88 + 2 * MIN_GAP)
    assert refused.refused and "双师型" in refused.reason and "所选文件中没有出现“双师型”" in refused.notice
    kept = within_filter(answered(), "双师型教师要有多少年企业经历？", [TEACHERS_LAW], docs, live.idf, live.retriever.lexicon, 0.88)
    assert not kept.refused and kept.notice.startswith("已限定文件")


LABOUR_LAW = "26_laodong-fa-2018"
CONTRACT_LAW = "27_laodong-hetong-fa-2012"


def test_a_question_about_a_document_the_filter_leaves_out_is_refused_and_says_which(qa):
    # 劳动法 also has a 第十条, and its words (劳动合同) are all in 劳动法: before, that article was
    # quoted as the answer about 劳动合同法
    answer = qa.ask("劳动合同法第十条是怎么规定的？", docs=[LABOUR_LAW])
    assert answer.refused and not answer.citations
    assert answer.reason == "问题提到的《中华人民共和国劳动合同法》不在所选文件中"
    assert "可取消限定后在全部文件中查找" in answer.notice
    # the same question with that law chosen, or naming a chosen one too, is answered from it
    answer = qa.ask("劳动合同法第十条是怎么规定的？", docs=[LABOUR_LAW, CONTRACT_LAW])
    assert not answer.refused and answer.citations[0].hit.chunk.doc_id == CONTRACT_LAW
    assert "第十条" in answer.citations[0].quote
    answer = qa.ask("劳动法和劳动合同法对试用期怎么规定？", docs=[LABOUR_LAW])
    assert not answer.refused and {c.hit.chunk.doc_id for c in answer.citations} == {LABOUR_LAW}
