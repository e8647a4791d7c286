"""Property-based tests (hypothesis) of the pure parts: chunker, sentence packing, offsets, quotes.

No model and no index: every example runs in microseconds, so the counts stay modest but real.
"""
from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from retriever.views import MIN_SENTENCE_CHARS
from ingest.chunker import chunk_document
from ingest.schema import Chunk, SourceDocument
from ingest.structure import pack_sentences, split_sentences
from policyqa.answer import Citation, QuestionError, clean_question, compose, prepare, verify
from policyqa.config import Config
from policyqa.ranker import COSINES, Bars, Candidate, QuoteRanker, candidate_spans, choose, sentence_cosines
from retriever.search import Hit, SearchResult

PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- text that looks like (and does not look like) an official document ------------------------

HEADINGS = [
    "第一部分 总体要求", "第一章 总则", "第二章", "第三节 ", "第一条 ", "第十二条", "第3条 ", "第一条　",
    "一、", "二十、总体要求", "（一）", "(二)", "（十二）加强建设。", "1.", "2、", "12．", "（1）", "(3)",
]
PUNCT = ["。", "；", "！", "？", "!", "?", ";", "：", "”", "’", "」", "）", ")", "…", "，", "、", ","]
SPACE = ["\n", "\n\n", "\r\n", "\r", "\r\n\r\n", " ", "\t", "　", "\u2028", "\x0b", "\x0c", "\x85", "\n \n", "\n\t\n"]
CJK = st.text(alphabet="职业教育学校教师工资待遇规定国家应当按照企业实践培训和的了", min_size=1, max_size=60)
WORDS = st.sampled_from(["为了规范管理，制定本条例", "本条例适用于职业学校", "教师的平均工资水平不低于当地公务员", "双师型"])

piece = st.one_of(
    st.sampled_from(HEADINGS),
    st.sampled_from(PUNCT),
    st.sampled_from(SPACE),
    CJK,
    WORDS,
    st.text(max_size=20),  # anything at all (no surrogates: a document is decoded text)
)
doc_text = st.lists(piece, max_size=60).map("".join)
# some documents with long runs (exercises the sentence packing and page-break repair)
long_line = st.tuples(CJK, st.integers(1, 30)).map(lambda t: t[0] * t[1])
doc_text_long = st.lists(st.one_of(piece, long_line), max_size=40).map("".join)
max_chars = st.sampled_from([8, 20, 50, 400])


def _nows(text: str) -> str:
    return "".join(text.split())


def _check_chunks(text: str, limit: int) -> list[Chunk]:
    doc = SourceDocument(doc_id="d", title="t", text=text)
    chunks = chunk_document(doc, limit)
    ids = [c.chunk_id for c in chunks]
    assert len(set(ids)) == len(ids), "chunk ids are unique"
    previous_start = -1
    for c in chunks:
        # never empty or blank (a hard cut inside a very long sentence may leave a space at an end)
        assert c.text.strip(), repr(c.text)
        assert len(c.text) <= limit, (len(c.text), limit)
        # the chunk is exactly made of its source segments ...
        assert "".join(text[s:e] for s, e in c.segments) == c.text
        # ... which are non-empty, inside the text and in order
        assert all(0 <= s < e <= len(text) for s, e in c.segments), c.segments
        assert all(a[1] <= b[0] for a, b in zip(c.segments, c.segments[1:])), c.segments
        # between segments there is only whitespace (a repaired page break)
        assert _nows(text[c.start : c.end]) == _nows(c.text)
        assert c.para_span[0] <= c.start < c.end <= c.para_span[1] <= len(text)
        assert c.start >= previous_start, "chunks follow the document order"
        previous_start = c.start
    return chunks


@PROPS
@given(doc_text, max_chars)
@example("第一章 总则\r\n\r\n第一条 为了规范管理，制定本条例。\r\n（一）甲；\r（二）乙。\n", 400)
@example("一、总体要求\n\n（一）指导思想。" + "坚持立德树人" * 30 + "\n\n" + "很" * 900, 50)
@example("职业学校教师的工资待遇按照国家有关规定执行并逐步提高保障水平建立健全\n" * 6, 50)
def test_chunks_map_back_to_the_document(text, limit):
    _check_chunks(text, limit)


@PROPS
@given(doc_text_long, max_chars)
def test_chunks_map_back_to_the_document_long_runs(text, limit):
    _check_chunks(text, limit)


@PROPS
@given(doc_text_long, max_chars, st.data())
def test_source_offset_round_trips(text, limit, data):
    doc = SourceDocument(doc_id="d", title="t", text=text)
    for c in chunk_document(doc, limit):
        n = len(c.text)
        # every character of the chunk maps to the same character of the document
        for i in range(n):
            assert text[c.source_offset(i)] == c.text[i]
        assert c.source_offset(0) == c.start and c.source_offset(n, end=True) == c.end
        # any span of the chunk maps to a span of the document with the same words
        i = data.draw(st.integers(0, n), label="i")
        j = data.draw(st.integers(i, n), label="j")
        s, e = c.source_offset(i), c.source_offset(j, end=True)
        if i < j:
            assert s < e and _nows(text[s:e]) == _nows(c.text[i:j])
            # the span never begins or ends in a page break's whitespace
            assert text[s] == c.text[i] and text[e - 1] == c.text[j - 1]
        # and back: a document span inside the chunk maps to the chunk text (a 款 asked for, a paragraph)
        assert c.text_offset(c.source_offset(i)) == i and c.text_offset(c.source_offset(j, end=True), end=True) == j
        assert c.text_offset(c.start) == 0 and c.text_offset(c.end, end=True) == n
        with pytest.raises(IndexError):
            c.source_offset(n + 1)


@PROPS
@given(doc_text_long)
def test_split_sentences_spans(text):
    spans = split_sentences(text)
    covered = np.zeros(len(text), dtype=bool)
    for s, e in spans:
        assert 0 <= s < e <= len(text)
        assert text[s:e] == text[s:e].strip()
        covered[s:e] = True
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), "ordered, not overlapping"
    # nothing but whitespace is left out
    assert all(covered[i] or ch.isspace() for i, ch in enumerate(text))


@PROPS
@given(doc_text_long, st.integers(4, 400))
def test_pack_sentences_bounds(text, limit):
    text = text.strip()
    pieces = pack_sentences(text, limit)
    if len(text) <= limit:
        assert pieces == [(0, len(text))]
        return
    assert pieces, "a long text is cut into pieces"
    assert all(0 <= s < e <= len(text) and e - s <= limit for s, e in pieces), pieces
    assert all(b[0] > a[0] for a, b in zip(pieces, pieces[1:])), "every piece moves forward"
    assert all(not text[a[1] : b[0]].strip() for a, b in zip(pieces, pieces[1:])), "only whitespace between pieces"
    covered = np.zeros(len(text), dtype=bool)
    for s, e in pieces:
        covered[s:e] = True
    assert all(covered[i] or ch.isspace() for i, ch in enumerate(text)), "no text lost"


# -- the answer composer on arbitrary passages --------------------------------------------------


def _hits(text: str, cosines: list[float], limit: int = 400) -> list[Hit]:
    """Hits over the chunks of ``text`` with sentence units made like ingest makes them."""
    doc = SourceDocument(doc_id="d", title="《某办法》", text=text)
    hits = []
    for rank, chunk in enumerate(chunk_document(doc, limit), start=1):
        spans = [(s, e) for s, e in split_sentences(chunk.text) if e - s >= MIN_SENTENCE_CHARS] or [(0, len(chunk.text))]
        scores = [(s, e, cosines[(rank + k) % len(cosines)]) for k, (s, e) in enumerate(spans)]
        hits.append(Hit(chunk, doc, score=1.0 / rank, rank=rank, scores={"dense": cosines[rank % len(cosines)]},
                        ranks={"bm25": rank}, sentence_scores=scores))
    return hits



_ARTICLES = "".join(f"第{n}条 职工在本单位工作满{n}年的，按照本办法第{n}项享受相应待遇。\n" for n in range(1, 13))


@PROPS
@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=12), st.floats(0.05, 0.95),
       st.floats(0.05, 0.95))
def test_a_demoted_document_is_quoted_only_when_nothing_preferred_clears_the_bar(flags, refuse_below, extra_from):
    """A passage the preference step demoted (an older version, a local rule of a place the question
    does not name) never comes before or beside a preferred one that clears the refusal bar; when
    none does, the choice is the one without preferences."""
    hits = _hits(_ARTICLES, [0.5])[: len(flags)]
    assume(len(hits) == len(flags))
    probabilities = np.array([p for p, _ in flags])
    candidates = [Candidate(i, 0, len(h.chunk.text), 0.5) for i, h in enumerate(hits)]
    bars = Bars(refuse_below, max(extra_from, refuse_below))
    plain = choose(candidates, probabilities, hits, bars)
    for hit, (_p, preferred) in zip(hits, flags):
        hit.preferred = preferred
    chosen = choose(candidates, probabilities, hits, bars)
    clearing = [i for i, (p, preferred) in enumerate(flags) if preferred and p >= refuse_below]
    if clearing:
        assert chosen and all(flags[i][1] for i in chosen)
        assert probabilities[chosen[0]] == max(probabilities[i] for i in clearing)
    else:
        assert chosen == plain


def test_a_missing_cosine_kind_takes_the_one_it_corrects():
    """Without an adapter the adapted cosines are the plain ones and the adapted-alone ones the
    alone ones; with every kind present each is its own."""
    hit = _hits("第一条 本办法适用于全体职工，自发布之日起施行。第二条 职工每年享受带薪年休假，具体天数按工龄确定。", [0.5, 0.4])[0]
    n = len(hit.sentence_scores)
    plain = [c for _s, _e, c in hit.sentence_scores]
    hit.bare_cosines = [0.1 * (i + 1) for i in range(n)]
    assert sentence_cosines(hit) == list(zip(plain, plain, hit.bare_cosines, hit.bare_cosines))
    hit.adapted_cosines = [0.2] * n
    hit.adapted_bare_cosines = [0.3] * n
    assert sentence_cosines(hit) == list(zip(plain, [0.2] * n, hit.bare_cosines, [0.3] * n))
    assert all(len(cosines) == len(COSINES) for _s, _e, cosines in candidate_spans(hit))


cosine = st.floats(-1, 1, allow_nan=False)


@PROPS
@given(doc_text_long, st.lists(cosine, min_size=1, max_size=8), max_chars)
def test_every_candidate_quote_is_verbatim(text, cosines, limit):
    for number, hit in enumerate(_hits(text, cosines, limit), start=1):
        for start, end, _cosines in candidate_spans(hit):
            assert 0 <= start < end <= len(hit.chunk.text)
            citation = Citation(number, hit, hit.chunk.text[start:end], start, end)
            verify([citation])  # raises NotVerbatimError otherwise
            s, e = citation.source_span
            assert _nows(text[s:e]) == _nows(citation.quote)


RANKER = QuoteRanker.load()
RANKER.refuse_below = 0.0  # quote whatever is best: the property is about quoting, not refusing


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc_text_long.filter(lambda t: t.strip()), st.text(max_size=30), st.lists(cosine, min_size=1, max_size=8))
def test_composed_answers_quote_verbatim(text, question, cosines):
    hits = _hits(text, cosines)
    result = SearchResult(query=question, hits=hits, dense_top=max(cosines), sentence_top=max(cosines))
    cfg = Config(min_dense_score=-2.0, min_term_coverage=0.0)
    prepared = prepare(question, question, "", result, cfg, {"教师": 2.0, "工资": 3.0}, {"《某办法》"})
    answer = compose(prepared, RANKER)
    event("refused" if answer.refused else "answered")
    if answer.refused:
        assert not answer.citations and answer.reason
        return
    assert 1 <= len(answer.citations) <= RANKER.max_quotes, "an answer that is not a refusal quotes something"
    passages = [(c.hit.chunk.doc_id, tuple(c.hit.chunk.para_span)) for c in answer.citations]
    assert len(set(passages)) == len(passages), "one quote per passage"
    for c in answer.citations:
        assert c.quote and c.quote in c.hit.chunk.text
        assert f"“{c.quote}”[{c.number}]" in answer.answer
        d = c.to_dict()
        assert _nows(text[d["source_start"] : d["source_end"]]) == _nows(c.quote)


# -- questions --------------------------------------------------------------------------------

any_char = st.characters(exclude_categories=())  # surrogates and unassigned code points too
question_text = st.one_of(
    st.text(any_char, max_size=200),
    st.lists(st.one_of(st.sampled_from(PUNCT + SPACE + ["😀", "<script>", "\x00", "\u200b", "\ufeff"]), CJK), max_size=40).map("".join),
)


@PROPS
@given(st.one_of(question_text, st.none(), st.integers(), st.binary(max_size=10)), st.integers(1, 300))
@example("？" * 50 + "教师节是哪一天", 20)
@example("\ud800教师\udfff", 1000)
def test_clean_question_raises_only_question_error(question, limit):
    try:
        text, notice = clean_question(question, limit)
    except QuestionError as exc:
        assert str(exc), "the message is shown to the user"
        return
    assert isinstance(text, str) and 0 < len(text) <= limit
    assert any(unicodedata.category(ch)[0] in "LN" for ch in text), "what is searched has words"
    assert not any(unicodedata.category(ch) in {"Cc", "Cs"} and ch not in "\n\r\t" for ch in text), repr(text)
    assert text.encode("utf-8"), "encodable: the tokenizer and the page can take it"
    assert not notice or ("问题过长" in notice and str(limit) in notice)
