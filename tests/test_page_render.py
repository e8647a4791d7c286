"""The page's pure functions: escaping, highlights, anchors, exact-wording search, uploads, feedback.

No model and no index: documents are loaded and chunked from the shipped corpus.
"""
from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import html
import json
import re
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.chunker import chunk_document
from ingest.loaders import find_documents, load_document
from ingest.schema import Chunk, SourceDocument, short_citation
from page import render
from page.exact import results_html
from retriever.exact import MAX_OCCURRENCES, ExactIndex, normalise_phrase
from page.feedback import answer_record, append_feedback, feedback_entry
from page.guard import passwords_match
from page.upload import ALLOWED_SUFFIXES, MAX_UPLOAD_BYTES, MAX_UPLOAD_LABEL, UploadError, sanitize_filename, store_upload
from policyqa.answer import RELATED_TEXT, Answer, Citation
from policyqa.config import PROJECT_ROOT, REFUSAL_TEXT
from retriever.search import Hit

CORPUS = PROJECT_ROOT / "data" / "policies"
HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&[x](javascript:alert(3))**b** $$x$$'


@pytest.fixture(scope="module")
def corpus():
    docs, chunks = {}, []
    for path in find_documents(CORPUS):
        doc = load_document(path)
        docs[doc.doc_id] = doc
        chunks.extend(chunk_document(doc))
    return docs, chunks


@pytest.fixture(scope="module")
def exact(corpus):
    return ExactIndex(*corpus)


def _chunk_with(chunks, needle):
    found = [c for c in chunks if needle in c.text]
    assert found, needle
    return found[0]


def _citation(doc, chunk, quote, number=1):
    start = chunk.text.index(quote)
    return Citation(number, Hit(chunk, doc, 0.5, number), quote, start, start + len(quote))


def _hostile_doc():
    text = f"第一条 {HOSTILE} 教师的工资待遇 <b>按规定</b> 执行。\n\n第二条 其他。"
    doc = SourceDocument(doc_id="evil", title=f"《{HOSTILE}》", text=text, doc_number="<i>x</i>〔2024〕1号", date="2024-01-01")
    end = text.index("\n\n")
    chunk = Chunk("evil-p001", "evil", text[:end], [(0, end)], heading=["第<u>一</u>章", "第一条"], para_span=(0, end))
    return doc, chunk


def _no_live_html(out: str) -> None:
    """HTML panels: no tag or attribute from the text (text content itself is harmless)."""
    for bad in ("<script", "<img", "<b>", "<i>", "<u>", "onerror=alert(2)>"):
        assert bad not in out, (bad, out)


def _no_live_markup(out: str) -> None:
    """Chat markdown: no tags and nothing markdown could turn into links, emphasis or LaTeX."""
    _no_live_html(out)
    for bad in ("javascript:", "](", "**b**", "$$"):
        assert bad not in out, (bad, out)


# -- escaping ---------------------------------------------------------------------------------
def test_escape_md_leaves_no_markup_and_round_trips():
    out = render.escape_md(HOSTILE)
    _no_live_markup(out)
    assert html.unescape(out) == HOSTILE


def test_lone_surrogates_are_replaced():
    assert render.escape_md("a\ud800b") == "a\ufffdb"
    assert render.escape_html("\udfff<") == "\ufffd&lt;"
    assert normalise_phrase("指明\ud800了") == "指明了"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80, alphabet=st.characters(exclude_categories=["Cs"])))
def test_escape_md_any_text(text):
    out = render.escape_md(text)
    bare = re.sub(r"&#\d+;", "", out)  # what is left besides character references
    assert not set(bare) & set("<>[]()*_`$\\|#!~&:")
    assert html.unescape(out) == text


def test_question_and_answer_lines_are_escaped():
    doc, chunk = _hostile_doc()
    quote = "教师的工资待遇 <b>按规定</b> 执行。"
    citation = _citation(doc, chunk, quote)
    answer = Answer(HOSTILE, f"根据现有政策文件：\n{citation.label()}：“{quote}”[1]", False, [citation], [citation.hit])
    _no_live_markup(render.question_markdown(HOSTILE))
    lines = render.answer_lines(answer, turn=4)
    text = render.join_lines(lines)
    _no_live_markup(text.replace('<a class="pq-cite" href="#src-4-1">[1]</a>', ""))
    assert text.endswith('<a class="pq-cite" href="#src-4-1">[1]</a>')
    assert html.unescape(re.sub(r"<a [^>]+>\[1\]</a>", "", lines[-1])).endswith(f"“{quote}”")


def test_sources_panel_escapes_and_marks_the_verbatim_quote():
    doc, chunk = _hostile_doc()
    quote = "教师的工资待遇 <b>按规定</b> 执行。"
    citation = _citation(doc, chunk, quote)
    answer = Answer(HOSTILE, "x[1]", False, [citation], [citation.hit])
    out = render.sources_section_html(answer, turn=2)
    _no_live_html(out)
    marks = re.findall(r"<mark>(.*?)</mark>", out, re.S)
    assert [html.unescape(m) for m in marks] == [quote]
    assert 'id="src-2-1"' in out
    assert html.escape(doc.doc_number) in out and doc.date in out
    assert "第&lt;u&gt;一&lt;/u&gt;章 第一条" in out
    # the copy label is an escaped attribute value
    label = re.search(r'data-cite="([^"]*)"', out).group(1)
    assert html.unescape(label) == short_citation(doc, chunk)


def test_highlight_is_the_quote_in_a_real_paragraph(corpus):
    docs, chunks = corpus
    chunk = _chunk_with(chunks, "3年以上企业工作经历")
    doc = docs[chunk.doc_id]
    quote = "原则上从具有3年以上企业工作经历并具有高职以上学历的人员中公开招聘"
    citation = _citation(doc, chunk, quote)
    parts = render.highlight_parts(doc, chunk, citation.quote_start, citation.quote_end)
    assert parts.quote == quote
    assert parts.before + parts.quote + parts.after == chunk.text
    # the whole article/paragraph is shown around the chunk
    assert doc.text[chunk.para_span[0] : chunk.para_span[1]] == parts.context_before + chunk.text + parts.context_after
    out = render.citation_card_html(citation, turn=1)
    assert html.unescape(re.search(r"<mark>(.*?)</mark>", out).group(1)) == quote
    assert "《国家职业教育改革实施方案》" in out and "国发〔2019〕4号" in out and "2019-01-24" in out
    assert "（十二）多措并举打造“双师型”教师队伍" in html.unescape(out)


def test_a_card_for_a_part_of_an_article_copies_its_citation_with_the_part(corpus):
    docs, chunks = corpus
    chunk = _chunk_with(chunks, "(六)在上下班途中")
    citation = _citation(docs[chunk.doc_id], chunk, "(六)在上下班途中，受到非本人主要责任的交通事故或者城市轨道交通、客运轮渡、火车事故伤害的；")
    citation.part = "第六项"
    out = render.citation_card_html(citation, turn=1)
    label = html.unescape(re.search(r'data-cite="([^"]*)"', out).group(1))
    assert label.startswith("《工伤保险条例》") and label.endswith("第十四条第六项")


def test_highlight_in_a_page_break_repaired_chunk(corpus):
    docs, chunks = corpus
    chunk = [c for c in chunks if len(c.segments) > 1 and "指明了前进方向" in c.text][0]
    citation = _citation(docs[chunk.doc_id], chunk, "指明了前进方向，提供了根本遵循。")
    out = render.citation_card_html(citation, turn=1)
    assert html.unescape(re.search(r"<mark>(.*?)</mark>", out, re.S).group(1)) == citation.quote


def test_refusal_panel_separates_related_passages(corpus):
    docs, chunks = corpus
    content = [c for c in chunks if "。" in c.text][:5]
    hits = [Hit(c, docs[c.doc_id], 0.1, i) for i, c in enumerate(content, start=1)]
    answer = Answer("今天天气<b>怎么样</b>？", REFUSAL_TEXT, True, [], hits, reason="x")
    lines = render.answer_lines(answer, turn=3)
    assert REFUSAL_TEXT in html.unescape(lines[0])
    assert "不是答案" in html.unescape(lines[-1])
    out = render.sources_section_html(answer, turn=3)
    assert REFUSAL_TEXT in out and RELATED_TEXT in out and "不是答案" in out
    assert out.count('class="pq-card pq-related"') == 3 and "<mark>" not in out
    assert "&lt;b&gt;怎么样&lt;/b&gt;" in out


def test_notice_is_shown():
    answer = Answer("q", REFUSAL_TEXT, True, [], [], notice="问题过长（1200 字），只使用了前 1000 字。")
    assert "只使用了前 1000 字" in html.unescape(render.answer_lines(answer, 1)[0])


def test_panel_keeps_older_answers_folded_with_their_anchors():
    sections = [(1, "<q1>", '<section id="a"><article id="src-1-1"></article></section>'), (2, "q2", '<section id="b"><article id="src-2-1"></article></section>')]
    out = render.panel_html(sections)
    assert out.index('id="src-2-1"') < out.index('id="src-1-1"')
    assert "<details" in out and "&lt;q1&gt;" in out
    assert render.panel_html([]) == render.PANEL_PLACEHOLDER


def test_documents_table_and_filter_choices():
    docs = [{"doc_id": "a", "title": "《<x>》", "doc_number": "国发〔2019〕4号", "date": "2019-01-24", "chunks": 3}]
    out = render.documents_html(docs)
    assert "&lt;x&gt;" in out and "国发〔2019〕4号" in out and "2019-01-24" in out
    assert render.document_choices(docs) == [("《<x>》（国发〔2019〕4号）", "a")]


def test_short_citation_law_article_and_notice_heading(corpus):
    docs, chunks = corpus
    law = _chunk_with(chunks, "职业教育必须坚持中国共产党的领导")
    assert short_citation(docs[law.doc_id], law) == "《中华人民共和国职业教育法》（中华人民共和国主席令第一一二号）第四条"
    notice = _chunk_with(chunks, "3年以上企业工作经历")
    assert short_citation(docs[notice.doc_id], notice) == (
        "《国家职业教育改革实施方案》（国发〔2019〕4号）三、促进产教融合校企“双元”育人 （十二）多措并举打造“双师型”教师队伍"
    )


# -- exact-wording search ----------------------------------------------------------------------
def _check_occurrences(result, docs):
    for occ in result.occurrences:
        doc = docs[occ.doc_id]
        assert doc.text[occ.start : occ.end] == occ.match
        assert normalise_phrase(occ.match) == result.normalised


def test_exact_finds_a_phrase_split_by_a_page_break(exact, corpus):
    docs, _ = corpus
    result = exact.search("指明了前进方向")
    assert result.total == 1
    occ = result.occurrences[0]
    assert "\n" in occ.match, "the phrase straddles the page break in the seed notice"
    assert occ.doc_id.startswith("00_renshebuhan")
    assert occ.heading.startswith("一、深入学习领会习近平总书记对职业教育工作的重要指示精神")
    assert occ.citation.startswith("《人力资源社会保障部关于贯彻落实习近平总书记对职业教育工作重要指示精神的通知》（人社部函〔2021〕49号）一、")
    _check_occurrences(result, docs)
    out = results_html(result)
    assert [m for m in re.findall(r"<mark>(.*?)</mark>", out)] == ["指明了前进方向"]


def test_exact_converts_traditional_and_ignores_spaces(exact):
    simplified = exact.search("3年以上企业工作经历")
    traditional = exact.search("3年以上企業 工作經歷")
    assert simplified.total >= 1
    assert [(o.doc_id, o.start) for o in traditional.occurrences] == [(o.doc_id, o.start) for o in simplified.occurrences]
    occ = simplified.occurrences[0]
    assert occ.title == "《国家职业教育改革实施方案》" and occ.doc_number == "国发〔2019〕4号"
    assert occ.heading.endswith("（十二）多措并举打造“双师型”教师队伍")


def test_exact_skips_quotation_marks_as_it_skips_spaces(exact, corpus):
    # the plan writes “双师型”教师: a search without the marks finds it, and the match is the text as written
    plain, quoted = exact.search("双师型教师"), exact.search("“双师型”教师")
    assert plain.total >= 3 and [(o.doc_id, o.start) for o in plain.occurrences] == [(o.doc_id, o.start) for o in quoted.occurrences]
    docs, _ = corpus
    for o in plain.occurrences:
        assert docs[o.doc_id].text[o.start:o.end] == o.match == "双师型”教师"


def test_exact_law_occurrence_cites_the_article(exact):
    result = exact.search("职业教育必须坚持中国共产党的领导")
    assert result.occurrences[0].citation == "《中华人民共和国职业教育法》（中华人民共和国主席令第一一二号）第四条"
    assert "第一章" in result.occurrences[0].heading


def test_exact_caps_the_listing_and_says_so(exact, corpus):
    result = exact.search("的")
    assert result.total > MAX_OCCURRENCES
    assert len(result.occurrences) == MAX_OCCURRENCES and result.truncated
    assert f"只列出前 {MAX_OCCURRENCES} 处" in results_html(result)
    _check_occurrences(result, corpus[0])


def test_exact_counts_two_versions_of_one_title_apart(tmp_path):
    """Two versions of a law share a title; the per-document counts name each with its date."""
    docs, chunks = {}, []
    for name, date in (("old.txt", "1996-05-15"), ("new.txt", "2022-04-20"), ("other.txt", "2020-01-01")):
        title = "《某某条例》" if name != "other.txt" else "《另一规定》"
        (tmp_path / name).write_text(f"title: {title}\ndate: {date}\n---\n第一条 学校应当开展实习实训。\n", encoding="utf-8")
        doc = load_document(tmp_path / name)
        docs[doc.doc_id] = doc
        chunks.extend(chunk_document(doc))
    result = ExactIndex(docs, chunks).search("实习实训")
    assert result.total == 3
    assert result.per_doc == {"《某某条例》（1996-05-15）": 1, "《某某条例》（2022-04-20）": 1, "《另一规定》": 1}
    assert "《某某条例》（1996-05-15） 1 处" in results_html(result)


def test_exact_search_in_chosen_documents(exact, corpus):
    """原文检索's 限定文件: only the chosen documents are searched, and the summary says so; ids no
    longer indexed (the index changed under an open page) drop out, and with none left it says why."""
    docs = corpus[0]
    everywhere = exact.search("绩效工资")
    law = next(d for d in docs.values() if d.title == "《中华人民共和国职业教育法》")
    assert len(everywhere.per_doc) > 1 and law.doc_id in {o.doc_id for o in everywhere.occurrences}
    chosen = exact.search("绩效工资", docs=[law.doc_id, "gone-doc"])
    assert chosen.scope == 1 and chosen.total == everywhere.per_doc["《中华人民共和国职业教育法》"]
    assert {o.doc_id for o in chosen.occurrences} == {law.doc_id}
    assert results_html(chosen).startswith('<div class="pq-summary">在所选的 1 个文件中，「绩效工资」共出现')
    assert "在所选的 1 个文件中没有找到「双师型」" in results_html(exact.search("双师型", docs=[
        next(d.doc_id for d in docs.values() if d.title == "《工资支付暂行规定》")]))
    gone = exact.search("绩效工资", docs=["gone-doc"])
    assert gone.total == 0 and "已不在索引中" in results_html(gone)
    assert exact.search("绩效工资", docs=[]).scope == 0  # an empty choice is no filter


def test_exact_empty_and_hostile_phrases(exact):
    assert exact.search("  \n ").message
    out = results_html(exact.search("<img src=x onerror=alert(1)>"))
    assert "<img" not in out and "&lt;img" in out
    assert "没有找到" in out


def test_every_occurrence_maps_to_the_chunk_that_contains_it(exact, corpus):
    docs, chunks = corpus
    by_id = {c.chunk_id: c for c in chunks}
    for occ in exact.search("教师").occurrences:
        chunk = by_id[occ.chunk_id]
        assert any(s <= occ.start < e for s, e in chunk.segments) or chunk.start > occ.start


# -- uploads ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\x.md", "x.md"),
        ("关于印发《方案》的通知.PDF", "关于印发《方案》的通知.pdf"),
        (".hidden.txt", "hidden.txt"),
        ("..txt", "document.txt"),
        ("a b\tc\x00d.docx", "a_b_cd.docx"),
        ('con<>:|?*".html', "con.html"),
        ("x" * 300 + ".txt", "x" * 80 + ".txt"),
    ],
)
def test_sanitize_filename(name, expected):
    assert sanitize_filename(name) == expected


@pytest.mark.parametrize("name", ["virus.exe", "noext", "a.txt.sh", ""])
def test_sanitize_filename_refuses_other_types(name):
    with pytest.raises(UploadError):
        sanitize_filename(name)


def test_store_upload_never_overwrites_and_validates_first(tmp_path):
    corpus = tmp_path / "policies"
    corpus.mkdir()
    (corpus / "a.txt").write_text("title: 《甲》\n---\n第一条 原有的文件。\n", encoding="utf-8")
    existing = {"a": load_document(corpus / "a.txt")}
    new = tmp_path / "upload.txt"
    new.write_text("title: 《乙》\n---\n第一条 新上传的文件，内容不同。\n", encoding="utf-8")
    stored = store_upload(new, "../a.txt", corpus, existing)
    assert stored.path == corpus / "a-2.txt" and stored.renamed_from == "a.txt"
    assert "原有的文件" in (corpus / "a.txt").read_text(encoding="utf-8")
    assert stored.doc.title == "《乙》"
    # same content as an indexed document: refused
    with pytest.raises(UploadError, match="内容相同"):
        store_upload(corpus / "a.txt", "copy.txt", corpus, existing)
    # a file that cannot be loaded never reaches the corpus folder
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02\x03binary")
    with pytest.raises(UploadError, match="bad.txt"):
        store_upload(bad, "bad.txt", corpus, existing)
    with pytest.raises(UploadError, match="过大"):
        store_upload(new, "big.txt", corpus, existing, max_bytes=10)
    assert sorted(p.name for p in corpus.iterdir()) == ["a-2.txt", "a.txt"]


def test_store_upload_names_a_corpus_folder_it_cannot_write(tmp_path):
    """A corpus folder that cannot be written (here a file stands where it should be; a read-only
    or full disk fails the same way) is a refusal naming the problem, not an exception for the page."""
    blocked = tmp_path / "policies"
    blocked.write_text("not a folder", encoding="utf-8")
    new = tmp_path / "upload.txt"
    new.write_text("title: 《乙》\n---\n第一条 新上传的文件。\n", encoding="utf-8")
    with pytest.raises(UploadError, match="upload.txt: 无法保存到文档目录"):
        store_upload(new, "upload.txt", blocked / "sub", {})
    assert blocked.read_text(encoding="utf-8") == "not a folder"


def test_upload_accepts_what_the_loaders_read_up_to_the_size_the_page_says(tmp_path):
    from ingest.loaders import READERS

    assert set(ALLOWED_SUFFIXES) == set(READERS)
    assert MAX_UPLOAD_LABEL == "20mb" and MAX_UPLOAD_BYTES == 20 * 2**20  # the page says 20MB
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * (MAX_UPLOAD_BYTES + 2**19))
    with pytest.raises(UploadError, match=r"过大（20.5 MB，上限 20 MB）"):
        store_upload(big, "big.txt", tmp_path / "policies", {})


def test_passwords_match():
    assert passwords_match("s3cret-密码", "s3cret-密码")
    assert not passwords_match("wrong", "s3cret-密码")
    assert not passwords_match("", "")
    assert not passwords_match(None, "x")
    assert not passwords_match("anything", None)


# -- feedback -----------------------------------------------------------------------------------
def test_feedback_lines_are_whole_under_concurrency(tmp_path, corpus):
    docs, chunks = corpus
    chunk = _chunk_with(chunks, "3年以上企业工作经历")
    citation = _citation(docs[chunk.doc_id], chunk, "3年以上企业工作经历")
    record = answer_record(Answer("双师型？", "根据…[1]", False, [citation], [citation.hit]))
    path = tmp_path / "data" / "feedback.jsonl"

    def worker(vote):
        for _ in range(25):
            append_feedback(path, feedback_entry(record, vote))

    threads = [threading.Thread(target=worker, args=(i % 2 == 0,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 200
    entries = [json.loads(line) for line in lines]
    assert {"time", "question", "answer", "citations", "vote"} <= set(entries[0])
    assert {e["vote"] for e in entries} == {"up", "down"}
    assert entries[0]["citations"][0]["chunk_id"] == chunk.chunk_id
    assert entries[0]["citations"][0]["quote"] == "3年以上企业工作经历"


def test_related_passages_leave_out_apparatus_lines(corpus):
    """附件, the issuer, the signature date and (此件公开发布) are never shown as "possibly related"."""
    docs, chunks = corpus
    signature = next(c for c in chunks if "（此件公开发布）" in c.text and c.text.startswith("附件"))
    content = [c for c in chunks if c.doc_id == signature.doc_id and "。" in c.text][:3]
    hits = [Hit(c, docs[c.doc_id], 0.1, i) for i, c in enumerate([signature, *content], start=1)]
    answer = Answer("q", REFUSAL_TEXT, True, [], hits, reason="x")
    out = html.unescape(render.sources_section_html(answer, turn=1))
    for line in ("（此件公开发布）", "2018年11月20日", "附件："):
        assert line not in out
    assert out.count('class="pq-card pq-related"') == 3
    assert render.shown_lines(hits[0]) == ""


def test_refusal_notice_points_beside_on_wide_screens_and_below_on_phones(corpus):
    docs, chunks = corpus
    content = [c for c in chunks if "。" in c.text][:2]
    answer = Answer("q", REFUSAL_TEXT, True, [], [Hit(c, docs[c.doc_id], 0.1, 1) for c in content], reason="x")
    line = render.answer_lines(answer, 1)[-1]
    assert '<span class="pq-wide">右侧</span><span class="pq-narrow">下方</span>' in line
    css = (PROJECT_ROOT / "page" / "assets" / "style.css").read_text(encoding="utf-8")
    assert re.search(r"@media \(max-width: 767px\) \{ \.pq-wide \{ display: none; \} \.pq-narrow \{ display: inline; \} \}", css)


def test_answer_cards_one_per_quote_then_other_passages_folded(corpus):
    docs, chunks = corpus
    content = [c for c in chunks if "。" in c.text][:6]
    citations = [_citation(docs[c.doc_id], c, c.text[:10], number=i) for i, c in enumerate(content[:3], start=1)]
    others = [Hit(c, docs[c.doc_id], 0.1, i) for i, c in enumerate(content[3:], start=4)]
    answer = Answer("q", "根据…", False, citations, [c.hit for c in citations] + others)
    out = render.sources_section_html(answer, turn=2)
    ids = re.findall(r'<article class="pq-card" id="(src-2-\d+)"', out)
    assert ids == ["src-2-1", "src-2-2", "src-2-3"]
    folded = out[out.index('<details class="pq-more">'):]
    assert folded.count('class="pq-card pq-related"') == 3 and "其他相关段落（3）" in folded


def test_answer_does_not_repeat_the_article_number(corpus):
    from policyqa.answer import render as render_answer

    docs, chunks = corpus
    article = next(c for c in chunks if c.heading and c.heading[-1] == "第二十五条" and c.text.startswith("第二十五条")
                   and c.doc_id.startswith("12_"))
    text = render_answer([_citation(docs[article.doc_id], article, article.text[:20])])
    assert "第二十五条：“第二十五条" not in text and "待遇：“第二十五条" in text


def test_exact_context_stops_at_the_article_and_copies_the_sentence(exact):
    result = exact.search("并逐步提高")
    occ = next(o for o in result.occurrences if o.doc_id.startswith("12_") and "第二十五条" in o.heading)
    assert "第二十六条" not in occ.after and "第二十四条" not in occ.before
    assert occ.sentence.startswith("第二十五条 教师的平均工资水平") and occ.sentence.endswith("并逐步提高。")
    assert occ.copy_text == f"“{occ.sentence}”（{occ.citation}）" and occ.citation.endswith("第二十五条")
    html_out = results_html(result)
    assert html.escape(occ.copy_text, quote=True) in html_out


def test_document_view_marks_the_cited_paragraph(corpus):
    docs, chunks = corpus
    chunk = next(c for c in chunks if c.doc_id.startswith("12_") and c.heading and c.heading[-1] == "第二十五条")
    out = render.document_view_html(docs[chunk.doc_id], *chunk.para_span)
    target = re.search(r'<p class="pq-doc-para pq-doc-cited" id="pq-docview-target">(.*?)</p>', out, re.S).group(1)
    assert html.unescape(target).startswith("第二十五条")
    assert out.count("pq-doc-cited") == 1 and out.count('class="pq-doc-para"') > 30


def test_votes_are_linked_by_answer_id_and_withdrawing_is_named(corpus):
    from page.feedback import confirmation, normalise_vote

    docs, chunks = corpus
    chunk = _chunk_with(chunks, "3年以上企业工作经历")
    citation = _citation(docs[chunk.doc_id], chunk, "3年以上企业工作经历")
    first = answer_record(Answer("双师型？", "根据…[1]", False, [citation], [citation.hit]))
    second = answer_record(Answer("双师型？", "根据…[1]", False, [citation], [citation.hit]))
    assert first["answer_id"] and first["answer_id"] != second["answer_id"]
    votes = [feedback_entry(first, liked) for liked in (True, "", False, None)]
    assert [v["vote"] for v in votes] == ["up", "withdrawn", "down", "withdrawn"]
    assert {v["answer_id"] for v in votes} == {first["answer_id"]}
    assert normalise_vote("Like") == "up" and normalise_vote("Dislike") == "down"
    assert confirmation("up") == "已记录您的反馈（赞），谢谢！" and "撤销" in confirmation("withdrawn")


def test_conversation_exports_as_markdown_with_quotes_and_citations(corpus):
    from page.feedback import conversation_markdown

    docs, chunks = corpus
    chunk = _chunk_with(chunks, "3年以上企业工作经历")
    citation = _citation(docs[chunk.doc_id], chunk, "3年以上企业工作经历")
    answered = answer_record(Answer("双师型？", "根据现有政策文件：\n《x》：“3年以上企业工作经历”[1]", False, [citation], [citation.hit]))
    refused = answer_record(Answer("天气？", REFUSAL_TEXT, True, [], [], notice="提示一下"))
    text = conversation_markdown([answered, refused])
    assert text.startswith("# 政策问答 对话记录\n")
    assert "## 问题 1：双师型？" in text and "## 问题 2：天气？" in text
    assert f"[1] {citation.label()}（{chunk.chunk_id}，{docs[chunk.doc_id].date}）" in text
    assert "> 3年以上企业工作经历" in text and f"**无法回答**：{REFUSAL_TEXT}" in text and "> 提示：提示一下" in text
