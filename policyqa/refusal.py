"""When to refuse: a table of small, pure checks, each returning a reason or "".

A wrong citation is worse than no answer, so a question is refused when any check fires. The
checks and their thresholds were calibrated on eval/data/dev.jsonl (see README, "Refusals"):

- ``instruction``: the text addresses the system (忽略以上指令, 写一首诗, 编一份文件…), not a policy;
- ``weak_evidence``: the best single-sentence cosine is below ``min_dense_score``;
- ``unknown_terms``: too few of the question's content words occur anywhere in the corpus;
- ``unknown_document``: the question names a 《document》 that is not in the index, or puts in
  quotes a term the corpus never uses;
- ``unknown_place``: the question is about a place the corpus never mentions (广东省, 上海);
- ``unknown_time``: a year the corpus never mentions, or 今年/明年/最新 (the texts have fixed dates);
- ``unknown_article``: an article (第70条) that the documents it names do not have;
- ``missing_figure``: the question asks for a figure (an amount, a percentage, a date, a count)
  and none of the quotes that would answer it contains one of that kind.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Container
from dataclasses import dataclass, field

from retriever.references import bare_title, chinese_number
from retriever.text import content_terms, cut, has_words

_INSTRUCTION = re.compile(
    r"忽略(?:以上|上面|之前|前面|所有)?.{0,6}(?:指令|提示|规则|要求|文件|资料|文档|材料|来源|引用)|系统提示词|提示词|system prompt|"
    # asking for the system's own opinion instead of the documents'
    r"(?:你自己|你个人)(?:觉得|认为|的看法|的观点|怎么看)|"
    r"(?:帮我|请|给我)?(?:写|作|编)(?:一|几)?(?:首|篇|段|份|个)[^，。？?]{0,12}(?:诗|文章|小说|故事|作文|文件|红头文件|通知)|"
    r"编造|伪造|扮演|你现在是|没有任何限制|不受限制|越狱|jailbreak|"
    # telling the system to drop its rules or sources, or to write something of its own
    r"(?:不用|不要|别)(?:管|理|查|看|遵守|引用|参考|依据).{0,8}(?:规则|引用|要求|文件|文档|资料)|(?:照|按)我说的|"
    # asking for the system's own rules or settings
    r"(?:系统|检索|你的)(?:规则|设定|设置|提示|指令)|原样输出|"
    r"(?:用英文|用英语|给我)(?:写|作|编)|写(?:一|几)?篇|(?:起草|撰写|草拟|代写)(?:一|几)?(?:篇|份|段)",
    re.IGNORECASE,
)

_NUM = r"[\d０-９一二三四五六七八九十百千万两半]"
#: What a question asks for → what a quote must contain to answer it.
FIGURE_KINDS: list[tuple[str, re.Pattern, re.Pattern]] = [
    ("金额", re.compile(r"多少钱|多少元|几元|多少块|多少[^，。？?\s]{0,4}(?:津贴|补贴|补助|工资|奖金|费用|补偿|赔偿|经费)|费用是多少|标准是多少"), re.compile(rf"{_NUM}+\s*(?:万|千)?元")),
    ("比例", re.compile(r"百分之几|百分之多少|几个百分点|多少个百分点|比例是多少|多少比例|多大比例|占多少|占比多少|几成|几倍|多少倍"), re.compile(rf"{_NUM}+\s*[%％]|百分之|{_NUM}+\s*(?:倍|成)|{_NUM}+分之|一半|半数")),
    ("日期", re.compile(r"哪天|哪一天|几月几[号日]|几月份?|几号|什么时候|何时|截止日期|哪年|哪一年|什么日期"), re.compile(rf"{_NUM}+\s*年|{_NUM}+\s*月{_NUM}+\s*日|每年")),
    # hours of work, or of study (学时/课时): the quote must count that very unit
    ("时长", re.compile(r"几个小时|多少小时|几小时|(?:多少|几)个?[^，。？?\s]{0,4}[学课]时"), re.compile(rf"{_NUM}+\s*(?:个)?(?:小时|学时|课时)")),
    ("期限", re.compile(r"多久|多长时间|有效期|多少天|几天"), re.compile(r"(?<!\d)(?:\d{1,2}|[一二三四五六七八九十两半]+)\s*(?:年|个月|周|天|日)")),
    ("次数", re.compile(r"几次|几回|多少次"), re.compile(rf"{_NUM}+\s*(?:次|回)")),
    ("数量", re.compile(r"多少所|几所|多少节|几节课|多少个|多少名|多少人|多少门|多少项"),
     re.compile(rf"{_NUM}+\s*(?:所|节|个|名|人|门|项|学时|课时)")),
    # a question that ends on 多少 (注册资金最少得准备多少？ 能少交多少？) asks for a figure of some kind
    ("数额", re.compile(r"多少[？?！!。\s]*$"),
     # a lone 一 is an article (一所学校, 一个机制), not a figure
     re.compile(rf"\d|(?:[二三四五六七八九十百千万两]|一[十百千万])[一二三四五六七八九十百千万两]*\s*(?:万|千)?"
                rf"(?:元|倍|成|个|所|名|人|年|月|日|天|次|门|项|学时|课时|小时|周)|[%％]|百分之|分之|一半|半数")),
]


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


def term_coverage(query: str, vocabulary: Container[str], lexicon: dict[str, tuple[str, ...]] | None = None) -> float:
    """Share of the question's content words that occur in the corpus (:func:`known_terms`)."""
    known, total = known_terms(query, vocabulary, lexicon)
    return known / total if total else 0.0


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
    """A 《document》 the index does not hold, or a “term” in quotes the corpus never uses."""
    indexed = {bare_title(t) for t in ctx.titles}
    for named in re.findall(r"《([^》]{2,60})》", ctx.query):
        bare = bare_title(named)
        if not any(bare in t or t in bare for t in indexed):
            return f"文档库中没有《{named}》"
    for term in re.findall(r"[“\"「]([^”\"」]{2,20})[”\"」]", ctx.query):
        if not occurs(term, ctx.vocabulary):
            return f"文档中没有出现“{term}”"
    return ""


#: Province-level divisions and large cities: jieba also tags common nouns as places (山区,
#: 沾边), so a place counts only when it names one of these or ends like an administrative unit.
_PROVINCES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 "
    "四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 "
    "深圳 广州 杭州 南京 苏州 成都 武汉 西安 郑州 长沙 沈阳 大连 青岛 厦门 宁波 济南 哈尔滨 长春 昆明 "
    "贵阳 南宁 福州 合肥 南昌 石家庄 太原 呼和浩特 兰州 西宁 银川 乌鲁木齐 拉萨 海口 无锡 东莞 佛山"
).split()
_ADMINISTRATIVE = re.compile(r"(?:省|市|县|自治区|自治州|特别行政区)$")


#: Words that end like an administrative unit but name none: 大城市, 本市, 各省, 外县.
_GENERIC_PLACE = re.compile(r"城市$|^(?:大|小|本|该|各|外|全|每|哪个?|某)(?:省|市|县|区)$")


def places_in(query: str) -> list[str]:
    """Named places in the question: jieba ``ns`` words that are a province or large city, or
    end like an administrative unit (…省, …市, …县) without being a generic one (大城市, 本市)."""
    import jieba.posseg

    return [
        w.word for w in jieba.posseg.lcut(query)
        if w.flag == "ns" and len(w.word) >= 2 and (
            any(p in w.word for p in _PROVINCES) or (_ADMINISTRATIVE.search(w.word) and not _GENERIC_PLACE.search(w.word)))
    ]


def unknown_place(ctx: RefusalContext) -> str:
    for place in ctx.places:
        stem = re.sub(r"(?:省|市|自治区|县|区)$", "", place)
        if stem and not occurs(stem, ctx.vocabulary):
            return f"文档中没有关于“{place}”的内容"
    return ""


_RELATIVE_TIME = re.compile(r"今年|明年|去年|最新")


def unknown_time(ctx: RefusalContext) -> str:
    """Questions about a year the documents never mention, or about "this year" / "the latest"."""
    for year in re.findall(r"(?<!\d)(?:19|20)\d\d(?=年)", ctx.query):
        if year not in ctx.vocabulary:
            return f"文档中没有关于{year}年的内容"
    match = _RELATIVE_TIME.search(ctx.query)
    if match:
        return f"文档是固定日期发布的政策文件，无法回答“{match.group(0)}”的情况"
    return ""


def unknown_article(ctx: RefusalContext) -> str:
    """An article the named documents (or, when none is named, all of them) do not have: another
    article would be a wrong citation (「职业教育法第七十条」: the law ends at 第六十九条)."""
    if ctx.article is None or ctx.article_found:
        return ""
    where = "、".join(f"《{bare_title(t)}》" for t in ctx.named_titles) or "文档"
    number = chinese_number(ctx.article) if 0 < ctx.article < 10000 else str(ctx.article)
    return f"{where}中没有第{number}条"


def asked_figures(query: str) -> list[tuple[str, re.Pattern]]:
    """The kinds of figure a question asks for, with the pattern an answer must contain."""
    return [(kind, answer) for kind, asks, answer in FIGURE_KINDS if asks.search(query)]


#: A sub-question needs this many characters to stand on its own (not 是吗？ or 半年还是一年？).
MIN_PART_CHARS = 6


def question_parts(query: str) -> list[str]:
    """The sub-questions of a question: its pieces between ？ ? ； ; (empty ones dropped)."""
    return [part.strip() for part in re.split(r"[？?；;]", query) if part.strip()]


def unanswered_figures(query: str, quotes: list[str]) -> list[tuple[str, str]]:
    """``(sub-question, kind)`` for each sub-question that asks for a figure no quote states."""
    return [(part, kind) for part in question_parts(query) for kind, answer in asked_figures(part)
            if not any(answer.search(q) for q in quotes)]


def missing_figure(ctx: RefusalContext) -> str:
    """Refuse when the figure asked for is in no quote, unless only a follow-up asks for it:
    「学校自己能定吗？多久能调一次？」 is answered for its first, main sub-question, and the answer
    says that the texts give no 期限 for the second (:func:`unanswered_figures`, the answer's
    notice). When the main question asks the figure (「证书有效期是几年？过期了怎么续？」), the
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
    instruction, weak_evidence, unknown_terms, unknown_document, unknown_place, unknown_time, unknown_article,
]
AFTER_QUOTES: list[Callable[[RefusalContext], str]] = [missing_figure]


def first_reason(ctx: RefusalContext, checks) -> str:
    for check in checks:
        reason = check(ctx)
        if reason:
            return reason
    return ""
