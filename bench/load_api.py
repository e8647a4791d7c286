"""Load test of the public API (``/ask``) with light HTTP clients: N concurrent clients × M
questions each, through ``POST /ask`` (plain JSON, the default) or Gradio's
``/gradio_api/call/ask`` and its event stream (``--route gradio``), as any program would call
it (no gradio_client, whose threads would compete with the server for the CPU).

    .venv/bin/python bench/load_api.py --clients 50 --questions 4     # starts `policyqa serve`
    .venv/bin/python bench/load_api.py --clients 200 --questions 2 --index DIR --corpus DIR
    .venv/bin/python bench/load_api.py --url http://127.0.0.1:7860/ --clients 50

Loopback only; bounded in requests (at most 200 clients × 20 questions) and in time
(--deadline). Prints p50/p95 latency and answers/s; a request refused because the queue is
full counts as "busy" (HTTP 503), anything else that is not a complete answer
as an error. Exit status 1 when there was an error (busy is not one).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.load_page import QUESTIONS, complete, page_to_load, percentile, server_arguments  # noqa: E402

MAX_CLIENTS = 200
MAX_QUESTIONS = 20


async def ask_json(client, url: str, question: str) -> dict:
    """One question through ``POST /ask`` (page/ask_route.py): {"kind": "ok" | "busy" | "error",
    "latency": s, "error": text}."""
    started = time.perf_counter()
    r = await client.post(f"{url}ask", json={"question": question})
    latency = time.perf_counter() - started
    if r.status_code == 503:
        return {"kind": "busy", "latency": latency, "error": r.text[:120]}
    if r.status_code != 200:
        return {"kind": "error", "latency": None, "error": f"HTTP {r.status_code}: {r.text[:120]}"}
    try:
        result = r.json()
    except ValueError as exc:
        return {"kind": "error", "latency": None, "error": f"bad reply: {exc}"}
    problem = complete(result, question)
    return {"kind": "error" if problem else "ok", "latency": latency, "error": problem}


async def ask_once(client, url: str, question: str) -> dict:
    """One question through Gradio's ``/gradio_api/call/ask`` and its event stream (as ask_json)."""
    started = time.perf_counter()
    r = await client.post(f"{url}gradio_api/call/ask", json={"data": [question, None]})
    if r.status_code == 503:
        return {"kind": "busy", "latency": time.perf_counter() - started, "error": r.text[:120]}
    if r.status_code != 200:
        return {"kind": "error", "latency": None, "error": f"HTTP {r.status_code}: {r.text[:120]}"}
    event_id = r.json()["event_id"]
    event, data = "", None
    async with client.stream("GET", f"{url}gradio_api/call/ask/{event_id}") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = line[5:].strip()
                break
    latency = time.perf_counter() - started
    if event == "error":
        text = data or ""
        kind = "busy" if "Queue is full" in text or "busy" in text.lower() else "error"
        return {"kind": kind, "latency": latency, "error": text[:160]}
    try:
        result = json.loads(data)[0]
    except (TypeError, ValueError, IndexError) as exc:
        return {"kind": "error", "latency": None, "error": f"bad reply: {exc}"}
    problem = complete(result, question)
    return {"kind": "error" if problem else "ok", "latency": latency, "error": problem}


ROUTES = {"json": ask_json, "gradio": ask_once}


async def run(url: str, clients: int, per_client: int, deadline_s: float, route: str = "json") -> tuple[list[dict], float]:
    import httpx

    # idle connections are dropped before the server's keep-alive timeout (uvicorn: 5 s), or a request
    # sent on one the server is closing at that moment fails with a ReadError (seen once in 800)
    limits = httpx.Limits(max_connections=2 * clients + 10, max_keepalive_connections=2 * clients + 10, keepalive_expiry=2.0)
    records: list[dict] = []
    deadline = time.monotonic() + deadline_s

    async def one_client(i: int, client) -> None:
        for j in range(per_client):
            question = QUESTIONS[(i * per_client + j) % len(QUESTIONS)]
            left = deadline - time.monotonic()
            if left <= 0:
                records.append({"kind": "error", "latency": None, "error": "deadline"})
                continue
            try:
                records.append(await asyncio.wait_for(ROUTES[route](client, url, question), left))
            except Exception as exc:  # noqa: BLE001 - every failure is counted, not raised
                records.append({"kind": "error", "latency": None, "error": f"{type(exc).__name__}: {exc}"[:160]})

    async with httpx.AsyncClient(timeout=httpx.Timeout(deadline_s), limits=limits, trust_env=False) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one_client(i, client) for i in range(clients)))
        return records, time.perf_counter() - started


def report(url: str, clients: int, per_client: int, records: list[dict], wall: float) -> dict:
    ok = [r for r in records if r["kind"] == "ok"]
    busy = [r for r in records if r["kind"] == "busy"]
    errors = [r for r in records if r["kind"] == "error"]
    latencies = [r["latency"] for r in ok]
    return {
        "url": url, "clients": clients, "questions_per_client": per_client, "requests": clients * per_client,
        "answered": len(ok), "busy": len(busy), "errors": len(errors),
        "p50_s": round(percentile(latencies, 0.5), 3), "p95_s": round(percentile(latencies, 0.95), 3),
        "max_s": round(max(latencies), 3) if latencies else None,
        "wall_s": round(wall, 2), "answers_per_s": round(len(ok) / wall, 2) if wall else 0.0,
        "error_kinds": sorted({r["error"] for r in errors})[:10],
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    server_arguments(p)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--questions", type=int, default=4, help="questions per client")
    p.add_argument("--rounds", default="", help="several client counts in one run, e.g. 50,200")
    p.add_argument("--deadline", type=float, default=300.0, help="seconds for each round")
    p.add_argument("--route", choices=sorted(ROUTES), default="json",
                   help="json: POST /ask (default); gradio: /gradio_api/call/ask and its event stream")
    p.add_argument("--json", action="store_true", help="print one JSON object per round")
    args = p.parse_args(argv)
    rounds = [int(x) for x in args.rounds.split(",") if x.strip()] or [args.clients]
    if not all(1 <= n <= MAX_CLIENTS for n in rounds) or not 1 <= args.questions <= MAX_QUESTIONS:
        p.error(f"--clients must be 1–{MAX_CLIENTS} and --questions 1–{MAX_QUESTIONS}")

    url, server = page_to_load(p, args)
    failed = False
    try:
        asyncio.run(run(url, 2, 1, 60, args.route))  # warm-up, not counted
        for clients in rounds:
            records, wall = asyncio.run(run(url, clients, args.questions, args.deadline, args.route))
            result = report(url, clients, args.questions, records, wall)
            result["route"] = args.route
            failed |= result["errors"] > 0
            if args.json:
                print(json.dumps(result, ensure_ascii=False))
            else:
                print(f"{args.route}: {clients} clients × {args.questions}: answered {result['answered']}/{result['requests']}, "
                      f"busy {result['busy']}, errors {result['errors']}; p50 {result['p50_s']:.2f} s, "
                      f"p95 {result['p95_s']:.2f} s, {result['answers_per_s']:.1f} answers/s ({result['wall_s']} s)")
                for kind in result["error_kinds"]:
                    print(f"  error: {kind}")
    finally:
        if server is not None:
            server.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
