"""documents → chunks → index: incremental, atomic index builds.

Only documents whose content hash changed are chunked and embedded again; the others keep
their chunks and vectors from the live build. The new build is written into its own folder and
published by replacing ``CURRENT``, so a failed or killed ingest leaves the old index serving.
"""
from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.chunker import CHUNKER_VERSION, chunk_document, chunk_within_limit
from ingest.loaders import LoadError, find_documents, load_document
from ingest.locks import lock_file
from ingest.schema import Chunk, SourceDocument, content_key
from ingest.versions import superseded_by
from retriever import store
from retriever.settings import BuildSettings
from retriever.views import (
    alone_in_chunk, bare_text, chunk_terms, encode_sentences, passage_text, sentence_terms, sentence_text, sentence_units,
)

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one message per file that was not ingested
    kept: list[str] = field(default_factory=list)  # unreadable files whose last good version stays
    repaired: str = ""  # the damage found in the live build (this ingest wrote a sound one)
    duplicates: list[str] = field(default_factory=list)
    chunk_count: int = 0
    embedded_chunks: int = 0
    seconds: float = 0.0
    index_path: str = ""

    @property
    def rebuilt(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.repaired)

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
        if self.repaired:
            text += f"\n  已修复损坏的索引：{self.repaired}"
        for kept in self.kept:
            text += f"\n  保留：{kept}"
        for dup in self.duplicates:
            text += f"\n  重复（已跳过）：{dup}"
        for err in self.errors:
            text += f"\n  错误：{err}"
        return text


def _sentence_sources(chunks, sentences, chunk_source, old_start) -> list[int | None]:
    """Row of each sentence in the previous build (unchanged documents), else None."""
    source: list[int | None] = []
    seen: dict[str, int] = {}
    for row, _s, _e in sentences:
        doc_id = chunks[row].doc_id
        if chunk_source[row] is None or doc_id not in old_start:
            source.append(None)
            continue
        source.append(old_start[doc_id] + seen.get(doc_id, 0))
        seen[doc_id] = seen.get(doc_id, 0) + 1
    return source


#: Texts encoded per call while gathering vectors (each call sorts its texts by length).
ENCODE_BLOCK = 16_384


def _gather(source: list[int | None], old, inputs: list, encode, dim: int, dtype=np.float32,
            seen: dict | None = None) -> np.ndarray:
    """Rows copied from ``old`` where ``source`` names one, elsewhere ``encode`` of the row's
    ``inputs`` (texts), each distinct text encoded once. ``seen`` (text → vector, filled here)
    carries vectors from one call to the next: laws repeat whole sentences (本法自公布之日起施行。)
    and a sentence without a heading path is the same text in both sentence views; in the bench
    corpus such repeats are 5 % of the sentence characters."""
    seen = {} if seen is None else seen
    out = np.zeros((len(source), dim), dtype=dtype)
    reuse = [(i, s) for i, s in enumerate(source) if s is not None]
    if reuse:
        out[[i for i, _ in reuse]] = old[[s for _, s in reuse]]
    todo, repeats = [], []  # rows to encode; rows whose text is encoded elsewhere
    first: dict = {}
    for i, s in enumerate(source):
        if s is None:
            text = inputs[i]
            if text in seen or text in first:
                repeats.append(i)
            else:
                first[text] = i
                todo.append(i)
    # in blocks: the encoder's float32 output of half a million sentences alone is ~0.8 GB
    for start in range(0, len(todo), ENCODE_BLOCK):
        block = todo[start:start + ENCODE_BLOCK]
        out[block] = encode([inputs[i] for i in block])
    for text, i in first.items():
        seen[text] = out[i]  # a view: no copy
    for i in repeats:
        out[i] = seen[inputs[i]]
    return out


def ingest_lock(root: Path):
    """One ingest at a time per index folder (a second one waits)."""
    return lock_file(Path(root) / ".ingest.lock")


def _settings(config: BuildSettings, model_id: str) -> dict:
    # Anything that changes chunks or vectors; a difference forces re-embedding everything.
    # bare_view 2: a chunk's only sentence takes its view's vector as its bare one (views.bare_text)
    return {"model": model_id, "chunker_version": CHUNKER_VERSION, "chunk_max_chars": config.chunk_max_chars, "sparse": config.sparse,
            "bare_view": 2}


def _previous_build(config: BuildSettings) -> tuple[store.IndexData | None, str]:
    """The build to reuse documents (and, unless the caller rebuilds, vectors) from, and the damage
    found in the live build ('' when it loads, reads and searches).

    The live build is verified in full (every row read, one search on every index): a deleted
    ``dense.faiss`` or a corrupted middle line would otherwise go unnoticed and a plain
    ``ingest`` would report "nothing changed". When the live build is damaged, the newest build
    whose rows and vectors can still be read is used instead (search files are rebuilt anyway),
    so a repair re-embeds only what was lost.
    """
    root = Path(config.index_dir)
    live = None
    try:
        live = store.read_current(root)
        if live is None:
            return None, ""
        data = store.load_index(root, with_search=True)
        store.verify_build(data)
        return data, ""
    except store.IndexUnavailable as exc:
        problem = str(exc)
    log.warning("当前索引无法完整读取，本次 ingest 将修复：%s", problem)
    for build in ([live] if live else []) + [b for b in store.finished_builds(root) if b != live]:
        try:
            data = store.load_index(root, with_search=False, build=build)
            data.chunks._lines.check_all()
            data.documents._lines.check_all()
            data.embeddings = np.asarray(data.embeddings)
            if data.sentence_embeddings is not None:
                data.sentence_embeddings = np.asarray(data.sentence_embeddings)
                data.sentence_bare = np.asarray(data.sentence_bare)
        except (store.IndexUnavailable, ValueError, OSError) as exc:
            log.warning("构建 %s 不可复用：%s", build.name, exc)
            continue
        log.info("复用构建 %s 中可读的文档和向量", build.name)
        return data, problem
    return None, problem


def load_corpus(paths: list[Path], report: IngestReport, indexed: set[str] = frozenset(),
                max_chars: int = 400) -> tuple[list[SourceDocument], set[str]]:
    """Load every file; failures and duplicate contents go into ``report``.

    ``indexed``: names of the files the live index was built from. Among files with the same
    content (or the same document id), one of these wins, so a copy dropped beside an indexed
    file never takes its place, whatever the names' order.

    Returns the documents (in the order of ``paths``) and the names of the files that failed to load.
    """
    documents: list[tuple[int, SourceDocument]] = []
    failed: set[str] = set()
    by_text: dict[str, str] = {}
    by_id: dict[str, str] = {}
    order = sorted(range(len(paths)), key=lambda i: Path(paths[i]).name not in indexed)  # stable
    for position in order:
        path = paths[position]
        try:
            doc = load_document(path)  # refuses oversized text and zip bombs (ingest/loaders.py)
            chunk_within_limit(doc, max_chars)  # and documents of too many chunks
        except LoadError as exc:
            report.errors.append(str(exc))
            failed.add(Path(path).name)
            log.error("%s", exc)
            continue
        key = content_key(doc)
        if key in by_text:
            report.duplicates.append(f"{Path(path).name} 与 {by_text[key]} 内容相同")
            continue
        if doc.doc_id in by_id:
            report.errors.append(f"{Path(path).name}: 与 {by_id[doc.doc_id]} 的文档编号 {doc.doc_id!r} 相同，请改名")
            continue
        by_text[key] = Path(path).name
        by_id[doc.doc_id] = Path(path).name
        documents.append((position, doc))
    return [doc for _, doc in sorted(documents, key=lambda t: t[0])], failed


def stale_documents(config: BuildSettings, manifest: dict) -> list[str]:
    """How the corpus folder differs from the build described by ``manifest`` (one line per
    file added, changed or removed; empty when the index is current). Reads, never writes."""
    report = IngestReport()
    documents, failed = load_corpus(find_documents(config.corpus_dir), report, max_chars=config.chunk_max_chars)
    indexed = manifest.get("documents", {})
    found = {d.doc_id: d for d in documents}
    lines = [f"{Path(d.path).name}: 不在索引中" for i, d in found.items() if i not in indexed]
    lines += [f"{Path(d.path).name}: 已修改，索引中是旧版本" for i, d in found.items()
              if i in indexed and indexed[i].get("sha256") != d.sha256]
    lines += [f"{Path(m.get('path', i)).name}: 索引中有，文件夹中没有" for i, m in indexed.items()
              if i not in found and Path(m.get("path", "")).name not in failed]
    return lines


def mark_superseded(documents: list[SourceDocument]) -> None:
    """Set ``superseded_by`` on every document that has a newer version (same title, later date)
    among ``documents`` (ingest/versions.py); clear it on the others."""
    newer = superseded_by((d.doc_id, d.title, d.date) for d in documents)
    for doc in documents:
        doc.superseded_by = newer.get(doc.doc_id, "")


def ingest(config: BuildSettings, embedder=None, rebuild: bool = False, progress: bool = True) -> IngestReport:
    """Bring the index in ``config.index_dir`` in line with the files in ``config.corpus_dir``.

    ``embedder`` is created on demand (only when something must be embedded), so a re-ingest
    with nothing changed never loads the model.
    """
    started = time.perf_counter()
    report = IngestReport()
    root = Path(config.index_dir)
    with ingest_lock(root):
        paths = find_documents(config.corpus_dir)
        previous, damage = _previous_build(config)
        report.repaired = damage
        indexed = {Path(m.get("path", "")).name for m in previous.manifest["documents"].values()} if previous else set()
        documents, failed_names = load_corpus(paths, report, indexed, config.chunk_max_chars)
        model_id = config.model
        settings = _settings(config, model_id)
        reusable = not rebuild and previous is not None and previous.manifest.get("settings") == settings
        old_docs = previous.manifest["documents"] if reusable else {}

        # A file that was indexed before but fails to load now keeps its old version, also in a
        # full rebuild (it is chunked and embedded again from the text the index kept).
        loaded_ids = {x.doc_id for x in documents}
        for d, meta in (previous.manifest["documents"] if previous else {}).items():
            if Path(meta["path"]).name in failed_names and d in previous.documents and d not in loaded_ids:
                documents.append(previous.documents[d])
                report.kept.append(f"{Path(meta['path']).name}: 无法读取，保留上一版本（{meta['title']}）")

        mark_superseded(documents)
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
        same_sentence_index = previous is not None and store.manifest_sentence_views(previous.manifest) == (
            store.sentence_views(config.sentence_index, previous.manifest["chunk_count"]))
        if (reusable and not report.rebuilt and same_sentence_index and not damage
                and previous.manifest.get("faiss", {}).get("requested") == config.index_factory):
            store.prune(root)  # what killed or failed ingests left goes even when nothing changed
            if (mirror := _mirror(config)) is not None:
                mirror.ensure(previous)
            report.chunk_count = previous.manifest["chunk_count"]
            report.index_path = str(previous.path)
            report.seconds = time.perf_counter() - started
            log.info("索引已是最新，无需重建")
            return report

        if not documents:
            raise LoadError("没有可用的文档：" + ("；".join(report.errors) or f"{config.corpus_dir} 中没有支持的文件"))

        # Unchanged documents keep their chunks and vectors; the others are chunked afresh.
        chunks: list[Chunk] = []
        chunk_source: list[int | None] = []  # row in the previous build, or None: embed
        for doc in documents:
            if doc.doc_id in report.unchanged:
                first, last = old_docs[doc.doc_id]["rows"]
                chunks.extend(previous.chunks[first:last])
                chunk_source.extend(range(first, last))
            else:
                new = chunk_document(doc, config.chunk_max_chars)
                chunks.extend(new)
                chunk_source.extend([None] * len(new))
        docs_by_id = {d.doc_id: d for d in documents}
        sentences = sentence_units(chunks)
        sentence_mode = store.sentence_views(config.sentence_index, len(chunks))
        with_sentences = sentence_mode == "index"  # vectors, FAISS and BM25 of every sentence
        with_vectors = sentence_mode != "none"  # the vectors at least
        old_sentences = previous.sentence_embeddings if reusable else None
        old_sentence_start = {d: old_docs[d]["sentence_rows"][0] for d in report.unchanged} if old_sentences is not None else {}
        sentence_source = _sentence_sources(chunks, sentences, chunk_source, old_sentence_start) if with_vectors else []

        texts = [passage_text(c, docs_by_id[c.doc_id]) for c in chunks]
        views = [sentence_text(chunks[row], chunks[row].text[s:e]) for row, s, e in sentences] if with_vectors else []
        alone = alone_in_chunk(sentences) if with_vectors else []
        bare = [bare_text(view, chunks[row].text[s:e], lone)
                for view, (row, s, e), lone in zip(views, sentences, alone)] if with_vectors else []
        report.embedded_chunks = chunk_source.count(None)
        if embedder is None:
            from retriever.embedder import Embedder

            embedder = Embedder.from_settings(config)
        log.info("嵌入 %d 个新片段、%d 个新句子（共 %d 个片段，%s）", report.embedded_chunks, sentence_source.count(None),
                 len(chunks), getattr(embedder, "precision", "float32"))
        embeddings = _gather(chunk_source, previous.embeddings if reusable else None, texts,
                             lambda t: embedder.encode_passages(t, show_progress=progress), embedder.dim)
        sentence_embeddings = sentence_bare = sentence_faiss = sentence_bm25 = None
        if with_vectors:
            encoded: dict = {}  # sentence text → its vector, shared by the two views
            # vectors alone are only read (a hit's sentences scored): float16 halves them
            sentence_embeddings = _gather(sentence_source, old_sentences, views,
                                          lambda v: encode_sentences(embedder, v, show_progress=progress), embedder.dim,
                                          dtype=np.float32 if with_sentences else np.float16, seen=encoded)
            # the quote ranker's second cosine: a sentence without the heading path its siblings share
            sentence_bare = _gather(sentence_source, previous.sentence_bare if old_sentences is not None else None, bare,
                                    lambda v: encode_sentences(embedder, v, show_progress=progress), embedder.dim,
                                    dtype=np.float16, seen=encoded)
            del encoded
        if with_sentences:
            sentence_faiss = store.build_faiss(sentence_embeddings, store.choose_factory(config.index_factory, len(sentences)))
            sentence_bm25 = build_bm25([_interned(sentence_terms(chunks[row], docs_by_id[chunks[row].doc_id], s, e))
                                        for row, s, e in sentences])
        sparse = _sparse_matrix(embedder, texts, chunk_source, previous, config)

        factory = store.choose_factory(config.index_factory, len(chunks))
        faiss_index = store.build_faiss(embeddings, factory)
        bm25 = build_bm25([_interned(chunk_terms(c, docs_by_id[c.doc_id])) for c in chunks])
        manifest = store.build_manifest(documents, chunks, sentences, sentence_mode, settings, embedder.dim,
                                  sparse is not None, factory, config.index_factory)
        data = store.IndexData(
            manifest, docs_by_id, chunks, embeddings, faiss_index, bm25, sparse,
            sentences=sentences, sentence_embeddings=sentence_embeddings,
            sentence_faiss=sentence_faiss, sentence_bm25=sentence_bm25, sentence_bare=sentence_bare,
        )
        final = store.save_build(root, data, mirror=_mirror(config))
        report.chunk_count = len(chunks)
        report.index_path = str(final)
        report.seconds = time.perf_counter() - started
        log.info("%s", report.summary())
        return report


def _interned(tokens: list[str]) -> list[str]:
    """``tokens`` as the one shared string object of each word: every token list of a corpus is held
    until BM25 is built, and words repeat (20 M characters of laws: 74 → 32 bytes a character)."""
    return [sys.intern(token) for token in tokens]


def _mirror(config: BuildSettings):
    """Where else each build is written: Milvus with ``backend = "milvus"``, else nowhere."""
    if getattr(config, "backend", "local") != "milvus":
        return None
    from retriever.milvus_backend import MilvusMirror

    return MilvusMirror(config)


def build_bm25(corpus_tokens: list[list[str]]):
    """A bm25s index over pre-tokenised texts (its own tokenizer drops one-character words)."""
    import bm25s

    bm25 = bm25s.BM25()
    bm25.index(corpus_tokens, show_progress=False)
    return bm25


def _sparse_matrix(embedder, texts, source, previous, config):
    """Sparse-head vectors of every chunk: reused rows from the previous build, new ones encoded."""
    if not (config.sparse and embedder.has_sparse):
        return None
    import scipy.sparse

    todo = [i for i, s in enumerate(source) if s is None]
    fresh = embedder.encode_sparse([texts[i] for i in todo]) if todo else None
    reused = len(todo) < len(source)
    old = scipy.sparse.load_npz(previous.path / "sparse.npz").tocsr() if reused else None
    fresh_row = {i: j for j, i in enumerate(todo)}
    pieces = [fresh[fresh_row[i]] if s is None else old[s] for i, s in enumerate(source)]
    return scipy.sparse.vstack(pieces, format="csr").astype(np.float32)
