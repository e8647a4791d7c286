"""`policyqa eval` end to end on a few dev questions, the question-file parser and the naive baseline."""
from __future__ import annotations

import json

import pytest

from eval import metrics
from eval.baselines import NaiveBaseline, best_sentence, fixed_windows, naive_chunks
from eval.run import QuestionFileError, load_questions
from ingest.schema import SourceDocument
from policyqa.config import PROJECT_ROOT, Config

DEV = PROJECT_ROOT / "eval" / "data" / "dev.jsonl"
#: The sample run: the first four answerable and the first two unanswerable questions of dev.jsonl
#: (picked by position, so no test names an evaluation question).
SAMPLE_ANSWERABLE, SAMPLE_UNANSWERABLE = 4, 2
PREDICTION_FIELDS = {"id", "question", "refused", "answer", "reason", "notice", "citations", "retrieved", "latency_ms"}


@pytest.fixture(scope="module")
def eval_run(index_config, tmp_path_factory):
    """One `policyqa eval --check-targets` over the sample, against the session's temp index."""
    from policyqa.cli import main

    tmp = tmp_path_factory.mktemp("eval")
    everything = metrics.load_jsonl(DEV)
    picked = {id(q) for q in [q for q in everything if q["answerable"]][:SAMPLE_ANSWERABLE]
              + [q for q in everything if not q["answerable"]][:SAMPLE_UNANSWERABLE]}
    questions = [q for q in everything if id(q) in picked]  # in file order
    qfile = tmp / "questions.jsonl"
    qfile.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    out = tmp / "out"
    code = main(["eval", "--questions", str(qfile), "--out", str(out), "--index", str(index_config.index_dir), "--check-targets"])
    return code, questions, out, index_config


@pytest.mark.slow
def test_eval_writes_predictions_with_the_answer_fields(eval_run):
    _code, questions, out, _cfg = eval_run
    predictions = metrics.load_jsonl(out / "predictions.jsonl")
    assert [p["id"] for p in predictions] == [q["id"] for q in questions]
    for p in predictions:
        assert PREDICTION_FIELDS <= set(p)
        assert 1 <= len(p["retrieved"]) <= 10
        scores = [h["score"] for h in p["retrieved"]]
        assert scores == sorted(scores, reverse=True)  # rank order
        assert all({"doc", "chunk_id", "text", "score"} <= set(h) for h in p["retrieved"])
        assert all({"doc", "doc_number", "chunk_id", "quote", "text"} <= set(c) for c in p["citations"])
        assert p["refused"] == (not p["citations"])
        assert all(c["quote"] in c["text"] for c in p["citations"])
        assert p["latency_ms"] > 0


@pytest.mark.slow
def test_eval_writes_the_reports(eval_run):
    code, questions, out, _cfg = eval_run
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["questions"] == len(questions) == 6
    assert (report["answerable"], report["unanswerable"]) == (4, 2)
    assert [t["metric"] for t in report["targets"]] == [t[0] for t in metrics.TARGETS]
    assert code == (0 if report["targets_met"] else 1)  # --check-targets
    md = (out / "report.md").read_text(encoding="utf-8")
    for heading in ("## Targets", "## Per persona", "## Slowest questions", "## Worst questions"):
        assert heading in md
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_rescoring_the_predictions_reproduces_the_report(eval_run):
    _code, questions, out, cfg = eval_run
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    rescored = metrics.score_run(questions, metrics.load_jsonl(out / "predictions.jsonl"), refusal_threshold=cfg.min_dense_score)
    assert json.loads(json.dumps(rescored)) == report["systems"]["hybrid"]


# -- question file -----------------------------------------------------------------------------


def test_malformed_question_file_names_every_bad_line(tmp_path):
    good = {"id": "X1", "question": "问题？", "answerable": False, "persona": "hr", "gold": []}
    lines = [
        json.dumps(good, ensure_ascii=False),
        "{not json",
        json.dumps({**good, "id": "X2", "persona": "student"}),
        json.dumps({**good, "id": "X3", "answerable": True}),
        json.dumps(good, ensure_ascii=False),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(QuestionFileError) as err:
        load_questions(path)
    message = str(err.value)
    assert f"{path}:2: invalid JSON" in message
    assert f"{path}:3: 'persona'" in message
    assert f"{path}:4: 'answerable' must be true exactly when 'gold' is non-empty" in message
    assert f"{path}:5: duplicate id 'X1' (first on line 1)" in message
    assert ":1:" not in message


def test_cli_reports_a_bad_question_file_before_loading_anything(tmp_path, capsys):
    from policyqa.cli import main

    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "X1"}\n', encoding="utf-8")
    assert main(["eval", "--questions", str(path), "--out", str(tmp_path / "out"), "--index", str(tmp_path / "none")]) == 2
    assert f"{path}:1:" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


def test_a_sealed_set_runs_only_when_unsealed(tmp_path, capsys):
    # the sealed sets' figures are the headline because nobody tuned on them: no run by accident
    from policyqa.cli import main

    for name in ("sealed.jsonl", "sealed2.jsonl", "sealed3.jsonl", "sealed4.jsonl"):
        path = PROJECT_ROOT / "eval" / "data" / name
        assert main(["eval", "--questions", str(path), "--out", str(tmp_path / "out"), "--index", str(tmp_path / "none")]) == 2
        assert "--unseal" in capsys.readouterr().err
        assert not (tmp_path / "out").exists() and not (tmp_path / "none").exists()
    # with --unseal the guard lets a sealed file through: what stops this one is its own bad line
    path = tmp_path / "sealed_copy.jsonl"
    path.write_text('{"id": "X1"}\n', encoding="utf-8")
    assert main(["eval", "--questions", str(path), "--out", str(tmp_path / "out"), "--index", str(tmp_path / "none"), "--unseal"]) == 2
    assert f"{path}:1:" in capsys.readouterr().err  # the file's own problem, past the guard


# -- naive baseline ----------------------------------------------------------------------------


def test_fixed_windows_overlap_and_cover_the_text():
    assert fixed_windows("x" * 1000) == [(0, 500), (450, 950), (900, 1000)]
    assert fixed_windows("x" * 500) == [(0, 500)]
    assert fixed_windows("") == []


def test_best_sentence_is_the_one_sharing_most_bigrams():
    text = "职业学校应当加强实习管理。教师应当按时足额领取工资。学生应当遵守纪律。"
    start, end = best_sentence("老师的工资按时发吗", text)
    assert text[start:end] == "教师应当按时足额领取工资。"


@pytest.mark.slow
def test_naive_baseline_answers_with_a_verbatim_quote_from_its_top_chunk(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = "第一条 教师的平均工资水平应当不低于当地公务员的平均工资水平。\n" + "教育事业应当不断发展。" * 60
    (corpus / "a.txt").write_text("title: 《甲法》\n---\n" + body, encoding="utf-8")
    (corpus / "b.txt").write_text("title: 《乙规定》\n---\n职业学校学生实习期间应当购买实习责任保险。\n", encoding="utf-8")
    cfg = Config.load(corpus_dir=corpus, min_dense_score=0.0)
    naive = NaiveBaseline(cfg, embedder, cache_dir=tmp_path / "cache")
    assert len(naive.chunks) == len(naive_chunks([SourceDocument("a", "《甲法》", body)])) + 1
    prediction = naive.ask("实习的学生要买保险吗？")
    assert not prediction["refused"]
    (citation,) = prediction["citations"]
    assert citation["doc"] == "《乙规定》"
    assert citation["quote"] == "职业学校学生实习期间应当购买实习责任保险。"
    assert metrics.is_verbatim(citation)
    assert list(tmp_path.glob("cache/naive-embeddings-*.npy"))
    refusing = NaiveBaseline(Config.load(corpus_dir=corpus, min_dense_score=1.01), embedder, cache_dir=tmp_path / "cache")
    assert refusing.ask("实习的学生要买保险吗？")["refused"]
