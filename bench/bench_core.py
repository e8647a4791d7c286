"""Benchmark of the core pipeline; prints figures (no pass/fail).

    .venv/bin/python bench/bench_core.py [--questions eval/data/dev.jsonl] [--n 100]

1. cold ingest of the shipped corpus into a fresh index AND a fresh model cache (so the first
   model conversion is included), as a subprocess: wall time;
2. re-ingest with nothing changed (subprocess): wall time;
3. process start-up to the first answer (subprocess);
4. in one warm process: ``search`` and ``ask`` latency p50/p95 over N questions, peak memory.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _run(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "policyqa.cli", *args], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "data" / "dev.jsonl")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--skip-cold", action="store_true", help="skip the cold ingest (uses the normal model cache)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, POLICYQA_INDEX_DIR=f"{tmp}/index")
        if not args.skip_cold:
            env["XDG_CACHE_HOME"] = f"{tmp}/cache"  # no converted model yet: conversion is timed too
        cold = _run(["ingest", "--quiet"], env)
        print(f"ingest, from scratch{'' if args.skip_cold else ' incl. model conversion'}: {cold:.1f} s")
        warm = _run(["ingest", "--quiet"], env)
        print(f"re-ingest, nothing changed:                  {warm:.2f} s")
        first = _run(["ask", "教师节是哪一天？"], env)
        print(f"process start-up to first answer (CLI ask):  {first:.1f} s")

        from policyqa.config import Config
        from policyqa.qa import PolicyQA

        questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
        questions = (questions * (args.n // max(len(questions), 1) + 1))[: args.n]
        os.environ["XDG_CACHE_HOME"] = env.get("XDG_CACHE_HOME", os.environ.get("XDG_CACHE_HOME", ""))
        if not os.environ["XDG_CACHE_HOME"]:
            del os.environ["XDG_CACHE_HOME"]
        started = time.perf_counter()
        qa = PolicyQA(Config.load(index_dir=f"{tmp}/index")).load()
        qa.ask("预热")  # jieba, OpenCC and torch warm-up
        print(f"in-process load (model + index + warm-up):   {time.perf_counter() - started:.1f} s")
        search_ms, ask_ms = [], []
        for q in questions:
            t = time.perf_counter()
            qa.search(q)
            search_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            qa.ask(q)
            ask_ms.append((time.perf_counter() - t) * 1000)
        for name, values in (("search", search_ms), ("ask", ask_ms)):
            print(f"{name:6s} over {len(values)} questions: p50 {statistics.median(values):.0f} ms, p95 {_pct(values, 95):.0f} ms, max {max(values):.0f} ms")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (warm process):                  {peak:.0f} MB")
        print(f"chunks in index: {len(qa.index.chunks)}; torch threads: {__import__('torch').get_num_threads()}")


if __name__ == "__main__":
    main()
