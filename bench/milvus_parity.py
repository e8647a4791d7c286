"""Local (FAISS + bm25s) vs Milvus backend on the same build: ranking overlap, eval scores, latency.

    python bench/milvus_parity.py --index /tmp/parity/index [--corpus data/policies]
        [--uri http://host:19530] [--sets dev holdout ...] [--out report.json]

Builds (or brings up to date) the index with ``backend=milvus`` — the folder and its Milvus
collections — then asks every question of the sets through both backends, alternately, and
reports per set: the top-5 overlap of each ranking (dense, dense_sentence, bm25, bm25_sentence:
the same query vector and words searched by both) and of the fused hits of ``ask``, the eval metrics of each backend (eval.metrics.score_run) and ask p50/p95.
Without ``--uri`` an embedded milvus-lite is started on ``<index>/../parity.db`` and stopped at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from eval import metrics  # noqa: E402
from eval.run import WARMUP_QUESTION, load_questions  # noqa: E402
from policyqa.config import PROJECT_ROOT, Config  # noqa: E402
from policyqa.qa import PolicyQA  # noqa: E402
from retriever.build import ingest  # noqa: E402
from retriever.milvus_backend import EmbeddedMilvus  # noqa: E402
from retriever.text import STOPWORDS, char_bigrams, normalise_query, tokenize  # noqa: E402

RANKINGS = ("dense", "dense_sentence", "bm25", "bm25_sentence")
SETS = ("dev", "holdout", "holdout2", "holdout3", "holdout4", "set26")  # never sealed.jsonl
SCORES = ("recall@1", "recall@5", "mrr@10", "ndcg@10", "citation_precision", "citation_recall",
          "quote_precision", "refusal_rate", "false_refusal_rate")


def overlap(a: list, b: list) -> float:
    if not a and not b:
        return 1.0
    return len(set(a) & set(b)) / max(len(a), len(b))


def rankings(local: PolicyQA, milvus: PolicyQA, question: str, k: int = 5) -> dict[str, tuple[list, list]]:
    """The top ``k`` rows of each ranking primitive of both backends for the same query vector,
    words and bigrams (encoded once; the searches themselves are what differs)."""
    query = normalise_query(question)
    vector = local.embedder.encode_queries([query])[0]
    tokens = [t for t in tokenize(query) if t not in STOPWORDS]
    bigrams = char_bigrams(query)
    n = local.config.candidates
    inputs = {"dense": vector, "dense_sentence": vector, "bm25": tokens, "bm25_sentence": bigrams}
    out = {}
    for name in RANKINGS:
        args = (inputs[name], n, None)
        out[name] = tuple([row for row, _ in getattr(qa.live.retriever, name)(*args)[:k]] for qa in (local, milvus))
    return out


def compare(local: PolicyQA, milvus: PolicyQA, questions: list[dict]) -> dict:
    overlaps: dict[str, list[float]] = {name: [] for name in (*RANKINGS, "fused")}
    predictions = {"local": [], "milvus": []}
    for i, q in enumerate(questions):
        for name, tops in rankings(local, milvus, q["question"]).items():
            overlaps[name].append(overlap(*tops))
        order = (("local", local), ("milvus", milvus)) if i % 2 == 0 else (("milvus", milvus), ("local", local))
        answers = {}
        for backend, qa in order:
            answers[backend] = qa.ask(q["question"]).to_dict()
            predictions[backend].append({"id": q["id"], **answers[backend]})
        overlaps["fused"].append(overlap(*[[h["chunk_id"] for h in answers[b]["retrieved"][:5]] for b in ("local", "milvus")]))
    scored = {b: metrics.score_run(questions, p)["overall"] for b, p in predictions.items()}
    latency = {b: [p["latency_ms"] for p in ps] for b, ps in predictions.items()}
    return {
        "questions": len(questions),
        "top5_overlap": {name: round(float(np.mean(v)), 4) for name, v in overlaps.items()},
        "scores": {b: {m: scored[b].get(m) for m in SCORES} for b in scored},
        "max_score_difference": max(abs((scored["local"].get(m) or 0) - (scored["milvus"].get(m) or 0)) for m in SCORES),
        "latency_ms": {b: {"p50": round(float(np.percentile(v, 50)), 1), "p95": round(float(np.percentile(v, 95)), 1)}
                       for b, v in latency.items()},
        "_latencies": latency,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, default=PROJECT_ROOT / "data" / "policies")
    parser.add_argument("--uri", default="")
    parser.add_argument("--sets", nargs="+", default=list(SETS))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    server = None
    uri = args.uri
    if not uri:
        server = EmbeddedMilvus(args.index.parent / "parity.db").start()
        uri = server.uri
    try:
        common = {"index_dir": args.index, "corpus_dir": args.corpus, "milvus_uri": uri, "milvus_collection": "parity"}
        milvus_cfg = Config.load(**common, backend="milvus")
        local_cfg = Config.load(**common, backend="local")
        milvus = PolicyQA(milvus_cfg)
        print(ingest(milvus_cfg.build_settings(), embedder=milvus.embedder, progress=False).summary(), file=sys.stderr)
        milvus.load()
        local = PolicyQA(local_cfg, embedder=milvus.embedder).load()
        for qa in (local, milvus):
            qa.ask(WARMUP_QUESTION)
        report = {"chunks": len(local.index.chunks), "sentences": len(local.index.sentences), "sets": {}}
        all_latency = {"local": [], "milvus": []}
        for name in args.sets:
            result = compare(local, milvus, load_questions(PROJECT_ROOT / "eval" / "data" / f"{name}.jsonl"))
            for b, v in result.pop("_latencies").items():
                all_latency[b] += v
            report["sets"][name] = result
            print(name, json.dumps(result, ensure_ascii=False), file=sys.stderr)
        report["latency_ms_all"] = {b: {"p50": round(float(np.percentile(v, 50)), 1), "p95": round(float(np.percentile(v, 95)), 1)}
                                    for b, v in all_latency.items()}
        text = json.dumps(report, ensure_ascii=False, indent=2)
        print(text)
        if args.out:
            args.out.write_text(text + "\n", encoding="utf-8")
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
