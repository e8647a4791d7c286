"""Load test of the page's ask API: N concurrent gradio_client clients × M questions each.

    .venv/bin/python bench/load_page.py                   # starts `policyqa serve` on a free port
    .venv/bin/python bench/load_page.py --index DIR --corpus DIR
    .venv/bin/python bench/load_page.py --url http://127.0.0.1:7860/

Loopback only; bounded in requests (clients × questions) and in time (--deadline). Prints
the number of requests without error, whether every answer was complete (an answer with
verbatim citations, or a refusal), p50/p95 latency and throughput. Exit status 1 when any
request failed or was incomplete.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from page.static import EXAMPLES  # noqa: E402  (after the sys.path line above)

#: The page's example questions, then a few more (one refused).
QUESTIONS = EXAMPLES + [
    "教师的平均工资水平应当怎样？",
    "职业学校可以聘请企业的技术人员当兼职教师吗？",
    "技能人才的待遇怎么提高？",
    "今天北京的天气怎么样？",
    "职业教育必须坚持什么领导？",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def complete(result: dict, question: str) -> str:
    """'' when ``result`` is a whole answer for ``question``, else what is wrong."""
    if not isinstance(result, dict):
        return f"not a dict: {type(result).__name__}"
    for key in ("question", "answer", "refused", "citations", "retrieved", "latency_ms"):
        if key not in result:
            return f"missing {key}"
    if result["question"] != question:
        return "answer for another question"
    if not result["answer"]:
        return "empty answer"
    if not result["refused"]:
        if not result["citations"]:
            return "answer without citations"
        for c in result["citations"]:
            if not c["quote"] or c["quote"] not in c["text"]:
                return f"quote not verbatim in {c['chunk_id']}"
            if f"[{c['number']}]" not in result["answer"]:
                return f"citation [{c['number']}] not in the answer"
    return ""


def run_client(url: str, index: int, per_client: int, deadline: float, records: list, lock: threading.Lock) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    for j in range(per_client):
        question = QUESTIONS[(index * per_client + j) % len(QUESTIONS)]
        left = deadline - time.monotonic()
        if left <= 0:
            with lock:
                records.append({"ok": False, "error": "deadline", "latency": None})
            continue
        started = time.perf_counter()
        try:
            result = client.submit(question, api_name="/ask").result(timeout=left)
            problem = complete(result, question)
            record = {"ok": not problem, "error": problem, "latency": time.perf_counter() - started}
        except Exception as exc:  # noqa: BLE001 - every failure is counted, not raised
            record = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:200], "latency": None}
        with lock:
            records.append(record)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def start_local_server(args):
    from page.harness import Site, start_server
    from policyqa.config import Config

    config = Config.load(index_dir=args.index, corpus_dir=args.corpus)
    base = Path(args.log_dir) if args.log_dir else Path(tempfile.mkdtemp(prefix="policyqa-load-"))
    site = Site(base, config.corpus_dir, config.index_dir)
    print(f"starting policyqa serve (index {config.index_dir}) …", file=sys.stderr)
    return start_server(site, timeout=300)


def server_arguments(p: argparse.ArgumentParser) -> None:
    """The flags that say which page to load: a running one (``--url``) or one started here."""
    p.add_argument("--url", help="a running page on this machine (default: start one)")
    p.add_argument("--index", type=Path, help="index folder for the server started here")
    p.add_argument("--corpus", type=Path, help="corpus folder for the server started here")
    p.add_argument("--log-dir", help="where the started server's log goes (default: a temp folder)")


def page_to_load(p: argparse.ArgumentParser, args) -> tuple[str, object | None]:
    """(URL, server): the running page ``--url`` names (an error unless it is on this machine),
    else one started here (stop the server when done)."""
    if not args.url:
        server = start_local_server(args)
        return server.url, server
    url = args.url if args.url.endswith("/") else args.url + "/"
    if urlparse(url).hostname not in LOOPBACK:
        p.error("only loopback URLs (127.0.0.1, localhost) are allowed")
    return url, None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    server_arguments(p)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--questions", type=int, default=5, help="questions per client")
    p.add_argument("--deadline", type=float, default=300.0, help="seconds for the whole run")
    args = p.parse_args(argv)
    if not (1 <= args.clients <= 100 and 1 <= args.questions <= 50):
        p.error("--clients must be 1–100 and --questions 1–50")

    url, server = page_to_load(p, args)
    try:
        records: list[dict] = []
        lock = threading.Lock()
        deadline = time.monotonic() + args.deadline
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            futures = [pool.submit(run_client, url, i, args.questions, deadline, records, lock) for i in range(args.clients)]
            wait(futures, timeout=args.deadline + 60)
            for f in futures:
                if f.done() and f.exception() is not None:
                    with lock:
                        records.append({"ok": False, "error": f"client: {f.exception()}", "latency": None})
        wall = time.perf_counter() - started
    finally:
        if server is not None:
            server.stop()

    total = args.clients * args.questions
    ok = [r for r in records if r["ok"]]
    errors = [r for r in records if not r["ok"]]
    latencies = [r["latency"] for r in records if r["latency"] is not None]
    print(f"url                 {url}")
    print(f"requests            {total} ({args.clients} clients × {args.questions} questions), {len(records)} recorded")
    print(f"without error       {len(ok)}/{total}")
    print(f"every answer complete: {'yes' if len(ok) == total else 'NO'}")
    if latencies:
        print(f"latency p50         {percentile(latencies, 0.5):.2f} s")
        print(f"latency p95         {percentile(latencies, 0.95):.2f} s")
        print(f"latency max         {max(latencies):.2f} s  (mean {statistics.mean(latencies):.2f} s)")
    print(f"wall time           {wall:.1f} s")
    print(f"throughput          {len(ok) / wall:.2f} answers/s")
    for error in sorted({e["error"] for e in errors})[:10]:
        print(f"  error: {error}")
    return 0 if len(ok) == total else 1


if __name__ == "__main__":
    raise SystemExit(main())
