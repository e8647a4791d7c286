"""The whole query path at scale (issue 5): the app's own index format, loader, search and answer
over synthetic corpora of 10^5 and 10^6 chunks; prints figures, no pass/fail.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_app_scale.py                    # 10^5 and 10^6
    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_app_scale.py --sizes 100000     # one size

``bench/bench_scale.py`` measures the FAISS and BM25 indexes alone; this script measures what a
server holds and does: ``PolicyQA.load()`` of a complete build (chunks, documents, FAISS, BM25,
sentence views when ``sentence_index=auto`` keeps them, the model) and ``search``/``ask`` of the
real questions of eval/data, one at a time, each size in a fresh process.

How a build is made (no model work; minutes): the synthetic passages of bench_scale.py
(random real sentences of one document, the length of a real chunk), 200 to a synthetic
document; BM25 tokens composed from per-sentence jieba tokens as bench_scale does; vectors from
bench_scale's cache of synthetic embeddings (run ``bench/bench_scale.py`` once first), also used
for sentence vectors when the sentence views are on. Then ``store.build_faiss`` (``auto``),
``retriever.build.build_bm25``, ``store.build_manifest``, ``store.write_build`` and ``store.publish``: the
files ``policyqa ingest`` writes. The vectors are not the embeddings of these texts, so answers
are not meaningful; latency and memory are.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench_scale import _dir_size, _joiner, _pct, load_corpus, synthetic_specs  # noqa: E402

log = logging.getLogger("bench_app_scale")
DOC_CHUNKS = 200
WARMUP = 5


def _rss_mb(field: str = "VmRSS") -> float:
    """Resident memory now (VmRSS), at its peak (VmHWM); RssAnon is the process's own, RssFile
    memory-mapped file pages (BM25 postings, chunk lines), which the kernel can drop and read again."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cached_vectors(cache_dir: Path, n: int) -> np.ndarray:
    files = sorted(cache_dir.glob("vectors-*.npy"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    files = [f for f in files if int(f.stem.rsplit("-", 1)[1]) >= n]
    if not files:
        raise SystemExit(f"no cached synthetic vectors for {n} rows in {cache_dir}: run bench/bench_scale.py first")
    return np.load(files[0], mmap_mode="r")


def build(n: int, work: Path, cache_dir: Path, seed: int) -> dict:
    """Write a complete index of ``n`` synthetic chunks into ``work`` (the app's format)."""
    from retriever.build import _settings, build_bm25
    from retriever.store import build_manifest
    from retriever.views import sentence_units
    from ingest.schema import Chunk, SourceDocument
    from policyqa.config import Config
    from retriever import store
    from retriever.text import char_bigrams, tokenize

    started = time.perf_counter()
    corpus = load_corpus()
    specs = synthetic_specs(corpus, n, seed)
    sentence_tokens = [tokenize(s + _joiner(s)) for s in corpus.sentences]
    prefix_tokens = [tokenize(p) for p in corpus.prefixes]
    documents, chunks, tokens = [], [], []
    for first in range(0, n, DOC_CHUNKS):
        doc_id = f"synthetic-{first // DOC_CHUNKS:05d}"
        parts, pos = [], 0
        for i in range(first, min(n, first + DOC_CHUNKS)):
            template, ids = specs[i]
            body = "".join(corpus.sentences[s] + _joiner(corpus.sentences[s]) for s in ids).strip()
            span = (pos, pos + len(body))
            chunks.append(Chunk(f"{doc_id}-p{i - first + 1:03d}", doc_id, body, [span], paragraph=i - first + 1, para_span=span))
            tokens.append(prefix_tokens[template] + [tok for s in ids for tok in sentence_tokens[s]])
            parts.append(body)
            pos += len(body) + 1
        text = "\n".join(parts)
        documents.append(SourceDocument(doc_id, f"《合成文档{first // DOC_CHUNKS:05d}》", text, path=f"{doc_id}.txt",
                                        sha256=hashlib.sha256(text.encode()).hexdigest()))
    texts_s = time.perf_counter() - started

    config = Config.load(index_dir=work)
    vectors = cached_vectors(cache_dir, n)
    embeddings = np.ascontiguousarray(vectors[:n], dtype=np.float32)
    sentences = sentence_units(chunks)
    views = store.sentence_views(config.sentence_index, n)
    with_sentences = views == "index"
    t = time.perf_counter()
    factory = store.choose_factory(config.index_factory, n)
    faiss_index = store.build_faiss(embeddings, factory)
    bm25 = build_bm25(tokens)
    del tokens
    sentence_embeddings = sentence_faiss = sentence_bm25 = None
    if views != "none":
        rows = np.arange(len(sentences)) % len(vectors)  # stand-ins: latency, not relevance
        sentence_embeddings = np.ascontiguousarray(vectors[np.sort(rows)], dtype=np.float32 if with_sentences else np.float16)
    if with_sentences:
        sentence_faiss = store.build_faiss(sentence_embeddings, store.choose_factory(config.index_factory, len(sentences)))
        sentence_bm25 = build_bm25([char_bigrams(chunks[r].text[s:e]) for r, s, e in sentences])
    index_s = time.perf_counter() - t
    manifest = build_manifest(documents, chunks, sentences, views, _settings(config, config.model),
                              embeddings.shape[1], False, factory, config.index_factory)
    data = store.IndexData(manifest, {d.doc_id: d for d in documents}, chunks, embeddings, faiss_index, bm25, None,
                           sentences=sentences, sentence_embeddings=sentence_embeddings,
                           sentence_faiss=sentence_faiss, sentence_bm25=sentence_bm25,
                           sentence_bare=None if sentence_embeddings is None else sentence_embeddings.astype(np.float16))
    t = time.perf_counter()
    final = store.save_build(work, data)
    write_s = time.perf_counter() - t
    return {"n": n, "sentences": len(sentences), "sentence_index": views, "factory": factory,
            "texts_s": texts_s, "index_s": index_s, "write_s": write_s, "disk_mb": _dir_size(final) / 2**20,
            "build_peak_mb": _rss_mb("VmHWM")}


def questions() -> list[str]:
    out = []
    for path in (ROOT / "eval" / "data" / "dev.jsonl", ROOT / "eval" / "data" / "holdout.jsonl"):
        out += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def query(work: Path) -> dict:
    """Load the build like the server does, then search and ask every question once."""
    from policyqa.answer import QuestionError
    from policyqa.config import Config
    from policyqa.qa import PolicyQA

    qa = PolicyQA(Config.load(index_dir=work))
    qa.embedder  # the model first, so the load figure is the index alone
    model_rss = _rss_mb()
    t = time.perf_counter()
    qa.load()
    load_s = time.perf_counter() - t
    loaded_rss = _rss_mb()
    qs = questions()
    for q in qs[:WARMUP]:
        qa.ask(q)
    timings = {"search": [], "ask": []}
    refused = 0
    for q in qs:
        for name, call in (("search", qa.search), ("ask", qa.ask)):
            t = time.perf_counter()
            try:
                result = call(q)
            except QuestionError:
                continue
            timings[name].append((time.perf_counter() - t) * 1000)
            if name == "ask":
                refused += result.refused
    out = {"load_s": load_s, "model_rss_mb": model_rss, "loaded_rss_mb": loaded_rss, "peak_mb": _rss_mb("VmHWM"),
           "end_anon_mb": _rss_mb("RssAnon"), "end_file_mb": _rss_mb("RssFile"),
           "questions": len(qs), "refused": refused}
    for name, values in timings.items():
        out[f"{name}_p50_ms"] = statistics.median(values)
        out[f"{name}_p95_ms"] = _pct(values, 95)
    return out


def _child(task: str, spec: dict) -> None:
    logging.basicConfig(level=logging.WARNING)
    work, n = Path(spec["work"]), spec["n"]
    result = build(n, work, Path(spec["cache"]), spec["seed"]) if task == "build" else query(work)
    print(json.dumps(result))


def _run(task: str, spec: dict) -> dict:
    proc = subprocess.run([sys.executable, __file__, "_child", task, json.dumps(spec)], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{task} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        _child(sys.argv[2], json.loads(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated chunk counts")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "app-scale")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "bench" / "out" / "scale-cache")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reuse", action="store_true", help="measure an existing build of a size again")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    rows = []
    for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
        spec = {"n": n, "work": str(args.work / str(n)), "cache": str(args.cache_dir), "seed": args.seed}
        saved = args.work / str(n) / "built.json"
        if args.reuse and saved.exists():
            built = json.loads(saved.read_text())
        else:
            log.info("building %d chunks", n)
            built = _run("build", spec)
            saved.write_text(json.dumps(built))
        log.info("built: %s", built)
        measured = _run("query", spec)
        log.info("measured: %s", measured)
        rows.append({**built, **measured})
    print(f"\nload average {os.getloadavg()[0]:.2f} (2 shared cores)")
    print("| chunks | sentences (views) | factory | disk MB | build s (index) | load s | RSS model / +index MB | peak MB | at the end: anon + file MB | search p50/p95 ms | ask p50/p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']:,} | {r['sentences']:,} ({r['sentence_index']}) | {r['factory']} | {r['disk_mb']:.0f} "
              f"| {r['index_s']:.0f} | {r['load_s']:.1f} | {r['model_rss_mb']:.0f} / {r['loaded_rss_mb']:.0f} | {r['peak_mb']:.0f} "
              f"| {r['end_anon_mb']:.0f} + {r['end_file_mb']:.0f} "
              f"| {r['search_p50_ms']:.1f} / {r['search_p95_ms']:.1f} | {r['ask_p50_ms']:.1f} / {r['ask_p95_ms']:.1f} |")


if __name__ == "__main__":
    main()
