"""Pure functions that read the structure of a Chinese official document.

Paragraphs (with page-break repair), headings (第X章/节/条, 一、, （一）, 1., （1）) and sentences.
Every function returns spans into the text it was given, never rewritten text, so citations
stay checkable against the original.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ingest.rules import alternation, read_table

Span = tuple[int, int]

CN_NUM = "一二三四五六七八九十百千零〇两"
#: Heading kinds, outermost first. ``article`` only occurs in laws and regulations.
HEADING_PATTERNS: list[tuple[str, re.Pattern]] = [
    # the mark alone on its line that opens an annex after the text (附录：, 附件, 附件2): what follows
    # is the annex, no longer the last article (GB/T 9704-2012 7.4.1, 附件 and its number on a line)
    ("appendix", re.compile(rf"^(?:附录|附件)\s*[{CN_NUM}\d]*\s*[：:]?$")),
    ("part", re.compile(rf"^第[{CN_NUM}\d]+部分")),
    ("chapter", re.compile(rf"^第[{CN_NUM}\d]+章")),
    ("section", re.compile(rf"^第[{CN_NUM}\d]+节")),
    ("article", re.compile(rf"^第[{CN_NUM}\d]+条(?=[\s　]|$)")),
    ("level1", re.compile(rf"^[{CN_NUM}]+、")),
    ("level2", re.compile(rf"^[（(]([{CN_NUM}]+)[）)]")),  # also an article's item (项): its numeral is group 1
    ("level3", re.compile(r"^\d{1,2}[.．、](?!\d)")),
    ("level4", re.compile(r"^[（(]\d{1,2}[）)]")),
]
HEADING_LEVEL = {kind: level for level, (kind, _) in enumerate(HEADING_PATTERNS)}

#: Characters that end a sentence; a paragraph ending without one may be cut by a page break.
SENTENCE_END = "。；！？!?;"
PARAGRAPH_END = SENTENCE_END + "：:”’」』）)…"
#: Closing quote marks and brackets that belong to the sentence they close (after its 。).
CLOSERS = "”’」』）)"
#: A line shorter than this is a title, signature or list line, never a page-broken paragraph.
MIN_BROKEN_LINE = 40


@dataclass
class Paragraph:
    text: str
    segments: list[Span]  # ranges of the source that make up text (several after a repair)

    @property
    def span(self) -> Span:
        return self.segments[0][0], self.segments[-1][1]


def heading_kind(line: str) -> str | None:
    """The kind of heading marker ``line`` starts with, or None."""
    for kind, pattern in HEADING_PATTERNS:
        if pattern.match(line):
            return kind
    return None


def heading_title(line: str) -> tuple[str, bool]:
    """Split a heading line into its title and whether body text follows on the same line.

    ``（一）加强技能人才队伍建设力度。各级……`` → (``（一）加强技能人才队伍建设力度``, True);
    ``一、总体要求`` → (``一、总体要求``, False); ``（一）健全国家职业教育制度框架。`` → (…, False).
    """
    kind = heading_kind(line)
    if kind == "appendix":
        return line.strip().rstrip("：:").strip(), False  # 附录： is cited as 附录
    if kind in {"part", "chapter", "section"}:
        return line.strip(), False
    if kind == "article":
        marker = HEADING_PATTERNS[HEADING_LEVEL["article"]][1].match(line).group(0)
        return marker, bool(line[len(marker):].strip())
    cut = re.search(r"[。！？；]", line)
    if cut is None:
        return line.strip(), False
    title, rest = line[: cut.start()], line[cut.end():]
    return title.strip(), bool(rest.strip())


def is_pure_heading(line: str) -> bool:
    return heading_kind(line) is not None and not heading_title(line)[1]


def raw_lines(text: str) -> list[Span]:
    """Spans of the non-blank lines of ``text``, stripped of surrounding whitespace."""
    spans = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group(0)
        stripped = line.strip()
        if not stripped:
            continue
        start = match.start() + (len(line) - len(line.lstrip()))
        spans.append((start, start + len(stripped)))
    return spans


def article_clauses(text: str) -> list[list[Span]]:
    """The 款 of ``text`` (one article as in the file), each as its lines: the 款's own line, then
    the lines of its items (项), which open with an item number (（一）, (二))."""
    item_line = HEADING_PATTERNS[HEADING_LEVEL["level2"]][1]
    clauses: list[list[Span]] = []
    for start, end in raw_lines(text):
        if clauses and item_line.match(text[start:end]):
            clauses[-1].append((start, end))
        else:
            clauses.append([(start, end)])
    return clauses


def article_part(text: str, paragraph: int | None = None, item: str | None = None) -> Span | None:
    """The span of ``text`` (one article as in the file, 第X条 first) that is its 第``paragraph``款
    and/or its item ``item`` (the numeral of 第六项: 六), or None when it has no such part.

    This is how laws cite inside an article: a 款 is a paragraph, and a line that opens with an
    item number (（一）, (二)) is an item (项) of the 款 above it, not a 款 of its own. Without a 款,
    the item is the article's first item of that number."""
    item_line = HEADING_PATTERNS[HEADING_LEVEL["level2"]][1]
    clauses = article_clauses(text)
    if paragraph is not None:
        if not 0 < paragraph <= len(clauses):
            return None
        clauses = [clauses[paragraph - 1]]
    if item is None:
        return (clauses[0][0][0], clauses[0][-1][1]) if paragraph is not None else None
    for lines in clauses:
        for start, end in lines[1:]:
            match = item_line.match(text[start:end])
            if match and match.group(1) == item:
                return start, end
    return None


def _is_page_broken(first: str, length: int, last_char: str, following: str) -> bool:
    """A long body paragraph (``first`` line, total ``length``) without closing punctuation,
    followed by a line that is not a heading."""
    return (
        length >= MIN_BROKEN_LINE
        and last_char not in PARAGRAPH_END
        and not is_pure_heading(first)
        and heading_kind(following) is None
    )


def paragraphs(text: str) -> list[Paragraph]:
    """Non-blank lines as paragraphs, with page-break splits joined back together.

    The seed notice was received with paragraphs cut at page ends (「指明了前进」 / 「方向」):
    such a line is joined with the next one, and the whitespace between is left out of the
    paragraph's text but kept in its segments, so offsets still point into the original.
    """
    groups: list[list[tuple[int, int]]] = []
    length = 0
    for s, e in raw_lines(text):
        line = text[s:e]
        if groups and _is_page_broken(text[slice(*groups[-1][0])], length, text[groups[-1][-1][1] - 1], line):
            groups[-1].append((s, e))  # lists, not string concatenation: long runs stay linear
            length += e - s
        else:
            groups.append([(s, e)])
            length = e - s
    return [Paragraph("".join(text[s:e] for s, e in segs), segs) for segs in groups]


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of ``text``: cut after 。；！？ (with any closing quote) and at line ends."""
    spans: list[Span] = []
    start = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in SENTENCE_END or ch == "\n":
            end = i + 1
            while end < n and text[end] in CLOSERS:
                end += 1
            if text[start:end].strip():
                spans.append(_strip_span(text, start, end))
            start = end
            i = end
            continue
        i += 1
    if start < n and text[start:].strip():
        spans.append(_strip_span(text, start, n))
    return spans


def _strip_span(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def pack_sentences(text: str, max_chars: int) -> list[Span]:
    """Cut ``text`` into sentence-aligned pieces of at most ``max_chars``, overlapping by one sentence.

    A single sentence longer than ``max_chars`` becomes a piece of its own, cut at commas or,
    failing that, hard at ``max_chars``.
    """
    if len(text) <= max_chars:
        return [(0, len(text))]
    sentences: list[Span] = []
    for s, e in split_sentences(text):
        sentences.extend(_cut_long(text, s, e, max_chars))
    pieces: list[Span] = []
    i = 0
    while i < len(sentences):
        j = i
        while j + 1 < len(sentences) and sentences[j + 1][1] - sentences[i][0] <= max_chars:
            j += 1
        pieces.append((sentences[i][0], sentences[j][1]))
        if j + 1 >= len(sentences):
            break
        # Start the next piece with the last sentence of this one (the overlap), unless that
        # would not move forward.
        i = j if j > i else j + 1
    return pieces


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[Span]:
    if end - start <= max_chars:
        return [(start, end)]
    out = []
    while end - start > max_chars:
        window = text[start : start + max_chars]
        cut = max(window.rfind("，"), window.rfind(","), window.rfind("、"))
        stop = start + (cut + 1 if cut > max_chars // 3 else max_chars)
        out.append((start, stop))
        start = stop
    if start < end:
        out.append((start, end))
    return out


# -- a document's apparatus: banner, 文号, title, addressees, signature, date ---------------------

#: The date under a document's signature: 2021年4月30日, or in words as documents dated before 2012
#: write it (GB/T 9704-1999 wants the 成文日期 in Chinese numerals): 一九九四年十二月六日, 二〇〇八年九月十八日.
ISSUE_DATE = re.compile(
    r"(?:(?:19|20)\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
    r"|[一二][〇零○Ｏ九][〇零○Ｏ一二三四五六七八九]{2}\s*年\s*(?:十[一二]?|[一二三四五六七八九])\s*月"
    r"\s*(?:[一二]?十[一二三四五六七八九]?|三十一?|[一二三四五六七八九])\s*日)")
#: A 文号 as documents write it: 国发〔2019〕4号, or an order's number, 国务院令第188号.
ISSUE_NUMBER = re.compile(r"〔\s*(?:19|20)\d\d\s*〕\s*\d+\s*号|令\s*第\s*[\d一二三四五六七八九十百零〇]+\s*号")
#: The kinds of document (文种) a title ends with and a document calls itself by (本条例…).
DOCUMENT_KINDS = ("法", "条例", "规定", "办法", "决定", "细则", "方案", "意见", "通知", "批复")
#: A law's or regulation's clause on when it takes effect, usually its last article:
#: 本法自2022年5月1日起施行 / 本条例自发布之日起施行.
EFFECTIVE_CLAUSE = re.compile(rf"本(?:{'|'.join(DOCUMENT_KINDS)})\s*自.{{0,20}}?起\s*(?:施行|生效|执行)")
#: A reply's opening that only acknowledges the request it answers and announces the reply
#: (你部《关于…的请示》（教职成〔2018〕8号）收悉。现批复如下：): content, since it names the request, but
#: not what the reply says; the decision follows it.
ACKNOWLEDGEMENT = re.compile(r"\s*[^。]{2,200}收悉[。，,]\s*(?:现[^。]{0,20}如下\s*[：:。]\s*)?")
#: How a line ends that introduces a list (有下列情形之一的：, 劳动范围：).
LEAD_IN_ENDS = ("：", ":")
#: A line that ends in a colon with no sentence inside: a document's addressees (各省、自治区、直辖市人民
#: 政府，国务院各部委…：), or in an article the lead-in of a list (有下列情形之一的：).
ADDRESSEE_LINE = re.compile(r"(?m)^\s*[^。；！？\n]{2,120}[：:]\s*$")


def addressee_span(text: str, apparatus: bool) -> tuple[int, int] | None:
    """Where ``text`` holds a document's addressee line, without the whitespace around it: a
    colon-ended line of an apparatus chunk, or anywhere one that opens with 各 as addressees do
    (各省、…; 各有关单位), which no list's lead-in does (a 印发 notice's addressees share its chunk
    with its text, so that chunk is no apparatus); None if it holds none."""
    for line in ADDRESSEE_LINE.finditer(text):
        words = line.group()
        start = line.start() + len(words) - len(words.lstrip())
        if apparatus or text.startswith("各", start):
            return start, line.start() + len(words.rstrip())
    return None


def addressee_line(text: str, apparatus: bool) -> bool:
    """Whether ``text`` holds a document's addressee line (:func:`addressee_span`)."""
    return addressee_span(text, apparatus) is not None


#: An attachment note: what a document attaches, named after 附件 (附件：国务院职业教育工作部际联席会议制度,
#: 附件1：…), on a line of its own below the text.
ATTACHMENT_LINE = re.compile(r"(?m)^[ \t\u3000]*附件\s*[\d一二三四五六七八九十]*\s*[：:][^\n。；]{2,80}$")


def attachment_span(text: str, apparatus: bool = True) -> tuple[int, int] | None:
    """Where ``text`` holds an attachment note (:data:`ATTACHMENT_LINE`), without the whitespace
    around it, or None (``apparatus`` is not needed: the note says what it is)."""
    match = ATTACHMENT_LINE.search(text)
    if match is None:
        return None
    words = match.group()
    return match.start() + len(words) - len(words.lstrip()), match.start() + len(words.rstrip())


#: Lines that are apparatus (banner, signature date, publication note, addressees): the table
#: ingest/data/apparatus.tsv, one pattern a line with the reason it is there.
_APPARATUS_LINE = re.compile(alternation([
    pattern.replace("{ISSUE_DATE}", ISSUE_DATE.pattern)
    for pattern, _why in read_table(Path(__file__).resolve().parent / "data" / "apparatus.tsv", 2)
]))


def is_apparatus(text: str, title: str, doc_number: str = "", issuer: str = "") -> bool:
    """Whether ``text`` (a chunk) is only the document's apparatus, not its content: every line
    is the issuing organ's banner, the 文号, (part of) the title, an addressee line, the issuer,
    the signature date or (此件公开发布).

    Such lines share the title's words with every question about the document, so they would
    be the first hit for questions about its content; search ranks them lower unless the
    question asks about the document itself (its 文号, date, issuer)."""
    bare = lambda s: "".join(s.split())  # noqa: E731
    title, doc_number, issuer = bare(title), bare(doc_number), bare(issuer)
    lines = [bare(line) for line in text.splitlines() if line.strip()]
    return bool(lines) and all(
        (line in title and "。" not in line) or line in (doc_number, issuer) or _APPARATUS_LINE.fullmatch(line)
        for line in lines
    )
