"""The Milvus backend (retriever/milvus_backend.py) against a real embedded milvus-lite 2.5.

Each test module run starts its own server on a temporary file and stops it at the end; nothing
is mocked. Parity: the same build searched through Milvus ranks like the local FAISS + bm25s
files, and the eval sets score the same.
"""
from __future__ import annotations

import shutil

import pytest

pytest.importorskip("pymilvus")
if __import__("importlib.util").util.find_spec("milvus_lite") is None:
    pytest.skip("milvus-lite is not installed (pip install 'policyqa[milvus]')", allow_module_level=True)

from eval import metrics  # noqa: E402
from eval.run import load_questions  # noqa: E402
from policyqa.config import PROJECT_ROOT, Config  # noqa: E402
from policyqa.qa import PolicyQA  # noqa: E402
from retriever import store  # noqa: E402
from retriever.build import ingest  # noqa: E402
from retriever.milvus_backend import EmbeddedMilvus, MilvusMirror, MilvusRetriever, collection_names, connect  # noqa: E402

pytestmark = pytest.mark.slow

CORPUS = PROJECT_ROOT / "data" / "policies"
SMALL = ("12_jiaoshi-fa-2009.txt", "37_zhigong-daixin-nianxiujia-tiaoli-2007.txt")
RANKINGS = ("dense", "dense_sentence", "bm25", "bm25_sentence")
PARITY_SETS = ("dev", "set26")
SCORES = ("recall@1", "recall@5", "mrr@10", "ndcg@10", "citation_precision", "citation_recall",
          "quote_precision", "refusal_rate", "false_refusal_rate")


@pytest.fixture(scope="module")
def milvus(tmp_path_factory):
    server = EmbeddedMilvus(tmp_path_factory.mktemp("milvus") / "test.db").start()
    yield server
    process = server.process
    server.stop()
    assert process.poll() is not None, "milvus-lite still running after stop()"


def _config(index_dir, corpus_dir, milvus, prefix, **kw) -> Config:
    return Config.load(index_dir=index_dir, corpus_dir=corpus_dir, backend="milvus", milvus_uri=milvus.uri,
                       milvus_collection=prefix, **kw)


def _top(qa: PolicyQA, question: str, name: str, k: int = 5) -> list[str]:
    return [h.chunk.chunk_id for h in qa.search(question, k=k, retrievers=(name,)).hits]


class _Remembering:
    """A query encoder that encodes each text once: both backends (and each single-ranking search)
    get the same vectors, so the parity tests measure the backends, not the encoder, in a third of
    the time."""

    def __init__(self, encoder):
        self._encoder, self._seen = encoder, {}

    def __getattr__(self, name):
        return getattr(self._encoder, name)

    def _once(self, key, compute):
        if key not in self._seen:
            self._seen[key] = compute()
        return self._seen[key]

    def encode_query_and_passage(self, query: str, passage: str):
        return self._once(("qp", query, passage), lambda: self._encoder.encode_query_and_passage(query, passage))

    def encode_queries(self, texts):
        return self._once(("q", *texts), lambda: self._encoder.encode_queries(texts))


def _overlap(a: list, b: list) -> float:
    return 1.0 if not a and not b else len(set(a) & set(b)) / max(len(a), len(b))


# -- configuration -------------------------------------------------------------------------------


def test_local_is_the_default_and_the_environment_selects_milvus(monkeypatch):
    monkeypatch.delenv("POLICYQA_BACKEND", raising=False)
    assert Config.load().backend == "local"
    assert Config.load().build_settings().backend == "local"
    monkeypatch.setenv("POLICYQA_BACKEND", "milvus")
    monkeypatch.setenv("POLICYQA_MILVUS_URI", "http://milvus.example:19530")
    cfg = Config.load()
    assert (cfg.backend, cfg.search_settings().milvus_uri) == ("milvus", "http://milvus.example:19530")
    monkeypatch.setenv("POLICYQA_BACKEND", "elastic")
    with pytest.raises(ValueError, match="backend"):
        Config.load()


def test_embedded_server_starts_and_stops_cleanly(tmp_path):
    server = EmbeddedMilvus(tmp_path / "alone.db").start()
    client = connect(server.uri, tmp_path)
    assert client.list_collections() == []
    client.close()
    process, socket_dir = server.process, server._socket.parent
    server.stop()
    assert process.poll() is not None
    assert not socket_dir.exists()
    assert not (tmp_path / ".alone.db.lock").exists()


# -- parity on the shipped corpus ----------------------------------------------------------------


@pytest.fixture(scope="module")
def both(index_config, embedder, milvus):
    """The session's index over the shipped corpus, also written to Milvus (no re-embedding: an
    up-to-date folder is mirrored as it is), served by both backends."""
    cfg = _config(index_config.index_dir, index_config.corpus_dir, milvus, "suite")
    report = ingest(cfg.build_settings(), embedder=embedder, progress=False)
    assert not report.rebuilt
    encoder = _Remembering(embedder)
    local = PolicyQA(index_config, embedder=encoder).load()
    remote = PolicyQA(cfg, embedder=encoder).load()
    assert isinstance(remote.live.retriever, MilvusRetriever)
    assert remote.live.build == local.live.build
    return local, remote


@pytest.mark.parametrize("name", PARITY_SETS)
def test_rankings_and_scores_match_the_local_backend(both, name):
    local, remote = both
    questions = load_questions(PROJECT_ROOT / "eval" / "data" / f"{name}.jsonl")
    overlaps = {r: [] for r in (*RANKINGS, "fused")}
    predictions = {"local": [], "milvus": []}
    for q in questions:
        for r in RANKINGS[:2] if q["id"][-1] in "02468" else RANKINGS[2:]:  # half the questions each, to save time
            overlaps[r].append(_overlap(_top(local, q["question"], r), _top(remote, q["question"], r)))
        answers = {b: qa.ask(q["question"]).to_dict() for b, qa in (("local", local), ("milvus", remote))}
        for b, a in answers.items():
            predictions[b].append({"id": q["id"], **a})
        overlaps["fused"].append(_overlap(*[[h["chunk_id"] for h in answers[b]["retrieved"][:5]] for b in answers]))
    for r, values in overlaps.items():
        assert sum(values) / len(values) >= 0.9, (r, sum(values) / len(values))
    scores = {b: metrics.score_run(questions, p)["overall"] for b, p in predictions.items()}
    for m in SCORES:
        assert abs((scores["local"][m] or 0) - (scores["milvus"][m] or 0)) <= 0.02, (m, scores["local"][m], scores["milvus"][m])


def test_a_document_filter_is_searched_in_milvus(both):
    local, remote = both
    doc = next(iter(local.index.manifest["documents"]))
    for qa in both:
        hits = qa.search("工资和待遇", k=5, docs=[doc]).hits
        assert hits and {h.chunk.doc_id for h in hits} == {doc}
    assert [h.chunk.chunk_id for h in local.search("工资和待遇", k=5, docs=[doc]).hits] == \
        [h.chunk.chunk_id for h in remote.search("工资和待遇", k=5, docs=[doc]).hits]


# -- incremental and atomic ----------------------------------------------------------------------


@pytest.fixture()
def small(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in SMALL:
        shutil.copy(CORPUS / name, corpus / name)
    return corpus, tmp_path / "index"


def _collections(milvus, prefix: str) -> set[str]:
    # not closed: clients of one URI share pymilvus's connection
    return {c for c in connect(milvus.uri, ".").list_collections() if c.startswith(prefix + "_")}


def test_reingest_replaces_a_document_and_old_builds_are_dropped(small, embedder, milvus):
    corpus, index = small
    cfg = _config(index, corpus, milvus, "incr")
    ingest(cfg.build_settings(), embedder=embedder, progress=False)
    first = store.read_current(index).name
    assert _collections(milvus, "incr") == set(collection_names("incr", first))
    qa = PolicyQA(cfg, embedder=embedder).load()
    assert not any("试用期一律为九十九天" in h.chunk.text for h in qa.search("试用期九十九天", k=5).hits)

    changed = corpus / SMALL[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n第二十条　职工试用期一律为九十九天。\n", encoding="utf-8")
    report = qa.ingest(progress=False)
    assert report.changed and report.embedded_chunks < report.chunk_count  # the other document was reused
    second = store.read_current(index).name
    assert qa.live.build == second
    hits = qa.search("试用期九十九天", k=5, retrievers=("bm25",)).hits
    assert hits and "九十九天" in hits[0].chunk.text
    # the previous build stays searchable (as its folder stays) for readers that still hold it
    assert _collections(milvus, "incr") == set(collection_names("incr", first)) | set(collection_names("incr", second))

    (corpus / SMALL[0]).unlink()
    report = qa.ingest(progress=False)
    assert report.removed
    third = store.read_current(index).name
    assert _collections(milvus, "incr") == set(collection_names("incr", second)) | set(collection_names("incr", third))
    assert all(h.chunk.doc_id != report.removed[0] for h in qa.search("教师的工资", k=10).hits)


def test_a_copy_sharing_the_prefix_never_drops_the_originals_collections(small, embedder, milvus, tmp_path):
    # a copied index folder (a test's, a staging copy) on the same server and prefix: its clean-up
    # of old builds drops only what it wrote itself
    corpus, index = small
    cfg = _config(index, corpus, milvus, "shared")
    ingest(cfg.build_settings(), embedder=embedder, progress=False)
    original = store.read_current(index).name
    copy_corpus, copy_index = tmp_path / "copy-corpus", tmp_path / "copy-index"
    shutil.copytree(corpus, copy_corpus)
    shutil.copytree(index, copy_index)
    (copy_corpus / SMALL[0]).unlink()
    copy_cfg = _config(copy_index, copy_corpus, milvus, "shared")
    report = ingest(copy_cfg.build_settings(), embedder=embedder, progress=False)
    assert report.removed and store.read_current(copy_index).name != original
    for old in (p for p in copy_index.glob("build-*") if p.name == original):
        shutil.rmtree(old)  # the copy's old build folder goes, as ingest's clean-up would
    ingest(copy_cfg.build_settings(), embedder=embedder, progress=False)
    assert set(collection_names("shared", original)) <= _collections(milvus, "shared")
    assert PolicyQA(cfg, embedder=embedder).load().search("教师的工资", k=3).hits


def test_a_failed_ingest_leaves_the_old_build_serving(small, embedder, milvus, monkeypatch):
    corpus, index = small
    cfg = _config(index, corpus, milvus, "atomic")
    ingest(cfg.build_settings(), embedder=embedder, progress=False)
    live = store.read_current(index).name
    qa = PolicyQA(cfg, embedder=embedder).load()
    before = [h.chunk.chunk_id for h in qa.search("带薪年休假天数", k=5).hits]

    calls = []
    real_insert = MilvusMirror._insert

    def insert_then_die(self, name, rows):  # the sentence collection fails after the chunks went in
        calls.append(name)
        if len(calls) == 2:
            raise RuntimeError("killed mid-ingest")
        return real_insert(self, name, rows)

    monkeypatch.setattr(MilvusMirror, "_insert", insert_then_die)
    (corpus / SMALL[1]).write_text((corpus / SMALL[1]).read_text(encoding="utf-8") + "\n附加一条。\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="killed"):
        ingest(cfg.build_settings(), embedder=embedder, progress=False)
    assert store.read_current(index).name == live
    assert _collections(milvus, "atomic") == set(collection_names("atomic", live))  # the half build is gone
    assert [h.chunk.chunk_id for h in PolicyQA(cfg, embedder=embedder).load().search("带薪年休假天数", k=5).hits] == before


def test_a_build_missing_from_milvus_says_what_to_do(small, embedder, milvus):
    corpus, index = small
    local = Config.load(index_dir=index, corpus_dir=corpus)
    ingest(local.build_settings(), embedder=embedder, progress=False)  # local only: Milvus has nothing
    with pytest.raises(store.IndexUnavailable, match="policyqa ingest"):
        PolicyQA(_config(index, corpus, milvus, "missing"), embedder=embedder).load()
    ingest(_config(index, corpus, milvus, "missing").build_settings(), embedder=embedder, progress=False)  # mirrors it
    assert PolicyQA(_config(index, corpus, milvus, "missing"), embedder=embedder).load().ask("带薪年休假有几天？").citations


def test_an_empty_uri_starts_an_embedded_milvus_beside_the_index(small, embedder):
    from retriever import milvus_backend

    corpus, index = small
    cfg = Config.load(index_dir=index, corpus_dir=corpus, backend="milvus", milvus_uri="")  # even under a shared server
    ingest(cfg.build_settings(), embedder=embedder, progress=False)
    assert (index / "milvus.db").exists()
    assert PolicyQA(cfg, embedder=embedder).load().ask("带薪年休假有几天？").citations
    milvus_backend._stop_embedded()
    assert not milvus_backend._EMBEDDED
    assert not (index / ".milvus.db.lock").exists()



def test_the_servers_own_log_follows_the_level_and_sits_beside_the_database(tmp_path, monkeypatch):
    from retriever.milvus_backend import EmbeddedMilvus

    monkeypatch.delenv("GLOG_log_dir", raising=False)
    monkeypatch.delenv("GLOG_minloglevel", raising=False)
    with EmbeddedMilvus(tmp_path / "quiet" / "m.db"):
        pass
    assert not list((tmp_path / "quiet").glob("milvus*INFO*")), "at the default level (ERROR) no INFO file"
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    with EmbeddedMilvus(tmp_path / "loud" / "m.db"):
        pass
    assert list((tmp_path / "loud").glob("milvus*.log.INFO.*")), "asked for INFO: written beside the database, not in /tmp"
