"""A hostile or careless user (issue 16): files changed under a running server, damaged builds
that a plain ``ingest`` must repair, documents that can no longer be read, oversized files.

Each test is one probe of the issue; all of them failed before the fix.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from policyqa.config import PROJECT_ROOT, Config
from policyqa.qa import PolicyQA
from retriever import store
from retriever.build import ingest
from tests.test_faults import (  # noqa: F401  (fixtures)
    NOTICE, SMALL_ID, SMALL_QUESTION, _answers_small_question, _cli, _env, notice_text, small_base, small_cfg,
)


def _build(cfg: Config) -> Path:
    return store.read_current(cfg.index_dir)


# -- 1. a build changed in place under a running server ----------------------------------------


@pytest.mark.parametrize("how", ["truncated", "overwritten"])
def test_server_process_survives_chunks_jsonl_changed_in_place(small_cfg, how):
    """``cp`` over the live chunks.jsonl (or a full disk) must not kill the process (SIGBUS)."""
    script = textwrap.dedent(f"""
        import os, sys
        from retriever import store
        data = store.load_index({str(small_cfg.index_dir)!r}, with_search=False)
        path = data.path / "chunks.jsonl"
        size = path.stat().st_size
        with open(path, "r+b") as f:  # in place: same inode, as cp and a full disk do
            if {how!r} == "truncated":
                f.truncate(size // 3)
            else:
                f.write(b"x" * (size // 2))
        errors = 0
        for i in range(len(data.chunks)):
            try:
                data.chunks[i]
            except ValueError as exc:
                errors += 1
                message = str(exc)
        print("survived", errors, message)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         cwd=PROJECT_ROOT, env=_env())
    assert out.returncode == 0, f"exit {out.returncode}: {out.stderr[-1500:]}"
    assert "survived" in out.stdout and "chunks.jsonl" in out.stdout and "policyqa ingest" in out.stdout, out.stdout


# -- 6. recovery without --rebuild ---------------------------------------------------------------


def _corrupt_middle_line(cfg):
    path = _build(cfg) / "chunks.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[len(lines) // 2] = b'{"broken": \n'
    path.write_bytes(b"".join(lines))


REPAIRABLE = {
    "dense.faiss deleted": lambda cfg: (_build(cfg) / "dense.faiss").unlink(),
    "chunks.jsonl middle line corrupted": _corrupt_middle_line,
    "CURRENT random bytes": lambda cfg: (Path(cfg.index_dir) / store.CURRENT).write_bytes(bytes(range(128, 256))),
    "bm25 folder deleted": lambda cfg: shutil.rmtree(_build(cfg) / "bm25"),
}


@pytest.mark.parametrize("damage", list(REPAIRABLE))
def test_plain_ingest_repairs_a_damaged_live_build(small_cfg, embedder, damage):
    REPAIRABLE[damage](small_cfg)
    report = ingest(small_cfg, embedder=embedder, progress=False)
    assert report.repaired, "the damage is found and said"
    assert "已修复" in report.summary()
    store.verify_build(store.load_index(small_cfg.index_dir, model_id=small_cfg.model))
    _answers_small_question(small_cfg, embedder)
    again = ingest(small_cfg, embedder=None, progress=False)
    assert not again.rebuilt and not again.repaired


def test_garbage_current_gives_a_clear_message_not_a_decoding_error(small_cfg):
    REPAIRABLE["CURRENT random bytes"](small_cfg)
    with pytest.raises(store.IndexUnavailable) as err:
        store.load_index(small_cfg.index_dir)
    assert "CURRENT" in str(err.value) and "policyqa ingest" in str(err.value)
    out = _cli("ask", SMALL_QUESTION, "--index", str(small_cfg.index_dir))
    assert out.returncode != 0 and "Traceback" not in out.stderr and "codec" not in out.stderr, out.stderr[-1500:]
    assert "CURRENT" in out.stderr


@pytest.mark.parametrize("rebuild", [False, True])
def test_a_document_that_became_unreadable_keeps_its_last_good_version(small_cfg, embedder, rebuild):
    corpus = Path(small_cfg.corpus_dir)
    (corpus / NOTICE).write_bytes(b"\xff\xfe\x00garbage\x00" * 3)  # no longer readable
    report = ingest(small_cfg, embedder=embedder, rebuild=rebuild, progress=False)
    index = store.load_index(small_cfg.index_dir)
    assert "notice" in index.documents and SMALL_ID in index.documents, "nothing is dropped"
    assert any(NOTICE in k and "保留" in k for k in report.kept), report.summary()
    assert NOTICE in report.summary()


def test_eval_reads_the_index_and_never_writes_it(small_cfg, tmp_path):
    """``eval`` against an index built from another corpus measures it as it is and says it is stale."""
    from eval.run import run_eval

    root = Path(small_cfg.index_dir)
    before = {p.relative_to(root): p.stat().st_mtime_ns for p in root.rglob("*") if p.name != ".ingest.lock"}
    other = tmp_path / "other-corpus"
    other.mkdir()
    (other / "other.txt").write_text(notice_text(7), encoding="utf-8")
    first = (PROJECT_ROOT / "eval" / "data" / "dev.jsonl").read_text(encoding="utf-8").splitlines()[0]
    questions = tmp_path / "q.jsonl"
    questions.write_text(first + "\n", encoding="utf-8")
    cfg = Config.load(corpus_dir=other, index_dir=root)
    run_eval(cfg, questions, tmp_path / "out")
    after = {p.relative_to(root): p.stat().st_mtime_ns for p in root.rglob("*") if p.name != ".ingest.lock"}
    assert after == before, "the index is unchanged"
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    stale = "\n".join(report["stale_index"])
    assert "other.txt" in stale and NOTICE in stale


def test_running_server_switches_to_a_build_published_by_another_process(small_cfg, embedder):
    import time

    qa = PolicyQA(small_cfg, embedder=embedder).load()
    old = qa.live.build
    (Path(small_cfg.corpus_dir) / "实训基地.txt").write_text(
        "某某职业学院实训基地管理办法\n\n第一条 实训基地的设备由资产管理处统一登记造册，每学期盘点一次。\n", encoding="utf-8")
    ingest(small_cfg, embedder=embedder, progress=False)  # as `policyqa ingest` in another process
    time.sleep(qa.FOLLOW_CURRENT_S + 0.1)
    answer = qa.ask("实训基地的设备由哪个部门统一登记造册？")
    assert qa.live.build != old and qa.live.build == _build(small_cfg).name
    assert any("资产管理处" in c.quote for c in answer.citations), answer.answer
    # garbage in CURRENT afterwards: the loaded build keeps serving
    (Path(small_cfg.index_dir) / store.CURRENT).write_bytes(b"\xff\xfe")
    time.sleep(qa.FOLLOW_CURRENT_S + 0.1)
    assert not qa.ask(SMALL_QUESTION).refused


# -- 2. limits per file -----------------------------------------------------------------------


def _docx(path: Path, paragraphs: list[str]) -> Path:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def _zip_bomb(path: Path) -> Path:
    """A .docx whose document.xml unpacks to ~70 MB from well under 1 MB."""
    import zipfile

    _docx(path, ["某某职业学院通知"])
    with zipfile.ZipFile(path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    body = b"<w:p><w:r><w:t>" + "重复".encode() * (35 * 2**20 // 6) + b"</w:t></w:r></w:p>"
    xml = parts["word/document.xml"]
    parts["word/document.xml"] = xml.replace(b"<w:body>", b"<w:body>" + body, 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return path


def test_oversized_files_are_refused_quickly_naming_the_file_and_the_limit(small_cfg, tmp_path):
    import time

    from ingest import chunker, loaders

    corpus = Path(small_cfg.corpus_dir)
    long_text = "某某学院关于加强管理的通知\n\n" + "第一条 本办法适用于全体教职工。\n\n" * 30_000
    (corpus / "巨大文本.txt").write_text(long_text, encoding="utf-8")
    _docx(corpus / "碎片.docx", ["某某学院通知"] + [f"第{i}条 内容。" for i in range(3000)])
    bomb = _zip_bomb(corpus / "炸弹.docx")
    assert bomb.stat().st_size < 1 << 20
    started = time.monotonic()
    report = ingest(small_cfg, embedder=None, progress=False)  # nothing may need embedding
    assert time.monotonic() - started < 60
    errors = "\n".join(report.errors)
    assert f"{loaders.MAX_TEXT_CHARS:,}" in errors and "巨大文本.txt" in errors, errors
    assert f"{chunker.MAX_CHUNKS_PER_DOC:,}" in errors and "碎片.docx" in errors, errors
    assert "炸弹.docx" in errors and "压缩炸弹" in errors, errors
    assert not report.rebuilt and not report.added
    index = store.load_index(small_cfg.index_dir)
    assert SMALL_ID in index.documents and "notice" in index.documents


def test_an_oversized_upload_is_refused_before_it_is_stored(small_cfg, embedder, tmp_path):
    from page.upload import add_document

    qa = PolicyQA(small_cfg, embedder=embedder).load()
    src = _docx(tmp_path / "碎片.docx", ["某某学院通知"] + [f"第{i}条 内容。" for i in range(3000)])
    ok, message = add_document(qa, src, "碎片.docx")
    assert not ok and "碎片.docx" in message and "上限" in message
    assert not (Path(small_cfg.corpus_dir) / "碎片.docx").exists()


# -- 3, 4. no anonymous write, only /ask public --------------------------------------------------


@pytest.fixture()
def servers(small_cfg, embedder, tmp_path, monkeypatch):
    """Two in-process servers on loopback over the small index: uploads off, and on (password "pw").
    Gradio keeps uploads in GRADIO_TEMP_DIR (/tmp/gradio unless set): here, under the test's folder."""
    import app
    from page.harness import free_port

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))

    qa = PolicyQA(small_cfg, embedder=embedder).load()
    running = {}
    for name, password in (("off", None), ("on", "pw")):
        demo = app.build_app(qa, admin_password=password, data_dir=tmp_path / name)
        port = free_port()
        app.launch(demo, host="127.0.0.1", port=port, block=False, quiet=True)
        running[name] = (demo, f"http://127.0.0.1:{port}")
    try:
        yield running
    finally:
        for demo, _ in running.values():
            demo.close()


def _post_upload(base: str):
    import httpx

    return httpx.post(f"{base}/gradio_api/upload", files={"files": ("x.txt", b"A" * 100_000)}, timeout=30)


def test_no_anonymous_upload(servers, tmp_path):
    demo_off, off = servers["off"]
    assert _post_upload(off).status_code == 403, "uploads off: the route stores nothing"
    demo_on, on = servers["on"]
    refused = _post_upload(on)
    assert refused.status_code == 403 and "密码" in refused.json()["error"], "not logged in"
    ok, _ = demo_on.policyqa_gate.check("pw", "127.0.0.1")  # as the password box's Enter does
    assert ok and _post_upload(on).status_code == 200
    assert list((tmp_path / "gradio").rglob("x.txt")), "the upload is kept in the test's folder, not /tmp/gradio"


def test_only_ask_is_callable_from_outside(servers):
    import httpx

    _, base = servers["off"]
    for name in ("search_exact", "respond", "on_like", "do_upload", "refresh_documents", "clear", "ask"):
        for route in ("run", "api"):
            r = httpx.post(f"{base}/gradio_api/{route}/{name}", json={"data": ["职业教育"]}, timeout=30)
            assert r.status_code in (403, 404), (route, name, r.status_code, r.text[:200])
        if name != "ask":
            r = httpx.post(f"{base}/gradio_api/call/{name}", json={"data": ["职业教育"]}, timeout=30)
            assert r.status_code in (403, 404), (name, r.status_code)
    r = httpx.post(f"{base}/gradio_api/call/ask", json={"data": [SMALL_QUESTION, []]}, timeout=30)
    assert r.status_code == 200 and r.json().get("event_id")
    from gradio_client import Client

    result = Client(base + "/", verbose=False).predict(SMALL_QUESTION, [], api_name="/ask")
    assert not result["refused"] and result["citations"], "the public API still works through the queue"


def test_password_guesses_are_rate_limited():
    from page.guard import PasswordGate

    gate = PasswordGate("right", max_failures=5, window_s=60)
    for _ in range(5):
        assert not gate.check("wrong", "10.0.0.1")[0]
    ok, message = gate.check("right", "10.0.0.1")
    assert not ok and "过多" in message, "a burst of guesses stops being checked"
    assert not gate.logged_in("10.0.0.1")
    assert not PasswordGate(None).check("", "a")[0]


def test_feedback_votes_are_validated_and_capped(small_cfg, embedder, tmp_path):
    import gradio as gr

    from page import feedback
    from page.handlers import PageHandlers

    qa = PolicyQA(small_cfg, embedder=embedder).load()
    path = tmp_path / "feedback.jsonl"
    handlers = PageHandlers(qa, path)
    state = {"turn": 1, "sections": [], "records": {"1": feedback.answer_record(qa.ask(SMALL_QUESTION))}}
    for liked in ("x" * 5_000_000, {"a": 1}, ["Like"], 3):  # (None or "" withdraws a vote)
        handlers.on_like(state, gr.LikeData(None, {"index": 1, "value": "", "liked": liked}))
    handlers.on_like(state, gr.LikeData(None, {"index": "1" * 10_000, "value": "", "liked": True}))
    assert not path.exists() or path.stat().st_size == 0, "nothing but a Like/Dislike vote is stored"
    for _ in range(10):
        handlers.on_like(state, gr.LikeData(None, {"index": 1, "value": "", "liked": True}))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == feedback.MAX_VOTES_PER_ANSWER and json.loads(lines[0])["vote"] == "up"
    with pytest.raises(feedback.FeedbackRefused):
        feedback.append_feedback(path, {"answer": "长" * feedback.MAX_ENTRY_BYTES})


# -- 5. a title never speaks as the system ------------------------------------------------------

CLAIM = "根据现有政策文件，所有教师工资翻倍"


def test_a_title_is_always_shown_as_a_quoted_source(small_cfg, embedder):
    from ingest.schema import quoted_title
    from page import render

    assert quoted_title("《国家职业教育改革实施方案》") == "《国家职业教育改革实施方案》"
    assert quoted_title("《中华人民共和国教师法》（2009年修正）") == "《中华人民共和国教师法》（2009年修正）"
    assert quoted_title("关于印发《办法》的通知") == "《关于印发〈办法〉的通知》"
    (Path(small_cfg.corpus_dir) / "claim.txt").write_text(
        f"{CLAIM}\n\n一、实训基地的设备由资产管理处统一登记造册，每学期盘点一次。\n", encoding="utf-8")
    ingest(small_cfg, embedder=embedder, progress=False)
    qa = PolicyQA(small_cfg, embedder=embedder).load()
    answer = qa.ask("实训基地的设备由哪个部门统一登记造册？")
    assert answer.citations and not answer.refused
    shown = [answer.answer, json.dumps(answer.to_dict(), ensure_ascii=False),
             "\n".join(render.answer_lines(answer, 1)), render.sources_section_html(answer, 1),
             render.documents_html(qa.documents())]
    for text in shown:
        for line in text.replace("\\n", "\n").splitlines():
            if CLAIM in line:
                assert f"《{CLAIM}》" in line, line
    assert f"《{CLAIM}》" in answer.answer
