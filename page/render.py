"""Answer → chat markdown and sources-panel HTML; pure functions, no Gradio.

Every piece of user or document text goes through :func:`escape_md` (chat, rendered as
markdown) or :func:`escape_html` (HTML panels) before it is put into markup. The only markup
in the output is what these functions write themselves.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass


from ingest.schema import Chunk, SourceDocument, quoted_title, short_citation
from ingest.structure import SENTENCE_END, is_apparatus
from policyqa.answer import RELATED_TEXT, Answer
from policyqa.config import REFUSAL_TEXT
from retriever.text import strip_surrogates

#: Characters with a meaning in markdown or HTML: written as numeric character references in
#: chat messages, so they always show as themselves (no links, emphasis, tags or LaTeX).
_MD_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~$&\"'=:/@^%")
_TRAILING_MARKERS = re.compile(r"^(.*?)((?:\[\d+\])+)$", re.S)

PANEL_PLACEHOLDER = '<div class="pq-empty">提问后，答案引用的原文段落会显示在这里，答案中的编号可点击跳转。</div>'


def _valid(text) -> str:
    """Lone surrogates (possible in JSON from a browser) cannot be encoded: show U+FFFD."""
    return strip_surrogates(str(text), "\ufffd")


def escape_html(text: str) -> str:
    """HTML-escape text for element content and quoted attribute values."""
    return html.escape(_valid(text), quote=True)


def escape_md(text: str) -> str:
    """Escape text for a markdown message: no character can start markup of any kind."""
    return "".join(f"&#{ord(ch)};" if ch in _MD_SPECIAL else ch for ch in _valid(text))


def anchor_id(turn: int, number: int | str) -> str:
    """The id of a source card: unique per answer, so older answers' links still work."""
    return f"src-{turn}-{number}"


# -- chat ------------------------------------------------------------------------------------
def question_markdown(question: str) -> str:
    """The user's message as shown in the chat: plain text, whatever it contains."""
    return escape_md(question)


def badge(text: str, kind: str) -> str:
    """A small coloured label (no emoji: they depend on the reader's fonts)."""
    return f'<span class="pq-badge pq-badge-{kind}">{escape_md(text)}</span>'


def error_markdown(message: str) -> str:
    return f"{badge('提示', 'warn')} {escape_md(message)}"


#: Where the sources are: beside the chat on a wide screen, below it on a phone (style.css
#: shows one of the two words by screen width).
SOURCES_NOTICE = (
    '<span class="pq-wide">右侧</span><span class="pq-narrow">下方</span>'
    + escape_md("“来源”栏列出了几个可能相关的段落，它们不是答案，仅供参考。")
)

PENDING_MARKDOWN = f"{badge('查找中', 'info')} 正在查找相关政策原文…"


def _cite_link(turn: int, number: str) -> str:
    return f'<a class="pq-cite" href="#{anchor_id(turn, number)}">[{number}]</a>'


def answer_line_markdown(line: str, turn: int, numbers: set[int]) -> str:
    """One answer line: escaped text, its trailing [n] markers turned into links to the panel."""
    match = _TRAILING_MARKERS.match(line)
    if not match:
        return escape_md(line)
    body, markers = match.groups()
    found = re.findall(r"\[(\d+)\]", markers)
    if not all(int(n) in numbers for n in found):
        return escape_md(line)
    return escape_md(body) + "".join(_cite_link(turn, n) for n in found)


def answer_lines(answer: Answer, turn: int) -> list[str]:
    """The chat message for ``answer`` as markdown lines (streamed one by one)."""
    lines = []
    if answer.notice:
        lines.append(f"{badge('提示', 'warn')} <span class=\"pq-notice\">{escape_md(answer.notice)}</span>")
    if answer.refused:
        lines.append(f"{badge('无法回答', 'refused')} <span class=\"pq-refusal-text\">{escape_md(answer.answer or REFUSAL_TEXT)}</span>")
        if related_hits(answer.retrieved):
            lines.append(SOURCES_NOTICE)
        return lines
    numbers = {c.number for c in answer.citations}
    lines.extend(answer_line_markdown(line, turn, numbers) for line in answer.answer.split("\n") if line.strip())
    return lines


def join_lines(lines: list[str]) -> str:
    return "\n\n".join(lines)


def feedback_status_html(message: str, ok: bool = True) -> str:
    """The line under the chat that confirms a 赞/踩 (role=status: read out by screen readers)."""
    kind = "pq-feedback-ok" if ok else "pq-feedback-warn"
    return f'<div class="pq-feedback {kind}" role="status">{escape_html(message)}</div>'


# -- sources panel ---------------------------------------------------------------------------
@dataclass
class Highlighted:
    """A paragraph split around the quote: ``context_before + before + quote + after + context_after``.

    ``before``/``quote``/``after`` are the cited chunk's text; ``context_*`` is the rest of the
    paragraph (or article) in the document, when the chunk is a piece of a longer one.
    """

    context_before: str
    before: str
    quote: str
    after: str
    context_after: str


def highlight_parts(doc: SourceDocument, chunk: Chunk, quote_start: int, quote_end: int) -> Highlighted:
    text = chunk.text
    para_start, para_end = chunk.para_span
    if not (para_start <= chunk.start and chunk.end <= para_end):
        para_start, para_end = chunk.start, chunk.end
    return Highlighted(
        doc.text[para_start : chunk.start],
        text[:quote_start],
        text[quote_start:quote_end],
        text[quote_end:],
        doc.text[chunk.end : para_end],
    )


def highlighted_paragraph_html(parts: Highlighted) -> str:
    out = []
    if parts.context_before:
        out.append(f'<span class="pq-ctx">{escape_html(parts.context_before)}</span>')
    out.append(escape_html(parts.before))
    out.append(f"<mark>{escape_html(parts.quote)}</mark>")
    out.append(escape_html(parts.after))
    if parts.context_after:
        out.append(f'<span class="pq-ctx">{escape_html(parts.context_after)}</span>')
    return f'<p class="pq-para">{"".join(out)}</p>'


def _meta_html(doc: SourceDocument, chunk: Chunk) -> str:
    bits = []
    if doc.doc_number:
        bits.append(f'<span class="pq-docno">{escape_html(doc.doc_number)}</span>')
    if doc.date:
        bits.append(f'<span class="pq-date">{escape_html(doc.date)}</span>')
    meta = f'<div class="pq-meta">{"".join(bits)}</div>' if bits else ""
    heading = chunk.heading_path or "（正文）"
    return meta + f'<div class="pq-heading">{escape_html(heading)}</div>'


def citation_card_html(citation, turn: int) -> str:
    doc, chunk = citation.hit.doc, citation.hit.chunk
    parts = highlight_parts(doc, chunk, citation.quote_start, citation.quote_end)
    label = f"{short_citation(doc, chunk)}{citation.part}"  # 第十四条第六项 when that part was asked for
    return (
        f'<article class="pq-card" id="{anchor_id(turn, citation.number)}">'
        f'<div class="pq-card-head"><span class="pq-num">{citation.number}</span>'
        f'<span class="pq-title">{escape_html(quoted_title(doc.title))}</span></div>'
        f"{_meta_html(doc, chunk)}"
        f"{highlighted_paragraph_html(parts)}"
        f'<div class="pq-card-foot"><span class="pq-label">{escape_html(label)}</span>'
        f'<span class="pq-card-buttons"><button type="button" class="pq-open-doc" data-doc="{escape_html(doc.doc_id)}" '
        f'data-chunk="{escape_html(chunk.chunk_id)}">查看全文</button>'
        f'<button type="button" class="pq-copy" data-cite="{escape_html(label)}">复制引用</button></span></div>'
        f"</article>"
    )


def document_view_html(doc: SourceDocument, start: int, end: int) -> str:
    """The whole document, one paragraph a line, the paragraphs overlapping ``start:end`` (the
    cited paragraph's offsets in the text) marked; the first of them has the id the page scrolls to."""
    out, pos, first = [], 0, True
    for block in re.split(r"(\n\s*\n)", doc.text):
        b_start, b_end = pos, pos + len(block)
        pos = b_end
        if not block.strip():
            continue
        cited = b_start < end and start < b_end
        attrs = ' class="pq-doc-para pq-doc-cited"' if cited else ' class="pq-doc-para"'
        if cited and first:
            attrs += ' id="pq-docview-target"'
            first = False
        out.append(f"<p{attrs}>{escape_html(block.strip())}</p>")
    number = f"（{doc.doc_number}）" if doc.doc_number else ""
    return (
        '<div class="pq-docview-overlay" role="dialog" aria-label="文件全文">'
        '<div class="pq-docview-box"><div class="pq-docview-head">'
        f'<span class="pq-title">{escape_html(doc.title)}{escape_html(number)}</span>'
        '<button type="button" class="pq-docview-close">关闭</button></div>'
        f'<div class="pq-docview-body">{"".join(out)}</div></div></div>'
    )


_SENTENCE_END = re.compile(f"[{re.escape(SENTENCE_END)}]")


def shown_lines(hit) -> str:
    """The text of a passage worth showing as "possibly related": without the document's
    apparatus lines (banner, 文号, addressees, signature, date, 此件公开发布, 附件 notes:
    ``ingest.structure.is_apparatus``); "" when nothing with a sentence in it is left."""
    doc = hit.doc
    kept = [
        line for line in hit.chunk.text.splitlines()
        if line.strip()
        and not is_apparatus(line, doc.title, doc.doc_number, getattr(doc, "issuer", ""))
    ]
    return "\n".join(kept) if any(_SENTENCE_END.search(line) for line in kept) else ""


def related_hits(hits, n: int = 3, skip: set[str] = frozenset()) -> list[tuple[object, str]]:
    """The first ``n`` of ``hits`` (not in ``skip``, chunk ids) with something to show: (hit, text)."""
    out = []
    for hit in hits:
        if hit.chunk.chunk_id in skip:
            continue
        text = shown_lines(hit)
        if text:
            out.append((hit, text))
        if len(out) == n:
            break
    return out


def related_card_html(hit, turn: int, i: int, text: str | None = None) -> str:
    doc, chunk = hit.doc, hit.chunk
    return (
        f'<article class="pq-card pq-related" id="{anchor_id(turn, f"r{i}")}">'
        f'<div class="pq-card-head"><span class="pq-num pq-num-related">?</span>'
        f'<span class="pq-title">{escape_html(quoted_title(doc.title))}</span></div>'
        f"{_meta_html(doc, chunk)}"
        f'<p class="pq-para">{escape_html(chunk.text if text is None else text)}</p>'
        f"</article>"
    )


def sources_section_html(answer: Answer, turn: int, related: int = 3) -> str:
    """The sources of one answer: cited paragraphs with the quote marked, or for a refusal the
    refusal and the top ``related`` passages, labelled as not an answer."""
    head = f'<div class="pq-turn-q">问题 {turn}：{escape_html(_shorten(answer.question, 80))}</div>'
    if answer.refused:
        body = [f'<div class="pq-refusal"><span class="pq-badge pq-badge-refused">无法回答</span> {escape_html(answer.answer or REFUSAL_TEXT)}</div>']
        hits = related_hits(answer.retrieved, related)
        if hits:
            body.append(
                '<div class="pq-related-box"><div class="pq-related-head">'
                f"不是答案 · {escape_html(RELATED_TEXT)}</div>"
                + "".join(related_card_html(h, turn, i, text) for i, (h, text) in enumerate(hits, start=1))
                + "</div>"
            )
        return f'<section class="pq-turn pq-turn-refused" data-turn="{turn}">{head}{"".join(body)}</section>'
    # one card per quote, best first, then the nearest passages not quoted, folded
    cards = "".join(citation_card_html(c, turn) for c in answer.citations)
    others = related_hits(answer.retrieved, related, skip={c.hit.chunk.chunk_id for c in answer.citations})
    if others:
        cards += (
            f'<details class="pq-more"><summary>其他相关段落（{len(others)}）· 未被引用，仅供参考</summary>'
            + "".join(related_card_html(h, turn, i, text) for i, (h, text) in enumerate(others, start=1))
            + "</details>"
        )
    return f'<section class="pq-turn" data-turn="{turn}">{head}{cards}</section>'


def panel_html(sections: list[tuple[int, str, str]]) -> str:
    """All answers' sources, newest first and open; older ones folded (links still open them).

    ``sections``: ``(turn, question, section_html)`` in the order they were asked.
    """
    if not sections:
        return PANEL_PLACEHOLDER
    out = []
    for i, (turn, question, body) in enumerate(reversed(sections)):
        if i == 0:
            out.append(body)
        else:
            summary = f"问题 {turn}：{escape_html(_shorten(question, 40))}"
            out.append(f'<details class="pq-older"><summary>{summary}</summary>{body}</details>')
    return "".join(out)


def _shorten(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# -- documents ---------------------------------------------------------------------------------
def documents_html(documents: list[dict]) -> str:
    """The documents in the index (title, 文号, date, number of passages) as a table."""
    if not documents:
        return '<div class="pq-empty">索引中还没有文件。</div>'
    rows = "".join(
        "<tr>"
        f'<td>{escape_html(quoted_title(d["title"]))}</td>'
        f'<td>{escape_html(d.get("doc_number") or "—")}</td>'
        f'<td class="pq-nowrap">{escape_html(d.get("date") or "—")}</td>'
        f'<td class="pq-num-col">{int(d.get("chunks", 0))}</td>'
        "</tr>"
        for d in documents
    )
    return (
        f'<div class="pq-doc-count">索引中共有 {len(documents)} 个文件。</div>'
        '<table class="pq-docs"><thead><tr><th>标题</th><th>文号</th><th>发布日期</th><th>段落数</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def document_choices(documents: list[dict]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for the document filter."""
    out = []
    for d in documents:
        number = f"（{d['doc_number']}）" if d.get("doc_number") else ""
        out.append((f"{quoted_title(d['title'])}{number}", d["doc_id"]))
    return out
