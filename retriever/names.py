"""The names of documents: the aliases their titles, 文号 and orders give; everyday short names
(retriever/data/document_names.tsv); issuing organs (retriever/data/issuer_names.tsv) and the library's
catalogue by organ, kind and year; the national laws not held (retriever/data/law_names.txt); and names
written one character off or shortened.

All functions but the tables' readers are pure.
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
from ingest.structure import DOCUMENT_KINDS
from retriever.citations import NUMBER, article_number, normalise_reference_text
from retriever.numerals import chinese_number


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


ORDER_DIGITS = r"[\d〇零一二三四五六七八九十百千两]+"
#: A regulation's number is the order that made it: 国务院令第652号, 中华人民共和国主席令第一一二号; the
#: order of an amendment follows it in brackets: 国务院令第375号（2010年12月20日国务院令第586号修订）.
_ORDER = re.compile(rf"(.{{2,20}}?)令第?({ORDER_DIGITS})号")
_AMENDING_ORDER = re.compile(rf"日(.{{2,20}}?令第?{ORDER_DIGITS}号)修订")


def order_aliases(doc_number: str) -> set[str]:
    """The ways people write a document's order numbers (its own and an amendment's): with or
    without 第 and 中华人民共和国, the number in Arabic or Chinese numerals (主席令第112号 for
    中华人民共和国主席令第一一二号, 国务院令652号)."""
    number = normalise_reference_text(doc_number)
    aliases = set()
    for written in (re.split(r"[（(]", number)[0], *_AMENDING_ORDER.findall(number)):
        match = _ORDER.fullmatch(written)
        value = article_number(match.group(2)) if match else None
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


#: Endings that make a document's name another's, the rules implementing it (教师资格条例实施办法):
#: retriever/data/implementing_kinds.tsv.
IMPLEMENTING_KINDS = Path(__file__).parent / "data" / "implementing_kinds.tsv"
IMPLEMENTING = re.compile("|".join(sorted((kind for kind, _why in read_table(IMPLEMENTING_KINDS, 2)), key=len, reverse=True)))
#: How implementing rules open: 为了实施《职工带薪年休假条例》（以下简称条例），制定本实施办法; 为了贯彻实施《…法》.
_IMPLEMENTS = re.compile(r"(?m)^[ \t\u3000]*(?:第[一1]条[ \t\u3000]*)?(?:为了|为)(?:贯彻)?实施《([^《》\n]{2,60})》")
#: The opening is looked for this far into a document's text (its title and 印发 lines come first).
OPENING_CHARS = 1_000


def implementing_aliases(texts: Mapping[str, tuple[str, str]],
                         aliases: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Names of implementing rules the library holds, as people write them: the held document's
    name with the rules' kind after it. ``texts``: doc id → (title, text). 《企业职工带薪年休假实施办法》
    opens 「为了实施《职工带薪年休假条例》…」, so 年休假条例实施办法 and 职工带薪年休假条例实施办法 name it,
    not a document the library lacks."""
    table: dict[str, list[str]] = {}
    for doc_id, (title, text) in texts.items():
        bare = bare_title(title)
        kind = IMPLEMENTING.search(bare)
        if not kind or kind.end() != len(bare):  # its own title must end in the kind: 《…实施办法》
            continue
        implemented = _IMPLEMENTS.search(text[:OPENING_CHARS])
        if not implemented:
            continue
        targets = aliases.get(normalise_reference_text(implemented.group(1)), ())
        for alias, ids in aliases.items():
            if set(ids) & set(targets) and doc_id not in ids:
                table.setdefault(alias + kind.group(0), []).append(doc_id)
    return {alias: tuple(dict.fromkeys(ids)) for alias, ids in table.items() if alias not in aliases}


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


#: After a law's name, a character that makes it another word: 农业法律, 刑法学, 企业法人.
NOT_A_NAME_AFTER = re.compile(r"[律规学理人院]")
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
_CITATION_START = re.compile(rf"第\s*[（(]?\s*{NUMBER}\s*[）)]?\s*条|{NUMBER}\s*条")
_ANY_KIND = ""  # the tables of names with a character of their kind masked


#: (kind, length) → an alias with one character (not of its kind) masked → (alias, its document).
NearNames = dict[tuple[str, int], dict[str, list[tuple[str, str]]]]
MASK = "\0"


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
            table.setdefault(alias[:i] + MASK + alias[i + 1:], []).append((alias, ids[0]))
        table = index.setdefault((_ANY_KIND, len(alias)), {})
        for i in range(len(alias) - len(kind), len(alias)):
            table.setdefault(alias[:i] + MASK + alias[i + 1:], []).append((alias, ids[0]))
    return index


def near_alias(text: str, near_names: NearNames) -> tuple[int, int, str] | None:
    """``(start, end, alias)``: where ``text`` (normalised) writes one document's alias with one
    character wrong, or None when no alias, or aliases of more than one document, are that near."""
    found: dict[str, tuple[int, int, str]] = {}

    def look_up(table: dict[str, list[tuple[str, str]]], end: int, length: int, masked: range) -> None:
        start = end - length
        window = text[start:end] if start >= 0 else ""
        for i in masked if window else ():
            for alias, doc_id in table.get(window[:i] + MASK + window[i + 1:], ()):
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
