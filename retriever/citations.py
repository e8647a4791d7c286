"""The structure a question cites: articles (第25条, 第三十六条至第四十五条, 倒数第二条), their 款 and
项, chapters, sections, parts and paragraphs (第四章, 第五章第二节, 第二部分, 第三段), and whether a chunk's
heading path is the one cited. Question text in; numbers, spans and divisions out.

Pure functions.
"""
from __future__ import annotations

import re
import unicodedata

from ingest.structure import CN_NUM, heading_kind
from retriever.numerals import TENS_CHARACTERS, arabic_number, chinese_number

#: The numeral characters a question may write: the headings' (:data:`ingest.structure.CN_NUM`) and 廿卅卌.
ASKED_NUM = CN_NUM + "".join(TENS_CHARACTERS)


#: 第25条, 第 二十五 条, 第（十三）条; the number is read by :func:`article_of`. Any run of digits: 第99999条
#: is still an article asked for (and refused by name), not a content question about the law named.
ARTICLE = re.compile(rf"第\s*[（(]?\s*(\d+|[{ASKED_NUM}]{{1,8}})\s*[）)]?\s*条")


#: At most this many articles are read from one question: an answer quotes at most three passages.
MAX_ARTICLES = 3
NUMBER = rf"(?:\d{{1,4}}|[{ASKED_NUM}]{{1,8}})"
#: 第25、26条, 第二十五和二十六条, 第二十五至二十七条: several numbers before one 条.
ARTICLE_LIST = re.compile(rf"第\s*({NUMBER}(?:\s*[、，,和及与至到~～－-]\s*第?\s*{NUMBER})+)\s*条")
_LIST_SEPARATOR = re.compile(r"\s*([、，,和及与至到~～－-])\s*第?\s*")
_RANGE = "至到~～－-"


def article_number(text: str) -> int | None:
    value = int(text) if text.isdigit() else arabic_number(text)
    return value if value and 0 < value < 10000 else None


def _asked_number(text: str) -> int | None:
    """An article number as asked: 第0条 and 第99999条 are kept (no law has them, so they are refused
    by name rather than read as no reference at all and answered from some other article)."""
    if text.isdigit() or text in ("零", "〇"):
        return int(text) if text.isdigit() else 0
    return article_number(text)


def _article_citations(text: str) -> list[tuple[re.Match, list[str]]]:
    """Each article citation in ``text`` (NFKC), in order: its match and the pieces of its number
    part (第25、26条: 25, 、, 26), numbers at even places, what joins them at odd ones."""
    matches = sorted([*ARTICLE.finditer(text), *ARTICLE_LIST.finditer(text)], key=lambda m: m.start())
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
FROM_END = re.compile(rf"倒数\s*第\s*({NUMBER})\s*条")


def article_starts(text: str) -> dict[int, int]:
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
    article = ARTICLE.search(text) if len(articles_of(text)) == 1 else None
    parts = []
    for match in _PART.finditer(text, article.end()) if article else ():
        value = article_number(match.group(1))
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
    if bracketed and (value := article_number(bracketed.group(1))) and value < 100:
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
_INSERTED_ARTICLE = re.compile(rf"第\s*({NUMBER})\s*条\s*之\s*([{CN_NUM}]{{1,4}})")


def inserted_article(query: str) -> str:
    """The inserted article a question asks for, as texts head it (第25条之一 → 第二十五条之一), or ""."""
    match = _INSERTED_ARTICLE.search(unicodedata.normalize("NFKC", query))
    number = article_number(match.group(1)) if match else None
    return f"第{chinese_number(number)}条之{match.group(2)}" if number else ""


#: A version asked for by its year: 1993年版, 2018年修正版, 2009年修订的.
_VERSION_YEAR = re.compile(r"((?:19|20)\d\d)\s*年?\s*(?:的)?(?:版本?|修正|修订|修改|文本)")


def asked_version_year(query: str) -> str:
    """The year of the version a question asks for (教师法1993年版第二十五条 → "1993"), or ""."""
    match = _VERSION_YEAR.search(unicodedata.normalize("NFKC", query))
    return match.group(1) if match else ""


def article_span(query: str) -> tuple[int, int] | None:
    """Where the article reference (第25条, 第二十五条) stands in ``query``, which must already be NFKC."""
    match = ARTICLE.search(query)
    return match.span() if match else None


#: A text that is only a reference inside a law: an article with any of its parts, or parts alone.
_ONLY_ARTICLE = re.compile(rf"{ARTICLE.pattern}(?:{_PART.pattern})*")
_ONLY_PARTS = re.compile(rf"(?:{_PART.pattern})+")


BRACKETED_YEAR = re.compile(r"[\[［(（【〔]\s*((?:19|20)\d\d)\s*[\]］)）】〕]")


def normalise_reference_text(text: str) -> str:
    """NFKC, no whitespace, and a year in any brackets written 〔2021〕 as in 文号."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return BRACKETED_YEAR.sub(r"〔\1〕", text)


def without_names(query: str, names: tuple[str, ...], mark: str = " ") -> str:
    """``query`` (NFKC) with each of the document ``names`` it writes replaced by ``mark``, longest first."""
    text = unicodedata.normalize("NFKC", query)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(unicodedata.normalize("NFKC", name), mark)
    return text


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
DIVISION = re.compile(rf"第\s*({NUMBER})\s*(章|节|部分)")
#: Divisions written one inside the other, outermost first: 第五章第二节 is the 节 of that chapter.
_DIVISIONS = re.compile(rf"{DIVISION.pattern}(?:\s*{DIVISION.pattern})*")
#: A division as its steps, outermost first: 第五章第二节 → (("章", 5), ("节", 2)).
Division = tuple[tuple[str, int], ...]


def division_of(query: str) -> Division | None:
    """The division a question asks about (第二章 → (("章", 2),), 第五章第二节 → (("章", 5), ("节", 2))),
    or None; also None when it asks for an article, which says more (第二章第十条 is that article).
    An annex is read by :func:`annex_of`."""
    text = unicodedata.normalize("NFKC", query)
    match = _DIVISIONS.search(text)
    return None if not match or articles_of(text) else _steps(match.group(0))


#: The words an annex is cited by; documents title it either way (附录：, 附件2).
ANNEX_WORDS = ("附录", "附件")
#: An annex a question cites (附录, 附件, 附件2) and the item of it, numbered 三、 in the annex: a
#: document cites those as 条 (本规定附录第一条、第二条), people as 项 or 部分 too.
ANNEX = re.compile(rf"(附录|附件)\s*({NUMBER})?(?:\s*(?:中|里)?\s*的?\s*第\s*({NUMBER})\s*(?:条|项|部分))?")


def annex_of(query: str, after: tuple[int, ...] = ()) -> Division | None:
    """The annex ``query`` (NFKC) cites, as a division named by the word it is asked by: 附录 →
    (("附录", 0),) (0: the annex, unnumbered or not), 附件2 → (("附件", 2),), 附录第三条 → (("附录", 0),
    ("部分", 3)); None when it cites none.
    A bare 附件 is an annex only right ``after`` where a document's name ends (劳动合同要附件吗 is not)."""
    match = next((m for m in ANNEX.finditer(query)
                  if m.group(2) or m.group(3) or any(query[end:m.start()] in ("", "的") for end in after)), None)
    if not match:
        return None
    word, annex = match.group(1), article_number(match.group(2)) if match.group(2) else 0
    item = article_number(match.group(3)) if match.group(3) else None
    if annex is None or (match.group(3) and item is None):
        return None
    return ((word, annex),) + ((("部分", item),) if item else ())


#: A paragraph of the division written right before it, counted as printed: 第二部分第三段, 第一章的第二段.
PARAGRAPH_AFTER = re.compile(rf"\s*的?\s*第\s*({NUMBER})\s*段")
_ONLY_PARAGRAPH = re.compile(rf"第({NUMBER})段")


#: An item of the division written right before it: 第二部分第（二）项, 第二部分（二）. A notice or plan numbers
#: its items （一）（二） inside its parts; people call them 项, as the answer's notice does (共三项).
_ITEM_AFTER = re.compile(rf"\s*的?\s*(?:第\s*[（(]?\s*({NUMBER})\s*[）)]?\s*项|[（(]\s*({NUMBER})\s*[）)])")


def _numbered_after_division(query: str, after: re.Pattern) -> int | None:
    """The number ``after`` reads right after the division ``query`` cites (its first group that matched)."""
    text = unicodedata.normalize("NFKC", query)
    division = _DIVISIONS.search(text)
    found = after.match(text, division.end()) if division else None
    return article_number(next(group for group in found.groups() if group)) if found else None


def division_item(query: str) -> int | None:
    """The item of a division a question asks for (第二部分第（二）项 → 2), or None."""
    return _numbered_after_division(query, _ITEM_AFTER)


def division_paragraph(query: str) -> int | None:
    """The paragraph of a division a question asks for (第二部分第三段 → 3), or None."""
    return _numbered_after_division(query, PARAGRAPH_AFTER)


#: The chapters most laws have, which people name without saying 章: 劳动合同法附则, 教师法总则.
CHAPTERS_NAMED_ALONE = ("总则", "附则")
_CHAPTER_HEADING = re.compile(rf"第\s*({NUMBER})\s*章\s*(.+)")


def chapter_named(query: str, names: tuple[str, ...], outline: tuple[str, ...]) -> int | None:
    """The chapter of a document (``outline``: its top-level headings) that ``query`` names by its
    title instead of its number: 「劳动合同法附则」, 「教师法待遇那一章讲了什么」, 「…法律责任一章」 (the
    title followed by 章, or alone beside the document's ``names``, or one of
    :data:`CHAPTERS_NAMED_ALONE`); None when it names none."""
    text = normalise_reference_text(query)
    rest = without_names(text, names, "").strip("，,。？?！! ")
    for heading in outline:
        match = _CHAPTER_HEADING.match(heading)
        title = "".join(match.group(2).split()) if match else ""
        if len(title) < 2 or title not in text:
            continue
        if title in CHAPTERS_NAMED_ALONE or rest == title or re.search(rf"{re.escape(title)}(?:那|这)?一?章", text):
            return article_number(match.group(1))
    return None


def division_with_article(query: str) -> Division | None:
    """The division a question writes before the article it asks for (劳动合同法第四章第四十条 →
    (("章", 4),)), or None: it says where the asker thinks the article is."""
    text = unicodedata.normalize("NFKC", query)
    match = _DIVISIONS.search(text)
    article = ARTICLE.search(text, match.end()) if match else None
    return _steps(match.group(0)) if article and not text[match.end():article.start()].strip() else None


def _steps(written: str) -> Division | None:
    steps = [(step.group(2), article_number(step.group(1))) for step in DIVISION.finditer(written)]
    return None if any(number is None for _kind, number in steps) else tuple(steps)


def division_label(division: Division) -> str:
    """How a question writes ``division``: 第五章第二节, 附录第三部分, 附件2."""
    return "".join(f"{kind}{number or ''}" if kind in ANNEX_WORDS else f"第{chinese_number(number)}{kind}"
                   for kind, number in division)


def _level_is(level: str, kind: str, number: int) -> bool:
    """Whether one heading level is division ``kind`` ``number``: 第二章 of a law, or the part a
    plan or notice numbers 二、 (people call it 第二部分); an annex's mark (附录：, 附件2) is ("附件", 2)
    or ("附录", 2), whichever word is asked, and number 0 is any annex."""
    if kind in ANNEX_WORDS:
        if heading_kind(level) != "appendix":
            return False
        mark = ANNEX.match(level.strip())  # the annex's own number (附件2), if it has one
        return not number or bool(mark and mark.group(2)) and article_number(mark.group(2)) == number
    cn = chinese_number(number)
    return level.startswith((f"第{cn}部分", f"{cn}、") if kind == "部分" else (f"第{cn}{kind}",))


def division_matches(heading: list[str], division: Division, text: str = "") -> bool:
    """Whether a chunk's heading path lies in ``division``: each of its steps is a level of the
    path, in order (第五章第二节: the 节 under that chapter, not 第二节 of another one). A part whose
    line leads in to its items (三、…范围：) is the chunk's ``text``, not a heading: it is the last step
    then, the chunk's opening line, where the chunk lies in no part of its own (an 二、 restarting
    inside 三、 is no 第二部分)."""
    levels = iter(heading)
    if all(any(_level_is(level, kind, number) for level in levels) for kind, number in division):
        return True
    last_kind, last_number = division[-1] if division else ("", 0)
    return (last_kind == "部分" and _level_is(text.lstrip(), last_kind, last_number)
            and not any(heading_kind(level) == "level1" for level in heading)
            and division_matches(heading, division[:-1]))


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
_LEVEL_NUMBER = re.compile(rf"^[第（(]\s*({NUMBER})")


def last_numbered(heading: list[str], unit: str) -> int | None:
    """The number of the article (``unit`` "articles") or chapter ("chapters") that a chunk's
    heading path lies in, or None: 第九十八条 → 98, （二十） → 20, 第八章 附则 → 8."""
    for level in reversed(heading):
        if heading_kind(level) in _NUMBERED_KINDS[unit]:
            return article_number(_LEVEL_NUMBER.match(level).group(1))
    return None


def heading_matches(heading: list[str], article: int) -> bool:
    """Whether a chunk's heading path contains article ``article`` as one of its levels."""
    markers = heading_markers(article)
    return any(level.startswith(markers) for level in heading)
