"""The page's rendering of exact-wording search results (retriever/exact.py finds them)."""
from __future__ import annotations

from page.render import escape_html
from retriever.exact import ExactResult, Occurrence


def occurrence_html(occ: Occurrence, i: int) -> str:
    number = f"（{occ.doc_number}）" if occ.doc_number else ""
    date = f'<span class="pq-date">{escape_html(occ.date)}</span>' if occ.date else ""
    before, match, after = occ.in_context()
    return (
        f'<article class="pq-card pq-hit" data-occurrence="{i}">'
        f'<div class="pq-card-head"><span class="pq-num">{i}</span>'
        f'<span class="pq-title">{escape_html(occ.title)}{escape_html(number)}</span>{date}</div>'
        f'<div class="pq-heading">{escape_html(occ.heading or "（正文）")}</div>'
        f'<p class="pq-para">{escape_html(before)}<mark>{escape_html(match)}</mark>{escape_html(after)}</p>'
        f'<div class="pq-card-foot"><span class="pq-label">{escape_html(occ.citation)}</span>'
        f'<button type="button" class="pq-copy" data-cite="{escape_html(occ.copy_text)}">复制引用</button></div>'
        f"</article>"
    )


def results_html(result: ExactResult) -> str:
    if result.message:
        return f'<div class="pq-empty">{escape_html(result.message)}</div>'
    shown = len(result.occurrences)
    phrase = escape_html(result.normalised)
    where = f"在所选的 {result.scope} 个文件中" if result.scope else ""
    if not result.total:
        return f'<div class="pq-summary">{where}没有找到「{phrase}」。（已忽略空格和换行，繁体字按简体查找。）</div>'
    summary = (f"{where}，" if where else "") + f"「{phrase}」共出现 {result.total} 处"
    if len(result.per_doc) > 1:
        summary += "（" + "，".join(f"{escape_html(t)} {n} 处" for t, n in result.per_doc.items()) + "）"
    if result.truncated:
        summary += f"，只列出前 {shown} 处，请输入更长的词语缩小范围"
    summary += "。"
    cards = "".join(occurrence_html(o, i) for i, o in enumerate(result.occurrences, start=1))
    return f'<div class="pq-summary">{summary}</div>{cards}'
