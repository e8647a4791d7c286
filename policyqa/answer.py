"""retrieval → answer: extractive, verifiable answers made of verbatim quotes, or a plain refusal.

There is no generator. The quote ranker (policyqa/ranker.py, a model learned from the question
sets) scores every sentence of the top passages; the answer quotes the best ones (up to three, from
different passages), each followed by a numbered citation, or refuses when none is likely enough or
a refusal check fires (policyqa/refusal.py). Every quote is checked to be a verbatim substring of
the paragraph it cites before it is returned.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from ingest.schema import SourceDocument, quoted_title
from ingest.structure import (
    ADDRESSEE_LINE, ATTACHMENT_LINE, CN_NUM, DOCUMENT_KINDS, EFFECTIVE_CLAUSE, ISSUE_DATE, ISSUE_NUMBER, addressee_span, attachment_span,
    article_clauses, article_part, heading_kind,
)
from policyqa.config import REFUSAL_TEXT, Config
from retriever.citations import (
    Division, asked_version_year, asks_where_article_is, division_label, division_matches, division_with_article,
    heading_matches, last_numbered, parts_counted,
)
from retriever.names import bare_title, names_issuer, title_line_span
from retriever.numerals import chinese_count, chinese_number
from retriever.references import References, asks_whole_wording, mentioned
from retriever.exact import normalise_phrase
from retriever.search import Hit, SearchResult
from policyqa.definitions import asked_term, defines, definition_pattern
from policyqa.ranker import (
    Candidate, QuestionView, QuoteRanker, choose, featurise, headline_span, list_items_span, quote_span,
)
from policyqa.refusal import (
    AFTER_QUOTES, BEFORE_QUOTES, LATEST, RefusalContext, asked_figures, first_reason, place_known, places_in, story_places,
    unanswered_figures, weak_evidence,
)
from retriever.text import STOPWORDS, char_bigrams, strip_control, strip_surrogates, tokenize

RELATED_TEXT = "以下段落可能相关，但不足以回答该问题，仅供参考："
#: The refusal reason when the quote ranker finds no sentence likely enough to answer.
NO_ANSWER_REASON = "没有句子达到引用所需的相关度"



def document_notes(doc: SourceDocument) -> str:
    """〔上海市地方性规定〕〔1996年版，已有新版本〕〔已废止〕: what a reader must know before trusting a
    quote from ``doc`` (a local rule says whose it is, unless its title does; an old or abolished
    version says so). Citations and ``policyqa search`` print the same notes."""
    notes = [f"{doc.region}地方性规定" if doc.region and doc.region not in doc.title else "",
             (f"{doc.date[:4]}年版" if doc.date else "旧版") + "，已有新版本" if doc.superseded_by else "", doc.status]
    return "".join(f"〔{n}〕" for n in notes if n)


class QuestionError(ValueError):
    """A question that cannot be searched (empty, no words); the message is shown to the user."""


class NotVerbatimError(AssertionError):
    """A quote that is not a verbatim substring of its cited paragraph: always a bug."""


@dataclass
class Citation:
    number: int
    hit: Hit
    quote: str
    quote_start: int  # offsets of the quote in hit.chunk.text
    quote_end: int
    probability: float = 0.0  # the quote ranker's estimate that this sentence answers the question
    part: str = ""  # the 款/项 of the article quoted whole when the question asks for it (第二款)

    @property
    def source_span(self) -> tuple[int, int]:
        """The quote's offsets in the document's text (the original file body)."""
        chunk = self.hit.chunk
        return chunk.source_offset(self.quote_start), chunk.source_offset(self.quote_end, end=True)

    def label(self) -> str:
        """《标题》（文号）第X条 — the form HR officers paste into their own documents."""
        doc = self.hit.doc
        number = f"（{doc.doc_number}）" if doc.doc_number else ""
        return f"{quoted_title(doc.title)}{number}{document_notes(doc)}{self.hit.chunk.heading_path}{self.part}".strip()

    def to_dict(self) -> dict:
        doc, chunk = self.hit.doc, self.hit.chunk
        start, end = self.source_span
        return {
            "number": self.number,
            "doc": quoted_title(doc.title),
            "doc_number": doc.doc_number,
            "date": doc.date,
            "region": doc.region,  # "" for a national document (ingest/jurisdiction.py)
            "superseded": bool(doc.superseded_by),  # a newer version of the title is in the index
            "status": doc.status,  # the ``status:`` header, e.g. 已废止
            "heading": chunk.heading_path,
            "chunk_id": chunk.chunk_id,
            "quote": self.quote,
            "part": self.part,
            "text": chunk.text,
            # the whole paragraph/article as in the file, when the cited chunk is a piece of it
            "paragraph": doc.text[slice(*chunk.para_span)],
            "source_start": start,
            "source_end": end,
            "probability": round(self.probability, 4),
        }


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[Hit] = field(default_factory=list)
    latency_ms: float = 0.0
    notice: str = ""  # e.g. the question was truncated
    reason: str = ""  # why it was refused (for evaluators and logs)
    dense_top: float = 0.0  # best chunk cosine in the (filtered) index
    sentence_top: float = 0.0  # best sentence cosine: the weak-evidence signal
    build: str = ""  # the index build that answered
    references: dict = field(default_factory=dict)  # documents/article the question was read to name

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "reason": self.reason,
            "notice": self.notice,
            "citations": [c.to_dict() for c in self.citations],
            "retrieved": [h.to_dict() for h in self.retrieved[:10]],
            "dense_top": round(self.dense_top, 4),
            "sentence_top": round(self.sentence_top, 4),
            "latency_ms": round(self.latency_ms, 1),
            "build": self.build,
            "references": self.references,
        }


def clean_question(question: str, max_chars: int = 1000) -> tuple[str, str]:
    """Strip control characters, reject empty questions, truncate long ones with a notice."""
    if not isinstance(question, str):
        raise QuestionError("问题必须是文字。")
    text = strip_surrogates(strip_control(question)).strip()
    if not text:
        raise QuestionError("问题为空，请输入要查询的问题。")
    if not _has_letters(text):
        raise QuestionError("问题中没有文字内容（只有标点或符号），请用文字描述您的问题。")
    notice = ""
    if len(text) > max_chars:
        notice = f"问题过长（{len(text)} 字），只使用了前 {max_chars} 字。"
        text = text[:max_chars]
        if not _has_letters(text):
            raise QuestionError(f"{notice}前 {max_chars} 字中没有文字内容，请把问题写在开头。")
    return text, notice


def _has_letters(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def term_weights(bm25) -> dict[str, float]:
    """IDF of every indexed token, read from the BM25 index (document frequency = column nnz)."""
    df = np.diff(bm25.scores["indptr"])
    n = max(int(bm25.scores.get("num_docs", len(df))), 1)
    return {tok: math.log(1 + (n - df[i] + 0.5) / (df[i] + 0.5)) for tok, i in bm25.vocab_dict.items() if i < len(df)}


def question_terms(query: str, idf: dict[str, float]) -> dict[str, float]:
    """Search-mode words of the question with their IDF (unknown words get the highest IDF)."""
    top = max(idf.values(), default=1.0)
    return {t: idf.get(t, top) for t in dict.fromkeys(tokenize(query)) if t not in STOPWORDS}


@dataclass
class Prepared:
    """A question searched and read, before any quote is chosen: everything the answer needs,
    computed once (the ranker's training and cross-validation answer the same ``Prepared`` with
    several models)."""

    question: str
    text: str  # cleaned
    notice: str
    result: SearchResult
    context: RefusalContext
    rule_reason: str  # a refusal check that fires before quoting, or ""
    candidates: list[Candidate]
    matrix: np.ndarray  # features of the candidates (policyqa.ranker.FEATURES)
    figure_states: list[bool]
    view: QuestionView
    #: which candidates define the term the question asks the meaning of (policyqa.definitions)
    defining: list[bool] = field(default_factory=list)
    #: which candidates use the words the question asks which documents use (哪些文件提到了…)
    mentioning: list[bool] = field(default_factory=list)
    #: the first hit answers by the document's structure: the article the question names, or the
    #: title line / dated signature asked for; it alone is quoted, whatever the ranker's scores
    pinned: bool = False
    #: what the quoted sentence of a pinned hit must state, when the structure says (本法自…起施行)
    pinned_quote: re.Pattern | None = None
    #: the 款 or 项 the question asks for inside the pinned article: its span in the document text
    pinned_part: tuple[int, int] | None = None
    #: the pinned hits: the first, or one per article asked for (第二十五条和第二十六条), in the question's order
    pinned_hits: tuple[int, ...] = (0,)
    #: several articles cited alone (教师法第十七条和第十八条): each is quoted whole, as one would be
    whole_articles: bool = False


def first_hit(hits: list[Hit], refs: References, chunk_is, documents: tuple[str, ...] | None = None) -> int | None:
    """The first of ``hits`` whose chunk ``chunk_is`` accepts (by its heading path: an article, a chapter
    asked for), in ``documents`` (default: those the question names; in any when it names none); search
    puts such hits first whenever they exist. Another law's article of the same number is no answer
    (教师法 ends at 第四十三条; 第五十条 is another law's)."""
    documents = refs.documents if documents is None else documents
    for i, hit in enumerate(hits):
        if chunk_is(hit.chunk) and (not documents or hit.chunk.doc_id in documents):
            return i
    return None


#: At most this many documents are named in a notice; the others are counted.
MAX_NAMED_DOCUMENTS = 5


def mentions_notice(term: str, per_doc: dict[str, int]) -> str:
    """「“双师型”见于3份文件：《…》（6处）、…。」 for a question that asks which documents use ``term``
    (``per_doc``: each document's label → how often it does, from exact search); "" when none does."""
    if not per_doc:
        return ""
    ranked = sorted(per_doc.items(), key=lambda kv: -kv[1])
    named = "、".join(f"{label}（{n}处）" for label, n in ranked[:MAX_NAMED_DOCUMENTS])
    more = f"等{len(ranked)}份文件" if len(ranked) > MAX_NAMED_DOCUMENTS else ""
    return f"“{term}”见于{len(ranked)}份文件：{named}{more}。"


#: At most this many articles are named in a notice; the rest are counted.
MAX_NAMED_ARTICLES = 12


#: The part a notice or plan numbers 二、 (people call it 第二部分), at the head of a heading path.
_PART_MARKER = re.compile(r"^\s*([一二三四五六七八九十]+)、")


def _where_in_document(heading: str) -> str:
    """Where a heading path (as exact search gives it) is, as people cite it: 第四十七条, or in a notice
    第二部分第（一）项 (its items restart in each part), 第三部分; "" for the opening."""
    markers = _MARKER.findall(heading)
    articles = [m for m in markers if m.startswith("第")]
    if articles:
        return articles[-1]
    part = _PART_MARKER.match(heading)
    where = f"第{part.group(1)}部分" if part else ""
    return where + (f"第（{markers[-1][1:-1]}）项" if markers else "")


def articles_notice(term: str, title: str, occurrences: list) -> str:
    """「《…》中有8条提到“经济补偿”：第二十三条、第四十六条…。」 for a question that asks which articles
    of one document (``title``) use ``term`` (``occurrences``: exact search's, in document order)."""
    if not occurrences:
        return ""
    labels = dict.fromkeys(label for o in occurrences if (label := _where_in_document(o.heading)))
    if not labels:
        return f"“{term}”在{title}中出现{len(occurrences)}处。"
    listed = "、".join(list(labels)[:MAX_NAMED_ARTICLES]) + ("等" if len(labels) > MAX_NAMED_ARTICLES else "")
    return f"{title}中有{chinese_count(len(labels))}处条文提到“{term}”：{listed}。"


#: A misquoted passage is named up to this many characters.
QUOTED_NAMED_CHARS = 24


def wording_notice(misquoted: list[str]) -> str:
    """「引号中的“…”在文件中没有逐字出现…」 for passages a question quotes that no text holds word for
    word, worded so that it holds whether the answer quotes or refuses; "" for none."""
    if not misquoted:
        return ""
    named = "”“".join(p if len(p) <= QUOTED_NAMED_CHARS else p[:QUOTED_NAMED_CHARS] + "…" for p in misquoted)
    return f"引号中的“{named}”在文件中没有逐字出现，请以引用的原文为准。"


def _one_part(paragraph: int | None, item: int | None) -> str:
    return "".join(f"第{chinese_number(n)}{unit}" for n, unit in ((paragraph, "款"), (item, "项")) if n)


def part_label(refs: References) -> str:
    """第二款第六项 — the part of an article ``refs`` asks for, as laws cite it ("" for none); several
    as the question lists them (第二款、第三款; 第一款第一项、第二项)."""
    if not refs.parts:
        return _one_part(refs.paragraph, refs.item)
    paragraphs = {p for p, _i in refs.parts}
    if len(paragraphs) == 1 and all(i for _p, i in refs.parts):  # items of one 款 (or of the article)
        return _one_part(refs.parts[0][0], None) + "、".join(_one_part(None, i) for _p, i in refs.parts)
    return "、".join(_one_part(p, i) for p, i in refs.parts)


def _part_spans(hit: Hit, refs: References) -> list[tuple[str, tuple[int, int] | None]]:
    """Each 款 or 项 ``refs`` asks for, as laws cite it, with its span in ``hit``'s article text (None: it lacks it)."""
    start, end = hit.chunk.para_span
    return [(_one_part(p, i), article_part(hit.doc.text[start:end], p, chinese_number(i) if i else None))
            for p, i in refs.parts or ((refs.paragraph, refs.item),)]


def missing_parts(hit: Hit, refs: References) -> str:
    """The parts of ``refs.parts`` that ``hit``'s article lacks, as laws cite them (第四款)."""
    return "、".join(label for label, span in _part_spans(hit, refs) if span is None)


def asked_part(hit: Hit, refs: References) -> tuple[int, int] | None:
    """The span, in the document text, of the 款 or 项 ``refs`` asks for in ``hit``'s article; of
    several, from the first one's start to the last one's end (None when the article lacks one)."""
    spans = [span for _label, span in _part_spans(hit, refs)]
    if any(span is None for span in spans):
        return None
    start = hit.chunk.para_span[0]
    return start + min(a for a, _b in spans), start + max(b for _a, b in spans)


def prepare(question: str, text: str, notice: str, result: SearchResult, config: Config, idf: dict[str, float],
            titles: set[str], lexicon: dict | None = None, is_apparatus=None) -> Prepared:
    """Read ``result`` for ``text``: the refusal checks that need no quote, and the candidate
    sentences with their features. ``idf`` (word → IDF of the BM25 index) weighs the question's
    words and is the corpus vocabulary of the refusal checks."""
    refs = result.references
    hits = result.hits[:config.rank_hits]
    asked = refs.asked_articles
    # 第二部分第（二）项: an item looked for inside the part written before it (items restart in some documents)
    item_in_division = refs.division is not None and bool(asked)
    found_at = [first_hit(hits, refs, lambda chunk, a=a: heading_matches(chunk.heading, a)
                          and (not item_in_division or division_matches(chunk.heading, refs.division, chunk.text)), refs.documents_of(a))
                for a in asked]
    if len(asked) == 1 and not refs.documents and (refs.paragraph or refs.item):
        # 第十四条第六项, no document named: the first of the documents whose 第十四条 has a 第六项
        having = next((i for i, h in enumerate(hits) if heading_matches(h.chunk.heading, asked[0]) and asked_part(h, refs)), None)
        found_at = [having] if having is not None else found_at
    missing = next((a for a, i in zip(asked, found_at) if i is None), None)
    article_pinned = bool(asked) and missing is None
    part = part_label(refs) if article_pinned else ""
    part_span = asked_part(hits[found_at[0]], refs) if part else None
    if part and part_span is None and refs.parts:  # 第二款至第五款 of an article of three: name what it lacks
        part = missing_parts(hits[found_at[0]], refs)
    whole_wording = article_pinned and not part and asks_whole_wording(result.query, refs.spans)
    if whole_wording and len(asked) == 1:
        part_span = hits[found_at[0]].chunk.para_span  # 第三十八条原文: the article whole, not its lead-in alone
    parts_count = parts_notice(hits[found_at[0]], parts_counted(result.query)) if article_pinned and not part and len(asked) == 1 else ""
    if parts_count:  # 第十四条有几项: counted off the article as printed, which is quoted whole
        part_span = hits[found_at[0]].chunk.para_span
    # a chapter or part asked about (第二章): search put its passages first when the document has it
    division_at = None if refs.division is None else first_hit(hits, refs, lambda chunk: division_matches(chunk.heading, refs.division, chunk.text))
    if refs.division is not None and division_at is None:
        part = division_label(refs.division)
    # 第二部分第三段: search put that paragraph first; it is quoted whole, or refused when the part has fewer
    paragraph_asked = refs.division_paragraph is not None and division_at is not None and result.division_paragraphs > 0
    if paragraph_asked:
        part = f"{division_label(refs.division)}第{chinese_number(refs.division_paragraph)}段"
        if refs.division_paragraph <= result.division_paragraphs:
            part_span = hits[division_at].chunk.para_span
    if item_in_division and missing is not None:
        part = f"{division_label(refs.division)}第（{chinese_number(missing)}）项"  # refused as a part it lacks
    counted_back = refs.from_end is not None and refs.article is not None  # 倒数第二条, read by search
    if counted_back and refs.article == 0:
        part = f"倒数第{chinese_number(refs.from_end)}条"  # more than the document has: refused as such
    # an item a part lacks or an article beyond the law's end is refused as a part, not as a missing article
    refused_as_part = item_in_division or (counted_back and refs.article == 0)
    # where a refusal says it looked: the document the missing article was asked of (教育法第三十三条)
    looked_in = refs.documents if missing is None else refs.documents_of(missing)
    about_document = result.about
    counted = count_notice(hits[0], refs, about_document) if hits else ""  # 一共多少条: the last one is put first
    if about_document in COUNTED and refs.documents and not counted:
        part = COUNTED[about_document]  # a notice not numbered by articles: no count to give
    apparatus = [bool(is_apparatus and is_apparatus(h.row)) for h in hits]
    # 主送单位有哪些, 附件是什么: the named document's line, which search put first when it has one
    asked_line = ASKED_LINES.get(about_document)
    line_at = None if asked_line is None else next(
        (i for i, h in enumerate(hits) if h.chunk.doc_id in refs.documents and asked_line[1](h.chunk.text, apparatus[i])), None)
    if asked_line and line_at is None and hits and hits[0].chunk.doc_id in refs.documents:
        part = asked_line[2]  # a law is addressed to no one, and most documents attach nothing
    # 我在杭州一所职校教书，…: where the asker is, not what is asked (the national rules hold there too)
    places = places_in(result.query)
    passing = story_places(result.query, places)
    ctx = RefusalContext(
        query=result.query,
        sentence_top=result.sentence_top,
        quotes=[],
        vocabulary=idf,
        titles=titles,
        min_dense_score=config.min_dense_score,
        min_term_coverage=config.min_term_coverage,
        has_hits=bool(result.hits),
        places=[place for place in places if place not in passing],
        dates_a_document=about_document == "date" and bool(refs.documents),
        lexicon=lexicon or {},
        article=None if refused_as_part else refs.article if missing is None else missing,
        article_found=missing is None or refused_as_part,
        # where it looked: the first hit's named document, or every named one when none is a hit (a few)
        named_titles=[h.doc.title for h in result.hits if h.chunk.doc_id in looked_in][:1]
        or list(result.named_titles if len(result.named_titles) <= 3 else ()),
        reference_spans=tuple(refs.spans),
        unheld=refs.unheld,
        unheld_numbers=refs.unheld_numbers,
        part_asked=part,
        part_found=part_span is not None,
        part_where=f"{quoted_title(hits[found_at[0]].doc.title)}{hits[found_at[0]].chunk.heading[-1]}" if part and article_pinned else "",
    )
    figures = [pattern for _kind, pattern in asked_figures(result.query)]
    bigrams = frozenset(char_bigrams(result.query) + [g for term in result.expansion for g in char_bigrams(term)])
    view = QuestionView(question_terms(result.query, idf), apparatus, bigrams)
    candidates, matrix = featurise(result, view, max_hits=config.rank_hits)
    states = [bool(figures) and all(p.search(result.hits[c.hit].chunk.text[c.start:c.end]) for p in figures) for c in candidates]
    definition = definition_pattern(asked_term(result.query))
    defining = [defines(definition, result.hits[c.hit].chunk.text[c.start:c.end]) for c in candidates] if definition else []
    # 劳动合同法中关于经济补偿的条文有哪些: its sentences that use the words, not other documents'
    term, within = mentioned(result.query, refs)
    term = normalise_phrase(term)
    mentioning = [term in normalise_phrase(result.hits[c.hit].chunk.text[c.start:c.end])
                  and (not within or result.hits[c.hit].chunk.doc_id in within) for c in candidates] if term else []
    notice += counted + parts_count
    if article_pinned and len(asked) == 1 and asks_where_article_is(result.query):  # 第二十五条在第几章
        notice += where_notice(hits[found_at[0]])
    overview = about_document == "overview" and bool(hits) and hits[0].chunk.doc_id in refs.documents
    notice += outline_notice(hits[0].doc.title, result.outline) if overview else ""
    if paragraph_asked:  # how the paragraphs were counted, so the asker can check which one is quoted
        notice += (f"{quoted_title(hits[division_at].doc.title)}{division_label(refs.division)}"
                   f"共{chinese_number(result.division_paragraphs)}段（不计标题）。")
    elif division_at is not None and not item_in_division:
        notice += division_notice(hits[division_at].doc.title, result.division_contents)
    if refs.unheld and not refs.documents and not asked:  # 义务教育法对教师工资怎么规定: what others say
        notice += f"文档库中没有《{'》《'.join(refs.unheld)}》，回答只能依据库中的其他文件。"
    notice += version_notice(asked_version_year(result.query), [h.doc for h in result.hits if h.chunk.doc_id in refs.documents])
    if LATEST in result.query and about_document == "date" and refs.documents:  # 最新版本是哪年的: of the text held
        notice += "文档库只能给出所收文本的日期，无法判断此后是否还有新的修订。"
    unheld_places = [place for place in passing if not place_known(place, idf)]
    if unheld_places:  # 我在杭州教书: answered from the national texts, and said so
        notice += f"文档库中没有{'、'.join(unheld_places)}的地方性规定，下面引用的是全国性的法律法规和政策文件。"
    if refs.corrected:  # 劳动和同法: read as the name one character away, and said so
        notice = f"问题中的“{refs.corrected[0]}”按“{refs.corrected[1]}”理解。" + notice
    kind = next((span for span in refs.spans if span in DOCUMENT_KINDS), None)
    if kind and article_pinned and len(refs.documents) > 1:  # 条例第三条: which 条例?
        notice += f"“{kind}”可指{len(refs.documents)}份文件，下面引用的是与问题最相关的一份；请写明文件名称。"
    elif article_pinned and len(result.article_titles) > 1 and not refs.unheld:  # 第三十八条 of which document?
        how_many = f"{len(result.article_titles)}份" if result.article_titles_complete else "多份"
        notice += f"“第{chinese_number(asked[0])}条”见于{how_many}文件，下面引用的是与问题最相关的一份；请写明文件名称。"
    if counted_back and article_pinned:  # say which article 倒数第二条 was read as
        notice += (f"{quoted_title(hits[found_at[0]].doc.title)}共{chinese_number(refs.article + refs.from_end - 1)}条，"
                   f"倒数第{chinese_number(refs.from_end)}条是第{chinese_number(refs.article)}条。")
    if article_pinned and refs.articles_count > len(asked):  # 第三十六条至第四十五条: not all ten, and said so
        notice += (f"问题问到{chinese_number(refs.articles_count)}条，一次最多引用{chinese_number(len(asked))}条："
                   f"下面是{'、'.join(f'第{chinese_number(a)}条' for a in asked)}，其余请分次查询。")
    written_in = division_with_article(result.query) if article_pinned and len(asked) == 1 else None
    if written_in and not division_matches(hits[found_at[0]].chunk.heading, written_in):  # 第一章第四十条: it is in 第四章
        notice += misplaced_article_notice(asked[0], hits[found_at[0]], written_in)
    pinned = bool(hits) and (
        article_pinned
        or division_at is not None
        or about_document == "title" and apparatus[0]
        or about_document in ("number", "issuer") and hits[0].chunk.doc_id in refs.documents
        and (apparatus[0] or bool(ISSUE_NUMBER.search(hits[0].chunk.text)))
        or about_document == "date" and apparatus[0] and bool(ISSUE_DATE.search(hits[0].chunk.text))
        or about_document == "effective" and bool(EFFECTIVE_CLAUSE.search(hits[0].chunk.text))
        or bool(counted)
        or line_at is not None
        or overview)  # 主要讲了什么: the document's opening, with its outline in the notice
    if about_document == "date" and not pinned:  # 哪天发布的, and the text writes no date: what its record says
        notice += recorded_date_notice([h.doc for h in hits if h.chunk.doc_id in refs.documents][:1])
    if about_document == "issuer" and pinned:  # 谁发的, and no line of the text names the organ
        notice += recorded_issuer_notice(hits[0])
    # a pinned answer rests on the document's structure, not on a cosine: weak evidence does not refuse it
    checks = [check for check in BEFORE_QUOTES if not (pinned and check is weak_evidence)]
    pinned_quote = (EFFECTIVE_CLAUSE if pinned and about_document == "effective" else COUNTED_QUOTE if counted
                    else ISSUE_NUMBER if pinned and about_document == "number"
                    else asked_line[0] if line_at is not None
                    else OPENING_QUOTE if overview and not article_pinned and division_at is None else None)
    pinned_hits = (tuple(dict.fromkeys(found_at)) if article_pinned else (division_at,) if division_at is not None
                   else (line_at,) if line_at is not None else (0,))
    return Prepared(question, text, notice, result, ctx, first_reason(ctx, checks), candidates, matrix, states, view,
                    defining, mentioning, pinned, pinned_quote, part_span, pinned_hits, whole_wording and len(asked) > 1)


#: What a document without numbered articles or chapters lacks, for the refusal 「《…》中没有…」.
COUNTED = {"articles": "连续编号的条文", "chapters": "连续编号的章"}
#: The sentence quoted for a count: the one that opens the last article, with its number (第九十八条
#: 本法自…), not one of its items; in a plan's item (no 第…条 in its text), its first sentence.
COUNTED_QUOTE = re.compile(rf"^\s*第[{CN_NUM}]+条")
#: Lines of a document asked for by themselves (主送单位有哪些, 附件是什么), by ``about``: the line, where
#: it is in a chunk, and what a document without one lacks (the refusal 「《…》中没有附件」).
ASKED_LINES = {"addressees": (ADDRESSEE_LINE, addressee_span, "主送单位"),
               "attachments": (ATTACHMENT_LINE, attachment_span, "附件")}
#: The sentence quoted for a document's overview (主要讲了什么): the opening's statement of purpose
#: (为了…，制定本法; 为贯彻…，现提出如下意见), else its first sentence (a reply's 同意建立…), whatever the
#: question's other words match.
OPENING_QUOTE = re.compile(rf"^\s*(?:第[{CN_NUM}]+条\s*)?为")


def where_notice(hit: Hit) -> str:
    """Where the article ``hit`` heads sits in its document: 「第二十五条在《…》第六章 待遇。」, or that it is
    in no chapter (a regulation without chapters)."""
    *divisions, article = hit.chunk.heading or [""]
    where = " ".join(divisions)
    return (f"{article}在{quoted_title(hit.doc.title)}{where}。" if where
            else f"{quoted_title(hit.doc.title)}不分章，{article}不在任何一章中。")


def parts_notice(hit: Hit, unit: str) -> str:
    """How many 款 or 项 (``unit``) the article ``hit`` heads has, as printed (a line that opens with
    （一） is an item of the 款 above it): 「《工伤保险条例》第十四条共七项。」; "" without a unit."""
    if not unit or not hit.chunk.heading:
        return ""
    start, end = hit.chunk.para_span
    clauses = article_clauses(hit.doc.text[start:end])
    where = f"{quoted_title(hit.doc.title)}{hit.chunk.heading[-1]}"
    if unit == "款":
        return f"{where}共{chinese_number(len(clauses))}款。"
    items = sum(len(lines) - 1 for lines in clauses)
    return f"{where}共{chinese_number(items)}项。" if items else f"{where}不分项。"


def count_notice(hit: Hit, refs: References, about: str) -> str:
    """For 「劳动合同法一共多少条？」 (``about`` "articles" or "chapters"), when the search put the
    named document's last article or chapter first (``hit``): how many it has, read off that
    heading (articles and chapters are numbered 1, 2, 3…); the quote shows the last one. Else ""."""
    if about not in ("articles", "chapters") or hit.chunk.doc_id not in refs.documents:
        return ""
    number = last_numbered(hit.chunk.heading, about)
    if number is None:
        return ""
    unit = "条" if about == "articles" else "章"
    level = next(level for level in reversed(hit.chunk.heading) if last_numbered([level], about) == number)
    return f"{quoted_title(hit.doc.title)}共{chinese_number(number)}{unit}，最后一{unit}是{level}。"


_RECORDED_DATE = re.compile(r"((?:19|20)\d\d)-(\d\d)-(\d\d)")


def misplaced_article_notice(article: int, hit: Hit, written_in: Division) -> str:
    """Where article ``article`` (quoted from ``hit``) stands, when the question put it in another
    division: article numbers run through a whole law, so the article is quoted, and the asker told."""
    where = " ".join(hit.chunk.heading[:-1])
    label = f"第{chinese_number(article)}条"
    if not where:
        return f"{quoted_title(hit.doc.title)}不分章节，{label}不在{division_label(written_in)}。"
    return f"{label}在{where}，不在{division_label(written_in)}。"


def version_notice(year: str, named: list[SourceDocument]) -> str:
    """When the question asks for the ``year`` version of a document and none of the ``named`` ones
    it found is that version (by the year in its title or its date): which text is quoted instead."""
    if not year or not named or any(year in doc.title or doc.date.startswith(year) for doc in named):
        return ""
    doc = named[0]
    return f"文档库中没有{quoted_title(bare_title(doc.title))}{year}年的文本；下面引用的是{quoted_title(doc.title)}（{doc.date}）。"


def recorded_date_notice(documents: list) -> str:
    """「《…》正文没有写明日期；文件信息记载的日期是2019年12月30日。」 for the one document a question
    asks the date of, when its text gives none to quote (its header's ``date``, from its source); else ""."""
    match = _RECORDED_DATE.fullmatch(documents[0].date.strip()) if len(documents) == 1 else None
    if not match:
        return ""
    year, month, day = (int(part) for part in match.groups())
    return f"{quoted_title(documents[0].title)}正文没有写明日期；文件信息记载的日期是{year}年{month}月{day}日。"


def recorded_issuer_notice(hit: Hit) -> str:
    """「《…》引文没有写明发文机关；文件信息记载的发文机关是劳动部。」 when the line quoted for who issued a
    document (its 文号 line: 劳部发〔1994〕489号, or its title) names none of the organs its header's
    ``issuer`` gives; else ""."""
    issuer = getattr(hit.doc, "issuer", "").strip()
    if not issuer or names_issuer(hit.chunk.text, issuer):
        return ""
    return f"{quoted_title(hit.doc.title)}引文没有写明发文机关；文件信息记载的发文机关是{issuer}。"


#: The number that opens an article's or item's heading: 第十条, （九）.
_MARKER = re.compile(r"第[^条\s]{1,8}条|[（(][^）)]{1,8}[）)]")


def division_notice(title: str, contents: tuple[str, ...]) -> str:
    """「《…》第三章 资格和任用共八条：第十条至第十七条。」 from ``contents`` (the chapter's heading, then
    its sections' and its articles' or items' headings in order), when the articles are numbered one
    after another; the sections, if any, are named (「…，分三节（第一节 集体合同、…）：…」); an annex's
    parts are listed (「《…》附件共四部分：一、主要职能；…」); else ""."""
    if len(contents) < 2:
        return ""
    heading = contents[0]
    if heading_kind(heading) == "appendix":  # 「《…》附录共四部分：一、…；二、…。」
        return f"{quoted_title(title)}{heading}共{chinese_number(len(contents) - 1)}部分：{'；'.join(contents[1:])}。"
    sections = [level for level in contents[1:] if heading_kind(level) == "section"]
    articles = [level for level in contents[1:] if heading_kind(level) != "section"]
    numbers = [last_numbered([a], "articles") for a in articles]
    if not articles or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return ""
    first, last = (_MARKER.match(a).group(0) for a in (articles[0], articles[-1]))
    span = first if len(articles) == 1 else f"{first}至{last}"
    unit = "条" if first.startswith("第") else "项"
    parts = f"，分{chinese_number(len(sections))}节（{'、'.join(sections)}）" if sections else ""
    return f"{quoted_title(title)}{heading}共{chinese_number(len(articles))}{unit}{parts}：{span}。"


def outline_notice(title: str, outline: tuple[str, ...]) -> str:
    """「《…》分八章：第一章 总则；第二章 …。」: a document's top-level headings as it writes them, or ""."""
    if not outline:
        return ""
    unit = "章" if heading_kind(outline[0]) == "chapter" else "部分"
    return f"{quoted_title(title)}分{chinese_number(len(outline))}{unit}：{'；'.join(outline)}。"


def compose(prepared: Prepared, ranker: QuoteRanker) -> Answer:
    """The answer: up to ``ranker.max_quotes`` verbatim sentences from different passages, best
    first (a sentence stating the asked-for figure first), or a refusal."""
    result, ctx = prepared.result, prepared.context
    refs = result.references
    about = {"dense_top": result.dense_top, "sentence_top": result.sentence_top, "build": result.build,
             "references": {"documents": list(refs.documents), "article": refs.article} if refs else {}}
    notice = prepared.notice
    reason = prepared.rule_reason
    citations: list[Citation] = []
    if not reason:
        probabilities = ranker.probabilities(prepared.matrix)
        if prepared.pinned:  # one quote a pinned hit: the article (each one asked for), the line asked for
            picks = (_pinned_pick(prepared, probabilities, h) for h in prepared.pinned_hits[:ranker.max_quotes])
            picked = [i for i in picks if i is not None]
        else:
            if not result.about and prepared.candidates:  # a content question: banner, title and signature lines answer nothing
                probabilities = np.where([prepared.view.apparatus[c.hit] for c in prepared.candidates], 0.0, probabilities)
            picked = choose(prepared.candidates, probabilities, result.hits, ranker, prepared.figure_states, prepared.defining,
                            prepared.mentioning)
        # 主送单位有哪些, 附件是什么: where the line asked for is in its chunk
        line = next((span for pattern, span, _lacks in ASKED_LINES.values() if pattern is prepared.pinned_quote), None)
        for i in picked:
            c = prepared.candidates[i]
            hit = result.hits[c.hit]
            # the 款 or 项 asked for is quoted whole; a clause of a series of cases, with the whole series
            asked_part = _asked_part(prepared, hit)
            whole = _part_in_chunk(hit, asked_part) if asked_part is not None else None
            pieces = None if whole or asked_part is None else _part_in_pieces(result.hits, hit, asked_part)
            if asked_part is None and (running_list := _list_running_on(hit, c)) is not None:
                pieces = _part_in_pieces(result.hits, hit, running_list)  # None unless its pieces were retrieved
            part = prepared.context.part_asked if whole or pieces else ""
            if line:  # the addressees alone, not the title and 文号 above them; the attachment note alone
                whole = line(hit.chunk.text, prepared.view.apparatus[c.hit])
            elif prepared.pinned and result.about == "title":  # the title line alone, not the signature above it
                whole = title_line_span(hit.chunk.text, hit.doc.title)
            quoted = pieces or [(hit, whole or _quoted_span(hit, c))]
            if citations and not prepared.pinned and len(citations) + len(quoted) > ranker.max_quotes:
                break  # a list quoted piece after piece fills the answer (each article asked for is quoted, whole)
            for piece, (start, end) in quoted:
                quote = piece.chunk.text[start:end]
                citations.append(Citation(len(citations) + 1, piece, quote, start, end, float(probabilities[i]), part))
        reason = _check_quotes(citations, ctx) if citations else NO_ANSWER_REASON
    if reason:
        return Answer(prepared.text, REFUSAL_TEXT, True, [], result.hits, notice=notice, reason=reason, **about)
    for part, kind in unanswered_figures(result.query, [c.quote for c in citations]):
        # a sub-question the quotes leave open (missing_figure answered the rest): say so
        notice = f"{notice}问题中“{part}”所问的具体{kind}，现有政策文件没有给出。"
    return Answer(prepared.text, render(citations), False, citations, result.hits, notice=notice, **about)


def _pinned_pick(prepared: Prepared, probabilities: np.ndarray, h: int) -> int | None:
    """The candidate quoted for pinned hit ``h``: its best sentence; in an article of several
    sentences, the one that states what the structure says (本法自…起施行); or the best in the 款 or
    项 asked for, in whichever piece of the article holds it."""
    candidates, hits = prepared.candidates, prepared.result.hits
    first = [i for i, c in enumerate(candidates) if c.hit == h]
    if prepared.pinned_quote is not None:
        matching = [i for i in first if prepared.pinned_quote.search(hits[h].chunk.text[candidates[i].start:candidates[i].end])]
        if first and not matching and prepared.pinned_quote in (COUNTED_QUOTE, OPENING_QUOTE):
            matching = [min(first, key=lambda i: candidates[i].start)]
        matching = matching[:1] if prepared.pinned_quote is OPENING_QUOTE else matching
        first = matching or first
    asked_part = _asked_part(prepared, hits[h])
    if asked_part is not None:
        first = [i for i, c in enumerate(candidates) if _in_part(hits[c.hit], c, hits[h], asked_part)] or first
    # 第四十四条的加班费是多少: the article's sentence that states the kind of figure asked for, as in choose()
    first = [i for i in first if prepared.figure_states[i]] or first
    return max(first, key=lambda i: (probabilities[i], -i)) if first else None


def _quoted_span(hit: Hit, c: Candidate) -> tuple[int, int]:
    """What is quoted for candidate ``c`` of ``hit``: its sentence (or the series of cases it is one
    of, :func:`quote_span`); a list's lead-in with its items, when the chunk holds the whole list
    (a list that runs on into the passage's next piece keeps its lead-in alone, not half its items);
    an item's headline with its body's first sentence (:func:`headline_span`)."""
    text = hit.chunk.text
    listed = list_items_span(text, c.start, c.end)
    runs_on = listed is not None and listed[1] >= len(text.rstrip()) and hit.chunk.end < hit.chunk.para_span[1]
    if listed is not None and not runs_on:
        return listed
    return headline_span(text, c.start, c.end) or quote_span(text, c.start, c.end)


def _list_running_on(hit: Hit, c: Candidate) -> tuple[int, int] | None:
    """The span of the document text that a lead-in candidate's list takes, when the list runs on
    past ``hit``'s chunk into the next piece of its passage (第十一条 下列各项不列入工资总额的范围：…); else None."""
    chunk = hit.chunk
    if chunk.end >= chunk.para_span[1]:
        return None  # the chunk ends its passage: nothing runs on
    start, end = chunk.source_offset(c.start), chunk.source_offset(c.end, end=True)
    listed = list_items_span(hit.doc.text, start, end, stop=chunk.para_span[1])
    return listed if listed is not None and listed[1] > chunk.end else None


def _asked_part(prepared: Prepared, hit: Hit) -> tuple[int, int] | None:
    """The span of the document text quoted whole from pinned ``hit``: the 款 or 项 asked for (or
    the one article asked for whole), or, when several articles are asked for whole, ``hit``'s own."""
    return hit.chunk.para_span if prepared.whole_articles else prepared.pinned_part


def _in_part(hit: Hit, c: Candidate, article: Hit, part: tuple[int, int]) -> bool:
    """Whether candidate ``c`` of ``hit`` lies in ``part`` (a span of the document text), ``hit``
    being the article ``article`` or another piece of it."""
    chunk = hit.chunk
    if (chunk.doc_id, chunk.para_span) != (article.chunk.doc_id, article.chunk.para_span):
        return False
    return chunk.source_offset(c.start) < part[1] and chunk.source_offset(c.end, end=True) > part[0]


def _part_in_chunk(hit: Hit, part: tuple[int, int]) -> tuple[int, int] | None:
    """``part`` (a span of the document text) as offsets into ``hit``'s chunk text, when the chunk
    holds all of it (across a repaired page break too)."""
    chunk = hit.chunk
    if not (chunk.start <= part[0] and part[1] <= chunk.end):
        return None
    return chunk.text_offset(part[0]), chunk.text_offset(part[1], end=True)


def _part_in_pieces(hits: list[Hit], hit: Hit, part: tuple[int, int]) -> list[tuple[Hit, tuple[int, int]]] | None:
    """``part`` (a span of the document text) quoted from the pieces a long passage was chunked
    into, in order, each from where the one before it ended: the whole of 方案（十二）, whose
    text no one chunk holds. None unless ``hits`` hold pieces that cover all of it."""
    chunk = hit.chunk
    pieces = sorted({h.chunk.chunk_id: h for h in hits if h.chunk.doc_id == chunk.doc_id
                     and h.chunk.para_span == chunk.para_span}.values(), key=lambda h: h.chunk.start)
    quoted, at = [], part[0]
    for piece in pieces:  # a piece across a repaired page break maps its offsets through its segments
        if piece.chunk.start <= at < piece.chunk.end:
            end = min(piece.chunk.end, part[1])
            start, stop = piece.chunk.text_offset(at), piece.chunk.text_offset(end, end=True)
            text = piece.chunk.text
            while start < stop and text[start].isspace():  # a piece that opens on a line break (a list's next item)
                start += 1
            while stop > start and text[stop - 1].isspace():
                stop -= 1
            if start < stop:
                quoted.append((piece, (start, stop)))
            at = end
    return quoted if at >= part[1] and len(quoted) > 1 else None


def _check_quotes(citations: list[Citation], ctx: RefusalContext) -> str:
    """Verify the quotes are verbatim, then run the checks that need them: a refusal reason or ""."""
    verify(citations)
    ctx.quotes = [c.quote for c in citations]
    return first_reason(ctx, AFTER_QUOTES)


def verify(citations: list[Citation]) -> None:
    """Raise if any quote is not verbatim in its cited paragraph or its offsets are wrong."""
    for c in citations:
        text = c.hit.chunk.text
        if not c.quote or c.quote not in text or text[c.quote_start : c.quote_end] != c.quote:
            raise NotVerbatimError(f"引文不是原文：{c.quote!r} 不在 {c.hit.chunk.chunk_id} 中")


def title_citation(hit: Hit, number: int) -> Citation | None:
    """The line of ``hit`` (a document's title row) that is its bare title, quoted: how a list of
    documents cites each one (「国务院的条例有哪些」); None when no line is the title."""
    span = title_line_span(hit.chunk.text, hit.doc.title)
    return None if span is None else Citation(number, hit, hit.chunk.text[span[0]:span[1]], *span, 1.0)


#: A list of documents names this many in its notice, and counts the rest.
MAX_LISTED_DOCUMENTS = 12


def catalogue_notice(words: str, documents: list) -> str:
    """「文档库中的国务院的条例共七份：《教师资格条例》（1995-12-12）、…。」 for a question that asks for a list."""
    named = "、".join(f"{quoted_title(d.title)}（{'，'.join(x for x in (d.doc_number, d.date) if x)}）"
                     for d in documents[:MAX_LISTED_DOCUMENTS])
    more = "等" if len(documents) > MAX_LISTED_DOCUMENTS else ""
    return f"文档库中的{words}共{chinese_count(len(documents))}份：{named}{more}。"


def render(citations: list[Citation]) -> str:
    """Short Chinese answer: one line per quote, each followed by its citation number."""
    lines = ["根据现有政策文件："]
    for c in citations:
        label, heading = c.label(), c.hit.chunk.heading
        # a quote that opens with its article's number (第二十五条 …) does not repeat it in the label
        if heading and c.quote.startswith(heading[-1]) and label.endswith(heading[-1]) and len(label) > len(heading[-1]):
            label = label[: -len(heading[-1])].rstrip()
        lines.append(f"{label}：“{c.quote}”[{c.number}]")
    return "\n".join(lines)
