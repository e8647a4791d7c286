"""The on-disk index: one versioned folder per build, published atomically.

Layout (documented in the README, readable without this code)::

    <index_dir>/CURRENT            name of the live build folder (replaced atomically)
    <index_dir>/build-<time>-<pid>/
        manifest.json              format, model, FAISS factory, counts, per-document hashes
        documents.jsonl            one source document a line, with its full text
        chunks.jsonl               one chunk a line; line i is row i of every matrix below
        embeddings.npy             float32 [chunks, dim], L2-normalised passage embeddings
        dense.faiss                faiss.write_index of an inner-product index over embeddings
        bm25/                      bm25s index over jieba tokens (lcut_for_search)
        sparse.npz                 scipy CSR [chunks, sparse_dim] (only with the sparse head)
        sentences.npy              int32 [sentences, 3]: chunk row, start, end (offsets in chunk text)
        sentence_embeddings.npy    float32 [sentences, dim]             } only when the manifest's
        sentences.faiss            inner-product index over them        } "sentence_index" is true
        bm25_sentences/            bm25s index over character bigrams   } (see sentence_views)
        sentence_bare.npy          float16 [sentences, dim]: each sentence alone, without its heading
                                   path (the quote ranker's second cosine; a chunk's only sentence:
                                   its view's vector); with sentence_embeddings.npy

    A build whose manifest has "sentence_vectors" true and "sentence_index" false holds
    sentence_embeddings.npy alone (float16): the sentences of the hits are scored from it
    instead of being embedded at question time, without the cost of indexing every sentence.

A build is written completely into its own folder before ``CURRENT`` names it, so a reader
(or a killed ingest) never sees a half-written index.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.schema import Chunk, SourceDocument

log = logging.getLogger(__name__)

FORMAT = "policyqa-index"
#: 2: bm25_sentences/ holds character bigrams (was jieba words); 3: a sentence vector is the
#: normalised sum of two views, with and without the document title; 4: one view, the heading path
#: and the sentence (retriever.views.sentence_text); 5: sentence_bare.npy, each sentence embedded alone
FORMAT_VERSION = 5
CURRENT = "CURRENT"
#: Above this many vectors ``auto`` chooses an approximate FAISS index (bench/bench_scale.py:
#: one exact query over 10^5 vectors takes ~7 ms on one core, over 10^6 ~100 ms).
AUTO_FLAT_LIMIT = 100_000
#: The approximate index ``auto`` chooses above AUTO_FLAT_LIMIT: HNSW over float16 codes has
#: the recall of HNSW32,Flat at ~60% of its memory (~1.0 GB per 10^6 vectors instead of ~1.75 GB).
AUTO_APPROXIMATE = "HNSW32,SQfp16"
#: HNSW efSearch by index size, (up to this many vectors, efSearch): the smallest values that kept
#: recall@10 >= 0.95 against exact search in bench/bench_scale.py (10^5: 512 -> 0.96;
#: 10^6: 2048 -> 0.95, 4096 -> 0.97 at p95 18 ms on 2 cores).
HNSW_EF_SEARCH = ((200_000, 512), (500_000, 2048))
HNSW_EF_SEARCH_MAX = 4096
#: Up to this many chunks ``sentence_index="auto"`` also indexes every sentence on its own (vectors,
#: FAISS and BM25). Above it the sentence indexes would cost ~3.4x the chunk index (10^6 chunks:
#: ~3.4 million sentence vectors, ~4 GB, days of embedding on 2 cores).
AUTO_SENTENCE_LIMIT = 100_000
#: Up to this many chunks ``auto`` still stores every sentence's vector (float16, no FAISS or BM25
#: over them): the hits' sentences are then scored from it. Embedding them at question time
#: instead took ~1.3 ms a token on one core, 0.6 s at p95 an answer (bench/bench_laws.py).
#: Above it (10^6 chunks) the hits' sentences are embedded at question time.
AUTO_SENTENCE_VECTOR_LIMIT = 400_000
#: ``on``: sentence vectors, FAISS and BM25; ``vectors``: the vectors only; ``off``: none.
SENTENCE_INDEX_SETTINGS = ("auto", "on", "vectors", "off")
#: Matrices and BM25 postings up to this size are read into memory; only larger ones are
#: memory-mapped. A mapped file that is truncated or overwritten in place (``cp`` over it, a full
#: disk) kills the process with SIGBUS at the next read, so small indexes (the shipped corpus:
#: a few MB) never map; at 10^6 chunks mapping saves ~1.5 GB and the README says to never
#: change a published build in place.
MMAP_ABOVE_BYTES = 256 * 1024 * 1024


class IndexUnavailable(RuntimeError):
    """The index is missing, damaged or incompatible; the message says what to do."""



class JsonLines:
    """A JSON Lines file read one line at a time, on demand (row i = line i).

    Only the byte offset of every line stays in memory (8 bytes a line): at 10^6 chunks the
    parsed chunks took ~1.5 GB of the server's memory and the documents ~0.4 GB
    (bench/bench_app_scale.py), while a query reads ten of each. Rows are read with
    ``os.pread``, never through a memory map: a file truncated or overwritten in place while
    the server runs (``cp`` over it, a full disk) then gives a clear error for that row instead
    of killing the process with SIGBUS.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        starts, pos, last = [np.zeros(1, np.int64)], 0, b""
        with open(path, "rb") as f:
            while block := f.read(1 << 24):
                starts.append(np.flatnonzero(np.frombuffer(block, np.uint8) == 10).astype(np.int64) + pos + 1)
                pos += len(block)
                last = block[-1:]
        if pos and last != b"\n":
            raise ValueError(f"{self.path.name} 的最后一行不完整")
        self._fd = os.open(path, os.O_RDONLY)  # the file read at load time, even if renamed later
        self._offsets = np.concatenate(starts)

    def __del__(self):
        fd = getattr(self, "_fd", None)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i: int) -> dict:
        if not 0 <= i < len(self):
            raise IndexError(f"row {i} outside 0..{len(self) - 1}")
        start, end = int(self._offsets[i]), int(self._offsets[i + 1])
        try:
            raw = os.pread(self._fd, end - start, start)
            if len(raw) != end - start or not raw.endswith(b"\n"):
                raise ValueError(f"文件在加载后被截断或改写（应有 {end - start} 字节，读到 {len(raw)}）")
            return json.loads(raw)
        except (ValueError, OSError) as exc:
            raise ValueError(
                f"索引文件 {self.path.name} 第 {i + 1} 行已损坏（{exc}）；请运行 `policyqa ingest` 修复"
            ) from None

    def check_all(self) -> None:
        """Parse every line (ingest's verification of the live build); raises ValueError."""
        for i in range(len(self)):
            self[i]


class ChunkTable(Sequence):
    """The chunks of a build, parsed from ``chunks.jsonl`` when a row is read."""

    def __init__(self, path: Path):
        self._lines = JsonLines(path)

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return Chunk.from_dict(self._lines[i + len(self) if i < 0 else i])


class DocumentTable(Mapping):
    """The documents of a build by id, parsed from ``documents.jsonl`` when one is read (the
    manifest lists the ids in file order); the last few read are kept."""

    def __init__(self, path: Path, doc_ids: list[str]):
        self._lines = JsonLines(path)
        if len(self._lines) != len(doc_ids):
            raise ValueError(f"documents.jsonl 有 {len(self._lines)} 行，清单记录 {len(doc_ids)} 个文档")
        self._rows = {d: i for i, d in enumerate(doc_ids)}
        self._read = functools.lru_cache(maxsize=64)(self._parse)

    def _parse(self, row: int) -> SourceDocument:
        return SourceDocument.from_dict(self._lines[row])

    def __getitem__(self, doc_id: str) -> SourceDocument:
        doc = self._read(self._rows[doc_id])
        if doc.doc_id != doc_id:
            raise ValueError(f"documents.jsonl 的顺序与清单不一致（{doc.doc_id} ≠ {doc_id}）")
        return doc

    def __iter__(self):
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


@dataclass
class IndexData:
    """Everything a build holds, in memory."""

    manifest: dict
    documents: Mapping[str, SourceDocument]  # a dict while building, a DocumentTable once loaded
    chunks: Sequence[Chunk]  # a list while building, a ChunkTable once loaded
    embeddings: np.ndarray
    faiss_index: object = None
    bm25: object = None
    sparse: object = None  # scipy.sparse.csr_matrix or None
    sentences: np.ndarray | None = None  # int32 [S, 3]: chunk row, start, end
    sentence_embeddings: np.ndarray | None = None
    sentence_faiss: object = None
    sentence_bm25: object = None
    path: Path | None = None
    sentence_bare: np.ndarray | None = None  # float16 [S, dim]: the sentences without their heading path

    @property
    def sentence_mode(self) -> str:
        """What this build holds of its sentences: ``"index"`` (vectors, FAISS and BM25),
        ``"vectors"`` (the vectors alone) or ``"none"`` (see :func:`manifest_sentence_views`)."""
        return "none" if self.sentence_embeddings is None else manifest_sentence_views(self.manifest)


def choose_factory(factory: str, n: int) -> str:
    """Resolve ``auto``: exact search while it is fast enough, HNSW (float16 codes) above that."""
    if factory != "auto":
        return factory
    return "Flat" if n <= AUTO_FLAT_LIMIT else AUTO_APPROXIMATE


def sentence_views(setting: str, n_chunks: int) -> str:
    """Resolve the ``sentence_index`` setting for ``n_chunks`` chunks: ``"index"`` (sentence
    vectors, FAISS and BM25), ``"vectors"`` (the vectors only) or ``"none"``."""
    if setting not in SENTENCE_INDEX_SETTINGS:
        raise ValueError(f"sentence_index 只能是 {'/'.join(SENTENCE_INDEX_SETTINGS)}，收到 {setting!r}")
    if setting == "auto":
        return "index" if n_chunks <= AUTO_SENTENCE_LIMIT else "vectors" if n_chunks <= AUTO_SENTENCE_VECTOR_LIMIT else "none"
    return {"on": "index", "vectors": "vectors", "off": "none"}[setting]


def manifest_sentence_views(manifest: dict) -> str:
    """What a build holds of its sentences (builds before ``sentence_vectors`` had both or none)."""
    if manifest.get("sentence_index", True):
        return "index"
    return "vectors" if manifest.get("sentence_vectors", False) else "none"


def hnsw_ef_search(n: int) -> int:
    """efSearch for an HNSW index of ``n`` vectors (see ``HNSW_EF_SEARCH``)."""
    for limit, ef in HNSW_EF_SEARCH:
        if n <= limit:
            return ef
    return HNSW_EF_SEARCH_MAX


def build_faiss(embeddings: np.ndarray, factory: str):
    """An inner-product FAISS index of the kind named by ``factory`` (trained if it needs it)."""
    import faiss

    dim = embeddings.shape[1]
    try:
        index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as exc:
        raise ValueError(f"无效的 FAISS 索引类型 {factory!r}：{exc}") from None
    if not index.is_trained and len(embeddings) < 1000:
        raise ValueError(f"索引类型 {factory!r} 需要训练，但只有 {len(embeddings)} 个片段；请用 Flat")
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # searching may have lowered it to one
    try:
        if not index.is_trained:
            index.train(embeddings)
        if len(embeddings):
            index.add(embeddings)
    finally:
        faiss.omp_set_num_threads(before)
    return index


def tune_faiss(index, ef_search: int | None = None, nprobe: int = 32) -> None:
    """Search-time parameters for approximate indexes (no-op for Flat).

    ``ef_search=None`` picks HNSW's efSearch from the index size (``hnsw_ef_search``).
    """
    import faiss

    inner = faiss.downcast_index(index)
    if hasattr(inner, "hnsw"):
        inner.hnsw.efSearch = ef_search if ef_search is not None else hnsw_ef_search(index.ntotal)
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = nprobe


def read_current(root: Path) -> Path | None:
    """The live build folder named by ``CURRENT`` (None when there is no index yet).

    Raises :class:`IndexUnavailable` when ``CURRENT`` is unreadable or names no build folder
    (random bytes, a path): never a raw decoding error."""
    marker = Path(root) / CURRENT
    try:
        raw = marker.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexUnavailable(f"无法读取 {marker}（{exc.strerror}）。请检查权限，或运行 `policyqa ingest` 修复。") from None
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        name = None
    if name == "":
        return None
    if name is None or not name.startswith("build-") or "/" in name or "\\" in name or len(name) > 200:
        raise IndexUnavailable(f"{marker} 已损坏（内容不是一个构建文件夹的名字）。请运行 `policyqa ingest` 修复。")
    return Path(root) / name


def finished_builds(root: Path) -> list[Path]:
    """Published build folders in ``root``, newest first."""
    builds = [p for p in Path(root).glob("build-*") if p.is_dir() and not p.name.endswith(".tmp")]
    return sorted(builds, key=lambda p: p.stat().st_mtime, reverse=True)


def new_build_dir(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = root / f"build-{stamp}-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}.tmp"
    path.mkdir()
    return path


def write_build(path: Path, data: IndexData) -> None:
    """Write every file of a build into ``path`` (a fresh folder), manifest last."""
    import faiss
    import scipy.sparse

    with open(path / "documents.jsonl", "w", encoding="utf-8") as f:
        for doc in data.documents.values():
            f.write(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
    with open(path / "chunks.jsonl", "w", encoding="utf-8") as f:
        for chunk in data.chunks:
            f.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    np.save(path / "embeddings.npy", data.embeddings)
    faiss.write_index(data.faiss_index, str(path / "dense.faiss"))
    data.bm25.save(str(path / "bm25"), show_progress=False)
    if data.sparse is not None:
        scipy.sparse.save_npz(path / "sparse.npz", data.sparse)
    np.save(path / "sentences.npy", data.sentences)
    if data.sentence_embeddings is not None:
        np.save(path / "sentence_embeddings.npy", data.sentence_embeddings)
        np.save(path / "sentence_bare.npy", data.sentence_bare)
    if data.sentence_faiss is not None:
        faiss.write_index(data.sentence_faiss, str(path / "sentences.faiss"))
        data.sentence_bm25.save(str(path / "bm25_sentences"), show_progress=False)
    _fsync_tree(path)
    (path / "manifest.json").write_text(json.dumps(data.manifest, ensure_ascii=False, indent=2), encoding="utf-8")


def _fsync_tree(path: Path) -> None:
    for file in path.rglob("*"):
        if file.is_file():
            with open(file, "rb") as f:
                os.fsync(f.fileno())


def save_build(root: Path, data: IndexData, mirror=None) -> Path:
    """Write ``data`` as a new build of the index in ``root`` and make it live; returns its
    folder. On any failure the half-written build is removed and the live index is untouched.

    ``mirror`` (retriever/milvus_backend.MilvusMirror) also writes the build into a search
    engine before it is published, and is told to serve it after."""
    build = new_build_dir(root)
    name = build.name.removesuffix(".tmp")
    try:
        write_build(build, data)
        if mirror is not None:
            mirror.write(name, data)
        final = publish(root, build)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        if mirror is not None:
            mirror.discard(name)
        raise
    if mirror is not None:
        mirror.publish(name)
    return final


def publish(root: Path, build: Path, keep: int = 1) -> Path:
    """Make ``build`` the live index: rename it final, then replace CURRENT atomically."""
    final = build.with_name(build.name.removesuffix(".tmp"))
    os.replace(build, final)
    tmp = root / f"{CURRENT}.{os.getpid()}.tmp"
    tmp.write_text(final.name + "\n", encoding="utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, root / CURRENT)
    prune(root, keep=keep)
    return final


def prune(root: Path, keep: int = 1) -> None:
    """Delete old builds and leftovers of killed ingests, keeping the live one and ``keep`` older."""
    try:
        live = read_current(root)
    except IndexUnavailable:
        return  # never delete builds while it is unclear which one is live
    builds = sorted((p for p in root.glob("build-*") if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    finished = [p for p in builds if not p.name.endswith(".tmp") and p != live]
    for stale in [p for p in builds if p.name.endswith(".tmp") and _is_abandoned(p)] + finished[keep:]:
        shutil.rmtree(stale, ignore_errors=True)
    for leftover in root.glob(f"{CURRENT}.*.tmp"):
        leftover.unlink(missing_ok=True)


def _is_abandoned(build: Path) -> bool:
    """A .tmp build whose writer process is gone (a killed ingest)."""
    try:
        pid = int(build.name.split("-")[2])  # build-<time>-<pid>-<ns>.tmp
    except (IndexError, ValueError):
        return True
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _large(path: Path) -> bool:
    """Whether ``path`` (a file or folder) is above MMAP_ABOVE_BYTES."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) > MMAP_ABOVE_BYTES


def _mmap_mode(path: Path) -> str | None:
    return "r" if _large(path) else None


def load_index(root: Path, model_id: str | None = None, with_search: bool = True, build: Path | None = None) -> IndexData:
    """Load the live build (or the given ``build`` folder), checking that it is complete and
    matches ``model_id``.

    Raises :class:`IndexUnavailable` with a message that says what to do.
    """
    import faiss

    root = Path(root)
    build = read_current(root) if build is None else Path(build)
    rebuild = "请运行 `policyqa ingest` 修复（它重建读不出的部分；或 `policyqa ingest --rebuild` 全部重建）。"
    if build is None:
        raise IndexUnavailable(f"索引不存在：{root}。请先运行 `policyqa ingest`。")
    if not build.is_dir():
        raise IndexUnavailable(f"索引文件夹 {build} 缺失（CURRENT 指向它）。{rebuild}")
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(f"索引清单 manifest.json 缺失或已损坏（{build}）：{exc}。{rebuild}") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexUnavailable(
            f"索引格式版本 {manifest.get('format_version')!r} 与本程序（{FORMAT_VERSION}）不一致。{rebuild}"
        )
    built_with = manifest.get("model", {}).get("id")
    if model_id is not None and built_with != model_id:
        raise IndexUnavailable(
            f"索引是用模型 {built_with!r} 建立的，当前配置的模型是 {model_id!r}。"
            f"请改回该模型，或运行 `policyqa ingest --rebuild` 用新模型重建索引。"
        )
    try:
        doc_ids = list(manifest.get("documents", {}))
        documents = DocumentTable(build / "documents.jsonl", doc_ids)
        chunks = ChunkTable(build / "chunks.jsonl")
        # a damaged first or last line fails now, not at a question
        for row in sorted({0, len(chunks) - 1}) if len(chunks) else []:
            chunks[row]
        for doc_id in doc_ids[:1] + doc_ids[-1:]:
            documents[doc_id]
        embeddings = np.load(build / "embeddings.npy", mmap_mode=_mmap_mode(build / "embeddings.npy"))
        sentences = np.load(build / "sentences.npy")
        views = manifest_sentence_views(manifest)
        with_sentences = views == "index"
        sentence_embeddings = np.load(build / "sentence_embeddings.npy", mmap_mode=_mmap_mode(build / "sentence_embeddings.npy")) if views != "none" else None
        sentence_bare = np.load(build / "sentence_bare.npy", mmap_mode=_mmap_mode(build / "sentence_bare.npy")) if views != "none" else None
        faiss_index = bm25 = sparse = sentence_faiss = sentence_bm25 = None
        if with_search:
            import bm25s
            import scipy.sparse

            faiss_index = faiss.read_index(str(build / "dense.faiss"))
            tune_faiss(faiss_index)
            # memory-mapped: a query reads only its words' postings (10^6 chunks: ~0.5 GB on disk)
            bm25 = bm25s.BM25.load(str(build / "bm25"), show_progress=False, verbosity=0, mmap=_large(build / "bm25"))
            if with_sentences:
                sentence_faiss = faiss.read_index(str(build / "sentences.faiss"))
                tune_faiss(sentence_faiss)
                sentence_bm25 = bm25s.BM25.load(str(build / "bm25_sentences"), show_progress=False, verbosity=0,
                                                mmap=_large(build / "bm25_sentences"))
            if manifest.get("model", {}).get("sparse"):
                sparse = scipy.sparse.load_npz(build / "sparse.npz").tocsr()
    except Exception as exc:  # any damaged file: say which build and what to do
        raise IndexUnavailable(f"索引文件损坏或不完整（{build}）：{type(exc).__name__}: {exc}。{rebuild}") from None
    n = manifest.get("chunk_count")
    sizes = {"chunks.jsonl": len(chunks), "embeddings.npy": len(embeddings)}
    if faiss_index is not None:
        sizes["dense.faiss"] = faiss_index.ntotal
    if sparse is not None:
        sizes["sparse.npz"] = sparse.shape[0]
    wrong = {name: size for name, size in sizes.items() if size != n}
    n_sent = manifest.get("sentence_count")
    sent_sizes = {"sentences.npy": len(sentences)}
    if sentence_embeddings is not None:
        sent_sizes["sentence_embeddings.npy"] = len(sentence_embeddings)
        sent_sizes["sentence_bare.npy"] = len(sentence_bare)
    if sentence_faiss is not None:
        sent_sizes["sentences.faiss"] = sentence_faiss.ntotal
    wrong.update({name: size for name, size in sent_sizes.items() if size != n_sent})
    if wrong:
        raise IndexUnavailable(f"索引文件之间数量不一致（清单记录 {n} 个片段、{n_sent} 个句子，实际 {wrong}）。{rebuild}")
    return IndexData(
        manifest, documents, chunks, embeddings, faiss_index, bm25, sparse,
        sentences=sentences, sentence_embeddings=sentence_embeddings,
        sentence_faiss=sentence_faiss, sentence_bm25=sentence_bm25, path=build, sentence_bare=sentence_bare,
    )


def verify_build(data: IndexData) -> None:
    """Read every row of a loaded build and run one search on each of its indexes; raises
    IndexUnavailable naming the damage (``ingest`` repairs what this finds)."""
    try:
        for table in (data.chunks._lines, data.documents._lines):
            table.check_all()
        if len(data.embeddings):
            probe = np.asarray(data.embeddings[:1], dtype=np.float32)
            for name, index in (("dense.faiss", data.faiss_index), ("sentences.faiss", data.sentence_faiss)):
                if index is not None:
                    index.search(probe, 1)
        for bm25 in (data.bm25, data.sentence_bm25):
            if bm25 is not None:
                bm25.get_scores(["政策"])
    except Exception as exc:
        raise IndexUnavailable(f"索引文件损坏（{data.path}）：{type(exc).__name__}: {exc}") from None


def _row_ranges(doc_ids: list[str]) -> dict[str, tuple[int, int]]:
    """Contiguous ``[first, last)`` row range of each document."""
    ranges: dict[str, tuple[int, int]] = {}
    for i, d in enumerate(doc_ids):
        first = ranges.get(d, (i, i))[0]
        ranges[d] = (first, i + 1)
    return ranges


def build_manifest(documents: list[SourceDocument], chunks: list[Chunk], sentences: np.ndarray, views: str,
                   settings: dict, dim: int, sparse: bool, factory: str, requested_factory: str) -> dict:
    """The ``manifest.json`` of a build (README, "Index format"): what was built, with what,
    and the row ranges of every document."""
    doc_rows = _row_ranges([c.doc_id for c in chunks])
    doc_sentence_rows = _row_ranges([chunks[row].doc_id for row, _, _ in sentences])
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model": {"id": settings["model"], "dim": dim, "sparse": sparse},
        "settings": settings,
        "faiss": {"factory": factory, "requested": requested_factory, "metric": "inner_product", "file": "dense.faiss"},
        "bm25": {"library": "bm25s", "tokenizer": "jieba.lcut_for_search", "dir": "bm25"},
        "chunk_count": len(chunks),
        "sentence_count": len(sentences),
        "sentence_index": views == "index",
        "sentence_vectors": views != "none",
        "documents": {
            d.doc_id: {
                "title": d.title,
                "doc_number": d.doc_number,
                "date": d.date,
                "path": d.path,
                "sha256": d.sha256,
                # since format 3 as well, optional (older builds derive them: SourceDocument, Retriever)
                "status": d.status,
                "level": d.level,
                "region": d.region,
                "superseded_by": d.superseded_by,
                "rows": list(doc_rows.get(d.doc_id, (0, 0))),
                "sentence_rows": list(doc_sentence_rows.get(d.doc_id, (0, 0))),
            }
            for d in documents
        },
    }
