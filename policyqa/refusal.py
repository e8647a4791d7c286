"""When to refuse: a table of small, pure checks, each returning a reason or "".

A wrong citation is worse than no answer, so a question is refused when any check fires. The
checks and their thresholds were calibrated on eval/data/dev.jsonl (see README, "Answers and refusals"):

- ``instruction``: the text addresses the system (忽略前面的规则, 写一首诗, 编一份文件…), not a policy;
- ``weak_evidence``: the best single-sentence cosine is below ``min_dense_score``;
- ``unknown_terms``: too few of the question's content words occur anywhere in the corpus;
- ``unknown_document``: the question names a 《document》 that is not in the index, or puts in
  quotes a term the corpus never uses;
- ``unknown_place``: the question is about a place the corpus never mentions (a province or city the texts never name);
- ``unknown_time``: a year the corpus never mentions, or 今年/明年/最新 (the texts have fixed dates);
- ``unknown_article``: an article (第70条) that the documents it names do not have;
- ``unknown_part``: a 款 or 项 the article does not have, or a chapter the document does not;
- ``missing_figure``: the question asks for a figure (an amount, a percentage, a date, a count)
  and none of the quotes that would answer it contains one of that kind.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from pathlib import Path

from ingest.jurisdiction import PLACE_KINDS
from ingest.rules import alternation, read_table
from retriever.citations import inserted_article
from retriever.names import bare_title
from retriever.numerals import chinese_number
from retriever.text import content_terms, cut, has_words, pos_cut

#: Rule tables (policyqa/data/*.tsv, one entry a line with the reason it is there).
DATA_DIR = Path(__file__).resolve().parent / "data"

#: Wording addressed to the system, not about a policy (policyqa/data/instructions.tsv).
_INSTRUCTION = re.compile(alternation([pattern for pattern, _why in read_table(DATA_DIR / "instructions.tsv", 2)]), re.IGNORECASE)

_NUM = r"[\d０-９一二三四五六七八九十百千万两半]"
#: What a question asks for → what a quote must contain to answer it, by kind of figure
#: (policyqa/data/figures.tsv; ``{NUM}`` there is :data:`_NUM`).
FIGURE_KINDS: list[tuple[str, re.Pattern, re.Pattern]] = [
    (kind, re.compile(asks.replace("{NUM}", _NUM)), re.compile(answer.replace("{NUM}", _NUM)))
    for kind, asks, answer, _why in read_table(DATA_DIR / "figures.tsv", 4)
]
#: What puts a quoted phrase in reported speech (policyqa/data/reported_speech.tsv): such a quote is no term.
_REPORTED_SPEECH = re.compile("(?:" + alternation([pattern for pattern, _why in read_table(DATA_DIR / "reported_speech.tsv", 2)])
                              + r")[，,：:]?$")
#: 几 that means "a few", not "how many" (policyqa/data/indefinite.tsv): masked before figure words match.
_INDEFINITE = re.compile(alternation([pattern for pattern, _why in read_table(DATA_DIR / "indefinite.tsv", 2)]))
#: Marks of a yes/no sub-question (policyqa/data/yes_no.tsv), where 几 is indefinite too.
_YES_NO = re.compile(alternation([pattern for pattern, _why in read_table(DATA_DIR / "yes_no.tsv", 2)]))


@dataclass
class RefusalContext:
    """What the checks look at: the question, the retrieval and the quotes that would be given."""

    query: str  # normalised question
    sentence_top: float
    quotes: list[str]
    #: the corpus's words (the BM25 vocabulary: jieba search-mode tokens), see :func:`occurs`
    vocabulary: Container[str]
    titles: set[str]
    min_dense_score: float
    min_term_coverage: float
    has_hits: bool = True
    places: list[str] = field(default_factory=list)
    #: everyday word → official words (retriever/lexicon.py): 厂里 counts as known when 企业 is
    lexicon: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the article the question asks for (第70条 → 70), whether the first hit is that article,
    #: and the titles of the documents it names (retriever/references.py)
    article: int | None = None
    article_found: bool = True
    named_titles: list[str] = field(default_factory=list)
    #: the question's names of indexed documents (49号文, 教师法): words the corpus surely knows
    reference_spans: tuple[str, ...] = ()
    #: the 款/项 asked for inside the article (第六项) or the chapter asked for (第二章), whether it
    #: was found, and where a 款/项 was looked for (《工伤保险条例》第十四条; a chapter: the named documents)
    part_asked: str = ""
    part_found: bool = True
    part_where: str = ""
    #: names of laws and regulations the question writes that the index does not hold (义务教育法)
    unheld: tuple[str, ...] = ()
    #: 文号 the question writes that no indexed document has (国发〔2019〕5号)
    unheld_numbers: tuple[str, ...] = ()
    #: it asks when a document it names was issued or amended (劳动合同法最新版本是哪年的): its dated line
    #: answers that of the text held, so 最新 does not refuse it (a notice says what it cannot tell)
    dates_a_document: bool = False


def instruction(ctx: RefusalContext) -> str:
    """Requests aimed at the system (prompt injection, creative writing) are not policy questions."""
    return "这是对系统的指令，不是关于政策文件的问题" if _INSTRUCTION.search(ctx.query) else ""


def weak_evidence(ctx: RefusalContext) -> str:
    if not ctx.has_hits:
        return "没有检索到相关段落"
    if ctx.sentence_top < ctx.min_dense_score:
        return f"最相关句子的语义相似度 {ctx.sentence_top:.3f} 低于阈值 {ctx.min_dense_score}"
    return ""


def occurs(term: str, vocabulary: Container[str]) -> bool:
    """Whether ``term`` occurs in the corpus: it is a corpus word, or jieba cuts it into several
    pieces that all are. A set lookup per word instead of a scan of the corpus text, so the
    checks cost the same at 10^6 chunks as at 200 (a scan took ~100 ms a term there)."""
    term = "".join(term.split()).lower()
    if not term:
        return False
    if term in vocabulary:
        return True
    pieces = [w for w in cut(term) if has_words(w)]
    return len(pieces) > 1 and all(w in vocabulary for w in pieces)


def known_terms(query: str, vocabulary: Container[str], lexicon: dict[str, tuple[str, ...]] | None = None) -> tuple[int, int]:
    """``(known, all)``: how many of the question's content words occur in the corpus, themselves
    or (for everyday words in ``lexicon``) as one of their official words, and how many there are."""
    terms = content_terms(query)
    lexicon = lexicon or {}
    known = sum(1 for t in terms if occurs(t, vocabulary) or any(occurs(o, vocabulary) for o in lexicon.get(t, ())))
    return known, len(terms)


def unknown_terms(ctx: RefusalContext) -> str:
    """Too few known content words; a name of an indexed document (49号文) counts as one known
    word, so 「49号文的标题是什么？」 is not refused for 标题 alone."""
    query = ctx.query
    for span in ctx.reference_spans:
        query = query.replace(span, " ")
    known, total = known_terms(query, ctx.vocabulary, ctx.lexicon)
    named = len(ctx.reference_spans)
    coverage = (known + named) / (total + named) if total + named else 0.0
    if coverage < ctx.min_term_coverage:
        return f"问题中的关键词在文档中出现的比例 {coverage:.2f} 低于阈值 {ctx.min_term_coverage}"
    return ""


def unknown_document(ctx: RefusalContext) -> str:
    """A 《document》 the index does not hold, or a “term” in quotes the corpus never uses; an
    article of a law the index does not hold (义务教育法第三条), or a 文号 no indexed document has
    (国发〔2019〕5号: it names one document, and another one's text would be a wrong citation), when
    no indexed one is named."""
    if ctx.unheld and ctx.article is not None and not ctx.named_titles:
        return f"文档库中没有《{ctx.unheld[0]}》"
    if ctx.unheld_numbers and not ctx.named_titles:
        return f"文档库中没有{ctx.unheld_numbers[0]}文件"
    indexed = {bare_title(t) for t in ctx.titles}
    for named in re.findall(r"《([^》]{2,60})》", ctx.query):
        bare = bare_title(named)
        if named in ctx.reference_spans:  # a name search read as a held document's (《年休假条例实施办法》)
            continue
        if named in ctx.unheld or not any(bare in t or t in bare for t in indexed):  # 《…条例实施办法》: another document
            return f"文档库中没有《{named}》"
    for found in re.finditer(r"[“\"「]([^”\"」]{2,20})[”\"」]", ctx.query):
        term = found.group(1)
        if _REPORTED_SPEECH.search(ctx.query, 0, found.start()):
            continue  # 启事上写着“…”: what someone said or wrote, not a term the asker names
        if not occurs(term, ctx.vocabulary):
            return f"文档中没有出现“{term}”"
    return ""


#: Province-level divisions and large cities (ingest/data/places.tsv): jieba also tags common
#: nouns as places (山区, 沾边), so a place counts only when it names one of these or ends like an
#: administrative unit.
_KNOWN_PLACES = list(PLACE_KINDS)
_ADMINISTRATIVE = re.compile(r"(?:省|市|县|自治区|自治州|特别行政区)$")


#: Words that end like an administrative unit but name none: 大城市, 本市, 各省, 外县.
_GENERIC_PLACE = re.compile(r"城市$|^(?:大|小|本|该|各|外|全|每|哪个?|某)(?:省|市|县|区)$")


def places_in(query: str) -> list[str]:
    """Named places in the question: jieba ``ns`` words that are a province or large city, or
    end like an administrative unit (…省, …市, …县) without being a generic one (大城市, 本市)."""
    return [
        w for w, flag in pos_cut(query)
        if flag == "ns" and len(w) >= 2 and (
            any(p in w for p in _KNOWN_PLACES) or (_ADMINISTRATIVE.search(w) and not _GENERIC_PLACE.search(w)))
    ]


#: Forms that tell where the asker is, not what is asked, and words that point back at a place
#: (policyqa/data/story_places.tsv).
_PLACE_FORMS = read_table(DATA_DIR / "story_places.tsv", 3)
_LOCAL_WORD = re.compile(alternation([pattern for pattern, kind, _why in _PLACE_FORMS if kind == "local"]))


def story_places(query: str, places: list[str]) -> list[str]:
    """The ``places`` the question names only to say where the asker is (我在杭州一所职校教书，…):
    every mention inside a story form, and no word pointing back at it (当地, 这边)."""
    if _LOCAL_WORD.search(query):
        return []
    told = []
    for place in dict.fromkeys(places):
        spans = [m.span() for pattern, kind, _why in _PLACE_FORMS if kind == "story"
                 for m in re.finditer(pattern.replace("{PLACE}", re.escape(place)), query)]
        mentions = [m.start() for m in re.finditer(re.escape(place), query)]
        if mentions and all(any(start <= at < end for start, end in spans) for at in mentions):
            told.append(place)
    return told


def place_known(place: str, vocabulary: Container[str]) -> bool:
    """Whether the documents name ``place`` (杭州市 as 杭州 too)."""
    stem = re.sub(r"(?:省|市|自治区|县|区)$", "", place)
    return not stem or occurs(stem, vocabulary)


def unknown_place(ctx: RefusalContext) -> str:
    for place in ctx.places:
        if not place_known(place, ctx.vocabulary):
            return f"文档中没有关于“{place}”的内容"
    return ""


#: "The latest": of a named document's version, the text held is dated and the notice says the rest.
LATEST = "最新"
#: Words that date a question by the day it is asked (policyqa/data/relative_time.tsv).
_RELATIVE_TIME = re.compile(alternation([pattern for pattern, _why in read_table(DATA_DIR / "relative_time.tsv", 2)]))


def unknown_time(ctx: RefusalContext) -> str:
    """Questions about a year the documents never mention, or about "this year" / "the latest"."""
    for year in re.findall(r"(?<!\d)(?:19|20)\d\d(?=年)", ctx.query):
        if year not in ctx.vocabulary:
            return f"文档中没有关于{year}年的内容"
    for match in _RELATIVE_TIME.finditer(ctx.query):
        if not (match.group(0) == LATEST and ctx.dates_a_document):
            return f"文档是固定日期发布的政策文件，无法回答“{match.group(0)}”的情况"
    return ""


def unknown_article(ctx: RefusalContext) -> str:
    """An article the named documents (or, when none is named, all of them) do not have: another
    article would be a wrong citation (「教师法第五十条」: that law ends at 第四十三条). An inserted
    article (第二十五条之一) is found only when a quote is headed by it, not by 第二十五条 itself."""
    inserted = inserted_article(ctx.query)
    if inserted and not any(inserted in quote for quote in ctx.quotes):
        return f"{_named_documents(ctx)}中没有{inserted}"
    if ctx.article is None or ctx.article_found:
        return ""
    where = _named_documents(ctx)
    number = chinese_number(ctx.article) if 0 < ctx.article < 10000 else str(ctx.article)
    return f"{where}中没有第{number}条"


def unknown_part(ctx: RefusalContext) -> str:
    """A 款 or 项 the article asked for does not have, or a chapter the named document does not:
    another part would be a wrong citation."""
    if not ctx.part_asked or ctx.part_found:
        return ""
    return f"{ctx.part_where or _named_documents(ctx)}中没有{ctx.part_asked}"


def _named_documents(ctx: RefusalContext) -> str:
    """《教师法》 — the documents the question names, as a refusal says where it looked ("文档": all)."""
    return "、".join(f"《{bare_title(t)}》" for t in ctx.named_titles) or "文档"


#: A sub-question: the text between ？ ? ； ; (see :func:`question_parts`).
_SUB_QUESTION = re.compile(r"[^？?；;]+")
#: Where a clause of a sub-question ends.
_CLAUSE_END = re.compile(r"[，,]")
#: A sub-question needs this many characters to stand on its own (not 是吗？ or 对不对？).
MIN_PART_CHARS = 6


def asked_figures(query: str) -> list[tuple[str, re.Pattern]]:
    """The kinds of figure a question asks for, with the pattern an answer must contain (a 几 that
    only estimates, as in 那几天 or 好几次, or stands in a yes/no sub-question, as in 能休几天吗,
    asks for nothing)."""
    query = _SUB_QUESTION.sub(lambda part: _mask_yes_no(part[0]), _INDEFINITE.sub("□", query))
    return [(kind, answer) for kind, asks, answer in FIGURE_KINDS if asks.search(query)]


def _mask_yes_no(part: str) -> str:
    """``part`` (one sub-question) with 几 masked where a yes/no question covers it: in the clause of
    its last yes/no mark and the clauses before it, which set that question up (「我在外地挂职几个月，
    社保还由原单位交吗」). A clause after it asks on its own (「单位给不给报销，一年能报几次」 asks how many times)."""
    marks = list(_YES_NO.finditer(part))
    if not marks:
        return part
    clause_end = _CLAUSE_END.search(part, marks[-1].end())
    cut = clause_end.start() if clause_end else len(part)
    return part[:cut].replace("几", "□") + part[cut:]


def question_parts(query: str) -> list[str]:
    """The sub-questions of a question: its pieces between ？ ? ； ; (empty ones dropped)."""
    return [part[0].strip() for part in _SUB_QUESTION.finditer(query) if part[0].strip()]


def unanswered_figures(query: str, quotes: list[str]) -> list[tuple[str, str]]:
    """``(sub-question, kind)`` for each sub-question that asks for a figure no quote states."""
    return [(part, kind) for part in question_parts(query) for kind, answer in asked_figures(part)
            if not any(answer.search(q) for q in quotes)]


def missing_figure(ctx: RefusalContext) -> str:
    """Refuse when the figure asked for is in no quote, unless only a follow-up asks for it:
    「教师可以兼职吗？多久要报备一次？」 is answered for its first, main sub-question, and the answer
    says that the texts give no 期限 for the second (:func:`unanswered_figures`, the answer's
    notice). When the main question asks the figure (「补贴标准是多少？怎么申请？」), the
    follow-up does not rescue it."""
    missing = unanswered_figures(ctx.query, ctx.quotes)
    if not missing:
        return ""
    main = question_parts(ctx.query)[0]
    if len(main) >= MIN_PART_CHARS and not asked_figures(main):
        return ""
    return f"问题询问具体的{missing[0][1]}，但相关条文没有给出"


#: Checks that need only the question and retrieval, then the one that needs the quotes.
BEFORE_QUOTES: list[Callable[[RefusalContext], str]] = [
    instruction, weak_evidence, unknown_terms, unknown_document, unknown_place, unknown_time, unknown_article, unknown_part,
]
AFTER_QUOTES: list[Callable[[RefusalContext], str]] = [missing_figure]


def first_reason(ctx: RefusalContext, checks) -> str:
    for check in checks:
        reason = check(ctx)
        if reason:
            return reason
    return ""
