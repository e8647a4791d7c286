"""Questions that ask for a figure (多少, 多久, 几次…) on the real index: a quote that states the
asked-for figure comes first (from the best passage, when another of its sentences states it);
when no quote states one, the question is refused
(policyqa.refusal.missing_figure); a figure asked only in a follow-up is named in the notice."""
import pytest

pytestmark = pytest.mark.slow


def test_the_quote_that_states_the_figure_comes_first(qa):
    answer = qa.ask("劳动者每天的工作时间最多是几个小时？")
    assert not answer.refused, answer.reason
    assert "小时" in answer.citations[0].quote
    assert answer.citations[0].hit.chunk.text[answer.citations[0].quote_start:answer.citations[0].quote_end] == answer.citations[0].quote


def test_the_sentence_of_the_best_passage_that_states_the_figure_is_quoted(qa):
    # 第二十四条's first sentences rank above the one with the limit; the answer was refused
    # because its one quote from that article stated no period
    answer = qa.ask("竞业限制最长几年？")
    assert not answer.refused, answer.reason
    assert "不得超过二年" in answer.citations[0].quote and "第二十四条" in answer.citations[0].label()


def test_how_long_asks_for_a_period(qa):
    # 多长 without 时间 was no figure word: the article's neighbouring sentence on treatment after
    # the period was quoted first
    answer = qa.ask("工伤职工停工留薪期一般多长？")
    assert not answer.refused, answer.reason
    assert "一般不超过12个月" in answer.citations[0].quote


def test_compensation_stated_in_months_of_wages_answers_how_much(qa):
    # 劳动合同法 gives severance as months of wages, not as a sum in 元: that answers 多少
    answer = qa.ask("我被公司辞退了，能拿多少经济补偿？")
    assert not answer.refused, answer.reason
    first = answer.citations[0]
    assert first.hit.doc.title == "《中华人民共和国劳动合同法》" and "第四十七条" in first.label(), first.label()
    assert "个月工资" in first.quote


def test_pay_stated_as_a_share_of_the_wage_answers_how_much(qa):
    # 年休假条例 gives the pay for untaken leave as 日工资收入的300%: it was refused as giving no sum
    answer = qa.ask("年休假没休完，单位要补多少钱？")
    assert not answer.refused, answer.reason
    assert "日工资收入的300%" in answer.citations[0].quote


def test_a_share_is_an_amount_only_of_the_wage():
    from policyqa.refusal import asked_figures

    [(kind, pattern)] = [(k, p) for k, p in asked_figures("加班费给多少钱？") if k == "金额"] or [("", None)]
    assert pattern.search("支付不低于工资的百分之三百的工资报酬") and pattern.search("按照日工资收入的300%支付")
    assert not pattern.search("职业院校实践性教学课时原则上占总课时一半以上，60%以上用于一线职工教育")


def test_a_count_the_texts_do_not_give_is_refused(qa):
    answer = qa.ask("全国一共有多少所技工学校？")
    assert answer.refused, answer.answer


@pytest.mark.parametrize("question, kind", [
    ("职校老师全员轮训一轮要完成多少个培训学时？", "时长"),  # the texts give a cycle of years, no hours
    # a number of people: a count of schools or centres (一批…N所) does not answer it
    ("中职学校每个班最多多少人？", "人数"),
    ("每所职业学校至少要有几名专职心理教师？", "人数"),  # 几名 asked for nothing before
    ("教师寒暑假一共能休多少天？", "期限"),  # 带薪休假 is named, no number of days
])
def test_figure_questions_the_texts_leave_open_are_refused(qa, question, kind):
    answer = qa.ask(question)
    assert answer.refused, (answer.reason, answer.answer)
    assert kind in answer.reason or "相关度" in answer.reason, answer.reason


def test_the_answer_names_the_follow_up_the_texts_leave_open(qa):
    # no text gives a notice period for a new 专业
    answer = qa.ask("我们学校想按本地产业开个新专业，学校自己能做主吗？要提前多少天报备？")
    assert not answer.refused, answer.reason
    assert any("自主设置" in c.quote for c in answer.citations)
    assert "要提前多少天报备" in answer.notice and "期限" in answer.notice
    assert answer.to_dict()["notice"] == answer.notice


def test_a_follow_up_the_quotes_answer_gets_no_notice(qa):
    # the reform plan says how often: 每年调整1次专业
    answer = qa.ask("我们学校想按本地产业开个新专业，学校自己能做主吗？多久能调整一次？")
    assert not answer.refused, answer.reason
    assert any("每年调整1次" in c.quote for c in answer.citations)
    assert "没有给出" not in answer.notice


def test_an_article_asked_for_a_figure_is_quoted_by_its_sentence_that_states_it(qa):
    """The asked article's lead-in (…按照下列标准支付…：) states no rate, so the answer was refused as
    lacking the figure; the article's item that states it is quoted instead."""
    answer = qa.ask("劳动法第四十四条说的加班费是多少")
    assert not answer.refused, answer.reason
    first = answer.citations[0]
    assert first.hit.chunk.heading[-1] == "第四十四条" and "百分之" in first.quote
