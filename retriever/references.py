"""References in a question: the documents it names and the article it asks for.

HR officers ask 「教师法第25条怎么写的？」 or 「49号文对技工院校有什么要求？」. Meaning alone does not
find that: 第25条 shares no word with the heading 第二十五条, and 49号 matches the notice's
bare 文号 line better than its text. So a question's references are read here, and the
search (retriever/search.py) moves the named article to the top and favours the named
documents. Aliases are derived from each document's title and 文号; the few names a title does not
give (职教20条) are a table, retriever/data/document_names.tsv.

All functions but the table's reader are pure.
"""
from __future__ import annotations

import difflib
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.jurisdiction import place_of
from ingest.rules import read_table
from ingest.structure import CN_NUM, DOCUMENT_KINDS, heading_kind

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """0 < n < 10000 in the form headings use: 10 → 十, 25 → 二十五, 102 → 一百零二, 110 → 一百一十."""
    if not 0 < n < 10000:
        raise ValueError(f"条号超出范围：{n}")
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            if zero:
                out += "零"
            out += _DIGITS[digit] + unit
            zero = False
        elif out:
            zero = True
    return out[1:] if out.startswith("一十") else out  # 十五, not 一十五


def chinese_count(n: int) -> str:
    """How many, as a count is said: 两 for 2 (两份文件, 两条), else :func:`chinese_number`."""
    return "两" if n == 2 else chinese_number(n)


def arabic_number(text: str) -> int | None:
    """The value of a Chinese numeral as written in headings (二十五 → 25, 一百零二 → 102), or digit
    by digit without units, as years and order numbers are written (一〇七 → 107, 二〇二一 → 2021)."""
    if len(text) > 1 and all(ch in _DIGITS or ch == "〇" for ch in text):
        return int("".join(str(_DIGITS.index("零" if ch == "〇" else ch)) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in "零〇":
            digit = 0
        elif ch in _DIGITS or ch == "两":
            digit = 2 if ch == "两" else _DIGITS.index(ch)
        elif ch in "十百千":
            unit = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (1 if digit is None else digit) * unit
            digit = None
        else:
            return None
    return total + (digit or 0) if text else None


#: 第25条, 第 二十五 条, 第（十三）条; the number is read by :func:`article_of`. Any run of digits: 第99999条
#: is still an article asked for (and refused by name), not a content question about the law named.
_ARTICLE = re.compile(rf"第\s*[（(]?\s*(\d+|[{CN_NUM}]{{1,8}})\s*[）)]?\s*条")


#: At most this many articles are read from one question: an answer quotes at most three passages.
MAX_ARTICLES = 3
_NUMBER = rf"(?:\d{{1,4}}|[{CN_NUM}]{{1,8}})"
#: 第25、26条, 第二十五和二十六条, 第二十五至二十七条: several numbers before one 条.
_ARTICLE_LIST = re.compile(rf"第\s*({_NUMBER}(?:\s*[、，,和及与至到~～－-]\s*第?\s*{_NUMBER})+)\s*条")
_LIST_SEPARATOR = re.compile(r"\s*([、，,和及与至到~～－-])\s*第?\s*")
_RANGE = "至到~～－-"


def _article_number(text: str) -> int | None:
    value = int(text) if text.isdigit() else arabic_number(text)
    return value if value and 0 < value < 10000 else None


def _asked_number(text: str) -> int | None:
    """An article number as asked: 第0条 and 第99999条 are kept (no law has them, so they are refused
    by name rather than read as no reference at all and answered from some other article)."""
    if text.isdigit() or text in ("零", "〇"):
        return int(text) if text.isdigit() else 0
    return _article_number(text)


def _article_citations(text: str) -> list[tuple[re.Match, list[str]]]:
    """Each article citation in ``text`` (NFKC), in order: its match and the pieces of its number
    part (第25、26条: 25, 、, 26), numbers at even places, what joins them at odd ones."""
    matches = sorted([*_ARTICLE.finditer(text), *_ARTICLE_LIST.finditer(text)], key=lambda m: m.start())
    return [(match, _LIST_SEPARATOR.split(match.group(1))) for match in matches]


def articles_of(query: str) -> tuple[int, ...]:
    """The article numbers a question asks for, in its order (第二十五条和第二十六条, 第25、26条 → 25,
    26; a range 第二十五至二十七条 → 25, 26, 27), at most :data:`MAX_ARTICLES`."""
    return _articles_asked(query)[0]


def articles_count(query: str) -> int:
    """How many articles a question asks for, also beyond the :data:`MAX_ARTICLES` quoted
    (第三十六条至第四十五条: 10)."""
    return _articles_asked(query)[1]


def _articles_asked(query: str) -> tuple[tuple[int, ...], int]:
    """:func:`articles_of` and :func:`articles_count`, read in one pass."""
    text = unicodedata.normalize("NFKC", query)
    found: dict[int, None] = {}
    beyond = 0  # articles of a range past the first MAX_ARTICLES
    previous, last_end = None, None
    for match, pieces in _article_citations(text):
        numbers = [_asked_number(n) for n in pieces[0::2]]
        between = text[last_end:match.start()].strip() if last_end is not None else ""
        joined = between if len(between) == 1 and between in _RANGE else ""  # 第二十五条至第二十七条
        previous = previous if joined else None
        last_end = match.end()
        for number, separator in zip(numbers, [joined] + pieces[1::2]):
            if number is None:
                previous = None
                continue
            if separator and separator in _RANGE and previous is not None and number > previous:
                # a range: its first articles, as many as can be quoted, and how many it holds
                found.update(dict.fromkeys(range(previous + 1, min(number, previous + MAX_ARTICLES) + 1)))
                beyond += max(0, number - previous - MAX_ARTICLES)
            else:
                found[number] = None
            previous = number
    return tuple(found)[:MAX_ARTICLES], len(found) + beyond


#: 倒数第二条: an article counted from the end of its law, whose number only the law can tell
#: (search reads it: :meth:`retriever.search.Retriever.search`).
_FROM_END = re.compile(rf"倒数\s*第\s*({_NUMBER})\s*条")


def _article_starts(text: str) -> dict[int, int]:
    """Each article number ``text`` (NFKC) cites → where its first citation starts (a list's
    articles, 第25、26条, all where the list starts)."""
    starts: dict[int, int] = {}
    for match, pieces in _article_citations(text):
        for number in pieces[0::2]:
            value = _asked_number(number)
            if value is not None:
                starts.setdefault(value, match.start())
    return starts


def article_of(query: str) -> int | None:
    """The (first) article number a question asks for (第25条 / 第二十五条 → 25), or None."""
    articles = articles_of(query)
    return articles[0] if articles else None


#: 第一款, 第（六）项, 第6项: a paragraph (款) or item (项) inside the article asked for.
_PART = re.compile(rf"第\s*[（(]?\s*(\d{{1,2}}|[{CN_NUM}]{{1,4}})\s*[）)]?\s*(款|项|种情形|种情况)")
#: What a part is called → the part: an article lists its cases (情形) as its 项.
_PART_UNIT = {"款": "款", "项": "项", "种情形": "项", "种情况": "项"}


#: An item cited by its number in brackets right after its article (or the article's 款), without
#: 第…项, as people type it: 第四十条（三）, 第40条第一款(二).
_BRACKETED_PART = re.compile(rf"\s*(?:第\s*[{CN_NUM}\d]{{1,4}}\s*款\s*)?[（(]\s*(\d{{1,2}}|[{CN_NUM}]{{1,4}})\s*[）)]")


def _parts_after_article(text: str) -> tuple[re.Match | None, list[tuple[re.Match, str, int | None]]]:
    """The one article ``text`` (NFKC) asks for, and each 款 or 项 written after it: its match, its
    unit (款 or 项) and its number (None beyond 99); no article and no parts when it asks for several
    articles (of several articles: whose?) or none."""
    article = _ARTICLE.search(text) if len(articles_of(text)) == 1 else None
    parts = []
    for match in _PART.finditer(text, article.end()) if article else ():
        value = _article_number(match.group(1))
        parts.append((match, _PART_UNIT[match.group(2)], value if value and value < 100 else None))
    return article, parts


def parts_of(query: str) -> tuple[int | None, int | None]:
    """The 款 and the 项 a question asks for inside its article, each None when it names none
    (第十四条第一款第六项 → (1, 6); 第十四条第（六）项, 第十四条（六） and 第十四条规定的第六种情形 → (None, 6))."""
    text = unicodedata.normalize("NFKC", query)
    article, parts = _parts_after_article(text)
    found: dict[str, int] = {}
    for _match, unit, value in parts:
        if value:
            found.setdefault(unit, value)
    bracketed = _BRACKETED_PART.match(text, article.end()) if article and "项" not in found else None
    if bracketed and (value := _article_number(bracketed.group(1))) and value < 100:
        found["项"] = value
    return found.get("款"), found.get("项")


#: What may stand between two parts asked together: a list (第二款、第三款) or a range (第（一）项到第（三）项).
_PART_JOINS = ("", "、", "，", ",", "和", "及", "与", "以及", *_RANGE)


def parts_asked(query: str) -> tuple[tuple[int | None, int | None], ...]:
    """Every (款, 项) a question asks for inside its one article, in order, at most :data:`MAX_ARTICLES`:
    第十条第二款、第三款 → ((2, None), (3, None)); 第三十八条第一款第（一）项到第（三）项 → ((1, 1), (1, 2), (1, 3));
    第十四条第六项 → ((None, 6),). () when it asks for none (or :func:`parts_of` reads only one)."""
    text = unicodedata.normalize("NFKC", query)
    article, after = _parts_after_article(text)
    parts: list[tuple[int | None, int | None]] = []
    paragraph, at = None, article.end() if article else 0
    for match, unit, value in after:
        join = text[at:match.start()].strip()
        if join not in _PART_JOINS or not value:
            break
        at = match.end()
        in_range = bool(join) and join in _RANGE
        if unit == "款":
            if in_range and parts and parts[-1][1] is None and parts[-1][0]:
                parts += [(n, None) for n in range(parts[-1][0] + 1, value)]
            paragraph = value
            parts.append((value, None))
        elif not join and parts and parts[-1] == (paragraph, None):
            parts[-1] = (paragraph, value)  # 第一款第六项: the item of that 款
        elif in_range and parts and parts[-1][1]:
            parts += [(paragraph, n) for n in range(parts[-1][1] + 1, value + 1)]
        else:
            parts.append((paragraph, value))
    return tuple(dict.fromkeys(parts))[:MAX_ARTICLES] if len(parts) > 1 else ()


#: Which chapter (节, 部分) an article is in: 第二十五条在第几章, 第三十九条属于哪一章.
_WHICH_DIVISION = re.compile(r"(?:在|属于|是|位于)(?:第几|哪一?个?|什么)(?:章|节|部分)")


def asks_where_article_is(query: str) -> bool:
    """Whether ``query`` asks which chapter (节, 部分) the one article it cites is in."""
    text = unicodedata.normalize("NFKC", query)
    article, _parts = _parts_after_article(text)
    return bool(article and _WHICH_DIVISION.search(text, article.end()))


#: How many 款 or 项 an article has (第十四条有几项, 第四十条共有几款, 规定了几种情形): the unit counted.
_PARTS_COUNTED = re.compile(r"(?:一共|总共|共)?(?:有|分|分为|包括|包含|规定了?|列了?)?(?:多少|几)个?(款|项|种情形|种情况)")


def parts_counted(query: str) -> str:
    """"款" or "项" when ``query`` asks how many of them its one article has (「工伤保险条例第十四条有几项」),
    else "" (a question about several articles, or none, counts nothing)."""
    text = unicodedata.normalize("NFKC", query)
    article, _parts = _parts_after_article(text)
    match = _PARTS_COUNTED.search(text, article.end()) if article else None
    return _PART_UNIT[match.group(1)] if match else ""


#: 第二十五条之一: an article inserted after 第二十五条 by an amendment (刑法 has many), another article.
_INSERTED_ARTICLE = re.compile(rf"第\s*({_NUMBER})\s*条\s*之\s*([{CN_NUM}]{{1,4}})")


def inserted_article(query: str) -> str:
    """The inserted article a question asks for, as texts head it (第25条之一 → 第二十五条之一), or ""."""
    match = _INSERTED_ARTICLE.search(unicodedata.normalize("NFKC", query))
    number = _article_number(match.group(1)) if match else None
    return f"第{chinese_number(number)}条之{match.group(2)}" if number else ""


#: A version asked for by its year: 1993年版, 2018年修正版, 2009年修订的.
_VERSION_YEAR = re.compile(r"((?:19|20)\d\d)\s*年?\s*(?:的)?(?:版本?|修正|修订|修改|文本)")


def asked_version_year(query: str) -> str:
    """The year of the version a question asks for (教师法1993年版第二十五条 → "1993"), or ""."""
    match = _VERSION_YEAR.search(unicodedata.normalize("NFKC", query))
    return match.group(1) if match else ""


def article_span(query: str) -> tuple[int, int] | None:
    """Where the article reference (第25条, 第二十五条) stands in ``query``, which must already be NFKC."""
    match = _ARTICLE.search(query)
    return match.span() if match else None


#: A text that is only a reference inside a law: an article with any of its parts, or parts alone.
_ONLY_ARTICLE = re.compile(rf"{_ARTICLE.pattern}(?:{_PART.pattern})*")
_ONLY_PARTS = re.compile(rf"(?:{_PART.pattern})+")


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


def _without_names(query: str, names: tuple[str, ...], mark: str = " ") -> str:
    """``query`` (NFKC) with each of the document ``names`` it writes replaced by ``mark``, longest first."""
    text = unicodedata.normalize("NFKC", query)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(unicodedata.normalize("NFKC", name), mark)
    return text


def _without_citation(query: str, names: tuple[str, ...]) -> tuple[str, bool]:
    """``query`` without its document ``names``, its article (第…条, or …条 right after a name:
    劳动合同法38条) and the chapter it sits in (劳动合同法第四章第四十条 says where, not what else is
    asked), and whether it cited an article (an item in brackets right after a name, 方案（十二）, is one)."""
    text, bare = re.subn(_MASK + _NAMED_BARE_ARTICLE.pattern, " ", _without_names(query, names, _MASK), count=1)
    if not bare:
        text, bare = re.subn(_MASK + _BRACKETED_ITEM.pattern, " ", text, count=1)
    text, numbered = _ARTICLE.subn("", text.replace(_MASK, " "), count=1)
    return _DIVISION.sub("", text), bool(bare or numbered)


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


def reference_kind(text: str) -> str | None:
    """"article" when ``text`` is only an article reference (第十一条, 第十一条第二款), "part" when only
    a 款 or 项 (第二款, 第一款第三项), "division" when only a chapter or part (第四章), "paragraph" when
    only a paragraph (第三段), else None."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if _ONLY_ARTICLE.fullmatch(text):
        return "article"
    if _DIVISIONS.fullmatch(text):
        return "division"
    if _ONLY_PARAGRAPH.fullmatch(text):
        return "paragraph"
    return "part" if _ONLY_PARTS.fullmatch(text) else None


def division_span(query: str) -> tuple[int, int] | None:
    """Where the chapter or part reference (第三章, 第二部分, 第五章第二节) stands in ``query``, which must be NFKC."""
    match = _DIVISIONS.search(query)
    return match.span() if match else None


#: 第二章, 第三节, 第二部分: a division of a document a question asks about.
_DIVISION = re.compile(rf"第\s*({_NUMBER})\s*(章|节|部分)")
#: Divisions written one inside the other, outermost first: 第五章第二节 is the 节 of that chapter.
_DIVISIONS = re.compile(rf"{_DIVISION.pattern}(?:\s*{_DIVISION.pattern})*")
#: A division as its steps, outermost first: 第五章第二节 → (("章", 5), ("节", 2)).
Division = tuple[tuple[str, int], ...]


def division_of(query: str) -> Division | None:
    """The division a question asks about (第二章 → (("章", 2),), 第五章第二节 → (("章", 5), ("节", 2))),
    or None; also None when it asks for an article, which says more (第二章第十条 is that article)."""
    text = unicodedata.normalize("NFKC", query)
    match = _DIVISIONS.search(text)
    return None if not match or articles_of(text) else _steps(match.group(0))


#: A paragraph of the division written right before it, counted as printed: 第二部分第三段, 第一章的第二段.
_PARAGRAPH_AFTER = re.compile(rf"\s*的?\s*第\s*({_NUMBER})\s*段")
_ONLY_PARAGRAPH = re.compile(rf"第({_NUMBER})段")


#: An item of the division written right before it: 第二部分第（二）项, 第二部分（二）. A notice or plan numbers
#: its items （一）（二） inside its parts; people call them 项, as the answer's notice does (共三项).
_ITEM_AFTER = re.compile(rf"\s*的?\s*(?:第\s*[（(]?\s*({_NUMBER})\s*[）)]?\s*项|[（(]\s*({_NUMBER})\s*[）)])")


def _numbered_after_division(query: str, after: re.Pattern) -> int | None:
    """The number ``after`` reads right after the division ``query`` cites (its first group that matched)."""
    text = unicodedata.normalize("NFKC", query)
    division = _DIVISIONS.search(text)
    found = after.match(text, division.end()) if division else None
    return _article_number(next(group for group in found.groups() if group)) if found else None


def division_item(query: str) -> int | None:
    """The item of a division a question asks for (第二部分第（二）项 → 2), or None."""
    return _numbered_after_division(query, _ITEM_AFTER)


def division_paragraph(query: str) -> int | None:
    """The paragraph of a division a question asks for (第二部分第三段 → 3), or None."""
    return _numbered_after_division(query, _PARAGRAPH_AFTER)


#: The chapters most laws have, which people name without saying 章: 劳动合同法附则, 教师法总则.
CHAPTERS_NAMED_ALONE = ("总则", "附则")
_CHAPTER_HEADING = re.compile(rf"第\s*({_NUMBER})\s*章\s*(.+)")


def chapter_named(query: str, names: tuple[str, ...], outline: tuple[str, ...]) -> int | None:
    """The chapter of a document (``outline``: its top-level headings) that ``query`` names by its
    title instead of its number: 「劳动合同法附则」, 「教师法待遇那一章讲了什么」, 「…法律责任一章」 (the
    title followed by 章, or alone beside the document's ``names``, or one of
    :data:`CHAPTERS_NAMED_ALONE`); None when it names none."""
    text = normalise_reference_text(query)
    rest = _without_names(text, names, "").strip("，,。？?！! ")
    for heading in outline:
        match = _CHAPTER_HEADING.match(heading)
        title = "".join(match.group(2).split()) if match else ""
        if len(title) < 2 or title not in text:
            continue
        if title in CHAPTERS_NAMED_ALONE or rest == title or re.search(rf"{re.escape(title)}(?:那|这)?一?章", text):
            return _article_number(match.group(1))
    return None


def division_with_article(query: str) -> Division | None:
    """The division a question writes before the article it asks for (劳动合同法第四章第四十条 →
    (("章", 4),)), or None: it says where the asker thinks the article is."""
    text = unicodedata.normalize("NFKC", query)
    match = _DIVISIONS.search(text)
    article = _ARTICLE.search(text, match.end()) if match else None
    return _steps(match.group(0)) if article and not text[match.end():article.start()].strip() else None


def _steps(written: str) -> Division | None:
    steps = [(step.group(2), _article_number(step.group(1))) for step in _DIVISION.finditer(written)]
    return None if any(number is None for _kind, number in steps) else tuple(steps)


def division_label(division: Division) -> str:
    """How a question writes ``division``: 第五章第二节."""
    return "".join(f"第{chinese_number(number)}{kind}" for kind, number in division)


def _level_is(level: str, kind: str, number: int) -> bool:
    """Whether one heading level is division ``kind`` ``number``: 第二章 of a law, or the part a
    plan or notice numbers 二、 (people call it 第二部分)."""
    cn = chinese_number(number)
    return level.startswith((f"第{cn}部分", f"{cn}、") if kind == "部分" else (f"第{cn}{kind}",))


def division_matches(heading: list[str], division: Division) -> bool:
    """Whether a chunk's heading path lies in ``division``: each of its steps is a level of the
    path, in order (第五章第二节: the 节 under that chapter, not 第二节 of another one)."""
    levels = iter(heading)
    return all(any(_level_is(level, kind, number) for level in levels) for kind, number in division)


def heading_markers(article: int) -> tuple[str, ...]:
    """How a heading starts when it is article ``article``: 第二十五条 (laws) or （二十五） (items
    of a plan or opinion, which people also call 第25条)."""
    if not 0 < article < 10000:
        return ()  # 第0条: no heading is it
    number = chinese_number(article)
    return f"第{number}条", f"（{number}）"


#: The chunker's heading kinds (ingest.structure.heading_kind) that number an article (第九十八条, or a
#: plan's item （二十）) or a chapter (第八章), and the number they open with.
_NUMBERED_KINDS = {"articles": ("article", "level2"), "chapters": ("chapter",)}
_LEVEL_NUMBER = re.compile(rf"^[第（(]\s*({_NUMBER})")


def last_numbered(heading: list[str], unit: str) -> int | None:
    """The number of the article (``unit`` "articles") or chapter ("chapters") that a chunk's
    heading path lies in, or None: 第九十八条 → 98, （二十） → 20, 第八章 附则 → 8."""
    for level in reversed(heading):
        if heading_kind(level) in _NUMBERED_KINDS[unit]:
            return _article_number(_LEVEL_NUMBER.match(level).group(1))
    return None


def heading_matches(heading: list[str], article: int) -> bool:
    """Whether a chunk's heading path contains article ``article`` as one of its levels."""
    markers = heading_markers(article)
    return any(level.startswith(markers) for level in heading)


_BRACKETED_YEAR = re.compile(r"[\[［(（【〔]\s*((?:19|20)\d\d)\s*[\]］)）】〕]")


def normalise_reference_text(text: str) -> str:
    """NFKC, no whitespace, and a year in any brackets written 〔2021〕 as in 文号."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return _BRACKETED_YEAR.sub(r"〔\1〕", text)


def title_line_span(text: str, title: str) -> tuple[int, int] | None:
    """Where ``text`` (a chunk) holds a line that is ``title`` itself (compared as
    :func:`normalise_reference_text` writes both), without the whitespace around it; None when no
    line is (关于印发《工资支付暂行规定》的通知 cites the title, it is not it)."""
    wanted = normalise_reference_text(bare_title(title))
    at = 0
    for line in text.splitlines(keepends=True):
        words = line.strip()
        if words and normalise_reference_text(words) == wanted:
            start = at + line.index(words)
            return start, start + len(words)
        at += len(line)
    return None


def bare_title(title: str) -> str:
    """A title without 《》, whitespace and a trailing （2009年修正）; NFKC (also used by the refusal checks)."""
    return re.sub(r"[《》〈〉\s]|[（(][^）)]*[）)]$", "", unicodedata.normalize("NFKC", title)).strip()


#: A short name keeps at least this share of the title, and this many characters: 带薪年休假条例
#: names 职工带薪年休假条例, but 队伍建设的意见 is not a name for 关于加强新时代高技能人才队伍建设的意见
#: (it ends other titles too), nor 特别规定 for 女职工劳动保护特别规定.
SHORT_NAME_SHARE = 0.6
SHORT_NAME_MIN_CHARS = 5
_KIND_AFTER_DE = re.compile(rf"的({'|'.join(DOCUMENT_KINDS)})$")


def short_names(title: str, cut=None) -> set[str]:
    """The shorter names people cite a document by, read off its title's structure:

    - what follows the issuer's 关于: 国务院关于职工工作时间的规定 → 职工工作时间的规定;
    - the title's tail from a word boundary on (``cut``: a word segmenter), when it keeps
      :data:`SHORT_NAME_SHARE` of the title: 职工带薪年休假条例 → 带薪年休假条例;
    - either without the 的 before the kind of document: 工资总额组成的规定 → 工资总额组成规定;
    - any without 暂行, as interim rules are cited: 工资支付暂行规定 → 工资支付规定.

    A local rule has none: without its place (上海市职业教育条例 → 职业教育条例) a name would
    claim the national rule's words for it."""
    if place_of(title) or not title.endswith(DOCUMENT_KINDS):
        return set()
    names = {title}
    if "关于" in title:
        names.add(title.rsplit("关于", 1)[1])
    if cut is not None:
        words = cut(title)
        for i in range(1, len(words)):
            tail = "".join(words[i:])
            if len(tail) >= SHORT_NAME_SHARE * len(title):
                names.add(tail)
    names |= {_KIND_AFTER_DE.sub(r"\1", name) for name in names}
    names |= {name.replace("暂行", "") for name in names}
    return {name for name in names if len(name) >= SHORT_NAME_MIN_CHARS and name != title}


def document_aliases(title: str, doc_number: str, cut=None) -> set[str]:
    """Names a question may use for a document: its title (without 《》 and a trailing
    （2009年修正）), the title without 中华人民共和国 (职业教育法), its :func:`short_names`
    (with ``cut``, a word segmenter), its 文号 (also with its year typed 2021年 for 〔2021〕), and
    the 文号 without the issuer (〔2021〕49号).
    Short forms shared by several documents are removed by :func:`alias_table`."""
    aliases = set()
    bare = bare_title(title)
    if len(bare) >= 3:
        aliases.add(normalise_reference_text(bare))
        if bare.startswith("中华人民共和国") and len(bare) > 9:
            bare = bare[len("中华人民共和国"):]
            aliases.add(normalise_reference_text(bare))
        aliases.update(normalise_reference_text(name) for name in short_names(bare, cut))
    number = normalise_reference_text(doc_number)
    aliases.update(order_aliases(number))
    match = re.search(r"〔((?:19|20)\d\d)〕(\d+)号$", number)
    if match:
        aliases.add(number)
        aliases.add(number[match.start():])
        if match.start() > 0:  # 国发2019年4号: the year typed without its brackets, as people type it
            aliases.add(f"{number[:match.start()]}{match.group(1)}年{match.group(2)}号")
        # 49号文, 〔2021〕49号文, 国发〔2019〕4号文件: a 文号 and the word for the document it numbers
        aliases.update(f"{stem}{suffix}" for stem in (f"{match.group(2)}号", number, number[match.start():])
                       for suffix in ("文", "文件", "通知"))
    return aliases


_ORDER_DIGITS = r"[\d〇零一二三四五六七八九十百千两]+"
#: A regulation's number is the order that made it: 国务院令第652号, 中华人民共和国主席令第一一二号; the
#: order of an amendment follows it in brackets: 国务院令第375号（2010年12月20日国务院令第586号修订）.
_ORDER = re.compile(rf"(.{{2,20}}?)令第?({_ORDER_DIGITS})号")
_AMENDING_ORDER = re.compile(rf"日(.{{2,20}}?令第?{_ORDER_DIGITS}号)修订")


def order_aliases(doc_number: str) -> set[str]:
    """The ways people write a document's order numbers (its own and an amendment's): with or
    without 第 and 中华人民共和国, the number in Arabic or Chinese numerals (主席令第112号 for
    中华人民共和国主席令第一一二号, 国务院令652号)."""
    number = normalise_reference_text(doc_number)
    aliases = set()
    for written in (re.split(r"[（(]", number)[0], *_AMENDING_ORDER.findall(number)):
        match = _ORDER.fullmatch(written)
        value = _article_number(match.group(2)) if match else None
        if not value:
            continue
        issuer = match.group(1)
        issuers = {issuer, issuer.removeprefix("中华人民共和国")} - {""}
        numbers = {match.group(2), str(value), chinese_number(value)}
        aliases.update(f"{who}令{mark}{n}号" for who in issuers for n in numbers for mark in ("第", ""))
    return aliases


def alias_table(documents: Mapping[str, Mapping], cut=None,
                known_names: Mapping[str, str] | None = None) -> dict[str, tuple[str, ...]]:
    """alias → the document ids it names, from each document's ``title`` and ``doc_number``, and
    ``known_names`` (name → the 文号 or bare title of the document it names: 职教20条 → 国发〔2019〕4号).

    An alias two documents share (两份 49号文) names both, so neither is favoured wrongly."""
    table: dict[str, list[str]] = {}
    for doc_id, meta in documents.items():
        for alias in document_aliases(meta.get("title", ""), meta.get("doc_number", ""), cut):
            table.setdefault(alias, []).append(doc_id)
        own = {normalise_reference_text(meta.get("doc_number", "")), normalise_reference_text(bare_title(meta.get("title", "")))} - {""}
        for name, target in (known_names or {}).items():
            if normalise_reference_text(target) in own:
                table.setdefault(normalise_reference_text(name), []).append(doc_id)
    return {alias: tuple(dict.fromkeys(ids)) for alias, ids in table.items()}


#: Names documents are widely known by that their titles do not give (职教20条).
DOCUMENT_NAMES = Path(__file__).parent / "data" / "document_names.tsv"


@functools.lru_cache(maxsize=4)
def load_known_names(path: Path = DOCUMENT_NAMES) -> dict[str, str]:
    """``document_names.tsv``: name → the 文号 or bare title of the document it names."""
    return {name: target for name, target, _why in read_table(path, 3)}


def document_kind(title: str) -> str | None:
    """The kind a document's title ends in (教师法 → 法, 国家职业教育改革实施方案 → 方案), or None."""
    bare = bare_title(title)
    return max((kind for kind in DOCUMENT_KINDS if bare.endswith(kind)), key=len, default=None)


def kind_table(documents: Mapping[str, Mapping]) -> dict[str, tuple[str, ...]]:
    """kind of document → the ids of the documents of that kind (方案 → the one plan)."""
    table: dict[str, list[str]] = {}
    for doc_id, meta in documents.items():
        kind = document_kind(meta.get("title", ""))
        if kind:
            table.setdefault(kind, []).append(doc_id)
    return {kind: tuple(ids) for kind, ids in table.items()}


#: Names of issuing organs as questions write them (人社部 → 人力资源社会保障部), with why:
#: retriever/data/issuer_names.tsv.
ISSUER_NAMES = Path(__file__).parent / "data" / "issuer_names.tsv"
#: A kind of document, or a document of any kind, written after its organ (人社部那个通知, 劳动部的规定,
#: 人社部发的文件, 发过文); 法 alone is left out (国务院的办法 is no law, and 法 is in too many words), and so
#: are 规定的 and 决定的, verbs (劳动部规定的加班工资: what it stipulates), and 文 inside a word (文化).
_ISSUED_KIND = re.compile(
    rf"(?:(?:{'|'.join(sorted((k for k in DOCUMENT_KINDS if len(k) > 1), key=len, reverse=True))})(?<!规定(?=的))(?<!决定(?=的))"
    r"|文件|发文|号文|文(?=[里中说讲要提规明指写]|[^\u4e00-\u9fff]|$))")
#: A year written beside an organ: 人社部2021年的通知, 2021年人社部发的文件.
_ISSUED_YEAR = re.compile(r"((?:19|20)\d\d)\s*年")
#: How far after its organ a kind may be written, with no sentence break between: far enough for a
#: description (人社部那份贯彻总书记职教重要指示的通知), which must then fit the document's title.
ISSUED_WINDOW = 30
#: Words between an organ and a kind that point or say how it was issued, not what it is about
#: (那份, 发过, 印发的, 关于…的: 关于 and 的 are in every title).
_ISSUED_FILLER = re.compile(r"(?:那|这|该)一?(?:个|份|项|篇|部|件|道)?|印发|下发|发布|出台|制定|颁布|公布|关于|发|过|的|在|年|\d")
#: The share of a description's characters its document's title must hold (职教 for 职业教育: both
#: in the title; 养老保险 against a notice on vocational education: one of four).
DESCRIPTION_SHARE = 0.75


def _describes(gap: str, title: str) -> bool:
    """Whether the words between an organ and a kind (``gap``) fit document ``title``: none but
    pointers and issuing words (那个, 2021年发的), or a description most of whose characters the
    title holds (贯彻总书记职教重要指示)."""
    description = _ISSUED_FILLER.sub("", gap)
    return not description or sum(ch in title for ch in description) >= DESCRIPTION_SHARE * len(description)


@dataclass(frozen=True)
class IssuerIndex:
    """Who issued each document and when, for a question that names an organ (:func:`issued_by`)."""

    names: dict[str, str]  # a name as questions write it → the organ
    pattern: re.Pattern | None  # the names, longest first, not before 门 (人社部门 is a department)
    #: organ → its documents: (id, year, kind, bare title)
    by_organ: dict[str, tuple[tuple[str, str, str | None, str], ...]]
    #: every document: (id, organs, year, kind), in the library's order
    every: tuple[tuple[str, frozenset[str], str, str | None], ...] = ()


#: An organ named more often than this in one question is looked up this often: no question needs more.
MAX_ORGAN_MENTIONS = 4


def issuer_organs(issuer: str, names: Mapping[str, str]) -> frozenset[str]:
    """The organs an issuer line names (中共中央办公厅 国务院办公厅: both), notes in brackets
    dropped (国家统计局（经国务院批准）: 国家统计局), each as ``names`` spells it."""
    bare = re.sub(r"[（(][^）)]*[）)]", "", issuer)
    return frozenset(names.get(part, part) for part in re.split(r"[\s；;、，,]+", bare) if part)


@functools.lru_cache(maxsize=4)
def load_issuer_names(path: Path = ISSUER_NAMES) -> dict[str, str]:
    """``issuer_names.tsv``: a name as written → the organ."""
    return {name: organ for name, organ, _why in read_table(path, 3)}


def names_issuer(text: str, issuer: str) -> bool:
    """Whether ``text`` names one of the organs of the issuer line ``issuer``, in any spelling the
    names table knows (人力资源和社会保障部文件 names 人力资源社会保障部)."""
    names = load_issuer_names()
    organs = issuer_organs(issuer, names)
    bare = "".join(text.split())
    return any(organ in bare for organ in organs) or any(name in bare for name, organ in names.items() if organ in organs)


def issuer_index(documents: Mapping[str, tuple[str, str, str]], path: Path = ISSUER_NAMES) -> IssuerIndex:
    """:class:`IssuerIndex` of ``documents`` (id → title, issuer, date as YYYY-MM-DD)."""
    names = load_issuer_names(path)
    pattern = re.compile("(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + ")(?!门)") if names else None
    by_organ: dict[str, list[tuple[str, str, str | None, str]]] = {}
    every = []
    for doc_id, (title, issuer, date) in documents.items():
        organs = issuer_organs(issuer, names)
        every.append((doc_id, organs, date[:4], document_kind(title)))
        for organ in organs:
            by_organ.setdefault(organ, []).append((doc_id, date[:4], document_kind(title), bare_title(title)))
    return IssuerIndex(names, pattern, {organ: tuple(docs) for organ, docs in by_organ.items()}, tuple(every))


def issued_by(text: str, index: IssuerIndex | None) -> tuple[int, int, tuple[str, ...]] | None:
    """Where ``text`` names a document by its organ and kind (人社部那个通知, 劳动部1994年的规定,
    2021年人社部发的文件, 人社部那份贯彻总书记职教重要指示的通知), and the one document of that organ,
    kind and year it names, as (start, end, ids); None when it names no organ with a kind after it,
    when more or fewer than one document fits, or when the words between describe another document
    (人社部关于养老保险的通知)."""
    if index is None or index.pattern is None:
        return None
    for match in itertools.islice(index.pattern.finditer(text), MAX_ORGAN_MENTIONS):
        after = re.split(r"[，。？！?!；;,]", text[match.end():match.end() + ISSUED_WINDOW])[0]
        before = re.split(r"[，。？！?!；;,]", text[max(0, match.start() - ISSUED_WINDOW):match.start()])[-1]
        documents = index.by_organ.get(index.names[match.group(1)], ())
        for kind in _ISSUED_KIND.finditer(after) if documents else ():
            year_after = _ISSUED_YEAR.search(after, 0, kind.start())
            year_before = None if year_after else _ISSUED_YEAR.search(before, max(0, len(before) - 8))
            year = year_after or year_before
            fits = [(doc_id, title) for doc_id, doc_year, doc_kind, title in documents
                    if (year is None or doc_year == year.group(1))
                    and (kind.group() in ("文件", "发文", "号文", "文") or doc_kind == kind.group())]
            if len(fits) == 1 and _describes(after[:kind.start()], fits[0][1]):
                start = match.start() - len(before) + year_before.start() if year_before else match.start()
                return start, match.end() + kind.end(), (fits[0][0],)
    return None


#: What a list of the library's documents may ask for, as people name it → the kinds of document
#: (document_kind) it holds; None: any kind. 法律 are the 法; 法规 and 行政法规 the State Council's
#: 条例, 规定 and 办法 (``CATALOGUE_ORGANS``).
CATALOGUE_KINDS: dict[str, tuple[str, ...] | None] = {
    "文件": None, "文档": None, "政策": None, "政策文件": None, "法律": ("法",), "法规": ("条例", "规定", "办法"),
    "行政法规": ("条例", "规定", "办法"), "条例": ("条例",), "规定": ("规定",), "办法": ("办法",), "意见": ("意见",),
    "通知": ("通知",), "方案": ("方案",), "批复": ("批复",)}
#: The organ a kind implies when the question names none: 行政法规 are the State Council's.
CATALOGUE_ORGANS = {"法规": "国务院", "行政法规": "国务院"}
_CATALOGUE_KIND = "|".join(sorted(map(re.escape, CATALOGUE_KINDS), key=len, reverse=True))
#: 文档库里有哪些文件, 有哪些法律, 人社部发了哪些文件, 国务院的条例有哪些, 国务院2019年发的文件有哪些: a list asked
#: for, nothing else (有哪些法律规定了试用期 asks which documents use some words: ``mentioned_term``).
_CATALOGUE = re.compile(
    rf"(?:请问)?(?:(?:文档库|资料库|库|你们|系统|这里)(?:里|中|里面)?)?(?:都|一共|总共)?(?:有|收录了?|包括|包含)"
    rf"(?:哪些|什么|几份|多少)(?P<kind>{_CATALOGUE_KIND})"
    rf"|(?:请问)?(?P<organ>[^，,。？?]{{2,14}}?)(?P<year>(?:19|20)\d\d年)?(?:都)?(?:发了|发布了|印发了|出台了|制定了|颁布了|发过)"
    rf"(?:哪些|什么|几份)(?P<kind2>{_CATALOGUE_KIND})"
    rf"|(?:请问)?(?P<organ3>[^，,。？?]{{2,14}}?)(?P<year3>(?:19|20)\d\d年)?(?:发|印发|发布|制定|出台)?的(?P<kind3>{_CATALOGUE_KIND})"
    rf"(?:都|一共)?有(?:哪些|几份|多少)")


@dataclass(frozen=True)
class CatalogueAsked:
    """A list of the library's documents a question asks for: of which organ, year and kinds."""

    words: str  # what it asks for, as written: 国务院的条例, 人社部2021年发的文件, 法律
    organ: str | None
    year: str | None
    kinds: tuple[str, ...] | None


def catalogue_asked(query: str, issuers: IssuerIndex | None) -> CatalogueAsked | None:
    """The list of documents ``query`` asks for (「国务院的条例有哪些」), or None; an organ must be one the
    organ table names (``issuers``)."""
    text = re.sub(r"(?:呢|吗|啊)?[？?。！!\s]*$", "", unicodedata.normalize("NFKC", query).strip())
    match = _CATALOGUE.fullmatch(text)
    if not match:
        return None
    kind = match.group("kind") or match.group("kind2") or match.group("kind3")
    organ_words = (match.group("organ") or match.group("organ3") or "").strip()
    year = match.group("year") or match.group("year3")
    organ = CATALOGUE_ORGANS.get(kind)
    if organ_words:
        organ = issuers.names.get(organ_words) if issuers else None
        if organ is None:
            return None
    words = f"{organ_words}{year or ''}{'的' if organ_words or year else ''}{kind}"
    return CatalogueAsked(words, organ, year[:4] if year else None, CATALOGUE_KINDS[kind])


def catalogue(asked: CatalogueAsked, issuers: IssuerIndex) -> list[str]:
    """The documents, in the library's order, that ``asked`` lists."""
    return [doc_id for doc_id, organs, year, kind in issuers.every
            if (asked.organ is None or asked.organ in organs) and (asked.year is None or year == asked.year)
            and (asked.kinds is None or kind in asked.kinds)]


#: The kind of a document cited by itself, as its own articles cite it: 条例第四条, 《方案》第十二条,
#: 实施方案（十二）, 通知第二部分, 方案第一段. Only before such a reference is the bare kind a name (方案
#: alone is a plan).
_KIND_CITED = re.compile(
    rf"({'|'.join(sorted((k for k in DOCUMENT_KINDS if len(k) > 1), key=len, reverse=True))})》?"
    rf"(?=\s*(?:{_ARTICLE.pattern}|{_ARTICLE_LIST.pattern}|{_DIVISION.pattern}|[（(]\s*{_NUMBER}\s*[）)]|第\s*{_NUMBER}\s*段))")
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
_NAMED_BARE_ARTICLE = re.compile(rf"》?\s*({_NUMBER})\s*条")
#: An item of a plan or opinion cited by its number in brackets right after the document's name:
#: 《国家职业教育改革实施方案》（十二） is its item （十二）, which people also call 第十二条.
_BRACKETED_ITEM = re.compile(rf"》?\s*[（(]\s*({_NUMBER})\s*[）)]")


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
    counted_back = _FROM_END.search(unicodedata.normalize("NFKC", query))
    if counted_back:  # 倒数第二条 is not 第二条
        query = _FROM_END.sub("倒数", unicodedata.normalize("NFKC", query))
    original = unicodedata.normalize("NFKC", query)
    # normalise_reference_text keeping each character's position: whitespace is dropped and a
    # bracket around a year becomes 〔〕 (one character for one), so text[i] is original[kept[i]]
    kept = [i for i, ch in enumerate(original) if not ch.isspace()]
    text = _BRACKETED_YEAR.sub(r"〔\1〕", "".join(original[i] for i in kept))
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
            if not any(taken[start:end]) and (alias in aliases or not _NOT_A_NAME_AFTER.match(text, end)):
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
        bracketed = (_BRACKETED_ITEM.match(text, end) for end in ends)
        articles = tuple(dict.fromkeys(n for m in bracketed if m and (n := _article_number(m.group(1)))))[:MAX_ARTICLES]
    # 教师法第二十五条和教育法第三十三条: each article is the one of the document named right before it
    article_documents = ()
    if len(found) > 1 and articles:
        starts = _article_starts(text)
        article_documents = tuple(
            next((docs for end, docs in sorted(zip(ends, named), reverse=True) if end <= starts.get(a, -1)), ())
            for a in articles)
    # a chapter or part only of a document the question names: 第三部分 of which of 26 documents?
    division = division_of(query) if found else None
    # 49号文第三段: a paragraph of the whole document, counted as printed (search drops it for a law,
    # whose paragraphs are its articles' 款); the empty division () is the whole document
    whole = None if division or articles or not found else next(
        (m for m in (_PARAGRAPH_AFTER.match(text, end) for end in ends) if m), None)
    if whole:
        division = ()
    item_in_division = division_item(query) if division and not articles else None
    if item_in_division:  # 第二部分第（二）项: the item so numbered, looked for inside that part
        articles, item = (item_in_division,), None
    return References(
        documents=tuple(found), article=articles[0] if articles else None, spans=tuple(spans), paragraph=paragraph,
        item=item, articles=articles, division=division,
        division_paragraph=division_paragraph(query) if division else _article_number(whole.group(1)) if whole else None,
        corrected=corrected,
        unheld=tuple(unheld), unheld_numbers=unheld_numbers, article_documents=article_documents,
        from_end=_article_number(counted_back.group(1)) if counted_back else None,
        parts=parts_asked(query) if paragraph or item else (),
        articles_count=max(articles_count(query), len(articles)),
        in_order=tuple(dict.fromkeys(doc for _end, ids in sorted(zip(ends, named)) for doc in ids)))


#: A 文号 as written (normalised: 国发〔2019〕4号), its issuer's code the characters right before it.
_WRITTEN_NUMBER = re.compile(r"([\u4e00-\u9fff]{0,8})(〔(?:19|20)\d\d〕\d+号)")
#: An issuer's code is this short (国发, 国办发, 人社部函); a longer run before 〔 holds other words (请问国发).
MAX_ISSUER_CHARS = 4
#: An order of the State Council or the President as written (国务院令第999号): it names one document too.
_WRITTEN_ORDER = re.compile(rf"((?:中华人民共和国)?(?:国务院|主席))令第?({_ORDER_DIGITS})号")


#: After a law's name, a character that makes it another word: 农业法律, 刑法学, 企业法人.
_NOT_A_NAME_AFTER = re.compile(r"[律规学理人院]")
LAW_NAMES = Path(__file__).parent / "data" / "law_names.txt"


@functools.lru_cache(maxsize=4)
def load_law_names(path: Path = LAW_NAMES) -> frozenset[str]:
    """``law_names.txt``: the names of the national laws and administrative regulations."""
    return frozenset(normalise_reference_text(name) for (name,) in read_table(path, 1))


def unheld_names(aliases: Mapping[str, tuple[str, ...]], names: frozenset[str]) -> frozenset[str]:
    """The ``names`` of laws and regulations that no document of ``aliases`` goes by."""
    return frozenset(name for name in names if name not in aliases)


#: A title the documents cite: 《关于提高技术工人待遇的意见》 (〈〉 nest a title inside one).
_CITED_TITLE = re.compile(r"《([^《》\n]{4,60})》")
#: A cited title this close to a held document's name (difflib ratio) is taken for a way of writing
#: that name, not for another document: 女职工劳动保护规定 beside the held 女职工劳动保护特别规定.
CITED_TITLE_MAX_LIKENESS = 0.8


def cited_titles(texts: Iterable[str], aliases: Mapping[str, tuple[str, ...]]) -> frozenset[str]:
    """The titles the ``texts`` cite (《…》) that name no held document (``aliases``): 49号文 cites
    《关于提高技术工人待遇的意见》 and 《技能人才薪酬分配指引》, which the library lacks, so a question that
    writes one is told so (as for a law of law_names.txt). Left out: a title that holds a held name (an
    amending decision, 关于修改〈…劳动合同法〉的决定, is about that law) or is nearly one.

    Run at every start, over every document: each distinct title is judged once, and the likeness is
    computed only for the held names whose shared characters allow it (below)."""
    held = _HeldNames([name for name in aliases if len(name) >= SHORT_NAME_MIN_CHARS])
    titles = set()
    for title in {normalise_reference_text(match.group(1)) for text in texts for match in _CITED_TITLE.finditer(text)}:
        bare = title.removeprefix("中华人民共和国")
        if title in aliases or held.inside(title) or held.nearly(bare):
            continue
        titles.update({title, bare} if len(bare) >= SHORT_NAME_MIN_CHARS else {title})
    return frozenset(titles)


class _HeldNames:
    """The held names :func:`cited_titles` compares a title with, indexed so that a large library
    (thousands of names, thousands of cited titles) is not compared pair by pair."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.known = set(names)
        self.shortest = min(map(len, names), default=0)
        self.longest = max(map(len, names), default=0)
        self.lengths = np.asarray([len(name) for name in names], dtype=np.float64)
        self.column = {ch: i for i, ch in enumerate(sorted({ch for name in names for ch in name}))}
        self.counts = np.zeros((len(names), len(self.column)), dtype=np.int16)  # each name's characters
        for row, name in enumerate(names):
            for ch in name:
                self.counts[row, self.column[ch]] += 1

    def inside(self, title: str) -> bool:
        """Whether a held name occurs in ``title`` (looked up by its substrings, not name by name)."""
        return any(title[i:j] in self.known for i in range(len(title))
                   for j in range(i + self.shortest, min(len(title), i + self.longest) + 1))

    def nearly(self, bare: str) -> bool:
        """Whether ``bare`` is :data:`CITED_TITLE_MAX_LIKENESS` like a held name (difflib ratio). The
        characters two strings share bound their ratio from above (difflib's quick_ratio), so only the
        names that bound lets through are compared."""
        own = {ch: bare.count(ch) for ch in set(bare) if ch in self.column}
        if not own:
            return False
        shared = np.minimum(self.counts[:, [self.column[ch] for ch in own]], list(own.values())).sum(axis=1)
        bound = 2.0 * shared / (len(bare) + self.lengths)
        return any(difflib.SequenceMatcher(None, bare, self.names[row]).ratio() >= CITED_TITLE_MAX_LIKENESS
                   for row in np.flatnonzero(bound >= CITED_TITLE_MAX_LIKENESS))


#: A name written with one wrong character (劳动和同法: pinyin input offers 和 for he as readily as 合)
#: still names its document when it is long enough that one character does not make it another
#: name, and it ends in its kind (法, 条例…) unchanged; or, right before an article it cites
#: (职业教育发第三十条: 发 for fa), with the kind's character the one that is wrong.
NEAR_NAME_MIN_CHARS = 5
#: Where an article cited right after a name starts: 第三十条, 30条.
_CITATION_START = re.compile(rf"第\s*[（(]?\s*{_NUMBER}\s*[）)]?\s*条|{_NUMBER}\s*条")
_ANY_KIND = ""  # the tables of names with a character of their kind masked


#: (kind, length) → an alias with one character (not of its kind) masked → (alias, its document).
NearNames = dict[tuple[str, int], dict[str, list[tuple[str, str]]]]
_MASK = "\0"


#: A title shortened by dropping words (职业教育改革方案 for 国家职业教育改革实施方案, 农民工工资条例 for
#: 保障农民工工资支付条例) names its document when it keeps this share of the title, in order, with the
#: kind it ends in, and no other document's title of that kind is kept as well. 法 is left out: a law
#: is shortened by dropping 中华人民共和国, an alias already, and 法 ends many everyday words (办法, 合法).
ABBREVIATION_SHARE = 0.6
AbbreviationIndex = dict[str, list[tuple[str, tuple[str, ...], frozenset[str]]]]


def abbreviation_index(aliases: Mapping[str, tuple[str, ...]]) -> AbbreviationIndex:
    """kind → (each name of one document that ends in that kind, not a number: its title and short
    names, its ids, its characters), built once per index."""
    index: AbbreviationIndex = {}
    for alias, ids in aliases.items():
        kind = max((k for k in DOCUMENT_KINDS if alias.endswith(k) and k != "法"), key=len, default=None)
        if kind and len(ids) == 1 and "号" not in alias:
            index.setdefault(kind, []).append((alias, ids, frozenset(alias)))
    return index


def abbreviated_alias(text: str, index: AbbreviationIndex) -> tuple[int, int, str, tuple[str, ...]] | None:
    """Where ``text`` writes a title shortened by dropping words (:data:`ABBREVIATION_SHARE`), the
    title and its document's ids: the words before a kind that run through one title in order."""
    best: list[tuple[int, int, str, tuple[str, ...]]] = []
    for kind, titles in index.items():
        for match in re.finditer(re.escape(kind), text):
            end = match.end()
            last = frozenset(text[max(0, end - SHORT_NAME_MIN_CHARS):end])
            for title, ids, characters in titles:
                if not last <= characters:  # the shortest name allowed must run through it: most titles fail here
                    continue
                i, j = end - 1, len(title) - 1  # match backwards: the longest run of the text ending here
                while i >= 0 and j >= 0:
                    if text[i] == title[j]:
                        i -= 1
                    j -= 1
                start = i + 1
                if end - start >= max(SHORT_NAME_MIN_CHARS, ABBREVIATION_SHARE * len(title)):
                    best.append((start, end, title, ids))
    if not best:
        return None
    longest = max(end - start for start, end, _t, _i in best)
    top = [b for b in best if b[1] - b[0] == longest]
    return top[0] if len({b[3] for b in top}) == 1 else None


def near_name_index(aliases: Mapping[str, tuple[str, ...]]) -> NearNames:
    """The aliases a name one character off may stand for (:data:`NEAR_NAME_MIN_CHARS` or more,
    ending in a kind, naming one document), each under every way of masking one of its characters:
    built once per index, so a question costs a few lookups however many documents it holds."""
    index: NearNames = {}
    for alias, ids in aliases.items():
        kind = next((k for k in DOCUMENT_KINDS if alias.endswith(k)), None)
        if len(alias) < NEAR_NAME_MIN_CHARS or len(ids) != 1 or kind is None:
            continue
        table = index.setdefault((kind, len(alias)), {})
        for i in range(len(alias) - len(kind)):
            table.setdefault(alias[:i] + _MASK + alias[i + 1:], []).append((alias, ids[0]))
        table = index.setdefault((_ANY_KIND, len(alias)), {})
        for i in range(len(alias) - len(kind), len(alias)):
            table.setdefault(alias[:i] + _MASK + alias[i + 1:], []).append((alias, ids[0]))
    return index


def near_alias(text: str, near_names: NearNames) -> tuple[int, int, str] | None:
    """``(start, end, alias)``: where ``text`` (normalised) writes one document's alias with one
    character wrong, or None when no alias, or aliases of more than one document, are that near."""
    found: dict[str, tuple[int, int, str]] = {}

    def look_up(table: dict[str, list[tuple[str, str]]], end: int, length: int, masked: range) -> None:
        start = end - length
        window = text[start:end] if start >= 0 else ""
        for i in masked if window else ():
            for alias, doc_id in table.get(window[:i] + _MASK + window[i + 1:], ()):
                if alias != window:
                    found.setdefault(doc_id, (start, end, alias))

    cited_at = [m.start() for m in _CITATION_START.finditer(text)]
    for (kind, length), table in near_names.items():
        if kind == _ANY_KIND:
            for end in cited_at:
                look_up(table, end, length, range(length))
            continue
        at = text.find(kind)
        while at >= 0:
            look_up(table, at + len(kind), length, range(length - len(kind)))
            at = text.find(kind, at + 1)
    return next(iter(found.values())) if len(found) == 1 else None



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
    r"(?:有|分|分为|包括|包含)哪(?:几|些)(?:个)?部分|(?:一共|总共|共)?(?:有|分|分为|包括)?(?:几|多少)个?部分|"
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
    rest = _without_names(query, names, "")
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
    rest = _COMPARISON.sub("", _without_names(query, refs.spans, ""))
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
    rest = _without_names(query, refs.spans, "").strip()
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
        _COUNT_ALONE.fullmatch(_without_names(query, refs.spans, "")) if refs is not None and refs.documents else None)
    if count and (refs is None or refs.article is None and refs.division is None):  # 第三章一共多少条: not the whole document's
        return "articles" if next(unit for unit in count.groups() if unit) == "条" else "chapters"
    if _ABOUT_NUMBER.search(query):  # who issued it (谁发的), or its 文号
        return "issuer" if asks_issuer(query) and not _NUMBER_WORD.search(query) else "number"
    if _ABOUT_ADDRESSEES.search(query):
        return "addressees"
    if _ABOUT_ATTACHMENTS.search(query):
        return "attachments"
    return "document" if _ABOUT_DOCUMENT.search(query) else ""
