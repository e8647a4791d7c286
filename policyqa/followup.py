"""Follow-up questions: a short question that leans on the previous one (那…呢, 这个, 它) is
searched together with the previous question's subject, and the answer says how it was read.

「企业招聘有什么要求？」 then 「那事业单位招聘呢？」 is searched as 「事业单位招聘 要求」; 「劳动合同的
试用期怎么规定？」 then 「它最长多久？」 as 「劳动合同试用期最长多久？」. After a question that cites an
article, 「那第二款呢？」 reads as that article's 第二款 and 「第十一条呢？」 as the same law's 第十一条 (after
a part, 「那第四段呢？」 as that part's 第四段). Only
the page keeps a conversation, so only the page passes the previous question; ``policyqa ask`` has none. 「那原文呢？」 after an article is
its whole wording; 「那教师法呢？」 after a question naming another document asks it of 教师法, and
「那第二部分呢？」 after one that names a document and nothing in it asks for that document's 第二部分.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from retriever.citations import Division, article_span, division_label, division_of, division_span, reference_kind
from retriever.text import content_terms

#: A follow-up is short: longer questions say what they are about themselves.
MAX_FOLLOW_UP_CHARS = 20
_THAT = re.compile(r"^(?:那么|那|还有|另外|如果是|要是)(?P<core>.+?)(?:呢|怎么样|怎么办|如何)?[？?。！!\s]*$")
_ABOUT = re.compile(r"^(?P<core>.+?)(?:呢)[？?。！!\s]*$")
_PRONOUN = re.compile(r"这个|这些|这项|这种|该项|它们|它|其")
#: 那原文呢: the whole wording of the article asked before (see references.asks_whole_wording).
_ONLY_WORDING = re.compile(r"(?:它的|其)?(?:原文|全文|原话|完整内容|完整条文|全部内容)(?:是什么|是怎么写的)?")


def read_follow_up(question: str, previous: str | None, names: Callable[[str], tuple[str, ...]] | None = None) -> str | None:
    """How ``question`` reads with ``previous`` before it, or None when it stands alone.
    ``names`` gives the document names a text writes (the index's, :meth:`Retriever.references`):
    with it, 「那教师法呢？」 after 「劳动合同法一共有多少条？」 asks the same of 教师法."""
    question = question.strip()
    if not previous or not question or len(question) > MAX_FOLLOW_UP_CHARS:
        return None
    before = content_terms(previous)
    if not before:
        return None
    match = _THAT.match(question) or _ABOUT.match(question)
    core = match.group("core").strip("，, ") if match else ""
    named = [name for name in names(previous) if name in previous] if names else []  # the documents it names
    # a reference (第二款, 原文) or a document's name: read against what the previous question cites
    cited = core and (_within_cited_law(core, previous) or (_same_of_another_document(core, previous, named, names) if names else None))
    if cited:
        return cited
    if named and reference_kind(core) in ("article", "division"):  # 「49号文讲了什么？」 then 「那第二部分呢？」
        return f"{named[0]}{core}"  # that document's 第二部分
    if reference_kind(core) in ("part", "paragraph", "article", "division"):
        # 第二款 belongs to an article, 第三段 to a part, 第二部分 or 第十条 to a document, and none was
        # cited or named before: it stands alone (not 「第二部分 人才」, the previous subject replaced)
        return None
    if _PRONOUN.search(question):
        # 它 / 这个 stand for the previous question's subject (its first words)
        subject = "".join(before[:2])
        return _PRONOUN.sub(subject, question, count=1)
    if not core:
        return None
    # a document the previous question names stays whole and first (女职工劳动保护特别规定, not its
    # words 女职工 劳动保护 特别, the first of which the new subject would replace)
    document = named[0] if named else ""
    terms = content_terms(previous.replace(document, " ")) if document else before
    # the new subject replaces the previous one (its first word); what was asked about it stays
    asked = [t for t in terms[1:] if t not in core]
    return " ".join([document, core, *asked]).strip() if asked or document else None


def _within_cited_law(core: str, previous: str) -> str | None:
    """``core`` (第二款, 第十一条, 第四章) read inside the law and article (or chapter) ``previous``
    cites: that article's part, or the same law's other article or chapter; None when either is
    not such a reference."""
    kind = reference_kind(core) or ("wording" if _ONLY_WORDING.fullmatch(core) else None)
    previous = unicodedata.normalize("NFKC", previous)
    span = article_span(previous)
    in_division = kind in ("article", "division", "wording", "paragraph") and span is None
    if in_division:
        span = division_span(previous)  # 「教师法第三章」, then 「那第四章呢？」, 「那第十二条呢？」 or 「那原文呢？」
    if kind is None or span is None or kind == "paragraph" and not in_division:
        return None  # (第二段 after an article would be a guess at its 第二款)
    law, article = previous[:span[0]].strip("，,。 "), previous[span[0]:span[1]]
    if kind in ("part", "wording", "paragraph"):  # 那第二款呢 / 那原文呢 / 那第四段呢: of the same article (or part)
        return f"{law}{article}{re.sub(r'^(?:它的|其)', '', core)}"
    asked = division_of(core) if kind == "division" and in_division else None
    if asked:  # 「第五章」 then 「那第二节呢？」: the 节 of that chapter
        core = division_label(_outer_steps(division_of(article), asked) + asked)
    return f"{law}{core}" if law else None  # no law named before: the article stands alone


#: How divisions nest: a 部分 (of a plan) holds 章, a 章 holds 节.
_DIVISION_RANK = {"部分": 0, "章": 1, "节": 2}


def _outer_steps(before: Division | None, asked: Division | None) -> Division:
    """The steps of the division cited ``before`` that hold the one ``asked`` next: 第五章 of
    第五章第二节 when 第三节 is asked, none when 第四章 is."""
    if not before or not asked:
        return ()
    rank = _DIVISION_RANK[asked[0][0]]
    return tuple(step for step in before if _DIVISION_RANK[step[0]] < rank)


def _same_of_another_document(core: str, previous: str, before: list[str],
                              names: Callable[[str], tuple[str, ...]]) -> str | None:
    """``previous`` asked again of the document ``core`` names (core is only its name): 「那教师法呢？」
    after 「劳动合同法一共有多少条？」 is 「教师法一共有多少条？」. ``before``: the names ``previous`` writes.
    None unless both name a document."""
    core = core.strip("的 ")
    if tuple(names(core)) != (core,):
        return None
    if not before or before[0] == core:
        return None
    return previous.replace(before[0], core, 1)


def reading_notice(reading: str) -> str:
    return f"按“{reading}”理解（接上一个问题）。"
