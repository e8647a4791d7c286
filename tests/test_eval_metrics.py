"""The eval metrics on hand-made cases with exact expected values."""
from __future__ import annotations

import math

import pytest

from eval import metrics as m

# 100 distinct characters: no accidental common substrings between pieces of it.
QUOTE = "".join(chr(0x4E00 + i) for i in range(100))
OTHER = "".join(chr(0x5E00 + i) for i in range(300))


# -- supports() -------------------------------------------------------------------------------


@pytest.mark.parametrize(("covered", "expected"), [(59, False), (60, True), (61, True)])
def test_supports_threshold_is_60_percent_of_the_quote(covered, expected):
    passage = OTHER[:50] + QUOTE[:covered] + OTHER[50:100]
    assert m.supports(passage, QUOTE) is expected
    assert m.coverage(passage, QUOTE) == pytest.approx(covered / 100)


def test_supports_rounds_the_needed_length_up():
    quote = QUOTE + "丙"  # 101 characters: 60 % is 60.6, so 61 are needed
    assert not m.supports(quote[:60], quote)
    assert m.supports(quote[:61], quote)


def test_supports_needs_one_contiguous_piece():
    # 40 + 40 characters of the quote, separated: 80 % in total but only 40 % contiguous.
    passage = QUOTE[:40] + OTHER[:10] + QUOTE[60:]
    assert m.coverage(passage, QUOTE) == pytest.approx(0.4)
    assert not m.supports(passage, QUOTE)


def test_quote_straddling_two_chunks_is_supported_by_the_one_holding_most_of_it():
    chunk_a = OTHER[:200] + QUOTE[:70]  # the quote starts at the end of chunk A …
    chunk_b = QUOTE[70:] + OTHER[200:]  # … and ends in chunk B
    assert m.supports(chunk_a, QUOTE)
    assert not m.supports(chunk_b, QUOTE)


def test_supports_ignores_whitespace_and_width_differences():
    quote = "职业学校应当依照ABC 123标准，开展教育教学。"
    passage = "第十条\n职业学校 应当依照\u3000ＡＢＣ１２３标准，\n开展教育\t教学。"
    assert m.supports(passage, quote)
    assert m.coverage(passage, quote) == 1.0
    assert m.normalise(" Ａ\u3000b\nc ") == "Abc"


def test_supports_edge_cases():
    assert not m.supports("任何文本", "")
    assert not m.supports("", "引文")
    assert m.supports("引文", "引文")
    assert m.supports(QUOTE[:50], QUOTE, threshold=0.5)
    assert not m.supports(QUOTE[:49], QUOTE, threshold=0.5)


def test_longest_common_substring():
    assert m.longest_common_substring("abcde", "xbcdy") == 3
    assert m.longest_common_substring("abc", "xyz") == 0
    assert m.longest_common_substring("", "abc") == 0
    assert m.longest_common_substring(OTHER + QUOTE[10:77], QUOTE) == 67


def test_passage_from_another_document_does_not_support():
    gold = [{"doc": "《甲》", "quote": QUOTE}]
    assert m.passage_supports_gold({"doc": "《甲》", "text": QUOTE}, gold)
    assert not m.passage_supports_gold({"doc": "《乙》", "text": QUOTE}, gold)
    assert m.passage_supports_gold({"text": QUOTE}, gold)  # no doc given: text alone decides


# -- retrieval ----------------------------------------------------------------------------------


def test_recall_at_k():
    ranked = [False, False, True, False]
    assert m.recall_at_k(ranked, 2) == 0.0
    assert m.recall_at_k(ranked, 3) == 1.0
    assert m.recall_at_k([], 5) == 0.0


def test_reciprocal_rank():
    assert m.reciprocal_rank([False, False, True]) == pytest.approx(1 / 3)
    assert m.reciprocal_rank([True, True]) == 1.0
    assert m.reciprocal_rank([False, False, True], k=2) == 0.0
    assert m.reciprocal_rank([False] * 10) == 0.0


def test_ndcg_at_k():
    # relevant at ranks 2 and 4, two gold quotes: ideal puts them at ranks 1 and 2
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3)
    assert m.ndcg_at_k([False, True, False, True], 10, n_relevant=2) == pytest.approx(dcg / idcg)
    assert m.ndcg_at_k([False, True, False, True], 10, n_relevant=2) == pytest.approx(0.650921, abs=1e-6)
    # one relevant at rank 1 of three gold quotes
    assert m.ndcg_at_k([True, False], 10, n_relevant=3) == pytest.approx(1 / (1 + 1 / math.log2(3) + 0.5))
    # more relevant retrieved than gold quotes (a quote split over two chunks): capped at 1
    assert m.ndcg_at_k([True, True], 10, n_relevant=1) == 1.0
    assert m.ndcg_at_k([False, True], 1, n_relevant=1) == 0.0
    assert m.ndcg_at_k([False, False], 10, n_relevant=1) == 0.0


def test_percentile_interpolates_like_numpy():
    assert m.percentile([4, 1, 3, 2], 50) == 2.5
    assert m.percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert m.percentile([7.0], 95) == 7.0
    assert m.percentile([], 50) is None


def test_is_verbatim():
    assert m.is_verbatim({"quote": "开展教育", "text": "职业学校开展教育教学。"})
    assert not m.is_verbatim({"quote": "开展 教育", "text": "职业学校开展教育教学。"})
    assert not m.is_verbatim({"quote": "", "text": "职业学校开展教育教学。"})


# -- a whole hand-made run --------------------------------------------------------------------

G1, G2, G3 = QUOTE[:30], QUOTE[30:60], QUOTE[60:90]
NOISE = [OTHER[i * 20 : i * 20 + 20] for i in range(10)]


def _passage(text, doc="《甲》"):
    return {"doc": doc, "chunk_id": text[:3], "text": text, "score": 0.0, "scores": {"dense": 0.85}}


def _citation(text, quote=None, doc="《甲》"):
    return {"doc": doc, "chunk_id": text[:3], "quote": text[:10] if quote is None else quote, "text": text}


QUESTIONS = [
    {"id": "Q1", "question": "一", "answerable": True, "persona": "teacher", "gold": [{"doc": "《甲》", "quote": G1}]},
    {"id": "Q2", "question": "二", "answerable": True, "persona": "hr", "gold": [{"doc": "《甲》", "quote": G2}]},
    {"id": "Q3", "question": "三", "answerable": False, "persona": "teacher", "gold": []},
    {"id": "Q4", "question": "四", "answerable": False, "persona": "hr", "gold": []},
    {"id": "Q5", "question": "五", "answerable": True, "persona": "public", "gold": [{"doc": "《甲》", "quote": G3}]},
]
PREDICTIONS = [
    # gold at rank 2; one right citation and one with the right text from the wrong document
    {"id": "Q1", "refused": False, "latency_ms": 10, "citations": [_citation(NOISE[0] + G1), _citation(G1, doc="《乙》")],
     "retrieved": [_passage(NOISE[1]), _passage(NOISE[0] + G1)]},
    # gold at rank 1 but refused
    {"id": "Q2", "refused": True, "latency_ms": 20, "citations": [], "retrieved": [_passage(G2 + NOISE[2]), _passage(NOISE[3])]},
    # unanswerable, answered: its citation counts against precision
    {"id": "Q3", "refused": False, "latency_ms": 30, "citations": [_citation(NOISE[4])], "retrieved": [_passage(NOISE[4])]},
    {"id": "Q4", "refused": True, "latency_ms": 40, "citations": [], "retrieved": [_passage(NOISE[5])]},
    # right passage, but the quote is not in it
    {"id": "Q5", "refused": False, "latency_ms": 50, "citations": [_citation(G3, quote="不在原文中")], "retrieved": [_passage(G3)]},
]


def test_score_run_overall():
    overall = m.score_run(QUESTIONS, PREDICTIONS)["overall"]
    assert (overall["questions"], overall["answerable"], overall["unanswerable"]) == (5, 3, 2)
    assert overall["recall@1"] == pytest.approx(2 / 3, abs=1e-4)
    assert overall["recall@5"] == 1.0
    assert overall["mrr@10"] == pytest.approx((0.5 + 1 + 1) / 3, abs=1e-4)
    assert overall["citation_precision"] == 0.5  # 2 supporting of 4 (Q1: 2, Q3: 1, Q5: 1)
    assert overall["citation_recall"] == pytest.approx(2 / 3, abs=1e-4)  # Q1 and Q5; Q2 refused
    assert overall["non_verbatim_quotes"] == 1
    assert overall["refusal_rate"] == 0.5
    assert overall["false_refusal_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert overall["latency_p50_ms"] == 30.0
    assert overall["latency_p95_ms"] == 48.0


def test_score_run_per_persona_and_worst():
    scored = m.score_run(QUESTIONS, PREDICTIONS)
    teacher = scored["per_persona"]["teacher"]
    assert (teacher["questions"], teacher["citation_precision"], teacher["refusal_rate"]) == (2, 0.3333, 0.0)
    assert scored["per_persona"]["hr"]["false_refusal_rate"] == 1.0
    assert scored["per_persona"]["hr"]["citation_precision"] is None  # nothing answered
    worst = {w["id"]: w["problems"] for w in scored["worst"]}
    assert [w["id"] for w in scored["worst"]] == ["Q5", "Q3", "Q2", "Q1"]
    assert worst["Q1"] == ["extra citation (1 of 2 off-target)"]
    assert worst["Q2"] == ["false refusal"]
    assert worst["Q3"][0].startswith("missed refusal")
    assert worst["Q5"][0].startswith("non-verbatim")
    assert [s["id"] for s in scored["slowest"]] == ["Q5", "Q4", "Q3", "Q2", "Q1"]


def test_retrieval_miss_and_wrong_citation_are_reported():
    question = {"id": "Q9", "question": "九", "answerable": True, "persona": "public", "gold": [{"doc": "《甲》", "quote": G1}]}
    prediction = {"id": "Q9", "refused": False, "latency_ms": 1, "citations": [_citation(NOISE[0])], "retrieved": [_passage(n) for n in NOISE]}
    scored = m.score_run([question], [prediction])
    assert scored["worst"][0]["problems"] == ["retrieval miss (no gold passage in top 10)", "wrong citation (no cited passage supports the gold)"]
    assert scored["overall"]["recall@10"] == 0.0
    assert scored["overall"]["citation_precision"] == 0.0


def test_score_run_rejects_missing_predictions():
    with pytest.raises(ValueError, match="Q5"):
        m.score_run(QUESTIONS, PREDICTIONS[:4])


def test_check_targets():
    rows = m.check_targets({"recall@5": 0.95, "first_quote_precision": 0.8, "false_refusal_rate": 0.05, "non_verbatim_quotes": 1,
                            "citations_per_answer": 1.6})
    passed = {r["metric"]: r["passed"] for r in rows}
    assert passed["recall@5"] and passed["false_refusal_rate"]
    assert not passed["first_quote_precision"] and not passed["non_verbatim_quotes"] and not passed["citations_per_answer"]
    assert not passed["answer_recall"]  # missing value fails


def test_first_quote_precision_and_answer_recall():
    overall = m.score_run(QUESTIONS, PREDICTIONS)["overall"]
    judged = [m.judge_question(q, p) for q, p in zip(QUESTIONS, PREDICTIONS)]
    answered = [j for j in judged if not j["refused"]]
    assert overall["first_quote_precision"] == pytest.approx(sum(j["first_quote_ok"] for j in answered) / len(answered), abs=1e-4)
    answerable = [j for j in judged if j["answerable"]]
    assert overall["answer_recall"] == pytest.approx(sum(j["any_quote_ok"] for j in answerable) / len(answerable), abs=1e-4)
    assert 0 <= overall["first_quote_precision"] <= 1 and overall["max_quotes"] == max(j["n_citations"] for j in answered)


def test_refusal_threshold_sweep():
    judged = [
        {"answerable": True, "dense_top": 0.85},
        {"answerable": True, "dense_top": 0.90},
        {"answerable": False, "dense_top": 0.70},
        {"answerable": False, "dense_top": 0.80},
    ]
    sweep = m.refusal_threshold_sweep(judged, current=0.86)
    assert sweep["best_threshold"] == 0.825
    assert (sweep["refusal_rate"], sweep["false_refusal_rate"]) == (1.0, 0.0)
    assert sweep["at_current"] == {"threshold": 0.86, "refusal_rate": 1.0, "false_refusal_rate": 0.5}


def test_first_quote_focus_is_the_gold_share_of_a_right_first_quote():
    """A quote padded around its gold sentence still matches it; focus says how much of what the
    reader got was the answer: 60 gold characters in a quote of 80 is 0.75."""
    gold = [{"doc": "《甲》", "quote": QUOTE[:60]}]
    question = {"id": "T1", "question": "?", "answerable": True, "gold": gold}
    padded = {"refused": False, "citations": [{"doc": "《甲》", "quote": OTHER[:10] + QUOTE[:60] + OTHER[10:20], "text": ""}]}
    exact = {"refused": False, "citations": [{"doc": "《甲》", "quote": QUOTE[:60], "text": ""}]}
    wrong = {"refused": False, "citations": [{"doc": "《甲》", "quote": OTHER[:80], "text": ""}]}
    judged = [m.judge_question(question, p) for p in (padded, exact, wrong)]
    assert [j["first_quote_chars"] for j in judged] == [80, 60, 80]
    assert judged[0]["first_quote_focus"] == pytest.approx(0.75)
    assert judged[1]["first_quote_focus"] == 1.0
    assert judged[2]["first_quote_focus"] is None  # a wrong first quote has no focus to speak of
    overall = m.aggregate(judged)
    assert overall["first_quote_chars"] == pytest.approx(220 / 3, abs=1e-4)
    assert overall["first_quote_focus"] == pytest.approx(0.875)


def test_first_quote_miss_says_where_a_wrong_first_quote_comes_from():
    """Each kind of miss on a hand-made case: the gold sentence is QUOTE[:40] in document 甲, inside a
    passage that also holds QUOTE[40:80]; OTHER is text of no gold passage."""
    gold = [{"doc": "《甲》", "quote": QUOTE[:40]}]
    question = {"id": "T1", "question": "?", "answerable": True, "gold": gold}
    passage = QUOTE[:80]

    def cite(doc, quote, text):
        return {"doc": doc, "quote": quote, "text": text}

    cases = {
        "": [cite("《甲》", QUOTE[:40], passage)],
        "refused": [],
        "later_quote": [cite("《甲》", OTHER[:40], OTHER[:80]), cite("《甲》", QUOTE[:40], passage)],
        "same_passage": [cite("《甲》", QUOTE[40:80], passage)],
        "same_document": [cite("《甲》", OTHER[:40], OTHER[:80])],
        "other_document": [cite("《乙》", OTHER[:40], OTHER[:80])],
    }
    judged = []
    for kind, citations in cases.items():
        prediction = {"refused": not citations, "citations": citations}
        judged.append(m.judge_question(question, prediction))
        assert judged[-1]["first_quote_miss"] == kind, kind
    unanswerable = m.judge_question({"id": "T2", "question": "?", "answerable": False, "gold": []},
                                    {"refused": False, "citations": cases["other_document"]})
    assert unanswerable["first_quote_miss"] == ""
    overall = m.aggregate(judged + [unanswerable])
    assert {kind: overall[f"miss_{kind}"] for kind in m.MISS_KINDS} == {kind: 1 for kind in m.MISS_KINDS}
