"""The page's API through gradio_client: the ask endpoint equals ``policyqa ask --json``.

One index (shared with the browser tests through the session's base temp folder) and one
in-process server for the module.
"""
from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import json
import shutil
import subprocess
import sys

import pytest

import app
from page.feedback import answer_record, append_feedback, feedback_entry
from page.harness import free_port, prepare_site
from page.upload import add_document
from policyqa.config import PROJECT_ROOT, REFUSAL_TEXT
from policyqa.qa import PolicyQA

pytestmark = pytest.mark.slow

QUESTION = "双师型教师要有多少年企业工作经历？"


@pytest.fixture(scope="module")
def site(tmp_path_factory, index_config):
    # the session's index of the same corpus seeds the site's: nothing is embedded twice
    return prepare_site(tmp_path_factory.getbasetemp() / "page-site", seed_index=index_config.index_dir)


@pytest.fixture(scope="module")
def qa(site):
    return PolicyQA(site.config()).load()


@pytest.fixture(scope="module")
def server(qa, tmp_path_factory):
    from gradio_client import Client

    data_dir = tmp_path_factory.mktemp("api-data")
    demo = app.build_app(qa, data_dir=data_dir)
    port = free_port()
    app.launch(demo, host="127.0.0.1", port=port, block=False, quiet=True)
    try:
        yield Client(f"http://127.0.0.1:{port}/", verbose=False)
    finally:
        demo.close()


def _cli(*args, check=True, env=None):
    env = dict(os.environ, HF_HUB_OFFLINE="1", **(env or {}))
    proc = subprocess.run([sys.executable, "-m", "policyqa.cli", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def _citations(result: dict) -> list[tuple[str, str]]:
    return [(c["chunk_id"], c["quote"]) for c in result["citations"]]


def test_ask_endpoint_equals_cli_json(server, site):
    api = server.predict(QUESTION, api_name="/ask")
    cli = json.loads(_cli("ask", *site.cli_args(), "--json", QUESTION, env=site.env()).stdout)
    assert not api["refused"]
    assert _citations(api) == _citations(cli)
    assert api["answer"] == cli["answer"]
    assert [h["chunk_id"] for h in api["retrieved"]] == [h["chunk_id"] for h in cli["retrieved"]]
    assert set(api) == set(cli) - {"startup_ms"}  # the CLI also reports its own start-up
    assert api["citations"][0]["doc"] == "《国家职业教育改革实施方案》"
    assert "原则上从具有3年以上企业工作经历并具有高职以上学历的人员中公开招聘" in api["citations"][0]["text"]


def test_ask_endpoint_with_a_document_filter(server, qa):
    law = next(d["doc_id"] for d in qa.documents() if d["title"] == "《中华人民共和国职业教育法》")
    question = "职业学校毕业生找工作会受到限制吗？"
    result = server.predict(question, [law], api_name="/ask")
    assert all(c["chunk_id"].startswith(law) for c in result["citations"])
    assert result["question"] == question and result["citations"]
    assert result["notice"].startswith("已限定文件：只在《中华人民共和国职业教育法》中查找")
    # the law speaks of 双师型 teachers but never of their years in a company: refused within the filter
    refused = server.predict(QUESTION, [law], api_name="/ask")
    assert refused["refused"] and "已限定文件" in refused["notice"]


def test_ask_endpoint_refuses_and_rejects_bad_input(server):
    refused = server.predict("今天北京的天气怎么样？", api_name="/ask")
    assert refused["refused"] and refused["answer"] == REFUSAL_TEXT and not refused["citations"]
    with pytest.raises(Exception, match="问题为空"):
        server.predict("   ", api_name="/ask")
    with pytest.raises(Exception, match="索引中没有这些文档"):
        server.predict(QUESTION, ["no-such-doc"], api_name="/ask")


def test_only_ask_is_public(server):
    info = server.view_api(return_format="dict", print_info=False)
    assert set(info["named_endpoints"]) == {"/ask"}
    assert not info["unnamed_endpoints"]


def test_json_route_answers_as_the_gradio_api(server):
    """POST /ask (page/ask_route.py): plain JSON, the same answer as Gradio's /ask."""
    import httpx

    reply = httpx.post(f"{server.src.rstrip('/')}/ask", json={"question": QUESTION}, timeout=60, trust_env=False)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    api = server.predict(QUESTION, api_name="/ask")
    result = reply.json()
    assert _citations(result) == _citations(api) and result["answer"] == api["answer"]
    assert set(result) == set(api)


def test_json_route_names_what_is_wrong_with_a_request(server):
    import httpx

    url = f"{server.src.rstrip('/')}/ask"
    with httpx.Client(timeout=60, trust_env=False) as client:
        cases = {
            "GET": client.get(url),
            "not JSON": client.post(url, content=b"question=1"),
            "no question": client.post(url, json={"q": QUESTION}),
            "docs not a list": client.post(url, json={"question": QUESTION, "docs": "labor-law"}),
            "empty question": client.post(url, json={"question": "  "}),
            "unknown document": client.post(url, json={"question": QUESTION, "docs": ["no-such-doc"]}),
            "too large": client.post(url, content=b"{" + b" " * (70 * 1024) + b"}"),
        }
    status = {name: reply.status_code for name, reply in cases.items()}
    assert status == {"GET": 405, "not JSON": 400, "no question": 400, "docs not a list": 400,
                      "empty question": 400, "unknown document": 400, "too large": 413}
    errors = {name: reply.json()["error"] for name, reply in cases.items()}
    assert "JSON" in errors["not JSON"] and "question" in errors["no question"] and "docs" in errors["docs not a list"]
    assert "问题为空" in errors["empty question"] and "no-such-doc" in errors["unknown document"]
    assert "KB" in errors["too large"]


def test_json_route_says_busy_beyond_its_queue(qa, tmp_path):
    """One answer at a time and one waiting: of ten questions sent at once two are answered and
    eight get 503 with the busy message, none an error."""
    import asyncio

    import httpx

    from page.ask_route import BUSY, AskRoute
    from page.handlers import PageHandlers

    async def not_found(scope, receive, send):  # what lies behind the route (Gradio in the server)
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    route = AskRoute(not_found, PageHandlers(qa, tmp_path / "feedback.jsonl").answer_json, concurrency=1, max_waiting=1)

    async def ten_at_once():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=route), base_url="http://test") as client:
            return await asyncio.gather(*(client.post("/ask", json={"question": QUESTION}) for _ in range(10)))

    replies = asyncio.run(ten_at_once())
    codes = sorted(r.status_code for r in replies)
    assert codes == [200] * 2 + [503] * 8
    assert all(r.json()["error"] == BUSY for r in replies if r.status_code == 503)
    assert all(r.json()["citations"] for r in replies if r.status_code == 200)


def test_json_route_reports_a_damaged_index_as_the_servers_fault(site, tmp_path):
    """A row of the index damaged under a running server is the server's fault, not the caller's:
    HTTP 500 with the internal-error message (and a log line), where an unknown document is a 400."""
    import asyncio

    import httpx

    from page.ask_route import AskRoute
    from page.handlers import PageHandlers
    from retriever import store

    shutil.copytree(site.index_dir, tmp_path / "index")
    qa = PolicyQA(site.config(index_dir=tmp_path / "index")).load()
    route = AskRoute(None, PageHandlers(qa, tmp_path / "feedback.jsonl").answer_json)
    chunks = store.read_current(tmp_path / "index") / "chunks.jsonl"
    with open(chunks, "r+b") as f:  # in place, as cp over it or a full disk would
        f.write(b"x" * (chunks.stat().st_size // 2))

    async def ask(body):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=route), base_url="http://test") as client:
            return await client.post("/ask", json=body)

    damaged = asyncio.run(ask({"question": QUESTION}))
    assert damaged.status_code == 500 and "内部错误" in damaged.json()["error"], damaged.text
    unknown = asyncio.run(ask({"question": QUESTION, "docs": ["no-such-doc"]}))
    assert unknown.status_code == 400 and "no-such-doc" in unknown.json()["error"]


def test_feedback_writes_one_json_line(qa, tmp_path):
    answer = qa.ask(QUESTION)
    path = tmp_path / "feedback.jsonl"
    append_feedback(path, feedback_entry(answer_record(answer), False))
    (line,) = path.read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert entry["vote"] == "down" and entry["question"] == QUESTION and entry["answer"] == answer.answer
    assert [(c["chunk_id"], c["quote"]) for c in entry["citations"]] == [(c.hit.chunk.chunk_id, c.quote) for c in answer.citations]
    assert entry["time"]


def test_serve_refuses_to_start_without_an_index(tmp_path):
    proc = _cli("serve", "--index", str(tmp_path / "missing"), "--port", str(free_port()), check=False)
    assert proc.returncode == 2
    assert "索引不存在" in proc.stderr and "policyqa ingest" in proc.stderr


def test_upload_adds_a_document_and_keeps_the_old_ones(site, tmp_path):
    # a private copy of the site: the shared index stays as it is
    corpus = tmp_path / "data" / "policies"
    shutil.copytree(site.corpus_dir, corpus)
    shutil.copytree(site.index_dir, tmp_path / "index")
    qa = PolicyQA(site.config(corpus_dir=corpus, index_dir=tmp_path / "index")).load()
    before = set(qa.index.documents)
    new = tmp_path / "upload.txt"
    new.write_text(
        "title: 《某职业学校教师企业实践管理办法》\ndoc_number: 测〔2024〕1号\ndate: 2024-03-01\n---\n"
        "第一条 专业课教师每五年累计到企业顶岗实践时间不少于六个月。\n\n第二条 本办法自发布之日起施行。\n",
        encoding="utf-8",
    )
    steps = []
    ok, message = add_document(qa, new, "../实践办法.txt", progress=lambda f, t: steps.append(f))
    assert ok, message
    assert (corpus / "实践办法.txt").exists() and steps[-1] == 1.0
    assert set(qa.index.documents) == before | {"实践办法"}
    answer = qa.ask("专业课教师每五年到企业顶岗实践多长时间？")
    assert answer.citations and answer.citations[0].hit.doc.title == "《某职业学校教师企业实践管理办法》"
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF-1.4 not really a pdf")
    ok, message = add_document(qa, bad, "scan.pdf")
    assert not ok and "scan.pdf" in message
    assert not (corpus / "scan.pdf").exists()
    assert set(qa.index.documents) == before | {"实践办法"}
