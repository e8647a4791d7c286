"""References in a question: the documents it names and the article it asks for.

HR officers ask 「教师法第25条怎么写的？」 or 「49号文对技工院校有什么要求？」. Meaning alone does not
find that: 第25条 shares no word with the heading 第二十五条, and 49号 matches the notice's
bare 文号 line better than its text. So a question's references are read here, and the
search (retriever/search.py) moves the named article to the top and favours the named
documents. Aliases are derived from each document's title and 文号; the few names a title does not
give (职教20条) are a table, retriever/data/document_names.tsv.

Three modules below this one do the reading: retriever/numerals.py (二十五 is 25),
retriever/citations.py (第…条, 款, 项, 章, 节, 部分 and 段 as a question writes them) and
retriever/names.py (what names a document: aliases, short names, organs, near spellings). Here they
are put together (:func:`find_references`), with what a question asks of a document itself
(:func:`asks_about_document`), of its articles' words (:func:`mentioned`) and of several documents
(:func:`compared_documents`).

All functions but the table's reader are pure.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ingest.rules import read_table
from ingest.structure import DOCUMENT_KINDS
from retriever.citations import (
    ANNEX, ARTICLE, ARTICLE_LIST, BRACKETED_YEAR, DIVISION, FROM_END, MAX_ARTICLES, NUMBER, PARAGRAPH_AFTER, Division, article_number,
    annex_of, article_starts, articles_count, articles_of, division_item, division_of, division_paragraph, parts_asked, parts_of,
    without_names,
)
from retriever.names import (
    IMPLEMENTING, MASK, NOT_A_NAME_AFTER, ORDER_DIGITS, AbbreviationIndex, IssuerIndex, NearNames, abbreviated_alias, issued_by,
    near_alias,
)


#: The question asks for an article's whole wording (第三十八条原文, 全文, 完整内容), not the sentence that answers.
_WHOLE_WORDING = re.compile(r"原文|全文|原话|原句|完整|全部内容|一字不差|逐字")


#: Words that ask nothing beside a citation: 「劳动合同法第三十八条是怎么规定的？」 asks for the article.
_CITATION_FILLER = re.compile(
    r"[《》〈〉\s，,。？?！!：:、“”\"]|请问|请|查一下|查查|查|看看|看一下|一下|条文|具体|内容|规定|写|讲|说|"
    r"是|的|了|有|怎么|怎样|如何|什么|哪些|呢|吗|啊")


def asks_whole_wording(query: str, names: tuple[str, ...] = ()) -> bool:
    """Whether ``query`` asks for the whole wording of what it cites: it says so (原文, 全文,
    完整内容), or it is the citation alone, its document's ``names`` as written and 第…条 (with
    words that ask nothing else: 「劳动合同法第三十八条是怎么规定的？」)."""
    if _WHOLE_WORDING.search(query):
        return True
    rest, article_cited = _without_citation(query, names)
    return article_cited and not _CITATION_FILLER.sub("", rest)


def cites_only(query: str, names: tuple[str, ...] = ()) -> bool:
    """Whether ``query`` is a citation alone: its document's ``names`` as written, 第…条 or 第…章
    (部分, 节), and words that ask nothing else (是怎么规定的, 讲了什么)."""
    return not _CITATION_FILLER.sub("", _without_citation(query, names)[0])


#: Articles cited one after another: 第十七条, 第十七条和第十八条, 第三十六条至第四十五条, 第25、26条.
_ONE_CITED = rf"(?:{ARTICLE.pattern}|{ARTICLE_LIST.pattern})"
_ARTICLE_RUN = re.compile(rf"{_ONE_CITED}(?:\s*[、，,和及与至到~～－-]\s*{_ONE_CITED})*")


def _without_citation(query: str, names: tuple[str, ...]) -> tuple[str, bool]:
    """``query`` without its document ``names``, its article or list of articles (第…条, 第十七条和第十八条,
    or …条 right after a name: 劳动合同法38条) and the chapter it sits in (劳动合同法第四章第四十条 says
    where, not what else is asked) or the annex it cites (附录第三条), and whether it cited an article (an item in brackets right after a
    name, 方案（十二）, is one)."""
    text, bare = re.subn(MASK + _NAMED_BARE_ARTICLE.pattern, " ", without_names(query, names, MASK), count=1)
    if not bare:
        text, bare = re.subn(MASK + _BRACKETED_RUN.pattern, " ", text, count=1)
    text, numbered = _ARTICLE_RUN.subn("", text.replace(MASK, " "), count=1)
    return ANNEX.sub("", DIVISION.sub("", text)), bool(bare or numbered)


#: Which documents use some words: 「哪些文件提到了双师型教师？」, 「“产教融合”在哪些文件里出现过？」.
_WHICH_DOCUMENTS = re.compile(
    r"^(?:请问)?(?:有)?哪些(?:文件|政策|法律|法规|文档|条文)(?:里|中|当中)?(?:都|有)?(?:提到|提及|涉及|说到|讲到|写到|出现)(?:了|过)?(?P<after>.+?)"
    r"|^(?:请问)?(?P<before>.+?)(?:在|见于)哪些(?:文件|政策|法律|法规|文档|条文)(?:里|中|当中)?(?:有|都)?(?:提到|提及|出现|写到|说到|讲到)?(?:过|了)?")
_TERM_EDGES = "“”\"「」‘’'《》 的这个词"


#: Which articles of one named document use some words: 「劳动合同法中关于经济补偿的条文有哪些」,
#: 「教师法里哪几条提到了工资」 (``doc`` must be the document's name as the question writes it).
_WHICH_ARTICLES = re.compile(
    r"^(?:请问)?(?P<doc>.+?)(?:中|里|里面|当中)?(?:关于|有关|涉及)(?P<term>.+?)的(?:条文|条款|法条|规定)(?:都|一共)?有哪(?:些|几条)"
    r"|^(?:请问)?(?P<doc2>.+?)(?:中|里|里面|当中)?(?:有)?哪(?:几条|些条文|些条款|些条)(?:都)?"
    r"(?:规定了|讲了|提到了?|提及|涉及|说到|写到|是关于)(?P<term2>.+?)(?:的)?")


def mentioned(query: str, refs: References) -> tuple[str, tuple[str, ...]]:
    """The words ``query`` asks which documents use (:func:`mentioned_term`), and the documents they
    are looked for in: the one it names when it asks which of that document's articles use them
    (劳动合同法中关于经济补偿的条文有哪些), else () for all. ("", ()) when it asks neither."""
    term = mentioned_term(query, refs.spans)
    within = refs.documents if term and len(refs.documents) == 1 and not mentioned_term(query) else ()
    return term, within


def mentioned_term(query: str, names: tuple[str, ...] = ()) -> str:
    """The words a question asks which documents use (「哪些文件提到了双师型教师？」 → 双师型教师), or,
    with ``names`` (the document names it writes), which articles of that document use
    (「劳动合同法中关于经济补偿的条文有哪些」 → 经济补偿); or ""."""
    text = re.sub(r"[？?。！!\s]+$", "", unicodedata.normalize("NFKC", query).strip())
    match = _WHICH_DOCUMENTS.fullmatch(text)
    if match:
        term = (match.group("after") or match.group("before")).strip(_TERM_EDGES)
        return term if 2 <= len(term) <= 20 else ""
    match = _WHICH_ARTICLES.fullmatch(text) if names else None
    if not match or (match.group("doc") or match.group("doc2")).strip("《》 ") not in names:
        return ""
    term = (match.group("term") or match.group("term2")).strip(_TERM_EDGES)
    return term if 2 <= len(term) <= 20 else ""


#: Wording quoted in a question (“…”, 「…」), long enough to be a passage rather than a term
#: (a short “term” the corpus never uses is refused: policyqa.refusal.unknown_document).
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{8,200})[”\"」』]")


def quoted_passages(query: str) -> list[str]:
    """The passages a question quotes (「“教师的平均工资水平应当…”是哪条规定？」), to be checked
    against the texts word for word."""
    return [match.group(1) for match in _QUOTED.finditer(unicodedata.normalize("NFKC", query))]


#: The kind of a document cited by itself, as its own articles cite it: 条例第四条, 《方案》第十二条,
#: 实施方案（十二）, 通知第二部分, 方案第一段. Only before such a reference is the bare kind a name (方案
#: alone is a plan).
_KIND_CITED = re.compile(
    rf"({'|'.join(sorted((k for k in DOCUMENT_KINDS if len(k) > 1), key=len, reverse=True))})》?"
    rf"(?=\s*(?:{ARTICLE.pattern}|{ARTICLE_LIST.pattern}|{DIVISION.pattern}|[（(]\s*{NUMBER}\s*[）)]|第\s*{NUMBER}\s*段))")
#: The kinds of document a demonstrative points at (这份批复, 该意见, 本通知), with why:
#: retriever/data/pointed_kinds.tsv. Such a kind names the library's one document of that kind.
POINTED_KINDS = Path(__file__).parent / "data" / "pointed_kinds.tsv"
_KIND_POINTED = re.compile(
    r"(?:这|那|该|本|此)一?(?:份|个|项|篇|部|件|道)?《?("
    + "|".join(sorted((kind for kind, _why in read_table(POINTED_KINDS, 2)), key=len, reverse=True)) + ")")
#: Owners whose document a demonstrative then points at (学校这个方案, 我们单位的这份通知): the asker's
#: own, not the library's.
_OWNER_BEFORE = re.compile(r"(?:我|我们|咱们|学校|学院|单位|公司|厂里|院里|校里|局里|我校|本校)的?$")
#: An article cited without its 第 right after the document's name, as people type it: 劳动合同法38条,
#: 《教师法》二十五条 (elsewhere 38条 may count provisions: 这38条规定).
_NAMED_BARE_ARTICLE = re.compile(rf"》?\s*({NUMBER})\s*条")
#: An item of a plan or opinion cited by its number in brackets right after the document's name:
#: 《国家职业教育改革实施方案》（十二） is its item （十二）, which people also call 第十二条.
_BRACKETED_ITEM = re.compile(rf"》?\s*[（(]\s*({NUMBER})\s*[）)]")
#: Items in brackets cited one after another: 方案（十二）和（十三）, 意见（五）、（六）.
_BRACKETED_RUN = re.compile(rf"{_BRACKETED_ITEM.pattern}(?:\s*[、，,和及与]\s*[（(]\s*{NUMBER}\s*[）)])*")
_BRACKETED_NUMBER = re.compile(rf"[（(]\s*({NUMBER})\s*[）)]")


@dataclass(frozen=True)
class References:
    """What a question refers to: documents by id, the articles (and a 款 or 项 of one) or the
    chapter or part it asks for, and the names as it writes them."""

    documents: tuple[str, ...] = ()
    article: int | None = None
    spans: tuple[str, ...] = ()  # the names as written in the question
    paragraph: int | None = None  # 第二款 of the article
    item: int | None = None  # 第六项 of the article
    articles: tuple[int, ...] = ()  # every article asked for, ``article`` first (第二十五条和第二十六条)
    division: Division | None = None  # a chapter or part asked about, when no article is (第二章 → (("章", 2),))
    division_paragraph: int | None = None  # a paragraph of ``division``, counted as printed (第二部分第三段 → 3)
    corrected: tuple[str, str] = ()  # a name read with one character put right: (as written, the name)
    unheld: tuple[str, ...] = ()  # names of laws and regulations the index does not hold (义务教育法)
    unheld_numbers: tuple[str, ...] = ()  # 文号 no indexed document has (国发〔2019〕5号)
    #: per article in ``articles``, the documents of the name written right before it, when the
    #: question names several (教师法第二十五条和教育法第三十三条); () where no name precedes it
    article_documents: tuple[tuple[str, ...], ...] = ()
    from_end: int | None = None  # 倒数第二条 → 2 (search turns it into ``article`` for the one named document)
    parts: tuple[tuple[int | None, int | None], ...] = ()  # several (款, 项) of the article (第二款、第三款); () for one
    articles_count: int = 0  # how many articles it asks for, also those beyond the quoted ``articles``
    in_order: tuple[str, ...] = ()  # ``documents`` in the order the question names them (教师法和教育法)

    def __bool__(self) -> bool:
        return bool(self.documents) or self.article is not None or self.division is not None

    def documents_of(self, article: int) -> tuple[str, ...]:
        """The documents article ``article`` is asked of: the one named right before it when the
        question names several, else every named one (() when it names none: any document)."""
        own = dict(zip(self.asked_articles, self.article_documents)).get(article)
        return own or self.documents

    @property
    def asked_articles(self) -> tuple[int, ...]:
        """Every article asked for, ``article`` first (also for a References made with ``article`` alone)."""
        return self.articles or (() if self.article is None else (self.article,))


#: A 文号 typed another way after its issuer's code: 人社部函2021第49号, 人社部函〔2021〕第49号, 国发2019年4号.
_TYPED_NUMBER = re.compile(r"(?<=[\u4e00-\u9fff])〔?((?:19|20)\d\d)(?:〕|年)?第?(\d{1,4})号")


def _canonical_numbers(text: str, kept: list[int]) -> tuple[str, list[int]]:
    """``text`` with every 文号 after an issuer's code written as documents write it (人社部函〔2021〕49号),
    and ``kept`` (``text[i]`` is the question's character ``kept[i]``) still pointing into the question."""
    out, where, at = [], [], 0
    for match in _TYPED_NUMBER.finditer(text):
        out.append(text[at:match.start()])
        where += kept[at:match.start()]
        year, number = match.group(1), match.group(2)
        out.append(f"〔{year}〕{number}号")
        where += ([kept[match.start()]] + [kept[match.start(1) + i] for i in range(4)] + [kept[match.end(1) - 1]]
                  + [kept[match.start(2) + i] for i in range(len(number))] + [kept[match.end() - 1]])
        at = match.end()
    out.append(text[at:])
    where += kept[at:]
    return "".join(out), where


def find_references(query: str, aliases: Mapping[str, tuple[str, ...]],
                    kinds: Mapping[str, tuple[str, ...]] | None = None,
                    other_names: frozenset[str] = frozenset(), near_names: NearNames | None = None,
                    abbreviations: AbbreviationIndex | None = None, issuers: IssuerIndex | None = None) -> References:
    """The documents named in ``query`` (longest aliases first, no overlaps) and its article.

    ``other_names`` (:func:`unheld_names`) are the names of documents the index does not hold;
    they are matched with the aliases, longest first, so that 义务教育法 is read as itself (in
    ``unheld``) and not as the 教育法 inside it. With ``near_names`` (:func:`near_name_index` of
    ``aliases``), a question that names nothing may name a document with one character wrong; with
    ``abbreviations`` (:func:`abbreviation_index`), a title with words dropped (职业教育改革方案).

    With ``kinds`` (:func:`kind_table`), a question that names no document by its name but cites
    a kind with an article (方案第十二条, 条例第三条) names the documents of that kind. An item in
    brackets right after a name (…实施方案（十二）) is read as that article. A kind a demonstrative
    points at (这份批复, 该意见: ``pointed_kinds.tsv``) names the one document of that kind.
    With ``issuers`` (:func:`issuer_index`), an organ with a kind after it (人社部那个通知, 劳动部1994年的
    规定) names the one document of that organ, kind and year (:func:`issued_by`).

    ``spans`` are the names as the question writes them (人社部函[2021] 49号, not the alias
    人社部函〔2021〕49号), so a caller can take them out of the (NFKC) question text."""
    counted_back = FROM_END.search(unicodedata.normalize("NFKC", query))
    if counted_back:  # 倒数第二条 is not 第二条
        query = FROM_END.sub("倒数", unicodedata.normalize("NFKC", query))
    original = unicodedata.normalize("NFKC", query)
    # normalise_reference_text keeping each character's position: whitespace is dropped and a
    # bracket around a year becomes 〔〕 (one character for one), so text[i] is original[kept[i]]
    kept = [i for i, ch in enumerate(original) if not ch.isspace()]
    text = BRACKETED_YEAR.sub(r"〔\1〕", "".join(original[i] for i in kept))
    text, kept = _canonical_numbers(text, kept)
    found: dict[str, None] = {}
    spans, ends, named = [], [], []  # ends: where each name ends in ``text``; named: the ids it names
    unheld: dict[str, None] = {}
    taken = [False] * len(text)
    names = [name for name in (*aliases, *other_names) if name in text]
    for alias in sorted(names, key=len, reverse=True):
        start = text.find(alias)
        while start >= 0:
            end = start + len(alias)
            if not any(taken[start:end]) and (alias in aliases or not NOT_A_NAME_AFTER.match(text, end)):
                implementing = IMPLEMENTING.match(text, end)
                if implementing:  # 教师资格条例实施办法: the rules implementing it, which the library lacks
                    end, alias = implementing.end(), alias + implementing.group(0)
                taken[start:end] = [True] * len(alias)
                if alias in aliases:
                    found.update(dict.fromkeys(aliases[alias]))
                    spans.append(original[kept[start] : kept[end - 1] + 1])
                    ends.append(end)
                    named.append(aliases[alias])
                else:
                    unheld[alias] = None
                break
            start = text.find(alias, start + 1)
    # a 文号 no document has (every 〔年〕号 of an indexed one is an alias, with or without its issuer):
    # it names one document, which the library lacks
    unheld_numbers = tuple(dict.fromkeys(
        (m.group(1) if len(m.group(1)) <= MAX_ISSUER_CHARS else "") + m.group(2)
        for m in _WRITTEN_NUMBER.finditer(text) if not any(taken[m.start(2):m.end(2)]))) + tuple(dict.fromkeys(
        f"{m.group(1)}令第{m.group(2)}号" for m in _WRITTEN_ORDER.finditer(text) if not any(taken[m.start():m.end()])))
    shortened_as: tuple[str, str] = ()
    shortened = None if found or unheld or not abbreviations else abbreviated_alias(text, abbreviations)
    if shortened:  # 职业教育改革方案: a title with words dropped, read as the title (and said so)
        start, end, title, ids = shortened
        found.update(dict.fromkeys(ids))
        spans.append(original[kept[start] : kept[end - 1] + 1])
        ends.append(end)
        named.append(ids)
        shortened_as = (spans[-1], title)
    issued = None if found or unheld else issued_by(text, issuers)
    if issued:  # 人社部那个通知, 劳动部1994年的规定: the one document of that organ, kind (and year)
        start, end, ids = issued
        found.update(dict.fromkeys(ids))
        spans.append(original[kept[start] : kept[end - 1] + 1])
        ends.append(end)
        named.append(ids)
    if not found and not unheld and kinds:
        for match in _KIND_CITED.finditer(text):
            if match.group(1) in kinds:
                found.update(dict.fromkeys(kinds[match.group(1)]))
                spans.append(original[kept[match.start(1)] : kept[match.end(1) - 1] + 1])
                ends.append(match.end(1))
                named.append(kinds[match.group(1)])
    if not found and not unheld and kinds:  # 这份批复: the library's one 批复 (not when it holds two)
        for match in _KIND_POINTED.finditer(text):
            if len(kinds.get(match.group(1), ())) == 1 and not _OWNER_BEFORE.search(text, 0, match.start()):
                found.update(dict.fromkeys(kinds[match.group(1)]))
                spans.append(original[kept[match.start(1)] : kept[match.end(1) - 1] + 1])
                ends.append(match.end(1))
                named.append(kinds[match.group(1)])
    corrected: tuple[str, str] = shortened_as
    near = None if found or unheld or near_names is None else near_alias(text, near_names)
    if near:
        start, end, alias = near
        found.update(dict.fromkeys(aliases[alias]))
        spans.append(original[kept[start] : kept[end - 1] + 1])
        ends.append(end)
        named.append(aliases[alias])
        corrected = (spans[-1], alias)
    articles = articles_of(query)
    bare = None if articles else next((m for m in (_NAMED_BARE_ARTICLE.match(text, end) for end in ends) if m), None)
    if bare:  # 劳动合同法38条: the 第 left out right after the name
        query = text[:bare.start(1)] + "第" + text[bare.start(1):]
        articles = articles_of(query)
    paragraph, item = parts_of(query)
    if not articles:
        bracketed = (_BRACKETED_RUN.match(text, end) for end in ends)
        articles = tuple(dict.fromkeys(n for m in bracketed if m for number in _BRACKETED_NUMBER.findall(m.group(0))
                                       if (n := article_number(number))))[:MAX_ARTICLES]
    # 教师法第二十五条和教育法第三十三条: each article is the one of the document named right before it
    article_documents = ()
    if len(found) > 1 and articles:
        starts = article_starts(text)
        article_documents = tuple(
            next((docs for end, docs in sorted(zip(ends, named), reverse=True) if end <= starts.get(a, -1)), ())
            for a in articles)
    # a chapter or part only of a document the question names: 第三部分 of which of 26 documents?
    # (附件是什么 asks what it attaches: its attachment note answers, not the annex's text)
    annex = annex_of(text, tuple(ends)) if found and not _ABOUT_ATTACHMENTS.search(text) else None
    if annex:  # 本规定附录第三条 is the annex's item 三、, not the law's own 第三条
        articles, paragraph, item, article_documents = (), None, None, ()
    division = annex or (division_of(query) if found else None)
    # 49号文第三段: a paragraph of the whole document, counted as printed (search drops it for a law,
    # whose paragraphs are its articles' 款); the empty division () is the whole document
    whole = None if division or articles or not found else next(
        (m for m in (PARAGRAPH_AFTER.match(text, end) for end in ends) if m), None)
    if whole:
        division = ()
    item_in_division = division_item(query) if division and not articles else None
    if item_in_division:  # 第二部分第（二）项: the item so numbered, looked for inside that part
        articles, item = (item_in_division,), None
    return References(
        documents=tuple(found), article=articles[0] if articles else None, spans=tuple(spans), paragraph=paragraph,
        item=item, articles=articles, division=division,
        division_paragraph=division_paragraph(query) if division else article_number(whole.group(1)) if whole else None,
        corrected=corrected,
        unheld=tuple(unheld), unheld_numbers=unheld_numbers, article_documents=article_documents,
        from_end=article_number(counted_back.group(1)) if counted_back else None,
        parts=parts_asked(query) if paragraph or item else (),
        articles_count=max(articles_count(query), len(articles)),
        in_order=tuple(dict.fromkeys(doc for _end, ids in sorted(zip(ends, named)) for doc in ids)))


#: A 文号 as written (normalised: 国发〔2019〕4号), its issuer's code the characters right before it.
_WRITTEN_NUMBER = re.compile(r"([\u4e00-\u9fff]{0,8})(〔(?:19|20)\d\d〕\d+号)")
#: An issuer's code is this short (国发, 国办发, 人社部函); a longer run before 〔 holds other words (请问国发).
MAX_ISSUER_CHARS = 4
#: An order of the State Council or the President as written (国务院令第999号): it names one document too.
_WRITTEN_ORDER = re.compile(rf"((?:中华人民共和国)?(?:国务院|主席))令第?({ORDER_DIGITS})号")


_ISSUED = r"(?:发|印发|下发|颁布|发布|出台|签发|通过|公布|修正|修订|修改)"  # 通过/公布: a law is adopted and promulgated; 修正/修订: amended
_ABOUT_DATE = re.compile(
    rf"(?:哪天|哪一天|哪年|哪一年|什么时候|何时|几月几[日号]|日期).{{0,4}}{_ISSUED}|{_ISSUED}(?:的|于)?(?:日期|时间)|(?:发文|成文)(?:日期|时间)"
    # the verb first: 最新一次修订是哪一年, 这个版本是哪年的 (not when it then asks when it takes effect)
    rf"|(?:{_ISSUED}|版本?)(?:的)?(?:是|在|于)(?:哪天|哪一天|哪年|哪一年|什么时候|何时)(?!.{{0,6}}(?:施行|生效|实施|执行))"
)
#: when a document takes effect (施行, 生效): its 本法自…起施行 clause answers, not its signature
_ABOUT_EFFECT = re.compile(
    r"(?:哪天|哪一天|哪年|哪一年|什么时候|何时|几月几[日号]|日期).{0,6}(?:施行|生效|实施|执行)|(?:施行|生效)(?:的)?(?:日期|时间)"
)
#: Whom it is addressed to (主送单位, 发给谁): its addressee line answers; asked after _ABOUT_NUMBER
_ABOUT_ADDRESSEES = re.compile(r"发给(?:了)?(?:谁|哪)|主送|下发(?:给|到)(?:了)?(?:谁|哪)")
#: What it attaches (附件是什么, 有哪些附件): its attachment note answers; a question about what an
#: attachment says (附件里成员单位有哪些) is a content question
_ABOUT_ATTACHMENTS = re.compile(r"附件(?:的)?(?:是|叫|有|名称|标题|题目)(?:什么|啥|哪些|哪几个|几个|几份|没有)?(?:[？?。！!]|$)"
                                r"|有(?:什么|啥|哪些|哪几个|几个|几份|没有)附件|有附件(?:吗|么|没有|[？?。！!]|$)"
                                r"|(?:带|附)(?:了|有)?(?:什么|哪些|几个|几份)附件")
#: Anything else it asks of the document itself (抄送); asked after _ABOUT_ADDRESSEES
_ABOUT_DOCUMENT = re.compile(r"编号|抄送")
#: Its 文号, or who issued it: the banner and 文号 lines, or a regulation's 题注 (国务院令第188号发布)
_ABOUT_NUMBER = re.compile(
    rf"文号|发文字号|字号|令号|(?:哪个|什么|哪些|哪一个)(?:部门|单位|机关|机构)(?:{_ISSUED}|制定|出台)|谁(?:{_ISSUED}|制定)的|"
    r"发文机关|发文单位|制定机关|发布机关")
#: Who issued it (谁发的, 哪个部门制定的, 发文机关), not its 文号: the line quoted should name the organ
_ABOUT_ISSUER = re.compile(r"谁|哪(?:个|些|一个)(?:部门|单位|机关|机构)|发文机关|发文单位|制定机关|发布机关")


#: The 文号 named as what is asked (文号是多少, 字号): not who issued it, even when 谁 is asked too.
_NUMBER_WORD = re.compile(r"文号|字号|令号")


def asks_issuer(query: str) -> bool:
    """Whether ``query``, asking about a document's 文号 line (``"number"``), asks who issued it."""
    return bool(_ABOUT_ISSUER.search(query))


#: Its full title; 「国函〔2018〕144号是什么文件？」 asks it of a document known by its 文号
_ABOUT_TITLE = re.compile(r"全称|全名|正式名称|标题|题目|叫什么名字|名称是什么|是(?:什么|哪个|哪份|哪一个|哪一份)文件")
#: how many articles or chapters a document has (一共多少条, 共分几章), or which is its last (最后一条):
#: its last one answers
_ABOUT_COUNT = re.compile(
    r"(?:一共|总共|总计|共计|共|全文|全部)(?:有|分|是)?(?:多少|几)个?(条|章)|(?:有|分)(?:多少|几)个?(章)|最后一?(条|章)")

#: The count alone after a document's name, without 一共: 「劳动合同法有几条？」 (not 「…关于试用期有几条？」,
#: which counts the provisions on a topic, nor 「有几条规定」 without a name)
_COUNT_ALONE = re.compile(r"\s*的?(?:有|是|分|分为)?(?:多少|几)个?(条|章)(?:呢|吗|啊)?[？?。！!\s]*")

#: What a document says as a whole (主要讲了什么, 主要内容, 分哪几部分, its 全文: too long to quote, so its
#: opening and outline), with nothing else asked.
_OVERVIEW = re.compile(
    r"(?:主要|大概|大致|都)?(?:讲|说|写|规定)(?:了|的)?(?:些)?(?:什么|哪些)(?:内容|东西|事情|事)?|"
    r"(?:主要|核心|基本|大概)?内容(?:是什么|有哪些|有什么|包括什么)?|(?:主要)?精神(?:是什么)?|大意|概要|要点|"
    r"(?:有|分|分为|包括|包含)哪(?:几|些)(?:个)?(?:部分|章)|(?:一共|总共|共)?(?:有|分|分为|包括)?(?:几|多少)个?部分|"
    r"(?:章节|目录|篇章结构|结构)(?:是什么|有哪些|是怎样的|怎么样)?|"
    r"(?:主要)?(?:有|提出了?|部署了?)(?:哪些|什么)(?:要求|任务|措施|举措)|"
    r"(?:全文|原文|完整内容|全部内容|完整文本)(?:是什么|有哪些)?|"
    r"(?:介绍|概括|总结)(?:一下)?")
#: Words around an overview question that ask nothing of their own.
_OVERVIEW_FILLER = re.compile(r"[《》〈〉\s，,。？?！!：:]|请问|请|这份|这个|这部|该|文件|里面|里|中|的|是|都|一下|呢|吗")


def asks_overview(query: str, names: tuple[str, ...]) -> bool:
    """Whether ``query`` only asks what the documents it ``names`` say as a whole: 「49号文主要讲了什么？」
    (not 「职业教育法对教师待遇讲了什么？」, which asks about one thing in it)."""
    if not names:
        return False
    rest = without_names(query, names, "")
    if not _OVERVIEW.search(rest):
        return False
    return not _OVERVIEW_FILLER.sub("", _OVERVIEW.sub("", rest))


#: A comparison of what documents say (有什么不同, 区别, 异同, 对比, 一样吗): each one's own answer is asked for.
_COMPARISON = re.compile(r"不同|区别|差别|差异|异同|对比|比较|一样吗|相同吗|一致吗|有何不一样")
#: At most this many documents are compared in one answer: it quotes at most three passages.
MAX_COMPARED = 3


#: Words of a comparison of whole documents that ask nothing of their own (教师法和教育法有什么不同).
_COMPARISON_FILLER = re.compile(r"[《》\s，,。？?！!]|和|与|跟|同|及|以及|的|之间|两者|二者|这两[部个份]|有|是|什么|何|哪些|主要|请问|呢|吗")


def compares_whole_documents(query: str, refs: References) -> bool:
    """Whether a comparison (:func:`compared_documents`) asks about the documents as a whole, nothing
    else asked: 「教师法和教育法有什么不同」, answered from each one's opening (what it is for)."""
    rest = _COMPARISON.sub("", without_names(query, refs.spans, ""))
    return not _COMPARISON_FILLER.sub("", rest)


def compared_documents(query: str, refs: References) -> tuple[str, ...]:
    """The documents a question compares (「教师法和教育法对教师工资的规定有什么不同」: both, in its
    order), when it names two or more and asks for no article or division of them; else ()."""
    if len(refs.documents) < 2 or refs.asked_articles or refs.division is not None or not _COMPARISON.search(query):
        return ()
    return (refs.in_order or refs.documents)[:MAX_COMPARED]


#: What is left of 「国务院令第652号是什么？」 or 「主席令第112号是哪部法律」 without the number: which document it is.
_WHICH_DOCUMENT = re.compile(
    r"(?:是|指)?(?:什么|哪一?[部个份项])(?:法律|行政法规|法规|条例|规定|办法|规章|文件|法)?(?:呀|啊|呢)?[？?。！!\s]*")


def _asks_what_document_is(query: str, refs: References) -> str:
    """"number" when ``query`` only asks what document a number it writes names (国务院令第652号是什么:
    its title answers), "name" when it asks that of a document it names (教师法是什么: its opening
    answers) or is only its name or number (教师法, 人社部函〔2021〕49号), else ""."""
    rest = without_names(query, refs.spans, "").strip()
    if not refs.documents or rest.strip("《》？?。！! ") and not _WHICH_DOCUMENT.fullmatch(rest):
        return ""
    if not rest.strip("《》？?。！! "):
        return "name"  # the name alone, as typed into a search box: what the document says as a whole
    return "number" if any(span.endswith(("号", "号文", "号文件")) for span in refs.spans) else "name"


def asks_title(query: str) -> bool:
    """Whether ``query`` asks for a title (全称, 标题, 叫什么名字): of the document, or of the chapter it cites."""
    return bool(_ABOUT_TITLE.search(query))


def asks_about_document(query: str, refs: References | None = None) -> str:
    """``"date"`` when the question asks when a document was issued, ``"effective"`` when it asks
    when it takes effect (its 本法自…起施行 clause answers), ``"title"`` when it asks for its full
    title (全称, 标题), ``"articles"`` or ``"chapters"`` when it asks how many it has (its last one
    answers), ``"overview"`` when it asks what a document it names (``refs``) says as a whole
    (its opening and outline answer), ``"number"`` when it asks for its 文号 (the line that gives it),
    ``"issuer"`` when it asks who issued it (the first line that names the organ, else the 文号's), ``"addressees"`` when it asks whom it is addressed to (its addressee line),
    ``"attachments"`` when it asks what it attaches (its attachment note: 附件：…),
    ``"document"`` when it asks about the document itself otherwise, else ``""``: then its banner, 文号 and signature
    lines are the answer (``ingest.structure.is_apparatus``)."""
    if refs is not None and refs.documents and refs.article is None and refs.division is None \
            and (asks_overview(query, refs.spans) or _asks_what_document_is(query, refs) == "name"):
        return "overview"
    if _ABOUT_DATE.search(query):
        return "date"
    if _ABOUT_EFFECT.search(query):
        return "effective"
    # a chapter's 标题 is its heading, which the chapter's own notice gives (第四章 教师和其他教育工作者)
    chapter = refs is not None and refs.division is not None
    if not chapter and (_ABOUT_TITLE.search(query) or refs is not None and _asks_what_document_is(query, refs) == "number"):
        return "title"
    count = _ABOUT_COUNT.search(query) or (
        _COUNT_ALONE.fullmatch(without_names(query, refs.spans, "")) if refs is not None and refs.documents else None)
    if count and (refs is None or refs.article is None and refs.division is None):  # 第三章一共多少条: not the whole document's
        return "articles" if next(unit for unit in count.groups() if unit) == "条" else "chapters"
    if _ABOUT_NUMBER.search(query):  # who issued it (谁发的), or its 文号
        return "issuer" if asks_issuer(query) and not _NUMBER_WORD.search(query) else "number"
    if _ABOUT_ADDRESSEES.search(query):
        return "addressees"
    if _ABOUT_ATTACHMENTS.search(query):
        return "attachments"
    return "document" if _ABOUT_DOCUMENT.search(query) else ""
