"""Exact-wording search (原文检索) over the original texts of the indexed documents.

Matching ignores whitespace (a phrase split by a page break is still found) and quotation
marks (双师型教师 finds “双师型”教师, as the texts quote a coined term), converts
traditional characters to simplified and folds full-width/half-width forms and letter case
on both sides. Every occurrence is mapped back to offsets in the document text and to the
chunk (article/heading path) that contains it. Used by the page's 原文检索 tab (page/exact.py
renders it) and by ``policyqa find``.
"""
from __future__ import annotations

import bisect
import re
import functools
import unicodedata
from array import array
from collections import Counter
from dataclasses import asdict, dataclass, field

from ingest.schema import Chunk, SourceDocument, quoted_title, short_citation
from ingest.structure import SENTENCE_END
from retriever.text import strip_control, strip_surrogates, to_simplified

#: Most occurrences listed for one search.
MAX_OCCURRENCES = 200
#: Characters of context shown on each side of an occurrence.
CONTEXT_CHARS = 60
MAX_PHRASE_CHARS = 200


@functools.lru_cache(maxsize=65536)
def fold_char(ch: str) -> str:
    """One character, compatibility-folded (全角 → 半角) and lower-cased, when that stays one character."""
    folded = unicodedata.normalize("NFKC", ch).lower()
    return folded if len(folded) == 1 else ch


#: Quotation marks, skipped on both sides like whitespace.
QUOTE_MARKS = frozenset("“”‘’「」『』\"")


def _matched(ch: str) -> bool:
    return not ch.isspace() and ch not in QUOTE_MARKS


def normalise_phrase(phrase: str) -> str:
    """The phrase as it is matched: simplified, folded, without whitespace and quotation marks."""
    text = to_simplified(strip_surrogates(strip_control(phrase or "")))
    return "".join(folded for folded in map(fold_char, text) if _matched(folded))


@dataclass
class Occurrence:
    doc_id: str
    title: str
    doc_number: str
    date: str
    start: int  # offsets in the document text; the match is doc.text[start:end]
    end: int
    heading: str  # heading path of the chunk containing the occurrence
    chunk_id: str
    before: str
    match: str
    after: str
    citation: str  # 《标题》（文号）第X条
    cut_before: bool = False  # the context does not reach the start/end of its paragraph/article
    cut_after: bool = False
    sentence: str = ""  # the whole sentence(s) holding the match, for the copy button

    @property
    def copy_text(self) -> str:
        """What 复制引用 copies: the sentence and where it is from."""
        return f"“{self.sentence or self.match}”（{self.citation}）"

    def in_context(self) -> tuple[str, str, str]:
        """(before, match, after) for display on one line, with … where the context is cut short:
        the page marks the match up, the terminal brackets it."""
        return (("…" if self.cut_before else "") + flat_text(self.before), flat_text(self.match),
                flat_text(self.after) + ("…" if self.cut_after else ""))

    def to_dict(self) -> dict:
        """The occurrence as JSON (``policyqa find --json``): ``doc.text[start:end]`` is ``match``."""
        return {**asdict(self), "copy_text": self.copy_text}


@dataclass
class ExactResult:
    phrase: str  # as typed
    normalised: str
    occurrences: list[Occurrence] = field(default_factory=list)
    total: int = 0
    #: document label → occurrences (all, not only listed); two versions of one title are told apart by date
    per_doc: dict[str, int] = field(default_factory=dict)
    limit: int = MAX_OCCURRENCES
    message: str = ""  # when nothing could be searched
    scope: int = 0  # how many documents a filter left to search; 0: no filter, all of them

    @property
    def truncated(self) -> bool:
        return self.total > len(self.occurrences)


class _DocText:
    """A document's text without whitespace and quotation marks, folded, with a map back to the
    original offsets."""

    def __init__(self, doc: SourceDocument, chunks: list[Chunk]):
        self.doc = doc
        keep = [(i, folded) for i, folded in enumerate(map(fold_char, doc.text)) if _matched(folded)]
        self.squeezed = "".join(ch for _, ch in keep)
        self.offsets = array("l", (i for i, _ in keep))
        segments = sorted((s, e, c) for c in chunks for s, e in c.segments)
        self.seg_starts = [s for s, _, _ in segments]
        self.segments = segments

    def chunk_at(self, offset: int) -> Chunk | None:
        """The chunk one of whose segments contains ``offset``; else the next chunk (a heading
        line belongs to what follows it), else the last one before."""
        if not self.segments:
            return None
        i = bisect.bisect_right(self.seg_starts, offset) - 1
        if i >= 0 and self.segments[i][0] <= offset < self.segments[i][1]:
            return self.segments[i][2]
        if i + 1 < len(self.segments):
            return self.segments[i + 1][2]
        return self.segments[i][2] if i >= 0 else None

    def find(self, needle: str):
        """Start/end offsets (in the original text) of every occurrence, overlapping ones included."""
        pos = self.squeezed.find(needle)
        while pos >= 0:
            yield self.offsets[pos], self.offsets[pos + len(needle) - 1] + 1
            pos = self.squeezed.find(needle, pos + 1)


def document_labels(documents) -> dict[str, str]:
    """doc_id → how the per-document counts name it: its 《title》, with its date (or id) where
    another document of the index has the same title (an older and a newer version)."""
    documents = list(documents)
    titles = Counter(doc.title for doc in documents)
    return {doc.doc_id: quoted_title(doc.title) + (f"（{doc.date or doc.doc_id}）" if titles[doc.title] > 1 else "")
            for doc in documents}


class ExactIndex:
    """Built once per loaded index (cheap: one pass over the texts)."""

    def __init__(self, documents: dict[str, SourceDocument], chunks: list[Chunk]):
        by_doc: dict[str, list[Chunk]] = {}
        for chunk in chunks:
            by_doc.setdefault(chunk.doc_id, []).append(chunk)
        self.docs = {doc_id: _DocText(doc, by_doc.get(doc_id, [])) for doc_id, doc in documents.items()}
        self.labels = document_labels(documents.values())

    def search(self, phrase: str, limit: int = MAX_OCCURRENCES, context: int = CONTEXT_CHARS, docs: list[str] | None = None) -> ExactResult:
        needle = normalise_phrase(phrase)
        result = ExactResult(phrase=phrase or "", normalised=needle, limit=limit)
        if not needle:
            result.message = "请输入要查找的词语或句子。"
            return result
        if len(needle) > MAX_PHRASE_CHARS:
            result.message = f"查找内容过长（{len(needle)} 字），请不超过 {MAX_PHRASE_CHARS} 字。"
            return result
        wanted = None
        if docs:  # the page's 限定文件: ids of documents no longer indexed (another tab's ingest) drop out
            wanted = set(docs) & set(self.docs)
            if not wanted:
                result.message = "所选文件已不在索引中，请刷新页面后重新选择。"
                return result
            result.scope = len(wanted)
        for doc_id, entry in self.docs.items():
            if wanted is not None and doc_id not in wanted:
                continue
            doc = entry.doc
            for start, end in entry.find(needle):
                result.total += 1
                label = self.labels[doc_id]
                result.per_doc[label] = result.per_doc.get(label, 0) + 1
                if len(result.occurrences) >= limit:
                    continue
                chunk = entry.chunk_at(start)
                # context stays inside the paragraph/article: never runs into the next heading or article
                low, high = _bounds(chunk, start, end, len(doc.text))
                result.occurrences.append(
                    Occurrence(
                        doc_id=doc_id,
                        title=quoted_title(doc.title),
                        doc_number=doc.doc_number,
                        date=doc.date,
                        start=start,
                        end=end,
                        heading=chunk.heading_path if chunk else "",
                        chunk_id=chunk.chunk_id if chunk else "",
                        before=doc.text[max(low, start - context) : start],
                        match=doc.text[start:end],
                        after=doc.text[end : min(high, end + context)],
                        citation=short_citation(doc, chunk),
                        cut_before=start - context > low,
                        cut_after=end + context < high,
                        sentence=flat_text(doc.text[slice(*_sentence(doc.text, start, end, low, high))]).strip(),
                    )
                )
        return result


def _bounds(chunk: Chunk | None, start: int, end: int, n: int) -> tuple[int, int]:
    """The paragraph/article around ``start:end`` (the chunk's, else the whole text)."""
    if chunk is not None:
        low, high = chunk.para_span
        if low <= start and end <= high and high > low:
            return low, high
        first, last = chunk.segments[0][0], chunk.segments[-1][1]
        if first <= start and end <= last:
            return first, last
    return 0, n


def _sentence(text: str, start: int, end: int, low: int, high: int) -> tuple[int, int]:
    """The sentence(s) holding ``start:end``, within ``low:high``: from after the previous
    。；！？ to the next one (line breaks inside a sentence do not end it)."""
    left = max((text.rfind(ch, low, start) for ch in SENTENCE_END), default=-1)
    left = low if left < low else left + 1
    rights = [i for i in (text.find(ch, end, high) for ch in SENTENCE_END) if i >= 0]
    right = min(rights) + 1 if rights else high
    return left, right


_CJK = "\u3400-\u9fff"
_BREAK_IN_WORDS = re.compile(rf"(?<=[{_CJK}])\s*\n\s*(?=[{_CJK}])")


def flat_text(text: str) -> str:
    """Text for display on one line: a line/page break between two Chinese characters is
    dropped (it splits a sentence, not words); other whitespace runs become one space."""
    return re.sub(r"\s+", " ", _BREAK_IN_WORDS.sub("", text))
