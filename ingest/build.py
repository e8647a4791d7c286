"""files → chunks → index: incremental, atomic index builds.

Only documents whose content hash changed are chunked and embedded again; the others keep
their chunks and vectors from the live build. The new build is written into its own folder and
published by replacing ``CURRENT``, so a failed or killed ingest leaves the old index serving.
"""
from __future__ import annotations

import fcntl
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.chunker import CHUNKER_VERSION, chunk_document
from ingest.loaders import LoadError, find_documents, load_document
from ingest.schema import Chunk, SourceDocument
from policyqa.config import Config
from retriever import store
from retriever.text import tokenize

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one message per file that was not ingested
    duplicates: list[str] = field(default_factory=list)
    chunk_count: int = 0
    embedded_chunks: int = 0
    seconds: float = 0.0
    index_path: str = ""

    @property
    def rebuilt(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        parts = [
            f"新增 {len(self.added)}",
            f"更新 {len(self.changed)}",
            f"删除 {len(self.removed)}",
            f"未变 {len(self.unchanged)}",
            f"片段 {self.chunk_count}",
            f"嵌入 {self.embedded_chunks}",
            f"{self.seconds:.1f} 秒",
        ]
        text = "索引：" + "，".join(parts)
        for dup in self.duplicates:
            text += f"\n  重复（已跳过）：{dup}"
        for err in self.errors:
            text += f"\n  错误：{err}"
        return text


def passage_text(chunk: Chunk, doc: SourceDocument) -> str:
    """What is embedded and BM25-indexed for a chunk: title and heading path give it context."""
    return f"{doc.title} {chunk.heading_path}\n{chunk.text}".strip()


@contextmanager
def ingest_lock(root: Path):
    """One ingest at a time per index folder (a second one waits)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".ingest.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _settings(config: Config, model_id: str) -> dict:
    # Anything that changes chunks or vectors; a difference forces re-embedding everything.
    return {"model": model_id, "chunker_version": CHUNKER_VERSION, "chunk_max_chars": config.chunk_max_chars, "sparse": config.sparse}


def _previous_build(config: Config, rebuild: bool) -> store.IndexData | None:
    if rebuild:
        return None
    try:
        return store.load_index(config.index_dir, with_search=False)
    except store.IndexUnavailable as exc:
        if store.read_current(config.index_dir) is not None:
            log.warning("旧索引不可用，将完整重建：%s", exc)
        return None


def load_corpus(paths: list[Path], report: IngestReport) -> tuple[list[SourceDocument], set[str]]:
    """Load every file; failures and duplicate contents go into ``report``.

    Returns the documents and the names of the files that failed to load.
    """
    documents: list[SourceDocument] = []
    failed: set[str] = set()
    by_text: dict[str, str] = {}
    by_id: dict[str, str] = {}
    for path in paths:
        try:
            doc = load_document(path)
        except LoadError as exc:
            report.errors.append(str(exc))
            failed.add(Path(path).name)
            log.error("%s", exc)
            continue
        key = "".join(doc.text.split())
        if key in by_text:
            report.duplicates.append(f"{Path(path).name} 与 {by_text[key]} 内容相同")
            continue
        if doc.doc_id in by_id:
            report.errors.append(f"{Path(path).name}: 与 {by_id[doc.doc_id]} 的文档编号 {doc.doc_id!r} 相同，请改名")
            continue
        by_text[key] = Path(path).name
        by_id[doc.doc_id] = Path(path).name
        documents.append(doc)
    return documents, failed


def ingest(config: Config, embedder=None, rebuild: bool = False, progress: bool = True) -> IngestReport:
    """Bring the index in ``config.index_dir`` in line with the files in ``config.corpus_dir``.

    ``embedder`` is created on demand (only when something must be embedded), so a re-ingest
    with nothing changed never loads the model.
    """
    started = time.perf_counter()
    report = IngestReport()
    root = Path(config.index_dir)
    with ingest_lock(root):
        paths = find_documents(config.corpus_dir)
        documents, failed_names = load_corpus(paths, report)
        previous = _previous_build(config, rebuild)
        model_id = config.model
        settings = _settings(config, model_id)
        reusable = previous is not None and previous.manifest.get("settings") == settings
        old_docs = previous.manifest["documents"] if reusable else {}

        # A file that was indexed before but fails to load now keeps its old version.
        kept_old = [
            previous.documents[d]
            for d, meta in old_docs.items()
            if Path(meta["path"]).name in failed_names and d in previous.documents
        ]
        documents += [d for d in kept_old if d.doc_id not in {x.doc_id for x in documents}]

        current_ids = {d.doc_id for d in documents}
        for doc in documents:
            old = old_docs.get(doc.doc_id)
            if old is None:
                report.added.append(doc.doc_id)
            elif old["sha256"] != doc.sha256:
                report.changed.append(doc.doc_id)
            else:
                report.unchanged.append(doc.doc_id)
        report.removed = sorted(set(old_docs) - current_ids)
        if reusable and not report.rebuilt and previous.manifest.get("faiss", {}).get("requested") == config.index_factory:
            report.chunk_count = previous.manifest["chunk_count"]
            report.index_path = str(previous.path)
            report.seconds = time.perf_counter() - started
            log.info("索引已是最新，无需重建")
            return report

        if not documents:
            raise LoadError("没有可用的文档：" + ("；".join(report.errors) or f"{config.corpus_dir} 中没有支持的文件"))

        chunks: list[Chunk] = []
        rows: list[np.ndarray | None] = []  # reused embedding row per chunk, or None to embed
        sparse_rows: list = []
        for doc in documents:
            if doc.doc_id in report.unchanged:
                meta = old_docs[doc.doc_id]
                first, last = meta["rows"]
                chunks.extend(previous.chunks[first:last])
                rows.extend(previous.embeddings[i] for i in range(first, last))
                sparse_rows.extend(range(first, last))
            else:
                new = chunk_document(doc, config.chunk_max_chars)
                chunks.extend(new)
                rows.extend([None] * len(new))
                sparse_rows.extend([None] * len(new))
        docs_by_id = {d.doc_id: d for d in documents}
        texts = [passage_text(c, docs_by_id[c.doc_id]) for c in chunks]
        todo = [i for i, r in enumerate(rows) if r is None]
        report.embedded_chunks = len(todo)

        if embedder is None:
            from retriever.embedder import Embedder

            embedder = Embedder(config.model, config.cache_dir, sparse=config.sparse, batch_size=config.batch_size)
        log.info("嵌入 %d 个新片段（共 %d 个）", len(todo), len(chunks))
        fresh = embedder.encode_passages([texts[i] for i in todo], show_progress=progress)
        embeddings = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        for j, i in enumerate(todo):
            embeddings[i] = fresh[j]
        for i, row in enumerate(rows):
            if row is not None:
                embeddings[i] = row
        sparse = _sparse_matrix(embedder, texts, todo, sparse_rows, previous, config)

        factory = store.choose_factory(config.index_factory, len(chunks))
        faiss_index = store.build_faiss(embeddings, factory)
        bm25 = build_bm25([tokenize(t) for t in texts])
        doc_rows, start = {}, 0
        for doc in documents:
            count = sum(1 for c in chunks if c.doc_id == doc.doc_id)
            doc_rows[doc.doc_id] = (start, start + count)
            start += count
        manifest = {
            "format": store.FORMAT,
            "format_version": store.FORMAT_VERSION,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "model": {"id": model_id, "dim": embedder.dim, "sparse": sparse is not None},
            "settings": settings,
            "faiss": {"factory": factory, "requested": config.index_factory, "metric": "inner_product", "file": "dense.faiss"},
            "bm25": {"library": "bm25s", "tokenizer": "jieba.lcut_for_search", "dir": "bm25"},
            "chunk_count": len(chunks),
            "documents": {
                d.doc_id: {
                    "title": d.title,
                    "doc_number": d.doc_number,
                    "date": d.date,
                    "path": d.path,
                    "sha256": d.sha256,
                    "rows": list(doc_rows[d.doc_id]),
                }
                for d in documents
            },
        }
        data = store.IndexData(manifest, docs_by_id, chunks, embeddings, faiss_index, bm25, sparse)
        build = store.new_build_dir(root)
        store.write_build(build, data)
        final = store.publish(root, build)
        report.chunk_count = len(chunks)
        report.index_path = str(final)
        report.seconds = time.perf_counter() - started
        log.info("%s", report.summary())
        return report


def build_bm25(corpus_tokens: list[list[str]]):
    """A bm25s index over pre-tokenised texts (its own tokenizer drops one-character words)."""
    import bm25s

    bm25 = bm25s.BM25()
    bm25.index(corpus_tokens, show_progress=False)
    return bm25


def _sparse_matrix(embedder, texts, todo, sparse_rows, previous, config):
    if not (config.sparse and embedder.has_sparse):
        return None
    import scipy.sparse

    fresh = embedder.encode_sparse([texts[i] for i in todo]) if todo else None
    reused = any(r is not None for r in sparse_rows)
    old = scipy.sparse.load_npz(previous.path / "sparse.npz").tocsr() if reused else None
    pieces = []
    fresh_i = 0
    for row in sparse_rows:
        if row is None:
            pieces.append(fresh[fresh_i])
            fresh_i += 1
        else:
            pieces.append(old[row])
    return scipy.sparse.vstack(pieces, format="csr").astype(np.float32)
