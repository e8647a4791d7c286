"""Structure-aware chunking: a document becomes citable units with heading paths and offsets.

The unit is the paragraph, or the whole article (第X条, with all its 款 and 项) in laws.
Headings (章/节, 一、, （一）, 1., （1）) are not units themselves; they become the heading path
of the units below them. A numbered line with nothing below it (「（一）学校按照……安排教师培训经费。」
as a document's last item) is content, not a heading, and is a unit. Runs of short lines (titles,
signatures, member lists) form one unit.
A unit longer than ``max_chars`` is cut at sentence ends with one sentence of overlap.
"""
from __future__ import annotations

import bisect
from pathlib import Path
import itertools
from dataclasses import dataclass

from ingest.schema import Chunk, SourceDocument
from ingest.structure import (
    HEADING_LEVEL,
    LEAD_IN_ENDS,
    Paragraph,
    heading_kind,
    heading_title,
    pack_sentences,
    paragraphs,
)

#: Bumped whenever chunking changes, so re-ingest re-chunks every document.
#: 2: a numbered line with nothing below it is a unit (version 1 kept it only as a heading).
#: 3: an annex mark (附录, 附件) is a top heading; a numbered lead-in (…范围：) keeps its items.
CHUNKER_VERSION = 3
#: Lines shorter than this (and not headings) are grouped with their short neighbours.
SHORT_LINE = 30
_STRUCTURAL = ("appendix", "part", "chapter", "section")


@dataclass
class _Unit:
    paras: list[Paragraph]
    heading: list[str]
    short: bool = False
    article: bool = False
    #: a numbered lead-in (三、女职工在孕期禁忌从事的劳动范围：) gathers the deeper items below it
    lead_in_level: int | None = None

    @property
    def segments(self):
        # Separate paragraphs keep the original newlines between them (one segment from the first
        # to the last), except page-break repairs, which skip the break's whitespace.
        segs = []
        for para in self.paras:
            if segs:
                segs[-1] = (segs[-1][0], para.segments[0][1])
                segs.extend(para.segments[1:])
            else:
                segs.extend(para.segments)
        return segs


def _heading_path(stack: dict[int, str]) -> list[str]:
    return [stack[level] for level in sorted(stack)]


def _set_heading(stack: dict[int, str], level: int, title: str | None) -> None:
    """``title`` becomes the heading at ``level``; deeper ones end (all from ``level`` on, for None)."""
    for deeper in [lv for lv in stack if lv >= level]:
        del stack[deeper]
    if title is not None:
        stack[level] = title


def structural_units(text: str) -> list[_Unit]:
    """Group the paragraphs of ``text`` into citable units with their heading paths."""
    paras = paragraphs(text)
    stack: dict[int, str] = {}
    units: list[_Unit] = []
    current: _Unit | None = None  # an open article (laws) or a run of short lines

    def close():
        nonlocal current
        if current is not None:
            units.append(current)
            current = None

    for i, para in enumerate(paras):
        line = para.text
        kind = heading_kind(line)
        if kind in _STRUCTURAL:
            close()
            _set_heading(stack, HEADING_LEVEL[kind], heading_title(line)[0])
            continue
        if kind == "article":
            close()
            title, _ = heading_title(line)
            _set_heading(stack, HEADING_LEVEL["article"], title)
            current = _Unit([para], _heading_path(stack), article=True)
            continue
        if current is not None and current.article and (kind is None or kind.startswith("level")):
            current.paras.append(para)  # 款 and 项 (（一）…；) belong to their article
            continue
        if current is not None and current.lead_in_level is not None and kind is not None \
                and HEADING_LEVEL[kind] > current.lead_in_level:
            current.paras.append(para)  # an item of the list its lead-in opens
            continue
        if kind is not None and line.endswith(LEAD_IN_ENDS) and heads_something(paras, i):
            # a numbered line that introduces the items below it is quoted with them, as an article
            # is with its 项: the items alone do not say what they are a list of
            close()
            current = _Unit([para], _heading_path(stack), lead_in_level=HEADING_LEVEL[kind])
            continue
        if kind is not None:
            title, has_body = heading_title(line)
            heading = has_body or heads_something(paras, i)
            # a numbered line with nothing below it is an item of its own: its parents are its path
            _set_heading(stack, HEADING_LEVEL[kind], title if heading else None)
            if heading and not has_body:
                close()
                continue
        if len(line) < SHORT_LINE and kind is None:
            if current is not None and current.short and sum(len(p.text) for p in current.paras) + len(line) <= 400:
                current.paras.append(para)
                continue
            close()
            current = _Unit([para], _heading_path(stack), short=True)
            continue
        close()
        units.append(_Unit([para], _heading_path(stack)))
    close()
    return units


def heads_something(paras: list[Paragraph], i: int) -> bool:
    """Whether the heading line ``paras[i]`` has anything below it: the next paragraph is body
    text or a deeper heading (not the end, nor a heading of the same or an outer level)."""
    if i + 1 >= len(paras):
        return False
    below = heading_kind(paras[i + 1].text)
    return below is None or HEADING_LEVEL[below] > HEADING_LEVEL[heading_kind(paras[i].text)]


#: A document cut into more chunks than this is refused (the longest shipped one has 109): a
#: 48 KB .docx of 20,000 one-character paragraphs became 20,000 chunks.
MAX_CHUNKS_PER_DOC = 1_500


def chunk_within_limit(doc: SourceDocument, max_chars: int = 400) -> list[Chunk]:
    """:func:`chunk_document`, refusing a document above MAX_CHUNKS_PER_DOC (LoadError naming
    the file and the limit)."""
    from ingest.loaders import LoadError

    chunks = chunk_document(doc, max_chars)
    if len(chunks) > MAX_CHUNKS_PER_DOC:
        name = Path(doc.path).name if doc.path else doc.doc_id
        raise LoadError(f"{name}: 切分后有 {len(chunks):,} 个片段，超过每个文件 {MAX_CHUNKS_PER_DOC:,} 个的上限，未读取；请拆分成多个文件")
    return chunks


def chunk_document(doc: SourceDocument, max_chars: int = 400) -> list[Chunk]:
    """Cut ``doc`` into chunks whose ids depend only on the document's file name and structure."""
    chunks: list[Chunk] = []
    for number, unit in enumerate(structural_units(doc.text), start=1):
        segments = unit.segments
        text = "".join(doc.text[s:e] for s, e in segments)
        whole = Chunk(
            chunk_id=f"{doc.doc_id}-p{number:03d}",
            doc_id=doc.doc_id,
            text=text,
            segments=segments,
            heading=unit.heading,
            paragraph=number,
            para_span=(segments[0][0], segments[-1][1]),
        )
        pieces = pack_sentences(text, max_chars)
        if len(pieces) == 1:
            chunks.append(whole)
            continue
        for i, (s, e) in enumerate(pieces, start=1):
            chunks.append(
                Chunk(
                    chunk_id=f"{whole.chunk_id}-{i}",
                    doc_id=doc.doc_id,
                    text=text[s:e],
                    segments=sub_segments(whole, s, e),
                    heading=unit.heading,
                    paragraph=number,
                    piece=i,
                    para_span=whole.para_span,
                )
            )
    return chunks


def sub_segments(chunk: Chunk, start: int, end: int) -> list[tuple[int, int]]:
    """Source segments covering ``chunk.text[start:end]``."""
    starts = list(itertools.accumulate((e - s for s, e in chunk.segments), initial=0))
    out = []
    # bisect to the first segment that ends after ``start``: long repaired runs stay linear
    for i in range(max(bisect.bisect_right(starts, start) - 1, 0), len(chunk.segments)):
        s, e = chunk.segments[i]
        consumed = starts[i]
        if consumed >= end:
            break
        lo, hi = max(start, consumed), min(end, consumed + e - s)
        if lo < hi:
            out.append((s + lo - consumed, s + hi - consumed))
    return out
