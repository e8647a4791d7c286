"""The two records that flow from files to the index: a source document and its chunks."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from ingest.structure import heading_kind

_QUOTED_TITLE = re.compile(r"^《[^《》]+》(（[^（）《》]*）)?$")


def content_key(doc: SourceDocument) -> str:
    """What two copies of one text share whatever their line breaks and spacing: two files with the
    same key are the same document (ingest keeps the first; an upload of it is refused)."""
    return "".join(doc.text.split())


def quoted_title(title: str) -> str:
    """A document title as a quoted source: inside 《》, never bare.

    The title comes from the file (its header or first line), so it is the author's words,
    not the system's: a first line 「根据现有政策文件，所有教师工资翻倍」 shown bare after the
    answer's lead 「根据现有政策文件：」 read as the system's own claim. ``《标题》`` and
    ``《标题》（2009年修正）`` stay as they are; anything else is wrapped, with title marks inside
    it turned into the nested ones (〈〉) as Chinese typesetting does.
    """
    title = " ".join(str(title or "").split())
    if _QUOTED_TITLE.match(title):
        return title
    return "《" + title.replace("《", "〈").replace("》", "〉") + "》"


def short_citation(doc: SourceDocument, chunk: Chunk | None) -> str:
    """《标题》（文号）第X条 for laws (the article alone), the heading path for other documents:
    how a source card and a 原文检索 hit are labelled, and what their copy buttons paste."""
    number = f"（{doc.doc_number}）" if doc.doc_number else ""
    where = ""
    if chunk is not None and chunk.heading:
        last = chunk.heading[-1]
        where = last if heading_kind(last) == "article" else chunk.heading_path  # 第四条 is cited alone
    return f"{quoted_title(doc.title)}{number}{where}".strip()


@dataclass
class SourceDocument:
    """One official document as read from a file.

    ``text`` is the official text (below the ``---`` header, line endings normalised to
    ``\\n``); every chunk offset points into it.
    """

    doc_id: str  # stable slug from the file name
    title: str
    text: str
    doc_number: str = ""
    issuer: str = ""
    date: str = ""
    source_url: str = ""
    path: str = ""
    sha256: str = ""  # of the decoded text + metadata, for incremental re-ingest
    status: str = ""  # the optional ``status:`` header, e.g. 已废止 (ingest/versions.py)
    level: str = ""  # national / provincial / municipal / county (ingest/jurisdiction.py), set at load
    region: str = ""  # the province or city it applies to (上海市), "" for national documents
    superseded_by: str = ""  # doc_id of a newer version of the same title in the index, set at build

    def __post_init__(self):
        if not self.level:  # older index files have no level: derive it as a load would
            from ingest.jurisdiction import jurisdiction

            self.level, self.region = jurisdiction(self.title, self.issuer)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SourceDocument":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class Chunk:
    """A citable unit: a paragraph (or an article of a law), or a sentence-aligned piece of one.

    ``segments`` are the ``(start, end)`` ranges of the document text that make up ``text``:
    ``"".join(doc.text[s:e] for s, e in segments) == text``. There is more than one only
    where a page-break split was repaired (the break's whitespace is left out).
    """

    chunk_id: str
    doc_id: str
    text: str
    segments: list[tuple[int, int]]
    heading: list[str] = field(default_factory=list)  # e.g. ["第四章 职业学校和职业培训机构", "第三十三条"]
    paragraph: int = 0  # 1-based number of the paragraph/article in the document
    piece: int = 0  # 0 when the paragraph is whole; 1, 2, … for pieces of a long one
    para_span: tuple[int, int] = (0, 0)  # the whole paragraph/article in the document text

    @property
    def start(self) -> int:
        return self.segments[0][0]

    @property
    def end(self) -> int:
        return self.segments[-1][1]

    @property
    def heading_path(self) -> str:
        return " ".join(self.heading)

    def source_offset(self, i: int, end: bool = False) -> int:
        """Map an offset into ``text`` (0..len) to an offset into the document text.

        At a repaired page break, a start offset maps past the break and an ``end`` offset
        before it, so a quote's source span never begins or ends in the break's whitespace.
        """
        consumed = 0
        for s, e in self.segments:
            if i < consumed + (e - s) or (end and i == consumed + (e - s)):
                return s + (i - consumed)
            consumed += e - s
        if i == consumed:
            return self.segments[-1][1]
        raise IndexError(f"offset {i} outside chunk {self.chunk_id}")

    def text_offset(self, source: int, end: bool = False) -> int:
        """The offset into ``text`` of document offset ``source`` (the inverse of :meth:`source_offset`):
        one inside a repaired page break maps to the next segment's start, or as an ``end`` to the
        previous segment's end."""
        consumed = 0
        for s, e in self.segments:
            if source < e or (end and source == e):
                return consumed + max(0, source - s) if not end or source > s else consumed
            consumed += e - s
        return consumed

    def to_dict(self) -> dict:
        data = asdict(self)
        data["segments"] = [list(s) for s in self.segments]
        data["para_span"] = list(self.para_span)
        data["start"], data["end"] = self.start, self.end
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Chunk":
        return cls(
            chunk_id=data["chunk_id"],
            doc_id=data["doc_id"],
            text=data["text"],
            segments=[tuple(s) for s in data["segments"]],
            heading=list(data.get("heading", [])),
            paragraph=data.get("paragraph", 0),
            piece=data.get("piece", 0),
            para_span=tuple(data.get("para_span", (0, 0))),
        )
