"""A document's apparatus (banner, 文号, title, addressees, signature date) is not its content."""
import dataclasses

import pytest

from ingest.structure import is_apparatus
from retriever.references import asks_about_document

NOTICE = ("人力资源社会保障部关于贯彻落实习近平总书记对职业教育工作重要指示精神的通知", "人社部函〔2021〕49号", "人力资源社会保障部")
PLAN = ("国务院关于印发国家职业教育改革实施方案的通知", "国发〔2019〕4号", "国务院")


@pytest.mark.parametrize("text, doc", [
    ("人力资源和社会保障部文件\n\n人社部函〔2021〕49号", NOTICE),  # banner + 文号
    ("人力资源社会保障部关于贯彻落实习近平总书记对职业教育工作重要指示精神的 通知", NOTICE),  # title, spaced
    ("各省、自治区、直辖市及新疆生产建设兵团人力资源社会保障厅（局）：", NOTICE),  # addressees
    ("人力资源社会保障部\n\n2021年4月30日", NOTICE),  # signature and date
    ("国务院\n\n2019年1月24日\n\n（此件公开发布）\n\n国家职业教育改革实施方案", PLAN),  # + the annexed plan's title
    # a 印发 notice's own title above the 文号, and a signature dated in words, as before 2012
    ("关于印发《某某暂行规定》的通知\n某部发〔1994〕1号", ("《某某暂行规定》", "某部发〔1994〕1号", "某部")),
    ("某部\n一九九四年十二月六日\n某某暂行规定", ("《某某暂行规定》", "某部发〔1994〕1号", "某部")),
    ("某部\n\n二〇〇八年九月三十日", ("《某某办法》", "", "某部")),
    # the attachment note, the signature and the 附件 mark above the annex's own title
    ("附件：某某制度\n\n某部\n\n2018年11月20日\n\n附件\n\n某某制度", ("《某部关于建立某某制度的批复》", "", "某部")),
])
def test_banner_number_title_addressees_and_signature_are_apparatus(text, doc):
    assert is_apparatus(text, *doc)


@pytest.mark.parametrize("text, doc", [
    ("现将《国家职业教育改革实施方案》印发给你们，请认真贯彻执行。", PLAN),
    ("你部《关于提请调整完善职业教育工作部际联席会议制度的请示》（教职成〔2018〕8号）收悉。现批复如下：", PLAN),
    ("今年4月，习近平总书记对职业教育工作作出重要指示，现就全国人力资源社会保障系统深入学习贯彻习近平总书记重要指示精神通知如下：", NOTICE),
    ("第六条 每年九月十日为教师节。", ("中华人民共和国教师法", "", "")),
    ("人力资源社会保障部\n\n2021年4月30日\n\n各地要及时报告。", NOTICE),  # one line of content is enough
    ("各地要按照关于印发《某某办法》的通知要求执行。", NOTICE),  # a sentence that cites a 印发 notice
    ("附件：本办法所附表格由各地按季度填报。", NOTICE),  # a sentence about the attachment
    ("某部\n\n二〇〇八年十三月三十日", ("《某某办法》", "", "某部")),  # no such month
    ("", NOTICE),
])
def test_content_is_not_apparatus(text, doc):
    assert not is_apparatus(text, *doc)


@pytest.mark.parametrize("question, about", [
    ("49号文是哪天印发的？", "date"),
    ("这个方案是什么时候发布的？", "date"),
    ("批复的发文日期是哪天？", "date"),
    ("人社部那个通知的文号是多少？", "number"),
    ("条例是哪个部门制定的？", "issuer"), ("这份通知是谁发的？", "issuer"),  # who issued it: a line that names the organ
    ("这份通知是谁发的，文号是多少？", "number"),
    ("这份批复是发给谁的？", "addressees"), ("49号文的主送单位有哪些？", "addressees"), ("49号文抄送哪些单位？", "document"),
    ("劳动法哪一年修订的？", "date"), ("这部法律什么时候修改的？", "date"),
    ("劳动合同法一共有多少条？", "articles"), ("这个方案总共几条", "articles"), ("教师法分几章？", "chapters"),
    ("关于试用期有几条规定？", ""),  # how many provisions on a topic is not the document's count
    ("教师法的全称是什么？", "title"),
    ("49号文的标题是什么？", "title"),
    ("国函〔2018〕144号是哪份文件？", "title"),
    ("总书记对职业教育的前途怎么看？", ""),
    ("教师法第25条是怎么规定的？", ""),
    ("修订后的职业教育法从什么时候开始施行？", "effective"),  # its own article says: 本法自…起施行
    ("劳动合同法最新版本是哪年的", "date"), ("教师法最新一次修订是哪一年", "date"),  # the verb first
    ("某法修订后是什么时候施行的", "effective"), ("我去年修改的合同是什么时候到期", ""),  # a contract's date is content
    ("这份批复的附件是什么？", "attachments"), ("某通知有哪些附件", "attachments"), ("某法有附件吗", "attachments"),
    ("批复附件里成员单位有哪些", ""),  # what the attachment says: content
])
def test_questions_about_the_document_itself_are_told_apart(question, about):
    assert asks_about_document(question) == about


@pytest.mark.parametrize("question, doc_id, line", [
    ("49号文的主送单位有哪些？", "00_renshebuhan-2021-49", "各省、自治区、直辖市及新疆生产建设兵团人力资源社会保障厅（局）："),
    # a 印发 notice's addressees share a chunk with its text: found by the 各 they open with
    ("国家职业教育改革实施方案发给了哪些单位？", "03_guojia-zhiye-jiaoyu-gaige-shishi-fangan-2019", "各省、自治区、直辖市人民政府，国务院各部委、各直属机构："),
    # the library's one 批复, pointed at (retriever/data/pointed_kinds.tsv): its addressee shares a chunk with its title
    ("这份批复是发给谁的？", "11_zhiye-jiaoyu-buji-lianxi-huiyi-pifu-2018", "教育部："),
])
def test_whom_a_document_is_addressed_to_is_its_addressee_line(qa, question, doc_id, line):
    answer = qa.ask(question)  # quoted the banner (人力资源和社会保障部文件), the signature, or 现批复如下
    assert not answer.refused and answer.citations[0].hit.chunk.doc_id == doc_id
    assert answer.citations[0].quote == line  # the line alone, not the title and 文号 above it
    start, end = answer.citations[0].source_span
    assert answer.citations[0].hit.doc.text[start:end] == line  # its offsets point at it in the file


@pytest.mark.parametrize("question, title", [
    ("教师法主送哪些单位？", "《中华人民共和国教师法》"),
    ("高技能人才意见是发给谁的？", "《关于加强新时代高技能人才队伍建设的意见》"),
])
def test_a_document_without_addressees_is_refused_by_name(qa, question, title):
    """A law (and an opinion published for all) is addressed to no one: the refusal says so, where
    it said only that nothing was relevant enough."""
    answer = qa.ask(question)
    assert answer.refused and answer.reason.startswith(title) and answer.reason.endswith("中没有主送单位")


def test_what_a_document_attaches_is_its_attachment_note(qa):
    # quoted 「现批复如下：」: the note's chunk was content, then apparatus demoted for a content question
    for question in ("这份批复的附件是什么", "国函〔2018〕144号有什么附件"):
        answer = qa.ask(question)
        assert [c.quote for c in answer.citations] == ["附件：国务院职业教育工作部际联席会议制度"]
        start, end = answer.citations[0].source_span
        assert answer.citations[0].hit.doc.text[start:end] == "附件：国务院职业教育工作部际联席会议制度"
    answer = qa.ask("教师法有附件吗")  # was refused by relevance
    assert answer.refused and answer.reason == "《中华人民共和国教师法》中没有附件"
    # what the attachment says is answered from it, not by its name
    answer = qa.ask("这份批复附件里联席会议由哪些部门组成")
    assert not answer.refused and "附件：" not in answer.citations[0].quote


def test_the_latest_version_of_a_named_document_is_the_dated_text_held(qa):
    # was refused: 「文档是固定日期发布的政策文件，无法回答“最新”的情况」
    answer = qa.ask("劳动合同法最新版本是哪年的")
    assert not answer.refused and "2012年12月28日" in answer.citations[0].quote
    assert "文档库只能给出所收文本的日期，无法判断此后是否还有新的修订。" in answer.notice
    assert qa.ask("最新的最低工资标准是多少").refused  # the latest figure: still no text can tell


def test_attachment_span_finds_the_note_alone():
    from ingest.structure import attachment_span

    text = "撤销某某会议。\n\n附件：某某制度\n\n某部"
    start, end = attachment_span(text)
    assert text[start:end] == "附件：某某制度"
    assert attachment_span("附件1：某某表\n附件2：某某单") == (0, 7)
    assert attachment_span("附件是本通知的组成部分。") is None and attachment_span("各地报送附件：") is None


def retriever_with(qa, weight):
    return qa.live.retriever.reconfigured(dataclasses.replace(qa.config, apparatus_weight=weight))


def test_a_content_question_about_the_notice_does_not_get_its_banner(qa):
    question = "人社部的通知里总书记怎么评价职业教育的前途？"
    plain = retriever_with(qa, 1.0)
    first = plain.search(question).hits[0]
    assert plain.is_apparatus(first.row)  # the banner wins when nothing demotes it
    retriever = retriever_with(qa, 0.5)
    hits = retriever.search(question).hits
    assert not retriever.is_apparatus(hits[0].row) and hits[0].chunk.doc_id == first.chunk.doc_id
    assert any("职业教育前途广阔" in h.chunk.text for h in hits[:5])
    assert first.row in [h.row for h in hits]  # demoted, not removed


@pytest.mark.parametrize("question, piece", [
    # the notice's signature is its last line: the named document's dated line is put first
    ("49号文是哪天印发的？", "2021年4月30日"),
    ("职业教育改革实施方案是哪天发布的？", "2019年1月24日"),
    # a law has no signature: its 题注 under the title says when it was adopted and promulgated
    ("教师法是哪天通过的？", "1993年10月31日"),
    ("教师法是哪一年修正的？", "根据2009年8月27日"),  # amended: the same note says when (used to quote 教师节)
    ("带薪年休假条例是什么时候公布的？", "2007年12月14日"),
    # when it takes effect: not its signature or 题注 but its own 本法自…起施行 article
    ("职业教育法什么时候施行？", "本法自2022年5月1日起施行"),
    ("劳动合同法从哪天起施行？", "本法自2008年1月1日起施行"),
    ("工伤保险条例是哪年开始实施的？", "本条例自2004年1月1日起施行"),
])
def test_a_documents_dates_are_quoted_from_its_own_dated_lines(qa, question, piece):
    answer = qa.ask(question)
    assert not answer.refused, answer.reason
    assert piece in answer.citations[0].quote
    assert answer.citations[0].quote in answer.citations[0].hit.chunk.text


@pytest.mark.parametrize("question, notice", [
    # neither text writes its date (a regulation without 题注, an opinion as released): a plain
    # refusal said only that no article gives one
    ("保障农民工工资支付条例是哪一年发布的？", "《保障农民工工资支付条例》正文没有写明日期；文件信息记载的日期是2019年12月30日。"),
    ("高技能人才意见是什么时候发布的？", "《关于加强新时代高技能人才队伍建设的意见》正文没有写明日期；文件信息记载的日期是2022年10月7日。"),
])
def test_a_date_the_text_does_not_write_is_given_from_the_documents_record(qa, question, notice):
    answer = qa.ask(question)
    assert notice in answer.notice
    assert all("2019年12月30日" not in c.quote for c in answer.citations)  # never passed off as a quote


def test_a_dated_document_gets_no_record_notice(qa):
    assert "文件信息记载" not in qa.ask("49号文是哪天印发的？").notice


def test_asking_when_something_is_implemented_is_not_read_as_a_documents_effective_date(qa):
    from retriever.references import asks_about_document

    assert asks_about_document("劳动合同法从哪天起施行？") == "effective"
    assert asks_about_document("49号文是哪天印发的？") == "date"
    assert asks_about_document("绩效工资改革的主要内容是什么？") == ""
    # no document named: nothing is put first, so a content passage answers (or nothing does)
    answer = qa.ask("职业技能等级认定什么时候开始实施？")
    assert all("起施行" not in c.quote for c in answer.citations)


def test_a_laws_note_of_adoption_is_apparatus_not_content():
    from ingest.structure import is_apparatus

    note = "（2007年6月29日第十届全国人民代表大会常务委员会第二十八次会议通过\u3000根据2012年12月28日第十一届全国人民代表大会常务委员会第三十次会议《关于修改〈中华人民共和国劳动合同法〉的决定》修正）"
    assert is_apparatus(note, "中华人民共和国劳动合同法")
    # an article that mentions a date is content
    assert not is_apparatus("第九十八条 本法自2008年1月1日起施行。", "中华人民共和国劳动合同法")
    assert not is_apparatus("（一）2019年1月1日以后入职的职工", "某某办法")


def test_a_content_question_does_not_get_the_laws_note_first(qa):
    hits = qa.search("劳动合同法对试用期有什么规定？").hits
    assert not hits[0].chunk.text.startswith("（2007年6月29日")


def test_a_number_asked_of_a_document_the_text_cites_is_not_overruled_by_the_banner(qa):
    # the 文号 asked for is the 请示's, quoted in the 批复's text, not the 批复's own on its banner
    hits = qa.search("国务院批复里回复的教育部那份请示，文号是多少？").hits
    assert any("教职成〔2018〕8号" in h.chunk.text for h in hits[:3])


@pytest.mark.parametrize("question, piece", [
    ("教师资格条例的文号是什么？", "国务院令第188号"),  # used to quote the title line, which has no number
    ("国家职业教育改革实施方案的文号是多少？", "国发〔2019〕4号"),  # used to quote the signature
    ("职工带薪年休假条例是哪个部门制定的？", "国务院令第514号公布"),
    ("劳动合同法是谁制定的？", "全国人民代表大会常务委员会"),  # a law writes no 文号: its note of adoption
])
def test_a_question_for_a_documents_number_or_issuer_quotes_the_line_that_gives_it(qa, question, piece):
    answer = qa.ask(question)
    assert not answer.refused, answer.reason
    first = answer.citations[0]
    assert piece in first.quote, first.quote
    assert "条" not in first.hit.chunk.heading_path, first.label()


@pytest.mark.parametrize("question, title_line", [
    ("教师法的全称是什么？", "中华人民共和国教师法"),  # used to quote 第五条: a wrong citation
    ("职业教育法的全称叫什么？", "中华人民共和国职业教育法"),
    ("49号文的标题是什么？", "人力资源社会保障部关于贯彻落实习近平总书记对职业教育工作重要指示精神的"),
    # a document known by its 文号: which document it is, is its title (was refused)
    ("国函〔2018〕144号是什么文件？", "国务院关于同意建立国务院职业教育工作部际联席会议制度的批复"),
    # the title line shares its row with the 印发 notice's signature, date and 此件公开发布: the line alone
    ("国发〔2019〕4号是什么文件？", "国家职业教育改革实施方案"),
])
def test_a_question_for_the_full_title_quotes_the_title_line(qa, question, title_line):
    answer = qa.ask(question)
    assert not answer.refused, answer.reason
    [citation] = answer.citations
    assert citation.quote.startswith(title_line) and "条" not in citation.hit.chunk.heading_path
    assert "\n" not in citation.quote  # the one line that is the title, not the lines around it
    assert qa.live.retriever.is_apparatus(citation.hit.row)


@pytest.mark.parametrize("question, count, opening", [
    ("劳动合同法一共有多少条？", "《中华人民共和国劳动合同法》共九十八条", "第九十八条"),  # used to quote 第十二条
    ("教师法共有几章？", "共九章，最后一章是第九章 附则", "第四十条"),  # the last chapter's first article opens it
    ("国家职业教育改革实施方案一共多少条？", "《国家职业教育改革实施方案》共二十条", ""),  # a plan's items （一）…（二十）
    ("职业教育法最后一条", "共六十九条，最后一条是第六十九条", "第六十九条"),  # was refused: no sentence cleared the bar
    ("劳动合同法的最后一章是什么？", "共八章，最后一章是第八章 附则", "第九十六条"),
    # the count alone after the name, without 一共: was refused by relevance
    ("劳动合同法有几条？", "《中华人民共和国劳动合同法》共九十八条", "第九十八条"),
    ("国家统计局1990年的规定有几条", "《关于工资总额组成的规定》共十六条", "第十六条"),
])
def test_how_many_articles_or_chapters_is_read_off_the_last_one(qa, question, count, opening):
    answer = qa.ask(question)
    assert not answer.refused, answer.reason
    assert count in answer.notice
    assert answer.citations[0].quote.startswith(opening)


def test_a_count_of_provisions_on_a_topic_is_no_count_of_the_document(qa):
    question = "劳动合同法关于试用期有几条？"
    assert asks_about_document(question, qa.live.retriever.references(question)) == ""


def test_a_count_is_not_given_where_the_numbering_does_not_run_through_the_document(qa):
    # 49号文 numbers （一）（二）（三） in its second part only: three is not how many 条 it has
    answer = qa.ask("49号文一共有几条？")
    assert answer.refused and "没有连续编号的条文" in answer.reason


def test_a_count_inside_a_chapter_or_article_is_not_the_documents_count():
    from retriever.references import References

    in_chapter = References(documents=("law",), spans=("劳动合同法",), division=(("章", 3),))
    assert asks_about_document("劳动合同法第三章一共多少条", in_chapter) == ""
    assert asks_about_document("劳动合同法一共多少条", References(documents=("law",), spans=("劳动合同法",))) == "articles"
    assert asks_about_document("劳动合同法第三章最后一条", in_chapter) == ""


def test_last_numbered_reads_articles_items_and_chapters():
    from retriever.citations import last_numbered

    assert last_numbered(["第八章 附则", "第九十八条"], "articles") == 98
    assert last_numbered(["七、做好改革组织实施工作", "（二十）完善制度"], "articles") == 20
    assert last_numbered(["第八章 附则", "第九十八条"], "chapters") == 8
    assert last_numbered(["一、总体要求"], "articles") is None


@pytest.mark.parametrize("question, names, overview", [
    ("49号文主要讲了什么？", ("49号文",), True),
    ("职业教育法讲了哪些内容？", ("职业教育法",), True),
    ("请介绍一下职业教育法", ("职业教育法",), True),
    ("49号文分哪几部分？", ("49号文",), True),
    ("49号文一共几部分？", ("49号文",), True), ("劳动合同法有几个部分", ("劳动合同法",), True),
    ("职业教育法对教师待遇讲了什么", ("职业教育法",), False),  # asks about one thing in it
    # which measures or requirements a whole document sets out: its outline answers, not one of them
    ("高技能人才队伍建设的意见有哪些措施？", ("高技能人才队伍建设的意见",), True),
    ("49号文提出了哪些要求？", ("49号文",), True),
    ("教师法全文", ("教师法",), True), ("教师法的全文是什么", ("教师法",), True),  # too long to quote: its outline
    ("高技能人才队伍建设的意见对企业有哪些措施？", ("高技能人才队伍建设的意见",), False),  # about one thing in it
    ("主要讲了什么？", (), False),  # no document named
    # which chapters it has: its outline (used to quote one article at random)
    ("劳动合同法有哪些章？", ("劳动合同法",), True), ("劳动合同法有哪几章", ("劳动合同法",), True),
    ("教师法的章节", ("教师法",), True), ("教师法的目录", ("教师法",), True),
    ("劳动合同法分几章", ("劳动合同法",), False),  # how many: the count answers (chapters)
])
def test_a_question_for_what_a_document_says_as_a_whole_is_told_apart(question, names, overview):
    from retriever.references import asks_overview

    assert asks_overview(question, names) is overview


@pytest.mark.parametrize("question, outline, opening", [
    # used to quote the notice's banner and 文号 lines
    ("49号文主要讲了什么？", "分三部分：一、深入学习领会", "今年4月，习近平总书记对职业教育工作作出重要指示"),
    # used to quote the 印发 notice that wraps the plan
    ("国家职业教育改革实施方案的主要内容是什么？", "分七部分：一、完善国家职业教育制度体系；二、", "为贯彻全国教育大会精神"),
    ("职业教育法讲了哪些内容？", "分八章：第一章 总 则；第二章 职业教育体系；", "第一条 为了推动职业教育高质量发展"),
    # how many parts: the outline counts them (used to quote the banner)
    ("49号文一共几部分？", "分三部分：一、深入学习领会", "今年4月，习近平总书记对职业教育工作作出重要指示"),
    # a reply: its decision, not its acknowledgement of the request (…收悉。现批复如下：), asked by pointing
    ("这份批复讲了什么", "分四部分：一、主要职能；", "同意建立由国务院领导同志牵头负责的"),
    # the opening's statement of purpose (为…，现提出如下意见), not its first sentence of background
    ("高技能人才队伍建设的意见主要讲了什么", "分", "为贯彻落实党中央、国务院决策部署"),
    ("劳动合同法有哪些章？", "分八章：第一章 总则；第二章 劳动合同的订立；", "第一条 为了完善劳动合同制度"),
])
def test_a_documents_overview_is_its_opening_with_its_outline(qa, question, outline, opening):
    answer = qa.ask(question)
    assert not answer.refused, answer.reason
    assert outline in answer.notice
    assert answer.citations[0].quote.startswith(opening)
    assert not qa.live.retriever.is_apparatus(answer.citations[0].hit.row)


def test_a_document_without_parts_or_chapters_gets_its_opening_and_no_outline(qa):
    answer = qa.ask("请介绍一下职工带薪年休假条例")
    assert answer.citations[0].quote.startswith("第一条 为了维护职工休息休假权利")
    assert "分" not in answer.notice
    # wrapped in a 印发 notice whose lines run without blank lines between (title, 文号, then the
    # signature, its date in words and the regulation's own title in one chunk): used to quote the wrapper
    answer = qa.ask("工资支付暂行规定主要讲了什么")
    assert answer.citations[0].quote.startswith("第一条 为维护劳动者通过劳动获得劳动报酬的权利")
    assert "一九九四年十二月六日" in qa.ask("工资支付暂行规定是哪天发布的").citations[0].quote


def test_a_content_question_never_quotes_a_banner_title_or_signature(qa):
    # the question writes the notice's 文号, which its banner repeats: the banner was the first quote
    answer = qa.ask("人社部函〔2021〕49号要求各地人社部门做什么？")
    assert not any(qa.live.retriever.is_apparatus(c.hit.row) for c in answer.citations)
    # asked about the document itself, the same lines answer
    answer = qa.ask("人社部函〔2021〕49号的全文标题是什么？")
    assert answer.citations and qa.live.retriever.is_apparatus(answer.citations[0].hit.row)


@pytest.mark.parametrize("question, notice, starts", [
    # the lead-in or an item was quoted, and nothing said how many there are
    ("工伤保险条例第十四条有几项", "《工伤保险条例》第十四条共七项。", "第十四条 职工有下列情形之一的"),
    ("工伤保险条例第十四条规定了几种情形", "《工伤保险条例》第十四条共七项。", "第十四条"),
    ("劳动合同法第四十条有几款", "《中华人民共和国劳动合同法》第四十条共一款。", "第四十条"),  # its three items are of one 款
    ("教师法第二十五条有几项", "第二十五条不分项。", "第二十五条"),
])
def test_how_many_parts_an_article_has_is_counted_as_printed(qa, question, notice, starts):
    answer = qa.ask(question)
    assert not answer.refused and notice in answer.notice
    assert answer.citations[0].quote.startswith(starts)
    start, end = answer.citations[0].hit.chunk.para_span
    assert answer.citations[0].source_span == (start, end) or len(answer.citations) > 1  # the article whole


def test_a_chapters_title_is_its_heading_not_the_documents_title(qa):
    # 「教育法第四章的标题是什么」 was read as the law's own title, and quoted an article of the chapter without its name
    answer = qa.ask("教育法第四章的标题是什么")
    assert "第四章 教师和其他教育工作者" in answer.notice
    assert answer.citations[0].quote.startswith("第三十三条")  # the chapter from its start, as printed
    assert asks_about_document("教育法的标题是什么？") == "title"


@pytest.mark.parametrize("question, notice", [
    ("教师法第二十五条在第几章", "第二十五条在《中华人民共和国教师法》（2009年修正）第六章 待遇。"),
    ("劳动合同法第五十八条属于哪一节", "第五十八条在《中华人民共和国劳动合同法》第五章 特别规定 第二节 劳务派遣。"),
    ("女职工劳动保护特别规定第七条在哪一章", "《女职工劳动保护特别规定》不分章，第七条不在任何一章中。"),
])
def test_which_chapter_an_article_is_in_is_said(qa, question, notice):
    # the article was quoted and the chapter left to its citation's heading path
    answer = qa.ask(question)
    assert not answer.refused and notice in answer.notice
    assert "在" not in qa.ask("教师法第二十五条").notice


def test_who_issued_a_document_is_a_line_that_names_the_organ_or_its_record(qa):
    # its 文号 line (劳部发〔1994〕489号) was quoted, which names no organ: the signature does
    answer = qa.ask("工资支付暂行规定是哪个部门发的")
    assert answer.citations[0].quote.startswith("劳动部") and "一九九四年十二月六日" in answer.citations[0].quote
    assert "发文机关" not in answer.notice
    # no line of the opinion's text names 中办 or 国办: the notice gives its record
    answer = qa.ask("高技能人才意见是哪个部门发的")
    assert "引文没有写明发文机关；文件信息记载的发文机关是中共中央办公厅 国务院办公厅。" in answer.notice
    # the banner names the ministry, spelled with 和: nothing to add
    assert "发文机关" not in qa.ask("49号文是哪个部门发的").notice
    assert "发文机关" not in qa.ask("工资支付暂行规定的文号").notice  # its 文号, not who issued it
