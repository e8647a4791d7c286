"""The index on Milvus: the same rankings as retriever/search.py, searched in a shared engine.

Chosen by ``backend = "milvus"`` (``POLICYQA_BACKEND=milvus``); ``milvus_uri`` names the server
(``http://host:19530``, ``unix:/path.sock``) or an embedded ``milvus-lite`` file (``…/name.db``,
the default ``<index_dir>/milvus.db``), started here (:class:`EmbeddedMilvus`).

What lives where:

* The build folder (retriever/store.py) is written as always: manifest, document and chunk
  tables, vectors (they are reused by the next incremental ingest and quote the hits' sentences).
* Every build is also written into two Milvus collections of its own, ``<prefix>_<build>`` (one
  row a chunk) and ``<prefix>_<build>_s`` (one row a sentence view), holding the dense vectors
  and the BM25 terms, before the folder is published. Readers search the collections of the build
  they loaded, so a half-written ingest is never searched and a question never sees a mix. After
  publishing, the aliases ``<prefix>`` and ``<prefix>_sentences`` are switched to the new build,
  and collections whose build folder is gone are dropped.
* BM25 runs in Milvus (a BM25 function over a text field) on the project's own terms: the field
  holds jieba search-mode words (``retriever.text.tokenize``) or character bigrams
  (``char_bigrams``) joined by spaces, and Milvus splits them on whitespace. Its scores are then
  those of bm25s times (k1 + 1), so the min-max fusion sees the same rankings. Milvus's own jieba
  analyzer (``{"type": "chinese"}``) cuts differently (top-5 overlap 0.90 in the spike of issue 17).

:class:`MilvusRetriever` is the searcher of retriever/search.py with its four ranking primitives
(``dense``, ``dense_sentence``, ``bm25``, ``bm25_sentence``) answered by Milvus; query encoding,
lexicon expansion, fusion, references and everything above stay the same code.
"""
from __future__ import annotations

import atexit
import fcntl
import importlib.util
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from retriever import store
from retriever.search import SENTENCE_FETCH, Retriever
from retriever.views import chunk_terms, sentence_terms

log = logging.getLogger(__name__)

#: Up to this many rows a collection's vectors get an exact FLAT index (the local backend's
#: ``auto`` uses FAISS Flat up to the same size); above it AUTOINDEX (HNSW on a server).
FLAT_LIMIT = store.AUTO_FLAT_LIMIT
#: bm25s's defaults (retriever/build.py builds with them), so both backends rank alike.
BM25_PARAMS = {"bm25_k1": 1.5, "bm25_b": 0.75}
#: Terms are pre-cut here; Milvus only splits them on whitespace.
ANALYZER = {"tokenizer": "whitespace"}
MAX_VARCHAR_BYTES = 65_535
INSERT_BATCH = 2_000


# -- the embedded server ------------------------------------------------------------------

#: glog's numeric levels for the LOG_LEVEL names milvus-lite takes.
_GLOG_LEVELS = {"DEBUG": 0, "INFO": 0, "WARNING": 1, "WARN": 1, "ERROR": 2, "FATAL": 3}


class EmbeddedMilvus:
    """A ``milvus-lite`` 2.5 server (the real C++ engine) on a local file, as a child process.

    Started directly rather than through ``milvus_lite``'s Python wrapper, whose package import
    needs ``pkg_resources`` (gone from setuptools ≥ 81). Listens on a Unix socket; ``uri`` is
    what :func:`connect` takes. The server stops when this object is stopped, or when this
    process exits (it watches the file lock held here).
    """

    def __init__(self, db_file: str | Path):
        self.db_file = Path(db_file).absolute()
        if not re.fullmatch(r"[A-Za-z0-9.\-_]{1,36}", self.db_file.name):
            raise ValueError(f"milvus-lite 数据文件名只能含字母、数字和 . - _，最长 36 个字符：{self.db_file.name}")
        self._socket = Path(tempfile.mkdtemp(prefix="policyqa-milvus-")) / "milvus.sock"
        self._lock_path = self.db_file.parent / f".{self.db_file.name}.lock"
        self._lock = None
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"unix:{self._socket}"

    @staticmethod
    def binary_dir() -> Path:
        spec = importlib.util.find_spec("milvus_lite")  # locates the package without importing it
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("未安装 milvus-lite：pip install 'policyqa[milvus]'")
        return Path(list(spec.submodule_search_locations)[0]) / "lib"

    def start(self, timeout: float = 60.0) -> "EmbeddedMilvus":
        lib = self.binary_dir()
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(self._lock_path, "a")
        try:
            fcntl.lockf(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise RuntimeError(f"{self.db_file} 已被另一个进程打开（milvus-lite 一个文件只能由一个进程使用；"
                               f"多个进程请共用一个 Milvus 服务，见 README）") from None
        level = os.environ.get("LOG_LEVEL", "ERROR")
        env = dict(os.environ, LD_LIBRARY_PATH=f"{lib}:{os.environ.get('LD_LIBRARY_PATH', '')}")
        # its glog files (2-3 MB of INFO lines a start) went to /tmp and were never removed: they
        # follow the same level and, when written, sit beside the database
        env.setdefault("GLOG_minloglevel", str(_GLOG_LEVELS.get(level.upper(), 2)))
        env.setdefault("GLOG_log_dir", str(self.db_file.parent))
        self.process = subprocess.Popen(
            [str(lib / "milvus"), str(self.db_file), self.uri, level, str(self._lock_path)],
            env=env, cwd=self.db_file.parent, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not self._socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"milvus-lite 未能启动（{self.db_file}）")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self._lock is not None:  # the server exits when the lock is released
            fcntl.lockf(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None
        self._lock_path.unlink(missing_ok=True)
        shutil.rmtree(self._socket.parent, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


_EMBEDDED: dict[Path, EmbeddedMilvus] = {}
_EMBEDDED_LOCK = threading.Lock()


def _stop_embedded() -> None:
    with _EMBEDDED_LOCK:
        for server in _EMBEDDED.values():
            server.stop()
        _EMBEDDED.clear()


atexit.register(_stop_embedded)


def resolve_uri(uri: str, index_dir: Path) -> str:
    """The URI to connect to: ``uri``, or ``<index_dir>/milvus.db`` when it is empty; a ``.db``
    file is served by an embedded milvus-lite started once per process."""
    uri = str(uri or Path(index_dir) / "milvus.db")
    if not uri.endswith(".db") or re.match(r"^(unix|https?|tcp|grpc):", uri):
        return uri
    path = Path(uri).expanduser().absolute()
    with _EMBEDDED_LOCK:
        if path not in _EMBEDDED:
            _EMBEDDED[path] = EmbeddedMilvus(path).start()
        return _EMBEDDED[path].uri


def connect(uri: str, index_dir: Path):
    from pymilvus import MilvusClient

    return MilvusClient(uri=resolve_uri(uri, index_dir), timeout=60)


# -- names ----------------------------------------------------------------------------------


def collection_names(prefix: str, build: str) -> tuple[str, str]:
    """The chunk and sentence collections of build folder ``build``."""
    base = f"{prefix}_{re.sub(r'[^0-9A-Za-z_]', '_', build)}"
    return base, f"{base}_s"


def alias_names(prefix: str) -> tuple[str, str]:
    return prefix, f"{prefix}_sentences"


# -- writing ----------------------------------------------------------------------------------


def _clip(text: str, limit: int = MAX_VARCHAR_BYTES) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    clipped = data[:limit].decode("utf-8", errors="ignore")
    return clipped[: clipped.rfind(" ")] if " " in clipped else clipped


class MilvusMirror:
    """Writes every build of an index folder into Milvus (retriever/store.save_build calls it)."""

    def __init__(self, settings):
        self.prefix = settings.milvus_collection
        self.root = Path(settings.index_dir)
        self.replicas = int(getattr(settings, "milvus_replicas", 1))
        self.client = connect(settings.milvus_uri, settings.index_dir)

    def has(self, build: str, with_sentences: bool = True) -> bool:
        chunks, sentences = collection_names(self.prefix, build)
        return self.client.has_collection(chunks) and (not with_sentences or self.client.has_collection(sentences))

    def ensure(self, data: store.IndexData) -> None:
        """Write and publish the live build ``data`` when Milvus lacks it (a folder built before
        the backend was switched to Milvus, or another Milvus server)."""
        build = data.path.name
        if not self.has(build, data.sentence_mode == "index"):
            self.write(build, data)
        self.publish(build)

    def _create(self, name: str, dim: int, rows: int, extra: list[tuple]) -> None:
        from pymilvus import DataType, Function, FunctionType

        client = self.client
        if client.has_collection(name):
            client.drop_collection(name)
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        for field, kind, kwargs in extra:
            schema.add_field(field, kind, **kwargs)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=512)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        schema.add_field("terms", DataType.VARCHAR, max_length=MAX_VARCHAR_BYTES, enable_analyzer=True, analyzer_params=ANALYZER)
        schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                     input_field_names=["terms"], output_field_names=["bm25"]))
        index = client.prepare_index_params()
        if rows <= FLAT_LIMIT:
            index.add_index("vector", index_type="FLAT", metric_type="IP")
        else:
            index.add_index("vector", index_type="AUTOINDEX", metric_type="IP")
        index.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25_PARAMS)
        client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")

    def _insert(self, name: str, rows) -> None:
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= INSERT_BATCH:
                self.client.insert(name, batch)
                batch = []
        if batch:
            self.client.insert(name, batch)
        self.client.flush(name)

    def write(self, build: str, data: store.IndexData) -> None:
        """Write the collections of ``build`` from ``data`` (chunks, documents, vectors, sentences)."""
        from pymilvus import DataType

        chunks_name, sentences_name = collection_names(self.prefix, build)
        self._record_written(self._written() + [build])  # before writing: a half-written build is dropped too
        dim = int(data.embeddings.shape[1])
        n = len(data.chunks)
        self._create(chunks_name, dim, n, [("text", DataType.VARCHAR, {"max_length": MAX_VARCHAR_BYTES})])
        docs = data.documents

        def chunk_rows():
            for row in range(n):
                chunk = data.chunks[row]
                yield {"row": row, "text": _clip(chunk.text), "doc_id": chunk.doc_id,
                       "vector": np.asarray(data.embeddings[row], dtype=np.float32).tolist(),
                       "terms": _clip(" ".join(chunk_terms(chunk, docs[chunk.doc_id])))}

        self._insert(chunks_name, chunk_rows())
        if data.sentence_mode == "index":
            self._create(sentences_name, dim, len(data.sentences), [("chunk_row", DataType.INT64, {})])

            def sentence_rows():
                for i, (row, s, e) in enumerate(data.sentences):
                    chunk = data.chunks[int(row)]
                    yield {"row": i, "chunk_row": int(row), "doc_id": chunk.doc_id,
                           "vector": np.asarray(data.sentence_embeddings[i], dtype=np.float32).tolist(),
                           "terms": _clip(" ".join(sentence_terms(chunk, docs[chunk.doc_id], s, e)))}

            self._insert(sentences_name, sentence_rows())
        for name in (chunks_name, sentences_name) if data.sentence_mode == "index" else (chunks_name,):
            self.client.load_collection(name, replica_number=self.replicas)
        log.info("Milvus：已写入集合 %s（%d 个片段、%d 个句子）", chunks_name, n, len(data.sentences))

    def discard(self, build: str) -> None:
        for name in collection_names(self.prefix, build):
            try:
                if self.client.has_collection(name):
                    self.client.drop_collection(name)
            except Exception as exc:  # the original failure matters more
                log.warning("Milvus：未能删除集合 %s：%s", name, exc)

    def publish(self, build: str) -> None:
        """Point the aliases at ``build`` and drop collections whose build folder is gone."""
        for alias, target in zip(alias_names(self.prefix), collection_names(self.prefix, build)):
            if not self.client.has_collection(target):
                continue
            if not self._point_alias(alias, target):
                break
        self.prune()

    def _point_alias(self, alias: str, target: str) -> bool:
        """Point ``alias`` at collection ``target``; False where the server has no aliases
        (milvus-lite 2.5 answers UNIMPLEMENTED; readers do not need them, see the module doc)."""
        import grpc

        quiet = logging.getLogger("pymilvus.decorators")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)  # a missing alias is expected, not an error to print
        try:
            for attempt in (self.client.alter_alias, self.client.create_alias):
                try:
                    attempt(target, alias)
                    return True
                except Exception as exc:
                    if isinstance(exc, grpc.RpcError) and exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                        log.info("Milvus：此服务不支持别名（milvus-lite），跳过 %s → %s", alias, target)
                        return False
            raise RuntimeError(f"Milvus：未能把别名 {alias} 指向 {target}")
        finally:
            quiet.setLevel(level)

    #: The builds this folder wrote into Milvus (the only ones its clean-up drops): the folder's
    #: own path on the first line, so that a copy of the folder, which carries the file, owns none.
    WRITTEN_FILE = "milvus-builds.txt"

    def _written(self) -> list[str]:
        try:
            lines = (self.root / self.WRITTEN_FILE).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return []
        if not lines or lines[0] != f"# {self.root.resolve()}":
            return []  # written by the folder this one was copied from
        return [line.strip() for line in lines[1:] if line.strip()]

    def _record_written(self, builds: list[str]) -> None:
        path = self.root / self.WRITTEN_FILE
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(f"# {self.root.resolve()}\n" + "".join(f"{b}\n" for b in dict.fromkeys(builds)), encoding="utf-8")
        os.replace(tmp, path)

    def prune(self) -> None:
        """Drop the collections of builds this folder wrote whose build folder (finished or being
        written) is gone. Only its own: another folder on the same server and prefix (a copy, a
        test's index) may serve a build of the same name, and it keeps its collections."""
        folders = {p.name.removesuffix(".tmp") for p in self.root.glob("build-*")}
        written = self._written()
        for build in [b for b in written if b not in folders]:
            for name in collection_names(self.prefix, build):
                if self.client.has_collection(name):
                    log.info("Milvus：删除旧集合 %s", name)
                    self.client.drop_collection(name)
        if written:
            self._record_written([b for b in written if b in folders])


# -- searching --------------------------------------------------------------------------------


def _row_filter(allowed: np.ndarray | None, field: str = "row") -> str:
    """A filter expression for the rows ``allowed`` (document row ranges: a few runs)."""
    if allowed is None:
        return ""
    rows = np.unique(allowed)
    breaks = np.flatnonzero(np.diff(rows) != 1)
    starts = np.r_[rows[0], rows[breaks + 1]]
    ends = np.r_[rows[breaks], rows[-1]] + 1
    return " or ".join(f"({field} >= {s} and {field} < {e})" for s, e in zip(starts, ends))


class MilvusRetriever(Retriever):
    """:class:`retriever.search.Retriever` with its rankings searched in Milvus."""

    def __init__(self, index: store.IndexData, embedder, config, client, prefix: str):
        super().__init__(index, embedder, config)
        self.client = client
        self.prefix = prefix
        self.chunks_collection, self.sentences_collection = collection_names(prefix, index.path.name)
        missing = [name for name in (self.chunks_collection,) + ((self.sentences_collection,) if self.has_sentence_index else ())
                   if not client.has_collection(name)]
        if missing:
            raise store.IndexUnavailable(f"Milvus 中没有索引版本 {index.path.name} 的集合 {', '.join(missing)}。"
                                         "请运行 `policyqa ingest`（同样设置 POLICYQA_BACKEND=milvus）。")
        for name in (self.chunks_collection, self.sentences_collection) if self.has_sentence_index else (self.chunks_collection,):
            if str(client.get_load_state(name).get("state")) != "Loaded":  # ingest loads it, with its replicas
                client.load_collection(name)

    def reconfigured(self, config) -> "MilvusRetriever":
        return MilvusRetriever(self.index, self.embedder, config, self.client, self.prefix)

    def _search(self, collection: str, query, field: str, metric: str, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        if n <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        result = self.client.search(
            collection, data=[query], anns_field=field, limit=int(n), filter=_row_filter(allowed),
            search_params={"metric_type": metric, "params": {}}, output_fields=[],
        )
        return [(int(hit["id"]), float(hit["distance"])) for hit in result[0] if metric != "BM25" or hit["distance"] > 0]

    def dense(self, vector, n, allowed):
        return self._search(self.chunks_collection, vector.astype(np.float32).tolist(), "vector", "IP", n, allowed)

    def dense_sentence(self, vector, n, allowed):
        if not self.has_sentence_index:
            return []
        ranking = self._search(self.sentences_collection, vector.astype(np.float32).tolist(), "vector", "IP", n * SENTENCE_FETCH, allowed)
        return self._by_chunk(ranking)[:n]

    def bm25(self, tokens, n, allowed):
        return self._search(self.chunks_collection, " ".join(tokens), "bm25", "BM25", n, allowed) if tokens else []

    def bm25_sentence(self, bigrams, n, allowed):
        if not self.has_sentence_index or not bigrams:
            return []
        return self._by_chunk(self._search(self.sentences_collection, " ".join(bigrams), "bm25", "BM25", n * SENTENCE_FETCH, allowed))[:n]


def open_retriever(index_dir: Path, embedder, settings, model_id: str | None = None) -> MilvusRetriever:
    """The live build's tables (from the folder) with its rankings searched in Milvus."""
    import bm25s

    index = store.load_index(index_dir, model_id=model_id, with_search=False)
    try:  # the answer's term weights read BM25's document frequencies (policyqa.answer.term_weights)
        index.bm25 = bm25s.BM25.load(str(index.path / "bm25"), show_progress=False, verbosity=0, mmap=True)
    except Exception as exc:
        raise store.IndexUnavailable(f"索引文件损坏或不完整（{index.path}）：{exc}。请运行 `policyqa ingest --rebuild`。") from None
    return MilvusRetriever(index, embedder, settings, connect(settings.milvus_uri, index_dir), settings.milvus_collection)


def main(argv=None) -> int:
    """``python -m retriever.milvus_backend serve FILE.db``: an embedded milvus-lite that several
    processes can share (the app, ``policyqa ingest``, tests); prints its URI, runs until stopped."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(prog="python -m retriever.milvus_backend")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("db_file", type=Path)
    args = parser.parse_args(argv)
    server = EmbeddedMilvus(args.db_file).start()
    print(server.uri, flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(1.0) and server.process.poll() is None:
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
