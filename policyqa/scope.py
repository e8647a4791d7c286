"""A document filter (限定文件, ``--doc``) narrows what may answer; the answer says so.

Searching only the chosen documents always finds *something*, and the refusal signals (best
cosine, term coverage) are about the corpus as a whole, so 「双师型教师要有多少年企业经历？」
limited to 教师法 used to quote 教师法第二十条. Here a question is refused within the filter when
it names a corpus word (双师型) that none of the chosen documents contains, not even as an
official word for it from the query lexicon (老师 → 教师); the words the corpus does not know
at all are left to the usual refusal checks. A question that names documents (劳动合同法第十条)
none of which is chosen is refused too, naming them: a chosen law's article of that number would
be cited for another law's. Every filtered answer, refused or not, says which documents it was
limited to.
"""
from __future__ import annotations

import re
from collections.abc import Container, Mapping

from ingest.schema import quoted_title
from policyqa.answer import Answer
from policyqa.config import REFUSAL_TEXT
from retriever.text import content_terms

#: A question term shorter than this is not checked (one character words are too common).
MIN_TERM_CHARS = 2
#: Titles named in the notice before it says "等 N 个文件".
NAMED_TITLES = 3
#: The filtered best sentence must trail the unfiltered one by this much before a missing word
#: refuses: a chosen law that answers in other words (教师资格 in 教师法: gap 0.006) stays
#: answered, one that does not (双师型 in 教师法: 0.032, in 职业教育法: 0.023) is refused.
MIN_GAP = 0.015
_SPACE = re.compile(r"\s+")


def filter_notice(titles: list[str]) -> str:
    named = "、".join(titles[:NAMED_TITLES])
    more = f"等 {len(titles)} 个文件" if len(titles) > NAMED_TITLES else ""
    return f"已限定文件：只在{named}{more}中查找。"


def missing_terms(question: str, texts: list[str], vocabulary: Container[str], lexicon: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The question's corpus words that none of ``texts`` contains (nor an official word for them)."""
    compact = [_SPACE.sub("", t) for t in texts]
    missing = []
    for term in content_terms(question):
        if len(term) < MIN_TERM_CHARS or term not in vocabulary:
            continue
        words = (term, *lexicon.get(term, ()))
        if not any(word in text for word in words for text in compact):
            missing.append(term)
    return missing


def within_filter(answer: Answer, query: str, docs: list[str], documents: Mapping, vocabulary: Container[str],
                  lexicon: Mapping[str, tuple[str, ...]], best_anywhere: float, named_elsewhere: tuple[str, ...] = ()) -> Answer:
    """``answer`` (found in ``docs`` only) with the filter named in its notice, and refused when
    the question names documents the filter leaves out (``named_elsewhere``, none of the named ones
    chosen: a chosen law's article or rule of the same kind would be cited for another law's), or
    asks about something the chosen documents never mention while the rest of the corpus matches
    it better (``best_anywhere``: the best sentence cosine without the filter, at least
    ``MIN_GAP`` above the filtered one)."""
    chosen = [documents[d] for d in docs]
    notice = filter_notice([d.title for d in chosen])
    answer.notice = f"{notice}{answer.notice}"
    named = "、".join(quoted_title(documents[d].title) for d in named_elsewhere if d in documents)
    if named:
        return _refused(answer, f"问题提到的{named}不在所选文件中", f"问题提到的{named}不在所选文件中")
    if answer.refused or best_anywhere - answer.sentence_top < MIN_GAP:
        return answer
    missing = missing_terms(query, [d.text for d in chosen], vocabulary, lexicon)
    if missing:
        return _refused(answer, f"所选文件中没有出现“{missing[0]}”", f"所选文件中没有出现“{'”“'.join(missing)}”")
    return answer


def _refused(answer: Answer, reason: str, told: str) -> Answer:
    """``answer`` turned into a refusal for ``reason``, its notice saying ``told`` and how to search everywhere."""
    answer.answer, answer.refused, answer.citations = REFUSAL_TEXT, True, []
    answer.reason = reason
    answer.notice = f"{answer.notice}{told}，可取消限定后在全部文件中查找。"
    return answer
