"""Ingest encodes each distinct text once: a repeated sentence, and a sentence whose heading path is
empty (its two sentence views are the same text), get the vector of its first encoding."""
from __future__ import annotations

import numpy as np
import pytest

from policyqa.config import Config
from retriever import store
from retriever.build import ingest

CLOSING = "本规定自发布之日起施行。"
HEADER = "title: 《{title}》\ndoc_number: \nissuer: 测试机关\ndate: 2020-01-01\nsource_url: \n---\n"


class CountingEmbedder:
    """The real embedder, recording every text it is asked to encode."""

    def __init__(self, embedder):
        self._embedder = embedder
        self.texts: list[str] = []

    def __getattr__(self, name):
        return getattr(self._embedder, name)

    def encode_passages(self, texts, show_progress=False):
        self.texts.extend(texts)
        return self._embedder.encode_passages(texts, show_progress=show_progress)


@pytest.mark.parametrize("sentence_index", ["on", "vectors"])
def test_each_distinct_text_is_encoded_once(tmp_path, embedder, sentence_index):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # a preamble line without heading; the last articles (第二条, 第三条) end on the same sentence
    (corpus / "a.txt").write_text(HEADER.format(title="甲地职工休假规定") + "为保障职工休息休假权利，制定本规定。\n"
                                  "第一条 职工连续工作满一年的，享受带薪年休假。\n"
                                  "第二条 本规定由甲地人事部门负责解释。" + CLOSING + "\n", encoding="utf-8")
    (corpus / "b.txt").write_text(HEADER.format(title="乙地教师培训规定") + "第一条 教师每五年参加一次全员培训。\n"
                                  "第二条 培训经费由学校承担。\n第三条 本规定由乙地教育部门负责解释。" + CLOSING + "\n",
                                  encoding="utf-8")
    cfg = Config.load(index_dir=tmp_path / "index", corpus_dir=corpus, sentence_index=sentence_index)
    counting = CountingEmbedder(embedder)
    report = ingest(cfg, embedder=counting, progress=False)
    assert not report.errors

    sentence_texts = [t for t in counting.texts if not t.startswith("《")]  # chunk texts begin with the title
    assert len(sentence_texts) == len(set(sentence_texts)), "a text was encoded twice"
    assert sum(CLOSING in t for t in sentence_texts) == 3, "the bare sentence once, a view under each heading"

    index = store.load_index(cfg.index_dir, with_search=False)
    bare = np.asarray(index.sentence_bare, dtype=np.float32)
    texts = [index.chunks[row].text[s:e] for row, s, e in index.sentences]
    closing = [i for i, t in enumerate(texts) if t == CLOSING]
    assert len(closing) == 2
    assert np.array_equal(bare[closing[0]], bare[closing[1]])
    fresh = embedder.encode_passages([CLOSING])[0]
    assert float(bare[closing[0]] @ fresh) > 0.999  # the copy is the sentence's own vector
    # the heading-less preamble sentence: its view and its bare vector are one encoding
    preamble = texts.index("为保障职工休息休假权利，制定本规定。")
    views = np.asarray(index.sentence_embeddings, dtype=np.float32)
    assert np.allclose(views[preamble], bare[preamble], atol=1e-3)

    # a chunk's only sentence has no siblings sharing its heading path: its view serves as its bare
    # vector, and the sentence is never encoded alone
    lone = texts.index("第一条 职工连续工作满一年的，享受带薪年休假。")
    assert "第一条 职工连续工作满一年的，享受带薪年休假。" not in counting.texts
    assert np.allclose(views[lone], bare[lone], atol=1e-3)
    # a sentence with a sibling is encoded alone as well
    assert "第二条 本规定由甲地人事部门负责解释。" in counting.texts


def test_query_time_sentences_follow_the_same_rule(tmp_path, embedder):
    # without stored sentence vectors, the answer embeds the hits' sentences itself: a lone sentence
    # gets its view's vector as its bare one, as ingest would have stored it
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(HEADER.format(title="丙地职工休假规定") + "第一条 职工连续工作满一年的，享受带薪年休假。\n"
                                  "第二条 本规定由丙地人事部门负责解释。" + CLOSING + "\n", encoding="utf-8")
    cfg = Config.load(index_dir=tmp_path / "index", corpus_dir=corpus, sentence_index="off")
    assert not ingest(cfg, embedder=embedder, progress=False).errors
    from policyqa.qa import PolicyQA

    qa = PolicyQA(cfg, embedder=embedder).load()
    result = qa.search("职工工作满一年能休年假吗？")
    qa.live.retriever.score_hit_sentences(result, n=3)
    by_text = {h.chunk.text: h for h in result.hits}
    lone = by_text["第一条 职工连续工作满一年的，享受带薪年休假。"]
    assert lone.bare_cosines == pytest.approx([c for _s, _e, c in lone.sentence_scores], abs=1e-4)
    pair = by_text["第二条 本规定由丙地人事部门负责解释。" + CLOSING]
    assert pair.bare_cosines != pytest.approx([c for _s, _e, c in pair.sentence_scores], abs=1e-4)
