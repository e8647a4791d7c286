"""Faults: an ingest killed at random moments, damaged or foreign index folders, questions
answered while the index is being rebuilt. Nothing already stored may be lost, and every
failure must say what to do.

One small index (one shipped document and a tiny notice) is built once per test session and
copied for each test that changes it (see :func:`small_index` and :func:`copy_small`).
"""
from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from retriever.build import ingest
from ingest.loaders import load_document
from policyqa.config import PROJECT_ROOT, REFUSAL_TEXT, Config
from policyqa.qa import PolicyQA
from retriever import store
from tests.conftest import CORPUS

SMALL_DOC = "11_zhiye-jiaoyu-buji-lianxi-huiyi-pifu-2018.txt"
SMALL_ID = "11_zhiye-jiaoyu-buji-lianxi-huiyi-pifu-2018"
#: A question the small index answers from SMALL_DOC.
SMALL_QUESTION = "职业教育工作部际联席会议办公室设在哪个部门？"
SMALL_QUOTE = "联席会议办公室设在教育部"
NOTICE = "notice.txt"


def notice_text(version: int) -> str:
    """A tiny notice whose wording changes with ``version`` (so an ingest has work to do)."""
    return (
        f"某某职业学院关于教师企业实践的通知（第{version}版）\n\n"
        "一、总体要求\n\n"
        f"（一）专业课教师每{version + 1}年到企业实践累计不少于六个月。实践期间的工资福利待遇不变。\n\n"
        "二、组织实施\n\n"
        "（二）学院人事处负责教师企业实践的统筹安排和考核。\n"
    )


def small_index(tmp_path_factory, embedder) -> Path:
    """A folder with ``corpus/`` (SMALL_DOC and NOTICE) and its ``index/``, built once per session.

    Shared between test modules through the session's base temp folder; never modify it, copy it.
    """
    base = tmp_path_factory.getbasetemp() / "policyqa-small"
    with open(tmp_path_factory.getbasetemp() / "policyqa-small.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (base / "index" / store.CURRENT).exists():
            shutil.rmtree(base, ignore_errors=True)
            (base / "corpus").mkdir(parents=True)
            shutil.copy(CORPUS / SMALL_DOC, base / "corpus" / SMALL_DOC)
            (base / "corpus" / NOTICE).write_text(notice_text(1), encoding="utf-8")
            cfg = Config.load(corpus_dir=base / "corpus", index_dir=base / "index")
            ingest(cfg, embedder=embedder, progress=False)
    return base


def copy_small(base: Path, dest: Path) -> Config:
    """A private copy of the small corpus and index; the config points at the copy."""
    shutil.copytree(base / "corpus", dest / "corpus")
    shutil.copytree(base / "index", dest / "index", symlinks=True)
    return Config.load(corpus_dir=dest / "corpus", index_dir=dest / "index")


@pytest.fixture(scope="session")
def small_base(tmp_path_factory, embedder) -> Path:
    return small_index(tmp_path_factory, embedder)


@pytest.fixture()
def small_cfg(small_base, tmp_path) -> Config:
    return copy_small(small_base, tmp_path)


def _env() -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _cli(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "policyqa.cli", *args],
        capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT, env=_env(),
    )


def _answers_small_question(cfg: Config, embedder) -> PolicyQA:
    qa = PolicyQA(cfg, embedder=embedder).load()
    answer = qa.ask(SMALL_QUESTION)
    assert not answer.refused, answer.reason
    assert any(SMALL_QUOTE in c.quote for c in answer.citations), answer.answer
    return qa


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.endswith(".tmp"))


# -- an ingest killed at random moments ------------------------------------------------------


def _wait_for(proc, condition, timeout: float, every: float = 0.005) -> bool:
    """Poll ``condition`` until it holds (True) or ``proc`` ends / time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(every)
    return False


def _log_says(path: Path, text: str):
    return lambda: text in path.read_text(encoding="utf-8", errors="replace")


def _build_folder_appears(root: Path):
    return lambda: any(p.name.endswith(".tmp") and p.is_dir() for p in root.glob("build-*"))


@pytest.mark.slow
def test_ingest_killed_at_random_moments_keeps_the_previous_index(small_cfg, embedder, tmp_path):
    cfg = small_cfg
    root = Path(cfg.index_dir)
    notice = Path(cfg.corpus_dir) / NOTICE
    seed = int(os.environ.get("POLICYQA_FAULT_SEED") or time.time_ns() % 1_000_000)
    rng = random.Random(seed)
    seed_note = f"(POLICYQA_FAULT_SEED={seed} repeats the delays)"
    versions = {load_document(notice).sha256}  # every text of the notice the index may hold
    log = tmp_path / "ingest.log"
    # (phase, wait for its start, then a random delay in seconds before SIGKILL)
    phases = [
        ("imports", lambda proc: True, rng.uniform(0.1, 1.5)),
        ("model load", lambda proc: _wait_for(proc, _log_says(log, "Loading SentenceTransformer"), 120), rng.uniform(0, 0.3)),
        ("embedding", lambda proc: _wait_for(proc, _log_says(log, "嵌入"), 120), rng.uniform(0, 0.2)),
        # the build folder lives for some 10-50 ms before it is published: poll closely
        ("writing", lambda proc: _wait_for(proc, _build_folder_appears(root), 120, every=0.001), rng.uniform(0, 0.004)),
    ]
    outcome = {}
    for version, (phase, started, delay) in enumerate(phases, start=2):
        # a changed document, so every run has something to embed and write
        notice.write_text(notice_text(version), encoding="utf-8")
        versions.add(load_document(notice).sha256)
        with open(log, "w", encoding="utf-8") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "policyqa.cli", "ingest", "--quiet", "--corpus", str(cfg.corpus_dir), "--index", str(root)],
                stdout=subprocess.DEVNULL, stderr=err, cwd=PROJECT_ROOT, env=_env(),
            )
            try:
                if started(proc):
                    time.sleep(delay)
                    proc.send_signal(signal.SIGKILL)
                rc = proc.wait(timeout=120)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        # a run may finish before its moment comes (a fast machine); it must never fail by itself
        assert rc in (0, -signal.SIGKILL), f"{phase}: ingest failed (rc {rc}) {seed_note}\n{log.read_text()[-3000:]}"
        outcome[phase] = "killed" if rc == -signal.SIGKILL else "finished first"
        # whatever moment it died at, the index in place is whole: it loads and answers
        index = store.load_index(root, with_search=False)
        assert set(index.documents) == {SMALL_ID, "notice"}, phase
        assert index.manifest["documents"]["notice"]["sha256"] in versions, "the old text or a new one, nothing else"
        _answers_small_question(cfg, embedder)
    killed = [p for p, o in outcome.items() if o == "killed"]
    assert len(killed) >= 3, f"{outcome} {seed_note}"

    # the next ingest completes, serves the latest text and removes what killed runs left
    report = ingest(cfg, embedder=embedder, progress=False)
    assert not report.errors and SMALL_ID in report.unchanged, outcome
    assert _leftovers(root) == []
    assert len([p for p in root.glob("build-*") if p.is_dir()]) <= 2, "the live build and one older"
    qa = _answers_small_question(cfg, embedder)
    assert f"第{len(phases) + 1}版" in qa.index.documents["notice"].text


def test_leftovers_of_a_killed_ingest_go_even_when_nothing_changed(small_cfg):
    root = Path(small_cfg.index_dir)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    shutil.copytree(store.read_current(root), root / f"build-20200101T000000-{pid}-000001.tmp")
    (root / f"{store.CURRENT}.{pid}.tmp").write_text("build-20200101T000000\n", encoding="utf-8")
    assert len(_leftovers(root)) == 2
    report = ingest(small_cfg, embedder=None, progress=False)  # nothing to embed: no model is loaded
    assert not report.rebuilt
    assert _leftovers(root) == []
    store.load_index(root, model_id=small_cfg.model)


# -- damaged or foreign index folders ----------------------------------------------------------


def _build(cfg: Config) -> Path:
    return store.read_current(cfg.index_dir)


def _truncate_chunks_mid_line(cfg):
    path = _build(cfg) / "chunks.jsonl"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _drop_last_chunk_lines(cfg):
    path = _build(cfg) / "chunks.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")


def _set_manifest(cfg, **changes):
    path = _build(cfg) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict):
            manifest[key] = {**manifest[key], **value}
        else:
            manifest[key] = value
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


DAMAGE = {
    "dense.faiss deleted": (lambda cfg: (_build(cfg) / "dense.faiss").unlink(), "索引文件损坏或不完整"),
    "chunks.jsonl cut mid-line": (_truncate_chunks_mid_line, "索引文件损坏或不完整"),
    "chunks.jsonl lost lines": (_drop_last_chunk_lines, "数量不一致"),
    "embeddings.npy truncated": (lambda cfg: (_build(cfg) / "embeddings.npy").write_bytes(b"\x93NUMPY"), "索引文件损坏或不完整"),
    "bm25 folder deleted": (lambda cfg: shutil.rmtree(_build(cfg) / "bm25"), "索引文件损坏或不完整"),
    "sentence_bare.npy deleted": (lambda cfg: (_build(cfg) / "sentence_bare.npy").unlink(), "索引文件损坏或不完整"),
    "sentence_bare.npy lost rows": (lambda cfg: np.save(_build(cfg) / "sentence_bare.npy",
                                                        np.load(_build(cfg) / "sentence_bare.npy")[:-1]), "数量不一致"),
    "manifest.json garbage": (lambda cfg: (_build(cfg) / "manifest.json").write_bytes(b"\x00\xffnot json{"), "manifest.json 缺失或已损坏"),
    "manifest.json deleted": (lambda cfg: (_build(cfg) / "manifest.json").unlink(), "manifest.json 缺失或已损坏"),
    "CURRENT points nowhere": (lambda cfg: (Path(cfg.index_dir) / store.CURRENT).write_text("build-gone\n"), "缺失"),
    "CURRENT empty": (lambda cfg: (Path(cfg.index_dir) / store.CURRENT).write_text(""), "policyqa ingest"),
    "index folder missing": (lambda cfg: shutil.rmtree(cfg.index_dir), "policyqa ingest"),
    "format version from the future": (lambda cfg: _set_manifest(cfg, format_version=store.FORMAT_VERSION + 1), "格式版本"),
    "built by another model": (lambda cfg: _set_manifest(cfg, model={"id": "BAAI/bge-small-zh-v1.5"}), "模型"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_index_is_refused_with_what_to_do(small_cfg, damage):
    breaker, message = DAMAGE[damage]
    breaker(small_cfg)
    with pytest.raises(store.IndexUnavailable) as err:
        store.load_index(small_cfg.index_dir, model_id=small_cfg.model)
    text = str(err.value)
    assert message in text
    assert "policyqa ingest" in text, "the message says what to do"


#: what the Milvus backend never reads (its vectors are in Milvus): no damage to it there
LOCAL_ONLY = {"dense.faiss deleted"}


@pytest.mark.parametrize("damage", ["dense.faiss deleted", "chunks.jsonl cut mid-line", "manifest.json garbage",
                                    "CURRENT points nowhere", "built by another model"])
def test_cli_on_a_damaged_index_exits_with_the_message_and_no_traceback(small_cfg, damage):
    if damage in LOCAL_ONLY and small_cfg.backend != "local":
        pytest.skip(f"{damage}: the {small_cfg.backend} backend does not read that file")
    breaker, message = DAMAGE[damage]
    breaker(small_cfg)
    out = _cli("ask", SMALL_QUESTION, "--index", str(small_cfg.index_dir))
    assert out.returncode != 0
    assert "Traceback" not in out.stderr and message in out.stderr and "policyqa ingest" in out.stderr, out.stderr[-2000:]
    assert out.stdout == ""


def test_next_ingest_repairs_a_damaged_index(small_cfg, embedder):
    DAMAGE["chunks.jsonl cut mid-line"][0](small_cfg)
    report = ingest(small_cfg, embedder=embedder, progress=False)
    assert sorted(report.added) == sorted(["notice", SMALL_ID]), "a damaged build is not reused: everything is rebuilt"
    _answers_small_question(small_cfg, embedder)
    assert _leftovers(Path(small_cfg.index_dir)) == []


def test_server_refuses_to_start_on_a_damaged_index(small_cfg, capsys):
    app = pytest.importorskip("app")
    DAMAGE["chunks.jsonl cut mid-line"][0](small_cfg)  # read by both backends
    launched = []
    original = app.launch
    app.launch = lambda *a, **k: launched.append(a)  # never serve from a test
    try:
        rc = app.main(small_cfg, port=0)
    finally:
        app.launch = original
    assert rc != 0 and not launched
    err = capsys.readouterr().err
    assert "索引文件损坏或不完整" in err and "policyqa ingest --rebuild" in err


# -- questions while the index is being rebuilt ------------------------------------------------

NEW_DOC = "实训基地管理办法.txt"
NEW_TEXT = (
    "某某职业学院实训基地管理办法\n\n"
    "第一条 为加强实训基地管理，制定本办法。\n\n"
    "第二条 实训基地的设备由资产管理处统一登记造册，每学期盘点一次。\n\n"
    "第三条 学生进入实训基地须接受安全教育并佩戴防护用品。\n"
)
NEW_QUESTION = "实训基地的设备由哪个部门统一登记造册？"
QUESTIONS = [SMALL_QUESTION, "联席会议由哪些部门组成？", "专业课教师到企业实践有什么要求？", NEW_QUESTION, "今天天气怎么样？"]


def _check_complete(answer) -> None:
    data = answer.to_dict()
    json.dumps(data, ensure_ascii=False)
    assert answer.answer and answer.retrieved
    if answer.refused:
        assert answer.answer == REFUSAL_TEXT and not answer.citations and answer.reason
    else:
        assert answer.citations
        for c in answer.citations:
            assert c.quote and c.quote in c.hit.chunk.text and f"“{c.quote}”[{c.number}]" in answer.answer


@pytest.mark.slow
def test_questions_during_reindex_see_the_old_or_the_new_build_never_a_mix(small_cfg, embedder):
    qa = PolicyQA(small_cfg, embedder=embedder).load()
    old = qa.index
    (Path(small_cfg.corpus_dir) / NEW_DOC).write_text(NEW_TEXT, encoding="utf-8")
    done = threading.Event()
    askers_running = threading.Barrier(3)
    results: list[tuple[str, object, float, float]] = []  # (question, answer or exception, start, end)
    lock = threading.Lock()

    def asker(offset: int):
        i = offset
        extra = 0
        while extra < 3:  # keep asking until a few answers after the swap
            question = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            started = time.monotonic()
            try:
                result = qa.ask(question)
            except Exception as exc:  # noqa: BLE001 - any exception is a failure, collected
                result = exc
            with lock:
                results.append((question, result, started, time.monotonic()))
            if i == offset + 1:
                askers_running.wait(timeout=120)  # the ingest starts once both have answered once
            if done.is_set():
                extra += 1

    def reindex():
        askers_running.wait(timeout=120)
        started = time.monotonic()
        try:
            result = qa.ingest(progress=False)
        except Exception as exc:  # noqa: BLE001
            result = exc
        finally:
            with lock:
                results.append(("<ingest>", result, started, time.monotonic()))
            done.set()

    threads = [threading.Thread(target=asker, args=(k,)) for k in range(2)] + [threading.Thread(target=reindex)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    errors = [(q, r) for q, r, _s, _e in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    _q, report, ingest_start, ingest_end = next(t for t in results if t[0] == "<ingest>")
    assert report.added == ["实训基地管理办法"]
    new = qa.index
    assert new is not old and "实训基地管理办法" in new.documents
    builds = {old.path.name: ("old", old), new.path.name: ("new", new)}
    assert len(builds) == 2
    answers = [t for t in results if t[0] != "<ingest>"]
    during = [t for t in answers if t[2] > ingest_start and t[3] < ingest_end]
    assert during, "questions were answered while the index was rebuilt"
    seen = set()
    for question, answer, started, _end in answers:
        _check_complete(answer)
        assert answer.build in builds, f"{question}: answered from an unknown build {answer.build}"
        name, index = builds[answer.build]
        # every passage of the answer is that build's chunk at that row: no mix of two builds
        for hit in answer.retrieved + [c.hit for c in answer.citations]:
            assert index.chunks[hit.row] == hit.chunk and hit.doc == index.documents[hit.chunk.doc_id], question
        seen.add(name)
        if started > ingest_end:
            assert name == "new", f"{question}: asked after the swap, answered from the old build"
    assert seen == {"old", "new"}, "before the swap from the old build, after it from the new one"
    # after the swap, the new document is found
    answer = qa.ask(NEW_QUESTION)
    assert not answer.refused, answer.reason
    assert answer.citations[0].hit.doc.doc_id == "实训基地管理办法"
    assert "资产管理处" in answer.citations[0].quote
