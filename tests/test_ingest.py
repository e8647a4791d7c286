"""Loaders and structure-aware chunking, on the shipped corpus and on files made here."""
from __future__ import annotations

import pytest

from ingest.chunker import chunk_document
from ingest.loaders import LoadError, find_documents, load_document, split_header
from ingest.structure import article_part, pack_sentences, paragraphs, split_sentences
from policyqa.config import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "data" / "policies"


def _doc(name):
    return load_document(CORPUS / name)


def _chunks(name):
    return chunk_document(_doc(name))


def _by_text(chunks, needle):
    found = [c for c in chunks if needle in c.text]
    assert found, f"no chunk contains {needle!r}"
    return found[0]


def test_shipped_corpus_is_unchanged_copy_of_shared():
    shared = PROJECT_ROOT.parent / "shared" / "corpus"
    if not shared.is_dir():
        pytest.skip("no ../shared/corpus beside this checkout")
    names = sorted(p.name for p in shared.glob("*.txt"))
    assert names == sorted(p.name for p in CORPUS.glob("*.txt")), "data/policies and ../shared/corpus hold different files"
    for name in names:
        assert (CORPUS / name).read_bytes() == (shared / name).read_bytes(), name
    assert (CORPUS.parent / "SOURCES.md").read_bytes() == (shared / "SOURCES.md").read_bytes()


def test_header_is_parsed_and_text_starts_below_it():
    doc = _doc("05_zhiye-jiaoyu-fa-2022.txt")
    assert doc.title == "《中华人民共和国职业教育法》"
    assert doc.doc_number == "中华人民共和国主席令第一一二号"
    assert doc.date == "2022-04-20"
    assert doc.text.startswith("中华人民共和国职业教育法")
    assert "source_url" not in doc.text


def test_every_chunk_maps_back_to_the_original_text():
    for path in find_documents(CORPUS):
        doc = load_document(path)
        for chunk in chunk_document(doc):
            assert "".join(doc.text[s:e] for s, e in chunk.segments) == chunk.text
            # whitespace aside, the chunk is exactly the original slice it points to
            assert "".join(doc.text[chunk.start : chunk.end].split()) == "".join(chunk.text.split())
            assert chunk.para_span[0] <= chunk.start < chunk.end <= chunk.para_span[1]


def test_law_articles_are_units_with_chapter_and_article_heading():
    chunks = _chunks("05_zhiye-jiaoyu-fa-2022.txt")
    art = _by_text(chunks, "第四条 职业教育必须坚持中国共产党的领导")
    assert art.heading == ["第一章 总 则", "第四条"]
    # the article's second paragraph (款) belongs to the same unit
    assert "实施职业教育应当弘扬社会主义核心价值观" in art.text
    items = _by_text(chunks, "（一）有组织机构和章程；")
    assert items.heading[-1].startswith("第") and items.heading[-1].endswith("条")
    assert items.text.startswith("第"), "enumerated items stay inside their article"


def test_notice_headings_level1_and_level2_inline():
    chunks = _chunks("00_renshebuhan-2021-49.txt")
    c = _by_text(chunks, "指导企业深化工资分配制度改革")
    assert c.heading[0].startswith("二、贯彻落实全国职业教育大会精神")
    assert c.heading[1] == "（二）落实技能人才激励政策"


def test_standalone_level2_heading_heads_the_following_paragraphs():
    chunks = _chunks("03_guojia-zhiye-jiaoyu-gaige-shishi-fangan-2019.txt")
    c = _by_text(chunks, "3年以上企业工作经历")
    assert c.heading == ["三、促进产教融合校企“双元”育人", "（十二）多措并举打造“双师型”教师队伍"]
    assert not any(ch.text == "（十二）多措并举打造“双师型”教师队伍。" for ch in chunks), "a heading alone is not a chunk"


def _chunks_of(tmp_path, text):
    file = tmp_path / "办法.txt"
    file.write_text(text, encoding="utf-8")
    return chunk_document(load_document(file))


def test_a_last_numbered_line_with_nothing_below_it_is_content(tmp_path):
    # chunker version 1 kept such a line only as a heading: its words were in no chunk
    chunks = _chunks_of(tmp_path, "关于教师培训经费的规定\n\n一、总体要求\n\n（一）学校按照教职工工资总额的百分之一点五安排教师培训经费。\n")
    unit = _by_text(chunks, "百分之一点五")
    assert unit.text == "（一）学校按照教职工工资总额的百分之一点五安排教师培训经费。"
    assert unit.heading == ["一、总体要求"]


def test_numbered_lines_followed_by_siblings_are_content_and_real_headings_still_head(tmp_path):
    chunks = _chunks_of(tmp_path, "某办法\n\n一、经费\n\n（一）培训经费单列。\n\n（二）按年度安排。\n\n二、考核\n\n考核每年一次。\n")
    assert [(c.text, c.heading) for c in chunks[1:]] == [
        ("（一）培训经费单列。", ["一、经费"]),
        ("（二）按年度安排。", ["一、经费"]),
        ("考核每年一次。", ["二、考核"]),
    ]


def test_an_annex_after_the_last_article_is_its_own_division(tmp_path):
    # chunker version 2 filed an annex under the last article: its lists were cited as 第三条
    chunks = _chunks_of(tmp_path, "某规定\n\n第一条 为了保护职工健康，制定本规定。\n\n第二条 用人单位应当遵守本规定。\n\n"
                                  "第三条 本规定自公布之日起施行。\n\n附录：\n\n禁忌从事的劳动范围\n\n"
                                  "一、孕期禁忌从事的劳动范围：\n\n（一）高处作业；\n\n（二）冷水作业。\n\n"
                                  "二、哺乳期禁忌从事的劳动范围：\n\n（一）低温作业。\n")
    last_article = _by_text(chunks, "本规定自公布之日起施行")
    assert last_article.heading == ["第三条"] and "附录" not in last_article.text and "高处" not in last_article.text
    assert _by_text(chunks, "禁忌从事的劳动范围").heading == ["附录"]
    # a numbered lead-in (…范围：) keeps the items it introduces, as an article keeps its 项
    pregnancy = _by_text(chunks, "孕期")
    assert pregnancy.text == "一、孕期禁忌从事的劳动范围：\n\n（一）高处作业；\n\n（二）冷水作业。" and pregnancy.heading == ["附录"]
    assert _by_text(chunks, "低温").text.startswith("二、哺乳期禁忌从事的劳动范围：")


def test_an_attachment_mark_opens_the_attachment(tmp_path):
    chunks = _chunks_of(tmp_path, "某批复\n\n同意建立联席会议制度。\n\n附件：联席会议制度\n\n附件\n\n联席会议制度\n\n一、主要职能\n\n统筹协调全国工作。\n")
    assert _by_text(chunks, "统筹协调").heading == ["附件", "一、主要职能"]
    assert _by_text(chunks, "同意建立").heading == []
    # the attachment note (附件：…) is a line of the text, not a heading
    assert any("附件：联席会议制度" in c.text for c in chunks)


def test_page_break_split_is_repaired_with_a_character_map():
    doc = _doc("00_renshebuhan-2021-49.txt")
    assert "指明了前进\n\n方向" in doc.text, "the received text keeps its split"
    chunks = chunk_document(doc)
    c = _by_text(chunks, "指明了前进方向")
    assert len(c.segments) == 2
    i = c.text.index("方向")
    assert doc.text[c.source_offset(i) : c.source_offset(i + 2, end=True)] == "方向"
    j = c.text.index("前进方向")
    assert doc.text[c.source_offset(j) : c.source_offset(j + 4, end=True)] == "前进\n\n方向"
    c2 = _by_text(chunks, "落实就业创业")
    assert c2.heading[-1] == "（三）加大对职业教育发展的服务保障"


def test_titles_and_signatures_are_not_joined_as_page_breaks():
    paras = [p.text for p in paragraphs(_doc("00_renshebuhan-2021-49.txt").text)]
    assert "人力资源和社会保障部文件" in paras
    assert "人社部函〔2021〕49号" in paras
    assert "2021年4月30日" in paras


def test_long_paragraph_split_at_sentence_ends_with_one_sentence_overlap():
    chunks = _chunks("00_renshebuhan-2021-49.txt")
    pieces = [c for c in chunks if c.piece]
    assert pieces, "the 580-character paragraph is split"
    first, second = [c for c in pieces if c.paragraph == pieces[0].paragraph][:2]
    assert len(first.text) <= 400 and first.text[-1] in "。；！？"
    last_sentence = first.text[split_sentences(first.text)[-1][0] :]
    assert second.text.startswith(last_sentence)
    assert first.chunk_id.endswith("-1") and second.chunk_id.endswith("-2")


def test_pack_sentences_bounds_and_progress():
    text = "。".join("句子" * (i % 7 + 1) for i in range(200)) + "。"
    pieces = pack_sentences(text, 50)
    assert all(e - s <= 50 for s, e in pieces)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(b[0] > a[0] for a, b in zip(pieces, pieces[1:]))
    one_long = "很" * 1000
    assert all(e - s <= 50 for s, e in pack_sentences(one_long, 50))


def test_chunk_ids_are_stable_and_unique(tmp_path):
    src = CORPUS / "12_jiaoshi-fa-2009.txt"
    copy = tmp_path / src.name
    copy.write_bytes(src.read_bytes())
    a = [c.chunk_id for c in chunk_document(load_document(src))]
    b = [c.chunk_id for c in chunk_document(load_document(copy))]
    assert a == b and len(set(a)) == len(a)
    assert a[0] == "12_jiaoshi-fa-2009-p001"


LAW = "某某条例\n\n第一章 总则\n\n第一条 为了规范管理，制定本条例。\n\n第二条 本条例适用于职业学校。\n"


def test_gbk_and_gb18030_files(tmp_path):
    for enc in ("gbk", "gb18030"):
        path = tmp_path / f"law-{enc}.txt"
        path.write_bytes(LAW.encode(enc))
        doc = load_document(path)
        assert doc.text == LAW and doc.title == "《某某条例》"  # titles are always shown as quoted sources
        assert [c.heading for c in chunk_document(doc)][1] == ["第一章 总则", "第一条"]


def test_utf8_bom_and_mixed_line_endings(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "title: 《某办法》\r\n---\r\n第一条 甲。\r\n\r第二条 乙。\n".encode())
    doc = load_document(path)
    assert doc.title == "《某办法》"
    assert "\r" not in doc.text
    assert [c.heading[-1] for c in chunk_document(doc)] == ["第一条", "第二条"]


def test_docx_file(tmp_path):
    import docx

    d = docx.Document()
    for line in LAW.split("\n\n"):
        d.add_paragraph(line.strip())
    path = tmp_path / "条例 草案.docx"
    d.save(path)
    doc = load_document(path)
    assert doc.doc_id == "条例_草案"
    assert "第二条 本条例适用于职业学校。" in doc.text
    assert chunk_document(doc)[-1].heading == ["第一章 总则", "第二条"]


def test_html_file(tmp_path):
    html = "<html><head><title>t</title><script>alert(1)</script></head><body><h1>某某意见</h1><p>一、总体要求</p><p>（一）指导思想。坚持立德树人。</p></body></html>"
    path = tmp_path / "opinion.html"
    path.write_text(html, encoding="utf-8")
    doc = load_document(path)
    assert "alert" not in doc.text
    chunks = chunk_document(doc)
    assert chunks[-1].heading == ["一、总体要求", "（一）指导思想"]


def test_pdf_file(tmp_path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "law.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 12)
    c.drawString(50, 800, "第一章 总则")
    c.drawString(50, 780, "第一条 为了推动职业教育高质量发展，制定本法。")
    c.save()
    doc = load_document(path)
    chunks = chunk_document(doc)
    assert chunks[-1].heading == ["第一章 总则", "第一条"]
    assert "推动职业教育高质量发展" in chunks[-1].text


def test_header_less_file_takes_title_from_first_line(tmp_path):
    path = tmp_path / "x.md"
    path.write_text("关于某事的通知\n\n各单位：\n\n现通知如下。\n", encoding="utf-8")
    assert load_document(path).title == "《关于某事的通知》"
    assert split_header("a: b\n---\ntext") == ({}, "a: b\n---\ntext"), "unknown keys are not a header"


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("empty.txt", b"", "文件为空"),
        ("binary.txt", bytes(range(256)) * 20, "二进制"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "已损坏"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\n", "已损坏"),
        ("notes.xlsx", b"data", "不支持"),
        ("blank.txt", "   \n\n\t\n".encode(), "没有可用的正文"),
    ],
)
def test_bad_files_get_a_message_naming_them(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError) as err:
        load_document(path)
    assert name in str(err.value) and message in str(err.value)


def test_article_part_reads_paragraphs_and_items_as_laws_cite_them():
    # a 款 is a paragraph; lines opening with an item number are items (项) of the 款 above them
    article = ("第九条 甲单位应当做到下列事项：\n"
               "（一）建立制度；\n"
               "(二)按时报告；\n"
               "乙单位应当配合。\n"
               "前两款另有规定的，从其规定。")

    def part(paragraph=None, item=None):
        span = article_part(article, paragraph, item)
        return None if span is None else article[span[0]:span[1]]

    assert part(1) == "第九条 甲单位应当做到下列事项：\n（一）建立制度；\n(二)按时报告；"
    assert part(2) == "乙单位应当配合。"
    assert part(3) == "前两款另有规定的，从其规定。"
    assert part(item="二") == "(二)按时报告；"
    assert part(1, "一") == "（一）建立制度；"
    assert part(4) is None and part(2, "一") is None and part(item="三") is None
    assert part() is None  # nothing asked
