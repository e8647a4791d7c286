"""Follow-up questions: a short question that leans on the previous one (那…呢, 这个, 它) is
searched together with the previous question's subject, and the answer says how it was read.

「企业招聘有什么要求？」 then 「那事业单位招聘呢？」 is searched as 「事业单位招聘 要求」; 「劳动合同的
试用期怎么规定？」 then 「它最长多久？」 as 「劳动合同试用期最长多久？」. After a question that cites an
article, 「那第二款呢？」 reads as that article's 第二款 and 「第十一条呢？」 as the same law's 第十一条. Only
the page keeps a conversation, so only the page passes the previous question; ``policyqa ask`` has none.
"""
from __future__ import annotations

import re
import unicodedata

from retriever.references import article_span, reference_kind
from retriever.text import content_terms

#: A follow-up is short: longer questions say what they are about themselves.
MAX_FOLLOW_UP_CHARS = 20
_THAT = re.compile(r"^(?:那么|那|还有|另外|如果是|要是)(?P<core>.+?)(?:呢|怎么样|怎么办|如何)?[？?。！!\s]*$")
_ABOUT = re.compile(r"^(?P<core>.+?)(?:呢)[？?。！!\s]*$")
_PRONOUN = re.compile(r"这个|这些|这项|这种|该项|它们|它|其")


def read_follow_up(question: str, previous: str | None) -> str | None:
    """How ``question`` reads with ``previous`` before it, or None when it stands alone."""
    question = question.strip()
    if not previous or not question or len(question) > MAX_FOLLOW_UP_CHARS:
        return None
    before = content_terms(previous)
    if not before:
        return None
    if _PRONOUN.search(question):
        # 它 / 这个 stand for the previous question's subject (its first words)
        subject = "".join(before[:2])
        return _PRONOUN.sub(subject, question, count=1)
    match = _THAT.match(question) or _ABOUT.match(question)
    if not match:
        return None
    core = match.group("core").strip("，, ")
    if not core:
        return None
    cited = _within_cited_law(core, previous)
    if cited:
        return cited
    # the new subject replaces the previous one (its first word); what was asked about it stays
    asked = [t for t in before[1:] if t not in core]
    return " ".join([core, *asked]) if asked else None


def _within_cited_law(core: str, previous: str) -> str | None:
    """``core`` (第二款, 第十一条) read inside the law and article ``previous`` cites: that article's
    part, or the same law's other article; None when either is not such a reference."""
    kind = reference_kind(core)
    previous = unicodedata.normalize("NFKC", previous)
    span = article_span(previous)
    if kind is None or span is None:
        return None
    law, article = previous[:span[0]].strip("，,。 "), previous[span[0]:span[1]]
    if kind == "part":
        return f"{law}{article}{core}"
    return f"{law}{core}" if law else None  # no law named before: the article stands alone


def reading_notice(reading: str) -> str:
    return f"按“{reading}”理解（接上一个问题）。"
