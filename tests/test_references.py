"""Documents and articles named in a question (retriever/references.py) and what search does with them."""
import dataclasses

import pytest

from retriever.citations import (
    annex_of, article_of, articles_of, asked_version_year, chapter_named, division_item, division_label, division_matches, division_of,
    division_paragraph, division_with_article, heading_markers, heading_matches, parts_asked, parts_of,
)
from retriever.names import (
    abbreviation_index, alias_table, cited_titles, document_aliases, implementing_aliases, issuer_index, kind_table,
    load_law_names, near_alias, near_name_index, unheld_names,
)
from retriever.numerals import arabic_number, chinese_number
from retriever.references import asks_about_document, find_references, mentioned_term, quoted_passages

TEACHERS_LAW = "12_jiaoshi-fa-2009"
VOCATIONAL_LAW = "05_zhiye-jiaoyu-fa-2022"
NOTICE_49 = "00_renshebuhan-2021-49"


@pytest.mark.parametrize("n, text", [(1, "一"), (10, "十"), (15, "十五"), (25, "二十五"), (100, "一百"), (102, "一百零二"), (110, "一百一十"), (1005, "一千零五")])
def test_numbers_round_trip_in_heading_form(n, text):
    assert chinese_number(n) == text
    assert arabic_number(text) == n


@pytest.mark.parametrize("text, n", [("一〇七", 107), ("一零七", 107), ("二〇二一", 2021), ("一一二", 112)])
def test_numbers_written_digit_by_digit(text, n):
    """一〇七 is 107, not 7 (each digit used to overwrite the one before): 劳动法第一〇七条 quoted 第七条."""
    assert arabic_number(text) == n


@pytest.mark.parametrize("text, n", [("廿五", 25), ("卅", 30), ("卌一", 41)])
def test_the_old_characters_for_twenty_thirty_forty(text, n):
    assert arabic_number(text) == n


def test_out_of_range_article_numbers_are_refused_not_guessed():
    with pytest.raises(ValueError):
        chinese_number(0)
    assert arabic_number("第") is None
    assert heading_markers(0) == ()


@pytest.mark.parametrize("question", ["某法第0条", "某法第零条", "第〇条"])
def test_article_zero_is_kept_so_that_it_is_refused_by_name(question):
    """No law has a 第0条: reading it as no reference at all answered from some other article."""
    assert article_of(question) == 0


@pytest.mark.parametrize("question, article", [("某法第12345条", 12345), ("第999999999999条", 999999999999)])
def test_an_article_number_of_any_length_is_read(question, article):
    """Five digits or more are still an article asked for, not a question about the law's content."""
    assert article_of(question) == article


@pytest.mark.parametrize("question, article", [
    ("教师法第25条怎么写的", 25), ("第 二十五 条", 25), ("第２５条", 25), ("方案第（十三）条", 13),
    ("第一百零二条", 102), ("教师的工资", None), ("第三章", None), ("劳动法第一〇七条", 107),
    ("教师法第廿五条", 25), ("第卅一条", 31),
])
def test_article_of(question, article):
    assert article_of(question) == article


@pytest.mark.parametrize("question, articles", [
    ("某法第二十五条和第二十六条", (25, 26)), ("第25、26条", (25, 26)), ("第二十五条、第二十六条", (25, 26)),
    ("第二十五至二十七条", (25, 26, 27)), ("第25条至第27条", (25, 26, 27)),
    ("第二十五至四十条", (25, 26, 27)),  # a long range: its first articles, as many as an answer quotes
    ("第1、2、3、4条", (1, 2, 3)), ("第25条和第25条", (25,)), ("第25条", (25,)), ("第0条", (0,)),
])
def test_articles_of(question, articles):
    assert articles_of(question) == articles
    assert article_of(question) == (articles[0] if articles else None)


@pytest.mark.parametrize("question, count", [
    ("第二十五至四十条", 16), ("第1、2、3、4条", 4), ("第25条至第27条", 3), ("第25条", 1), ("教师的工资", 0),
    ("第1条至第999999条", 999999),  # counted, not listed
])
def test_articles_count_goes_beyond_those_quoted(question, count):
    from retriever.citations import articles_count

    assert articles_count(question) == count


def test_an_answer_to_more_articles_than_it_quotes_says_so(qa):
    # 第三十六条至第四十五条 quoted three articles without a word that seven more were asked
    answer = qa.ask("劳动法第三十六条至第四十五条")
    assert [c.quote[:6] for c in answer.citations] == ["第三十六条 ", "第三十七条 ", "第三十八条 "]
    assert "问题问到十条，一次最多引用三条：下面是第三十六条、第三十七条、第三十八条，其余请分次查询。" in answer.notice
    assert "问题问到" not in qa.ask("劳动法第三十六条到第三十八条").notice


@pytest.mark.parametrize("question, division", [
    ("某法第二章讲什么", (("章", 2),)), ("第3节", (("节", 3),)), ("某通知第二部分", (("部分", 2),)),
    ("某法第五章第二节讲什么", (("章", 5), ("节", 2))), ("某法第五章 第二节", (("章", 5), ("节", 2))),
    ("某法第二章第十条", None),  # the article says more
    ("第二批试点", None), ("第零章", None),
])
def test_division_of(question, division):
    assert division_of(question) == division


@pytest.mark.parametrize("question, division", [
    ("某法第二章第十条", (("章", 2),)), ("某法第五章第二节第60条讲什么", (("章", 5), ("节", 2))),
    ("某法第二章讲什么", None), ("某法第十条", None),  # no article, or no division
    ("某法第二章和第十条", None),  # two things asked, not where the article is
])
def test_division_with_article(question, division):
    assert division_with_article(question) == division


@pytest.mark.parametrize("question, parts", [
    ("某法第十条第二款、第三款", ((2, None), (3, None))), ("某法第十条第一款至第三款", ((1, None), (2, None), (3, None))),
    ("某法第三十八条第一款第（一）项到第（三）项", ((1, 1), (1, 2), (1, 3))), ("某条例第十四条第六项和第七项", ((None, 6), (None, 7))),
    ("某法第十条第二款是什么，第三款呢", ()),  # a second question, not a list
])
def test_several_parts_asked_together(question, parts):
    assert parts_asked(question) == parts


@pytest.mark.parametrize("question, paragraph", [
    ("某通知第二部分第三段", 3), ("某通知第二部分的第3段讲什么", 3), ("某法第一章第二节第四段", 4),
    ("某通知第二部分", None), ("某通知第三段", None),  # no division: which paragraphs are counted is unclear
])
def test_division_paragraph(question, paragraph):
    assert division_paragraph(question) == paragraph


@pytest.mark.parametrize("question, item", [
    ("某通知第二部分第（二）项", 2), ("某通知第二部分（三）讲什么", 3), ("某通知第二部分的第2项", 2),
    ("某通知第二部分", None), ("某通知第二部分第三段", None),
])
def test_division_item(question, item):
    assert division_item(question) == item
    refs = find_references(question, {"某通知": ("notice",)})
    assert refs.asked_articles == ((item,) if item else ()) and refs.division == (("部分", 2),)


def test_division_matches_chapters_and_the_parts_of_a_plan():
    assert division_matches(["第二章 职业教育体系", "第十九条"], (("章", 2),))
    assert not division_matches(["第十二章 附则", "第九十条"], (("章", 2),))  # 第十二章 does not start with 第二章
    assert division_matches(["二、贯彻落实", "（一）加强"], (("部分", 2),))
    assert not division_matches(["十二、附则"], (("部分", 2),))


def test_a_section_matches_only_under_its_chapter():
    section = ["第五章 特别规定", "第二节 劳务派遣", "第五十七条"]
    assert division_matches(section, (("章", 5), ("节", 2)))
    assert division_matches(section, (("节", 2),))
    assert not division_matches(section, (("章", 4), ("节", 2)))
    assert not division_matches(section, (("节", 2), ("章", 5)))  # the chapter holds the section, not the other way
    assert division_label((("章", 5), ("节", 2))) == "第五章第二节"


def test_a_division_is_read_only_in_a_document_the_question_names():
    aliases = {"职业教育法": (VOCATIONAL_LAW,)}
    assert find_references("职业教育法第二章讲什么", aliases).division == (("章", 2),)
    assert find_references("第二章讲什么", aliases).division is None  # 第二章 of which document?


@pytest.mark.parametrize("question, parts", [
    ("某条例第十四条第六项", (None, 6)), ("第十四条第（六）项", (None, 6)), ("第１４条第１款第６项", (1, 6)),
    ("某法第十条第二款是什么", (2, None)), ("第十条第二款和第三款", (2, None)),
    ("第六项", (None, None)),  # no article: nothing to look inside
    ("第十条第0款", (None, None)), ("某法第二十五条", (None, None)),
    ("第十条第二款和第十一条", (None, None)),  # of two articles, whose 款 is unclear
    # an item in brackets right after its article, as people type it
    ("某条例第十四条规定的第六种情形", (None, 6)), ("某法第四十条第二种情况是什么", (None, 2)),
    ("某法第40条（三）", (None, 3)), ("某法第四十条第一款(二)是什么", (1, 2)), ("某法第四十条（试用期）", (None, None)),
])
def test_parts_of_an_article(question, parts):
    assert len(parts_asked(question)) != 1  # one part alone: parts_of gives it
    assert parts_of(question) == parts
    refs = find_references(question, {})
    assert (refs.paragraph, refs.item) == parts


def test_heading_matches_law_articles_and_plan_items_but_not_longer_numbers():
    assert heading_matches(["第六章 待遇", "第二十五条"], 25)
    assert heading_matches(["四、建设多元办学格局", "（十三）推动企业和社会力量举办高质量职业教育"], 13)
    assert not heading_matches(["第六章 待遇", "第二十五条"], 2)  # 第二条 is not a prefix of 第二十五条
    assert not heading_matches(["第二章 职业教育体系"], 2)


def test_aliases_come_from_title_and_document_number():
    aliases = document_aliases("《人力资源社会保障部关于贯彻落实习近平总书记对职业教育工作重要指示精神的通知》", "人社部函〔2021〕49号")
    assert {"人社部函〔2021〕49号", "〔2021〕49号", "49号文", "49号文件", "〔2021〕49号文", "人社部函〔2021〕49号文件"} <= aliases
    assert "人社部函2021年49号" in aliases  # the year typed without brackets; 「国发2019年4号文件」 named nothing


@pytest.mark.parametrize("question, span", [
    ("人社部函2021第49号讲了什么", "人社部函2021第49号"), ("人社部函〔2021〕第49号", "人社部函〔2021〕第49号"),
    ("请看人社部函 2021 第49号", "人社部函 2021 第49号"), ("人社部函[2021]49号", "人社部函[2021]49号"),
])
def test_a_document_number_typed_another_way_names_its_document(question, span):
    refs = find_references(question, {"人社部函〔2021〕49号": ("notice",), "〔2021〕49号": ("notice",)})
    assert refs.documents == ("notice",) and refs.spans == (span,)  # as written, so it can be taken out


def test_a_document_number_no_document_has_is_read_as_unheld():
    aliases = {"人社部函〔2021〕49号": ("notice",), "〔2021〕49号": ("notice",)}
    assert find_references("国发〔2019〕5号的主要内容", aliases).unheld_numbers == ("国发〔2019〕5号",)
    assert find_references("请问国办发[2019]5号讲了什么", aliases).unheld_numbers == ("〔2019〕5号",)  # 请问国办发: not only the code
    assert find_references("人社部函〔2021〕49号讲了什么", aliases).unheld_numbers == ()
    assert find_references("人社部函〔2021〕49号讲了什么", aliases).documents == ("notice",)


def test_each_article_belongs_to_the_document_named_right_before_it():
    aliases = {"教师法": ("teachers",), "教育法": ("education",)}
    refs = find_references("教师法第二十五条和教育法第三十三条", aliases)
    assert refs.asked_articles == (25, 33) and refs.article_documents == (("teachers",), ("education",))
    assert refs.documents_of(25) == ("teachers",) and refs.documents_of(33) == ("education",)
    refs = find_references("第二十五条，教师法和教育法", aliases)  # no name before it: either
    assert refs.documents_of(25) == ("teachers", "education")
    assert find_references("教师法第二十五条", aliases).documents_of(25) == ("teachers",)


def test_two_documents_articles_are_each_quoted_from_their_own_document(qa):
    """Both laws have a 第二十五条 and a 第三十三条: it used to quote 教育法's 第二十五条 for 教师法's."""
    answer = qa.ask("教师法第二十五条和教育法第三十三条")
    assert not answer.refused, answer.reason
    assert [(c.hit.doc.title[:10], c.hit.chunk.heading[-1]) for c in answer.citations] == [
        ("《中华人民共和国教师", "第二十五条"), ("《中华人民共和国教育", "第三十三条")]
    answer = qa.ask("教育法第三十三条和教师法第五十条")  # 教师法 ends at 第四十三条
    assert answer.refused and answer.reason == "《中华人民共和国教师法》中没有第五十条"


LAW_OUTLINE = ("第一章 总 则", "第六章 待遇", "第七章 法律责任", "第八章 附则")


@pytest.mark.parametrize("question, chapter", [
    ("某法附则", 8), ("某法总则讲了什么", 1), ("某法待遇那一章讲了什么", 6), ("某法法律责任一章有哪些条款", 7), ("某法待遇", 6),
    ("某法对待遇有什么规定", None),  # a subject, not the chapter: the ranker finds its articles
    ("某法奖励那一章", None),  # a chapter it does not have
])
def test_a_chapter_named_by_its_title(question, chapter):
    assert chapter_named(question, ("某法",), LAW_OUTLINE) == chapter


def test_a_chapter_named_by_its_title_is_answered_from_it(qa):
    """「劳动合同法附则」 quoted 第一条: a chapter named by its title was not read as a chapter."""
    answer = qa.ask("劳动合同法附则")
    assert not answer.refused and answer.citations[0].hit.chunk.heading[-1] == "第九十六条"
    assert "第八章 附则共三条：第九十六条至第九十八条" in answer.notice
    answer = qa.ask("教师法待遇那一章讲了什么")
    assert "第六章 待遇共八条" in answer.notice and answer.citations[0].hit.chunk.heading[0] == "第六章 待遇"


def test_an_article_counted_from_the_end_is_not_the_article_of_that_number():
    refs = find_references("教师法倒数第二条", {"教师法": ("teachers",)})
    assert refs.from_end == 2 and refs.asked_articles == ()


def test_an_article_counted_from_the_end_is_read_in_the_named_law(qa):
    """「教师法倒数第二条」 quoted 第二条; the law ends at 第四十三条, so it is 第四十二条, and the notice says so."""
    answer = qa.ask("教师法倒数第二条")
    assert not answer.refused and answer.citations[0].hit.chunk.heading[-1] == "第四十二条"
    assert "共四十三条，倒数第二条是第四十二条" in answer.notice
    answer = qa.ask("教师法倒数第50条")
    assert answer.refused and answer.reason == "《中华人民共和国教师法》中没有倒数第五十条"


def test_a_regulation_is_named_by_the_order_that_made_it_or_amended_it():
    aliases = document_aliases("《工伤保险条例》", "国务院令第375号（2010年12月20日国务院令第586号修订）")
    assert {"国务院令第375号", "国务院令375号", "国务院令第三百七十五号", "国务院令第586号", "国务院令586号"} <= aliases
    aliases = document_aliases("《中华人民共和国职业教育法》", "中华人民共和国主席令第一一二号")
    assert {"中华人民共和国主席令第一一二号", "主席令第112号", "主席令第一百一十二号", "主席令112号"} <= aliases
    assert not any("令" in a for a in document_aliases("《甲条例》", "国发〔2019〕4号"))
    table = {"国务院令第652号": ("regulation",)}
    assert find_references("国务院令第652号是什么", table).documents == ("regulation",)
    assert find_references("国务院令第999号的主要内容", table).unheld_numbers == ("国务院令第999号",)
    assert find_references("中华人民共和国国务院令第652号", table).unheld_numbers == ()


@pytest.mark.parametrize("question, about", [
    ("国务院令第652号是什么？", "title"), ("主席令第112号是哪部法律", "title"), ("49号文是什么文件", "title"),
    ("教师法是什么", "overview"),  # a name, not a number: what it is about
    ("教师法", "overview"), ("《教师法》？", "overview"), ("49号文", "overview"),  # the name alone, as typed into a search box
    ("国务院令第652号是什么时候发布的", "date"),
])
def test_what_a_named_document_is(question, about):
    refs = find_references(question, {"国务院令第652号": ("r",), "主席令第112号": ("l",), "49号文": ("n",), "教师法": ("t",)})
    assert asks_about_document(question, refs) == about


def test_a_regulation_asked_for_by_its_order_number_is_named_by_its_title(qa):
    answer = qa.ask("国务院令第652号是什么？")
    assert not answer.refused and answer.citations[0].quote == "事业单位人事管理条例"
    answer = qa.ask("主席令第112号第十条")  # the 2022 Vocational Education Law's own order
    assert not answer.refused and answer.citations[0].hit.chunk.doc_id == VOCATIONAL_LAW
    assert answer.citations[0].quote.startswith("第十条")
    answer = qa.ask("国务院令第999号的主要内容")
    assert answer.refused and answer.reason == "文档库中没有国务院令第999号文件"


ABBREVIATED = {"保障农民工工资支付条例": ("wages",), "事业单位人事管理条例": ("staff",), "国家职业教育改革实施方案": ("plan",),
               "劳动合同法实施条例": ("contract",), "国务院令第652号": ("staff",)}


@pytest.mark.parametrize("question, span, documents", [
    ("农民工工资条例第三条", "农民工工资条例", ("wages",)), ("事业单位条例第十四条", "事业单位条例", ("staff",)),
    ("国务院印发的职业教育改革方案讲了什么", "职业教育改革方案", ("plan",)), ("劳动合同条例第十条", "劳动合同条例", ("contract",)),
    ("学校的实施方案要报批吗", None, ()), ("有什么办法多拿工资", None, ()),  # too short, or no title's words
    ("工资条例有哪些规定", None, ()),  # 4 of 11 characters: not enough to say which
])
def test_a_title_with_words_dropped_names_its_document_and_is_said_so(question, span, documents):
    refs = find_references(question, ABBREVIATED, kind_table({d: {"title": f"《{t}》"} for t, (d,) in ABBREVIATED.items()}),
                           abbreviations=abbreviation_index(ABBREVIATED))
    assert refs.documents == documents
    assert (refs.corrected[0] if refs.corrected else None) == span


def test_a_regulation_named_with_words_dropped_is_answered_from_it(qa):
    """「农民工工资条例第三条」 read 条例 alone before 第三条, naming all seven regulations."""
    answer = qa.ask("农民工工资条例第三条")
    assert answer.references["documents"] == ["35_baozhang-nongmingong-gongzi-zhifu-tiaoli-2019"]
    assert not answer.refused and answer.citations[0].hit.chunk.heading[-1] == "第三条"
    assert answer.notice.startswith("问题中的“农民工工资条例”按") and "可指" not in answer.notice


def test_titles_the_documents_cite_that_the_library_lacks_are_unheld_names():
    aliases = {"女职工劳动保护特别规定": ("held",), "劳动合同法": ("law",), "中华人民共和国劳动合同法": ("law",)}
    texts = ["要认真落实《关于提高技术工人待遇的意见》和《技能人才薪酬分配指引》。",
             "《女职工劳动保护规定》同时废止。",  # nearly the held name: a way of writing it, not another document
             "根据《关于修改〈中华人民共和国劳动合同法〉的决定》修正",  # holds a held name: about that law
             "依照《中华人民共和国船员条例》和《中华人民共和国企业破产法》"]
    assert cited_titles(texts, aliases) == {"关于提高技术工人待遇的意见", "技能人才薪酬分配指引", "中华人民共和国船员条例",
                                            "中华人民共和国企业破产法", "企业破产法"}


def test_a_title_the_documents_cite_but_the_library_lacks_is_said_to_be_missing(qa):
    """It was answered from the notice's sentence that cites it, as if that were its content."""
    answer = qa.ask("技能人才薪酬分配指引怎么规定的")
    assert answer.notice.startswith("文档库中没有《技能人才薪酬分配指引》")
    answer = qa.ask("社会力量办学条例第十条")  # cited by the 民办教育促进法, repealed by it
    assert answer.refused and answer.reason == "文档库中没有《社会力量办学条例》"


def test_a_document_number_no_document_has_is_refused_by_it(qa):
    # it used to quote the banner of the plan numbered 国发〔2019〕4号 as the "main content" of 5号
    answer = qa.ask("国发〔2019〕5号的主要内容")
    assert answer.refused and answer.reason == "文档库中没有国发〔2019〕5号文件"
    answer = qa.ask("〔2021〕49号文讲了什么")  # the held one, written with 文 after its number
    assert not answer.refused and answer.references["documents"] == [NOTICE_49]


@pytest.mark.parametrize("question, year", [
    ("某法1993年版第二十五条", "1993"), ("某法2018年修正的第四十四条", "2018"), ("某法2009年修订版", "2009"),
    ("某法第二十五条", ""), ("2019年起施行的规定", ""),  # a date, not a version
])
def test_asked_version_year(question, year):
    assert asked_version_year(question) == year


def test_a_version_the_library_lacks_is_said_beside_the_text_it_has(qa):
    answer = qa.ask("教师法1993年版第二十五条")
    assert not answer.refused and answer.citations[0].quote.startswith("第二十五条")
    assert "文档库中没有《中华人民共和国教师法》1993年的文本；下面引用的是《中华人民共和国教师法》（2009年修正）（2009-08-27）。" in answer.notice
    assert "文本" not in qa.ask("教师法2009年修正版第二十五条").notice  # the version held


def test_a_document_number_typed_with_its_year_in_words_names_the_document(qa):
    answer = qa.ask("国发2019年4号文件讲了什么")
    assert answer.references["documents"] == ["03_guojia-zhiye-jiaoyu-gaige-shishi-fangan-2019"]
    assert answer.citations and not qa.live.retriever.is_apparatus(answer.citations[0].hit.row)  # its opening
    assert document_aliases("《中华人民共和国教师法》（2009年修正）", "") == {"中华人民共和国教师法", "教师法"}


@pytest.mark.parametrize("title, short, not_names", [
    ("《职工带薪年休假条例》", {"带薪年休假条例"}, {"年休假条例", "条例"}),
    ("《国务院关于职工工作时间的规定》", {"职工工作时间的规定", "职工工作时间规定"}, {"时间的规定", "规定"}),
    ("《关于工资总额组成的规定》", {"工资总额组成的规定", "工资总额组成规定"}, {"组成的规定"}),
    ("《关于加强新时代高技能人才队伍建设的意见》", {"高技能人才队伍建设的意见", "高技能人才队伍建设意见"}, {"队伍建设的意见"}),
    ("《女职工劳动保护特别规定》", {"劳动保护特别规定"}, {"特别规定"}),
    # an interim rule is cited without its 暂行
    ("《工资支付暂行规定》", {"工资支付规定"}, {"暂行规定", "支付规定"}),
    ("《人力资源市场暂行条例》", {"人力资源市场条例"}, {"市场条例"}),
])
def test_short_names_follow_the_title_structure(title, short, not_names):
    from retriever.text import cut

    aliases = document_aliases(title, "", cut)
    assert short <= aliases and not (not_names & aliases)


def test_a_widely_used_short_name_from_the_table_names_its_document(qa):
    """年休假条例 is too short for the tail rule; read as the bare kind 条例 before 第3条, it named all
    seven regulations and the notice asked which one was meant."""
    answer = qa.ask("年休假条例第3条原文")
    assert answer.references["documents"] == ["37_zhigong-daixin-nianxiujia-tiaoli-2007"]
    assert not answer.refused and "可指" not in answer.notice


@pytest.mark.parametrize("question, document, article", [
    ("工伤条例第十四条", "32_gongshang-baoxian-tiaoli-2010", "第十四条"),  # was: 条例 named all seven regulations
    ("社保法第五十八条", "31_shehui-baoxian-fa-2018", "第五十八条"),  # was: no document named
    ("高教法第一条", "22_gaodeng-jiaoyu-fa-2018", "第一条"),  # was: 教师法's 第一条
    ("劳动仲裁法第二十七条", "30_laodong-zhengyi-tiaojie-zhongcai-fa-2007", "第二十七条"),  # was: refused, 《仲裁法》 unheld
])
def test_a_laws_everyday_short_name_names_it(qa, question, document, article):
    answer = qa.ask(question)
    assert answer.references["documents"] == [document]
    assert not answer.refused and answer.citations[0].quote.startswith(article) and "可指" not in answer.notice


def test_a_local_rule_has_no_short_name_without_its_place():
    from retriever.text import cut

    assert document_aliases("《上海市职业教育条例》", "", cut) == {"上海市职业教育条例"}


def test_a_short_name_names_its_document_not_a_sibling():
    """Two documents share most of a short name's words: the one whose name it is, is named."""
    from retriever.text import cut

    docs = {"regulation": {"title": "《职工带薪年休假条例》", "doc_number": ""},
            "measures": {"title": "《企业职工带薪年休假实施办法》", "doc_number": ""}}
    table = alias_table(docs, cut)
    assert find_references("带薪年休假条例第三条怎么规定", table).documents == ("regulation",)
    assert find_references("带薪年休假实施办法第三条怎么规定", table).documents == ("measures",)
    assert find_references("企业职工带薪年休假实施办法第三条", table).spans == ("企业职工带薪年休假实施办法",)


def test_find_references_normalises_brackets_and_prefers_the_longest_alias():
    docs = {
        "a": {"title": "《中华人民共和国职业教育法》", "doc_number": ""},
        "b": {"title": "《中华人民共和国教师法》", "doc_number": ""},
        "c": {"title": "《某通知》", "doc_number": "人社部函[2021]49号"},
    }
    table = alias_table(docs)
    refs = find_references("人社部函（2021）49号 和 职业教育法 第5条", table)
    assert refs.documents == ("c", "a") and refs.article == 5
    # the names as the question writes them, so search can take them out of its BM25 query
    assert refs.spans == ("人社部函(2021)49号", "职业教育法")
    assert find_references("人社部函 [2021] 49 号里说", table).spans == ("人社部函 [2021] 49 号",)
    # 教师法 is not a second match inside 职业教育法's name
    assert find_references("中华人民共和国职业教育法", table).documents == ("a",)
    assert not find_references("老师的工资怎么算", table)


def test_an_article_without_its_di_is_read_only_right_after_a_name():
    table = alias_table({"a": {"title": "《中华人民共和国劳动合同法》", "doc_number": ""}})
    refs = find_references("劳动合同法38条第一款", table)
    assert refs.article == 38 and refs.paragraph == 1
    assert find_references("《劳动合同法》 三十八条", table).article == 38
    assert find_references("这38条规定都适用吗", table).article is None
    assert find_references("劳动合同法里有38条讲合同吗", table).article is None


def test_shared_alias_names_every_document_that_has_it():
    table = alias_table({"x": {"title": "《甲》", "doc_number": "甲发〔2020〕1号"}, "y": {"title": "《乙》", "doc_number": "乙发〔2020〕1号"}})
    assert set(find_references("1号文件说了什么", table).documents) == {"x", "y"}


# -- in the real search ----------------------------------------------------------------------


@pytest.mark.parametrize("question, doc_id, article, heading", [
    ("教师法第25条是怎么规定的？", TEACHERS_LAW, 25, "第二十五条"),
    ("职业教育法第25条是怎么规定的？", VOCATIONAL_LAW, 25, "第二十五条"),
    ("《中华人民共和国教师法》第三十五条", TEACHERS_LAW, 35, "第三十五条"),
    # a short name (职工带薪年休假条例), not the 实施办法 whose 第三条 shares its words
    ("带薪年休假条例第三条是怎么规定的？", "37_zhigong-daixin-nianxiujia-tiaoli-2007", 3, "第三条"),
    # the 第 left out right after the name: read as no article and refused before
    ("劳动合同法38条", "27_laodong-hetong-fa-2012", 38, "第三十八条"), ("《教师法》二十五条", TEACHERS_LAW, 25, "第二十五条"),
    # names from retriever/data/document_names.tsv; 民办教育法 read as the 教育法 inside it before
    ("民办教育法第五条", "23_minban-jiaoyu-cujin-fa-2018", 5, "第五条"),
    ("职教法第十二条", VOCATIONAL_LAW, 12, "第十二条"),
])
def test_a_named_article_is_the_first_hit(qa, question, doc_id, article, heading):
    hit = qa.search(question).hits[0]
    assert hit.chunk.doc_id == doc_id and heading in hit.chunk.heading
    answer = qa.ask(question)
    assert not answer.refused and heading in answer.citations[0].label()
    assert answer.to_dict()["references"] == {"documents": [doc_id], "article": article}


def test_a_question_without_references_reports_none(qa):
    assert qa.ask("老师的工资不能低于谁？").to_dict()["references"] == {}


def test_article_without_a_document_finds_it_in_every_law_that_has_it(qa):
    hits = qa.search("第25条", k=30).hits
    top = [h for h in hits if "第二十五条" in h.chunk.heading]
    assert hits[: len(top)] == top, "every 第二十五条 ranks above everything else"
    assert {TEACHERS_LAW, VOCATIONAL_LAW} <= {h.chunk.doc_id for h in top}
    assert len({h.chunk.doc_id for h in top}) >= 10  # most of the 26 documents are laws with a 第二十五条


@pytest.mark.parametrize("question", ["49号文里对技工院校有什么要求？", "人社部函[2021]49号里对技工院校有什么要求？", "49 号文里对技工院校有什么要求？"])
def test_document_number_favours_that_document_not_its_number_line(qa, question):
    hits = qa.search(question).hits
    assert hits[0].chunk.doc_id == NOTICE_49 and "49号" not in hits[0].chunk.text
    answer = qa.ask(question)
    if answer.refused:  # the quote ranker may find the notice's sentences too weak; never another document
        return
    cited = answer.citations[0]
    assert cited.hit.chunk.doc_id == NOTICE_49
    assert "技工" in cited.quote and "49号" not in cited.quote


def test_reference_boost_zero_still_finds_the_article(qa):
    retriever = qa.live.retriever.reconfigured(dataclasses.replace(qa.config, reference_boost=0.0))
    result = retriever.search("教师法第25条")
    assert result.references.documents == (TEACHERS_LAW,)
    assert "第二十五条" in result.hits[0].chunk.heading


def test_document_filter_limits_the_references(qa):
    result = qa.search("教师法第25条", docs=[VOCATIONAL_LAW])
    assert result.references.documents == ()
    assert all(h.chunk.doc_id == VOCATIONAL_LAW for h in result.hits)
    assert "第二十五条" in result.hits[0].chunk.heading


PLAN, REGULATION, MEASURES = "plan", "regulation", "measures"
KIND_DOCS = {PLAN: {"title": "《国家职业教育改革实施方案》"}, REGULATION: {"title": "《职工带薪年休假条例》"},
             MEASURES: {"title": "《企业职工带薪年休假实施办法》"}, "law": {"title": "《中华人民共和国教师法》（2009年修正）"},
             "other-regulation": {"title": "《工伤保险条例》"}}


def test_kind_table_reads_the_kind_a_title_ends_in():
    assert kind_table(KIND_DOCS) == {"方案": (PLAN,), "条例": (REGULATION, "other-regulation"), "办法": (MEASURES,), "法": ("law",)}


@pytest.mark.parametrize("question, documents, articles", [
    ("实施方案第十二条讲的是什么", (PLAN,), (12,)),
    ("《方案》第十二条", (PLAN,), (12,)),
    ("办法第八条和第九条", (MEASURES,), (8, 9)),
    ("条例第三条", (REGULATION, "other-regulation"), (3,)),  # two regulations: both, the question's words decide
    ("职业教育改革实施方案（十二）讲的是什么", (PLAN,), (12,)),  # an item cited in brackets after the name
    ("方案第三部分讲什么", (PLAN,), ()),
    # the bare kind is no name without a reference after it, nor a reference without a name
    ("学校的实施方案要报批吗", (), ()), ("我们的方案第一批怎么报", (), ()), ("我有两个问题（一）工资（二）社保", (), ()),
])
def test_a_kind_cited_with_an_article_names_the_documents_of_that_kind(question, documents, articles):
    refs = find_references(question, alias_table(KIND_DOCS), kind_table(KIND_DOCS))
    assert refs.documents == documents and refs.asked_articles == articles


@pytest.mark.parametrize("question, documents", [
    ("这个方案的目标是什么？", (PLAN,)), ("本方案提出了哪些任务", (PLAN,)), ("该《方案》是哪年印发的", (PLAN,)),
    ("这个条例适用于谁？", ()),  # two regulations: 这个 does not say which
    ("这个办法有什么好处？", ()),  # 办法 is also "a way of doing it" (pointed_kinds.tsv)
    ("我们学校这个方案要报批吗？", ()), ("单位的这个方案合法吗", ()),  # the asker's own plan
    ("方案要报批吗", ()),  # a bare kind is no name
])
def test_a_kind_a_demonstrative_points_at_names_the_one_document_of_that_kind(question, documents):
    assert find_references(question, alias_table(KIND_DOCS), kind_table(KIND_DOCS)).documents == documents


def test_a_bracketed_item_after_a_full_name_is_its_article():
    table = alias_table(KIND_DOCS)
    assert find_references("国家职业教育改革实施方案（十二）是什么", table).asked_articles == (12,)
    assert find_references("国家职业教育改革实施方案 (12) 是什么", table).asked_articles == (12,)
    assert find_references("国家职业教育改革实施方案是什么（简要说明）", table).asked_articles == ()


@pytest.mark.parametrize("question", ["实施方案第十二条讲的是什么？", "职业教育改革实施方案（十二）讲的是什么？"])
def test_a_plans_item_cited_by_its_kind_or_in_brackets_is_quoted_from_that_item(qa, question):
    # before: 实施方案 named no document, and 第十二条 was quoted from 就业促进法; （十二） was not read
    answer = qa.ask(question)
    assert not answer.refused, answer.reason
    first = answer.citations[0].hit.chunk
    assert first.doc_id == "03_guojia-zhiye-jiaoyu-gaige-shishi-fangan-2019"
    assert heading_matches(first.heading, 12)


def test_a_kind_that_names_several_documents_says_so(qa):
    answer = qa.ask("条例第三条")
    assert not answer.refused and "条例》" in answer.citations[0].hit.doc.title
    assert "“条例”可指" in answer.notice and "请写明文件名称" in answer.notice
    assert "可指" not in qa.ask("实施方案第十二条").notice  # one plan: no doubt


def test_an_article_cited_without_its_document_says_how_many_have_it(qa):
    answer = qa.ask("第九十八条")
    assert not answer.refused and answer.citations[0].quote.startswith("第九十八条")
    titles = {c.hit.doc.title for c in answer.citations}
    assert "“第九十八条”见于" in answer.notice and "请写明文件名称" in answer.notice
    assert int(answer.notice.split("见于")[1].split("份")[0]) >= max(2, len(titles))
    assert "见于" not in qa.ask("劳动合同法第九十八条").notice  # the document named: no doubt


def test_several_articles_cited_without_a_document_are_quoted_from_one_that_has_them_all(qa):
    # before: 「文档中没有第四条」, since the best 第三条 and 第五条 of several documents filled the hits
    answer = qa.ask("第三条至第五条")
    assert not answer.refused, answer.reason
    assert [c.quote.split()[0] for c in answer.citations] == ["第三条", "第四条", "第五条"]
    assert len({c.hit.doc.title for c in answer.citations}) == 1  # before: 第十七条 of one, 第十八条 of another
    assert "“第三条”见于" in answer.notice and "请写明文件名称" in answer.notice
    assert len({c.hit.doc.title for c in qa.ask("第十七条和第十八条").citations}) == 1


def test_a_held_name_with_an_implementing_kind_after_it_is_another_document(qa):
    # before: 「教师资格条例实施办法第五条」 quoted 《教师资格条例》's 第五条, a wrong citation
    for question, name in (("教师资格条例实施办法第五条", "教师资格条例实施办法"), ("劳动法实施条例第三条", "劳动法实施条例")):
        answer = qa.ask(question)
        assert answer.refused and f"《{name}》" in answer.reason, (answer.reason, answer.answer)
    held = qa.ask("劳动合同法实施条例第三条")  # held, and matched whole before its shorter name
    assert not held.refused and held.citations[0].hit.doc.title == "《中华人民共和国劳动合同法实施条例》"
    # the held rules that open 「为了实施《职工带薪年休假条例》」 are that regulation's 实施办法
    for question in ("年休假条例实施办法第十条", "《年休假条例实施办法》第十条"):
        answer = qa.ask(question)
        assert not answer.refused and answer.citations[0].hit.doc.title == "《企业职工带薪年休假实施办法》", answer.reason
        assert answer.citations[0].quote.startswith("第十条")
    # in 《》 and asked of its content: 《教师资格条例》 is held, the rules that implement it are not
    answer = qa.ask("《教师资格条例实施细则》怎么规定认定程序？")
    assert answer.refused and "《教师资格条例实施细则》" in answer.reason, answer.answer


def test_items_in_brackets_cited_one_after_another_are_each_read(qa):
    # before: 「方案（十二）和（十三）」 read （十二） alone, and quoted one of its sentences
    answer = qa.ask("方案（十二）和（十三）")
    assert not answer.refused, answer.reason
    headings = [c.hit.chunk.heading[-1] for c in answer.citations]
    assert any(h.startswith("（十二）") for h in headings) and any(h.startswith("（十三）") for h in headings), headings
    assert qa.live.retriever.references("意见（五）、（六）").asked_articles == (5, 6)


def test_implementing_rules_are_named_by_what_they_say_they_implement():
    aliases = {"某某条例": ("a",), "某某规定": ("b",)}
    texts = {"a": ("《某某条例》", "第一条 为了保障权益，制定本条例。"),
             "b": ("《某某规定》", "第一条 为了保障权益，制定本规定。"),
             "c": ("《企业某某实施办法》", "企业某某实施办法\n第一条 为了实施《某某条例》，制定本实施办法。")}
    assert implementing_aliases(texts, aliases) == {"某某条例实施办法": ("c",)}
    texts["c"] = ("《企业某某办法》", texts["c"][1])  # no implementing kind in its own title: no alias
    assert implementing_aliases(texts, aliases) == {}


def test_in_a_large_index_the_documents_with_the_article_are_not_counted(qa, monkeypatch):
    # past ARTICLE_SCAN_LIMIT chunks only the candidates are looked through: a count would be a guess
    import retriever.search

    monkeypatch.setattr(retriever.search, "ARTICLE_SCAN_LIMIT", 10)
    answer = qa.ask("第九十八条")
    assert "“第九十八条”见于多份文件" in answer.notice, answer.notice


def test_an_article_the_named_document_lacks_is_refused_naming_it_even_when_none_of_it_is_a_hit(qa):
    # the 意见 has items （一）–（十九）; no passage of it ranked, so the refusal said 「文档中没有第二十条」
    answer = qa.ask("意见第二十条")
    assert answer.refused and "《关于加强新时代高技能人才队伍建设的意见》中没有第二十条" in answer.reason


def test_a_name_the_title_does_not_give_comes_from_the_table_and_names_only_a_document_present():
    docs = {PLAN: {"title": "《国家职业教育改革实施方案》", "doc_number": "国发〔2019〕4号"},
            "law": {"title": "《中华人民共和国职业教育法》", "doc_number": ""}}
    names = {"职教20条": "国发〔2019〕4号", "新职教法": "中华人民共和国职业教育法", "某某简称": "国发〔2099〕1号"}
    table = alias_table(docs, known_names=names)
    assert table["职教20条"] == (PLAN,) and table["新职教法"] == ("law",) and "某某简称" not in table
    assert find_references("职教20条第十二条", table).documents == (PLAN,)


def test_the_shipped_names_table_names_documents_of_the_shipped_corpus(qa):
    # 职教20条第十二条 was read as no document and quoted 职业教育法第十二条
    answer = qa.ask("职教20条第十二条")
    assert not answer.refused
    first = answer.citations[0].hit.chunk
    assert first.doc_id == "03_guojia-zhiye-jiaoyu-gaige-shishi-fangan-2019" and heading_matches(first.heading, 12)


# -- names written with a slip, and names of laws the index does not hold ----------------------


def test_a_name_one_character_off_names_its_document():
    table = alias_table({"contract": {"title": "《中华人民共和国劳动合同法》", "doc_number": ""},
                         "teachers": {"title": "《中华人民共和国教师法》", "doc_number": ""}})
    near = near_name_index(table)
    refs = find_references("劳动和同法第三十八条", table, near_names=near)  # 合 typed as 和 with pinyin input
    assert refs.documents == ("contract",) and refs.corrected == ("劳动和同法", "劳动合同法") and refs.article == 38
    assert find_references("劳动和同法第三十八条", table).documents == ()  # without the index: no guess
    assert find_references("劳动合同法第三十八条", table, near_names=near).corrected == ()
    assert find_references("问：劳动和同法第三十八条", table, near_names=near).spans == ("劳动和同法",)
    assert not find_references("教帅法第三条", table, near_names=near).documents  # three characters: one off is another name
    assert near_alias("劳动合同发", near) is None  # the kind itself must be right…
    # …unless an article is cited right after the name (发 for fa, 理 for li)
    assert find_references("劳动合同发第三十八条", table, near_names=near).corrected == ("劳动合同发", "劳动合同法")
    assert find_references("劳动合同发38条", table, near_names=near).article == 38
    assert near_alias("劳动合同发的规定", near) is None
    regulation = alias_table({"staff": {"title": "《事业单位人事管理条例》", "doc_number": ""}})
    assert find_references("事业单位人事管理条理第十五条", regulation, near_names=near_name_index(regulation)).documents == ("staff",)
    assert near_alias("劳动和同法", near_name_index({"劳动合同法": ("a",), "劳动和问法": ("b",)})) is None  # two that near: neither


def test_a_name_with_its_kind_mistyped_before_an_article_is_answered_from_it(qa):
    # before: no document named, so 「“第三十条”见于15份文件」 and whichever 第三十条 ranked first
    answer = qa.ask("职业教育发第三十条")
    assert not answer.refused and "按“职业教育法”理解" in answer.notice
    assert answer.citations[0].hit.chunk.doc_id == "05_zhiye-jiaoyu-fa-2022" and answer.citations[0].quote.startswith("第三十条")


def test_a_law_the_index_lacks_is_not_read_as_the_indexed_law_inside_its_name():
    table = alias_table({"edu": {"title": "《中华人民共和国教育法》", "doc_number": ""},
                         "social": {"title": "《中华人民共和国社会保险法》", "doc_number": ""}})
    others = unheld_names(table, load_law_names())
    assert "义务教育法" in others and "教育法" not in others and "保险法" in others
    refs = find_references("义务教育法第三条", table, other_names=others)
    assert refs.documents == () and refs.unheld == ("义务教育法",) and refs.article == 3
    assert find_references("教育法第三条", table, other_names=others).documents == ("edu",)
    # the longer indexed name wins over the unheld one inside it
    refs = find_references("社会保险法第十条", table, other_names=others)
    assert refs.documents == ("social",) and refs.unheld == ()
    assert find_references("农业法律怎么规定", table, other_names=others).unheld == ()  # 农业法律 is no name


@pytest.mark.parametrize("question", ["义务教育法第三条", "学前教育法第十条怎么规定的？"])
def test_an_article_of_a_law_the_index_lacks_is_refused_naming_it(qa, question):
    # before: 教育法第三条 / 第十条 was quoted, the 教育法 inside the name read as the indexed law
    answer = qa.ask(question)
    assert answer.refused and "文档库中没有《" + question[:5] + "》" in answer.reason, answer.reason


def test_a_question_about_a_law_the_index_lacks_says_so_above_what_is_quoted(qa):
    answer = qa.ask("义务教育法对教师工资有什么规定？")
    assert "文档库中没有《义务教育法》" in answer.notice
    assert answer.to_dict()["references"] == {}  # before: 教育法, the name inside 义务教育法


def test_a_slip_in_a_name_is_read_and_said(qa):
    answer = qa.ask("劳动和同法第三十八条")
    assert not answer.refused and answer.citations[0].hit.doc.title == "《中华人民共和国劳动合同法》"
    assert answer.citations[0].quote.startswith("第三十八条")
    assert "问题中的“劳动和同法”按“劳动合同法”理解" in answer.notice


@pytest.mark.parametrize("question, term", [
    ("哪些文件提到了双师型教师？", "双师型教师"),
    ("哪些法律提到带薪年休假", "带薪年休假"),
    ("请问哪些文件里都出现了“产教融合”？", "产教融合"),
    ("“产教融合”在哪些文件里出现过？", "产教融合"),
    ("工伤认定见于哪些法规？", "工伤认定"),
    ("哪些文件说了什么？", ""),  # what they say, not which use some words
    ("双师型教师有哪些要求？", ""),  # asks what, not which documents
    ("哪些人可以认定为工伤？", ""),
    ("哪些文件提到了我？", ""),  # one character is no term
])
def test_which_documents_use_a_term(question, term):
    assert mentioned_term(question) == term


def test_an_answer_to_which_documents_use_a_term_counts_them(qa):
    answer = qa.ask("哪些文件提到了带薪年休假？")
    assert not answer.refused, answer.reason
    assert answer.notice.startswith("“带薪年休假”见于3份文件：")
    for title in ("《职工带薪年休假条例》", "《企业职工带薪年休假实施办法》", "《中华人民共和国劳动法》"):
        assert title in answer.notice
    assert "见于" not in qa.ask("带薪年休假有多少天？").notice


def test_the_quotes_for_which_documents_use_a_term_use_it_one_a_document(qa):
    # the ranker's best sentences included 「（三）支付加班费、绩效奖金…」, which does not use the words
    answer = qa.ask("哪些文件里提到了绩效工资？")
    assert not answer.refused and len(answer.citations) >= 2
    assert all("绩效工资" in c.quote for c in answer.citations)
    docs = [c.hit.chunk.doc_id for c in answer.citations]
    assert len(set(docs)) == len(docs)


def test_which_documents_use_a_term_none_uses_is_refused_by_name(qa):
    # it used to quote the 产假 articles, a near miss presented as an answer
    answer = qa.ask("哪些文件提到了陪产假？")
    assert answer.refused and answer.reason == "文档中没有出现“陪产假”"


def test_passages_a_question_quotes():
    assert quoted_passages("“教师的平均工资水平应当高于公务员”是哪条规定？") == ["教师的平均工资水平应当高于公务员"]
    assert quoted_passages("「国家实行教师资格制度」出自哪里") == ["国家实行教师资格制度"]
    assert quoted_passages("“双师型”教师有什么要求？") == []  # a term, not a passage


def test_a_misquoted_passage_is_said_to_be_no_verbatim_quote(qa):
    # the law says 不低于或者高于; the asker's 高于 alone is not its wording
    answer = qa.ask("“教师的平均工资水平应当高于国家公务员的平均工资水平”是哪条规定？")
    assert not answer.refused and "第二十五条" in answer.citations[0].label()
    assert "在文件中没有逐字出现" in answer.notice and "请以引用的原文为准" in answer.notice
    exact = qa.ask("“教师的平均工资水平应当不低于或者高于国家公务员的平均工资水平”是哪条规定？")
    assert "没有逐字出现" not in exact.notice


#: documents of a made-up library: who issued each, when and what kind it is
ISSUED = {
    "notice": ("《某部关于做好某项工作的通知》", "人力资源社会保障部", "2021-04-30"),
    "measures": ("《某某实施办法》", "人力资源和社会保障部", "2008-09-18"),
    "rules": ("《某某暂行规定》", "劳动部", "1994-12-06"),
    "reg-a": ("《某某条例》", "国务院", "2010-12-20"),
    "reg-b": ("《另一条例》", "国务院", "2019-12-30"),
    "opinion": ("《关于某某的意见》", "中共中央办公厅 国务院办公厅", "2022-10-07"),
    "wage": ("《关于某某的规定》", "国家统计局（经国务院批准）", "1990-01-01"),
}


@pytest.mark.parametrize("question, documents, span", [
    ("人社部那个通知讲了什么", ("notice",), "人社部那个通知"),
    ("人社部2021年的通知讲了什么", ("notice",), "人社部2021年的通知"),
    ("2021年人社部发的文件讲了什么", ("notice",), "2021年人社部发的文件"),
    ("人力资源和社会保障部2008年的文件", ("measures",), "人力资源和社会保障部2008年的文件"),  # the same ministry, spelled with 和
    ("劳动部1994年的规定第五条", ("rules",), "劳动部1994年的规定"),
    ("国务院2019年的条例第十条", ("reg-b",), "国务院2019年的条例"),
    ("国办的意见讲了什么", ("opinion",), "国办的意见"),  # one of two organs that signed it
    ("统计局的规定", ("wage",), "统计局的规定"),  # the note in brackets is no organ
    ("人社部发的文件讲了什么", (), None),  # two documents of the ministry: which?
    ("国务院的条例第十条", (), None),  # two regulations
    ("人社部2020年的通知", (), None),  # none of that year
    ("人社部门要做什么", (), None),  # a department, not the ministry
    ("人社部那份做好某项工作的通知里说了什么", ("notice",), "人社部那份做好某项工作的通知"),  # described by its title's words
    ("人社部关于养老保险的通知讲了什么", (), None),  # described as another notice: not the one held
    ("听说人社部2021年发过文，要求各地做什么", ("notice",), "人社部2021年发过文"),
    ("劳动部的文化", (), None),  # 文 inside a word is no document
    ("劳动部规定的加班工资是多少", (), None),  # 规定的: what the ministry stipulates, not its 规定
    ("人社部要求各地做什么", (), None),  # no document named, only its organ
])
def test_a_document_is_named_by_its_organ_kind_and_year(question, documents, span):
    refs = find_references(question, {}, issuers=issuer_index(ISSUED))
    assert refs.documents == documents
    assert refs.spans == ((span,) if span else ())


def test_an_organ_and_kind_name_the_document_in_search(qa):
    # 劳动部1994年的规定第五条 quoted the 第五条 of another 规定 (the library holds four), with a notice
    answer = qa.ask("劳动部1994年的规定第五条")
    assert answer.references["documents"] == ["33_gongzi-zhifu-zanxing-guiding-1994"]
    assert answer.citations[0].quote.startswith("第五条 工资应当以法定货币支付") and "可指" not in answer.notice
    # the only 通知 the ministry issued, asked for as a whole: its opening and outline
    answer = qa.ask("人社部那个通知讲了什么")
    assert answer.references["documents"] == ["00_renshebuhan-2021-49"] and "分三部分" in answer.notice


@pytest.mark.parametrize("question, compared", [
    ("甲法和乙法对工资的规定有什么不同", ("a", "b")),
    ("乙法和甲法对工资的规定有什么区别", ("b", "a")),  # in the question's order
    ("甲法与乙法规定的加班费一样吗", ("a", "b")),
    ("甲法和乙法对工资怎么规定", ()),  # no comparison asked: one answer, as before
    ("甲法第三条和乙法第三条有什么不同", ()),  # articles asked: each is quoted as cited
    ("甲法对工资的规定有什么不同", ()),  # one document
])
def test_a_comparison_of_named_documents_is_read(question, compared):
    from retriever.references import compared_documents

    aliases = {"甲法": ("a",), "乙法": ("b",)}
    assert compared_documents(question, find_references(question, aliases)) == compared


def test_a_comparison_quotes_each_document_it_names(qa):
    # quoted 教育法 alone: 教师法's sentences ranked under the refusal bar beside it
    answer = qa.ask("教师法和教育法对教师工资的规定有什么不同")
    assert [c.hit.chunk.doc_id for c in answer.citations] == ["12_jiaoshi-fa-2009", "21_jiaoyu-fa-2021"]
    assert [c.number for c in answer.citations] == [1, 2] and "[1]" in answer.answer and "[2]" in answer.answer
    assert "问题比较两份文件：下面分别引用每份文件中与问题最相关的一句。" in answer.notice
    assert all("工资" in c.quote for c in answer.citations)


@pytest.mark.parametrize("question, division, paragraph", [
    ("甲通知第三段", (), 3),  # the whole document, counted as printed
    ("甲通知的第三段写的什么", (), 3),
    ("甲通知第二部分第三段", (("部分", 2),), 3),
    ("甲通知第三条", None, None),
    ("第三段", None, None),  # no document named: a paragraph of what?
])
def test_a_paragraph_of_a_named_document_is_read(question, division, paragraph):
    refs = find_references(question, {"甲通知": ("a",)})
    assert (refs.division, refs.division_paragraph) == (division, paragraph)


@pytest.mark.parametrize("question, unit", [
    ("某条例第十四条有几项", "项"), ("某法第四十条共有几款？", "款"), ("某条例第十四条规定了几种情形", "项"),
    ("某条例第十四条第六项", ""),  # an item asked for, not counted
    ("某法第十四条和第十五条各有几项", ""),  # of two articles: whose?
    ("某法有几条", ""),
])
def test_parts_counted(question, unit):
    from retriever.citations import parts_counted

    assert parts_counted(question) == unit


def test_a_comparison_of_whole_documents_quotes_what_each_is_for(qa):
    # quoted 教师法第二条 and 教育法第三十三条, whichever sentences the bare words matched
    answer = qa.ask("教师法和教育法有什么不同")
    assert [c.quote[:10] for c in answer.citations] == ["第一条 为了保障教师", "第一条 为了发展教育"]
    assert "下面分别引用每份文件开头说明其宗旨的一句" in answer.notice
    from retriever.references import compares_whole_documents

    refs = find_references("甲法和乙法对工资的规定有什么区别", {"甲法": ("a",), "乙法": ("b",)})
    assert not compares_whole_documents("甲法和乙法对工资的规定有什么区别", refs)


@pytest.mark.parametrize("question, names, term", [
    ("甲法中关于经济补偿的条文有哪些", ("甲法",), "经济补偿"),
    ("《甲法》有关试用期的规定有哪些？", ("甲法",), "试用期"),
    ("甲法里哪几条提到了工资", ("甲法",), "工资"),
    ("乙法里哪几条提到了工资", ("甲法",), ""),  # not a document the question names
    ("哪些文件提到了双师型教师？", (), "双师型教师"),  # which documents: as before
])
def test_which_articles_of_a_named_document_use_some_words(question, names, term):
    from retriever.references import mentioned_term

    assert mentioned_term(question, names) == term


def test_the_articles_of_a_named_document_that_use_some_words_are_listed(qa):
    # was refused by relevance
    answer = qa.ask("劳动合同法中关于经济补偿的条文有哪些")
    assert "《中华人民共和国劳动合同法》中有九处条文提到“经济补偿”：第二十三条、第四十六条、第四十七条" in answer.notice
    assert answer.citations and all(c.hit.chunk.doc_id == "27_laodong-hetong-fa-2012" and "经济补偿" in c.quote
                                    for c in answer.citations)  # not 劳动法's or 实施条例's sentences
    # a notice's items, cited as people cite them
    assert "第二部分第（一）项" in qa.ask("49号文里哪几条提到了技工院校").notice
    answer = qa.ask("劳动合同法中关于陪产假的条文有哪些")
    assert answer.refused and answer.reason == "《中华人民共和国劳动合同法》中没有出现“陪产假”"


@pytest.mark.parametrize("question, words, listed", [
    ("文档库里有哪些文件", "文件", ["notice", "measures", "rules", "reg-a", "reg-b", "opinion", "wage"]),
    ("人社部发了哪些文件", "人社部的文件", ["notice", "measures"]),
    ("国务院的条例有哪些？", "国务院的条例", ["reg-a", "reg-b"]),
    ("国务院2019年发的文件有哪些", "国务院2019年的文件", ["reg-b"]),
    ("有哪些行政法规", "行政法规", ["reg-a", "reg-b"]),  # the State Council's 条例, 规定 and 办法
    ("人社部2020年发了哪些文件", "人社部2020年的文件", []),
])
def test_a_list_of_the_librarys_documents_is_read(question, words, listed):
    from retriever.names import catalogue, catalogue_asked

    index = issuer_index(ISSUED)
    asked = catalogue_asked(question, index)
    assert asked.words == words and catalogue(asked, index) == listed


@pytest.mark.parametrize("question", [
    "有哪些法律规定了试用期", "教师有哪些权利", "某法有哪些规定", "杭州发了哪些文件", "今年发了哪些文件", "最新的法律有哪些",
])
def test_other_questions_with_which_ask_for_no_list(question):
    from retriever.names import catalogue_asked

    assert catalogue_asked(question, issuer_index(ISSUED)) is None


def test_a_list_of_documents_is_named_in_the_notice_and_quoted_by_title(qa):
    # was answered with a 条例's 第九条 (「…分别制定本条例的实施办法」)
    answer = qa.ask("国务院的条例有哪些")
    assert answer.notice.startswith("文档库中的国务院的条例共七份：《教师资格条例》（国务院令第188号，1995-12-12）")
    assert [c.quote for c in answer.citations] == ["教师资格条例", "事业单位人事管理条例", "中华人民共和国劳动合同法实施条例"]
    answer = qa.ask("人社部2020年发了哪些文件")
    assert answer.refused and answer.reason == "文档库中没有人社部2020年的文件"
    answer = qa.ask("有哪些法律", docs=["12_jiaoshi-fa-2009", "33_gongzi-zhifu-zanxing-guiding-1994"])
    assert answer.notice.startswith("所选文件中的法律共一份：《中华人民共和国教师法》")


def test_an_article_written_with_the_old_character_for_twenty_is_quoted(qa):
    # before: 第廿五条 was no article at all, and the law's pay clauses were quoted instead
    answer = qa.ask("教师法第廿五条")
    assert not answer.refused, answer.reason
    assert answer.citations[0].quote.startswith("第二十五条")


@pytest.mark.parametrize("question, after, annex", [
    ("本规定附录第三条", (), (("附录", 0), ("部分", 3))), ("附录的第二项", (), (("附录", 0), ("部分", 2))),
    ("附件2", (), (("附件", 2),)), ("某规定的附录", (3,), (("附录", 0),)), ("某规定附件里的第四部分", (3,), (("附件", 0), ("部分", 4))),
    ("劳动合同要附件吗", (4,), None), ("某法第三条", (2,), None),
])
def test_annex_of(question, after, annex):
    """An annex is cited as a division; its items 三、 are 条 as laws cite them (本规定附录第一条), or 项;
    a bare 附件 away from a document's name is an attachment, not the document's annex."""
    assert annex_of(question, after) == annex


def test_a_part_that_leads_in_to_its_items_is_its_chunk_s_opening_line():
    assert division_matches(["附录"], (("附录", 0), ("部分", 3)), "三、某类作业的范围：\n（一）…")
    assert not division_matches(["附录"], (("附录", 0), ("部分", 3)), "二、某类作业的范围：")
    # an item list restarting at 二、 inside part 三、 is not the document's 第二部分
    assert not division_matches(["三、工作规则"], (("部分", 2),), "二、某项规则：")
    assert division_matches(["二、成员单位"], (("部分", 2),), "联席会议由…组成。")


def test_an_annex_item_is_quoted_from_the_annex_not_the_law_s_article_of_that_number(qa):
    # before: 附录第三项 quoted the annex's (一) line of another part and the law's own 第三条
    for question in ("女职工劳动保护特别规定附录第三条", "女职工劳动保护特别规定附录的第三项是什么"):
        answer = qa.ask(question)
        assert not answer.refused, answer.reason
        assert answer.citations[0].quote.startswith("三、女职工在孕期禁忌从事的劳动范围"), answer.citations[0].quote
    refused = qa.ask("女职工劳动保护特别规定附录第九条")
    assert refused.refused and "附录第九部分" in refused.reason
    refused = qa.ask("劳动合同法的附件")  # named as asked, though the law has no annex by either word
    assert refused.refused and refused.reason.endswith("中没有附件")
    part = qa.ask("国函〔2018〕144号附件第二部分")
    assert part.citations and part.citations[0].hit.chunk.heading[-1] == "二、成员单位"


def test_an_annex_asked_whole_is_outlined(qa):
    answer = qa.ask("女职工劳动保护特别规定的附录")
    assert "附录共四部分：一、女职工禁忌从事的劳动范围；二、" in answer.notice
    assert "附件共四部分：一、主要职能；二、成员单位；三、工作规则；四、工作要求。" in qa.ask("国函〔2018〕144号的附件").notice
