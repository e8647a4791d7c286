"""Questions that ask for a figure (多少, 多久, 几次…) on the real index: the first hit's quote must
state one, else the second hit's figure is quoted when it is about what the question asks, else
the question is refused (policyqa.answer.figure_fallback, policyqa.refusal.missing_figure)."""
import pytest

from policyqa.answer import FIGURE_FALLBACK_OVERLAP, figure_fallback, question_terms

pytestmark = pytest.mark.slow


def test_the_runner_up_figure_answers_when_the_first_hit_states_none(qa):
    # the law (first hit) says only 国家规定的比例; the 意见 (second) says 60%以上
    question = "职工教育经费里一线职工的部分至少占多大比例？"
    result = qa.search(question)
    assert "60%" not in result.hits[0].chunk.text
    answer = qa.ask(question)
    assert not answer.refused, answer.reason
    [citation] = answer.citations
    assert citation.hit.rank == 2
    assert "60%以上用于一线职工" in citation.quote
    assert citation.hit.doc.title == "《关于加强新时代高技能人才队伍建设的意见》"
    assert citation.hit.chunk.text[citation.quote_start:citation.quote_end] == citation.quote


def test_a_count_is_never_taken_from_the_runner_up(qa):
    # NO_FALLBACK_KINDS: a plan's target count (建设50所高水平高职) is not the count asked for
    answer = qa.ask("全国一共有多少所高职院校？")
    assert answer.refused and "数量" in answer.reason, answer.answer


def test_a_runner_up_figure_about_another_subject_is_not_quoted(qa):
    # the second hit has 每年5月 — the 职业教育活动周, not an exam: refused, not a wrong citation
    answer = qa.ask("职教高考每年几月份考？")
    assert answer.refused and "日期" in answer.reason
    result = qa.search("职教高考每年几月份考？")
    terms = question_terms(result.query, qa.live.idf)
    assert figure_fallback(result.query, terms, result) is None
    assert FIGURE_FALLBACK_OVERLAP > 0


@pytest.mark.parametrize("question, kind", [
    ("职校老师全员轮训一轮要完成多少个培训学时？", "时长"),  # 5年一周期 states no hours; 100个 counts bases
    ("教师寒暑假一共能休多少天？", "期限"),  # 带薪休假, no number of days
])
def test_figure_questions_the_texts_leave_open_are_refused(qa, question, kind):
    answer = qa.ask(question)
    assert answer.refused and kind in answer.reason, (answer.reason, answer.answer)


def test_the_answer_names_the_follow_up_the_texts_leave_open(qa):
    answer = qa.ask("我们学校想按本地产业开个新专业，学校自己能做主吗？多久能调整一次？")
    assert not answer.refused, answer.reason
    assert "自主设置专业" in answer.citations[0].quote
    assert "多久能调整一次" in answer.notice and "期限" in answer.notice
    assert answer.to_dict()["notice"] == answer.notice
