"""The page in a real browser (Playwright + Debian's chromium) against ``policyqa serve``.

One index (shared with test_page_api.py through the session's base temp folder), one server
subprocess on a free 127.0.0.1 port and one browser page for the module; the tests run in
order on that page, like a teacher would. Screenshots are taken on every run (into a temporary
folder); ``POLICYQA_SCREENSHOTS=docs`` writes them to docs/ for the README instead, so a plain
test run leaves the working tree clean.
"""
from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import json
import re
from pathlib import Path

import pytest

from page.harness import prepare_site, start_server
from policyqa.config import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
#: Screenshots go to pytest's temporary folder; the README's two go to docs/ with POLICYQA_SCREENSHOTS=docs.
KEEP_IN_DOCS = os.environ.get("POLICYQA_SCREENSHOTS") == "docs"
VERBATIM = "原则上从具有3年以上企业工作经历并具有高职以上学历的人员中公开招聘"
TIMEOUT_MS = 60_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("shots")


@pytest.fixture(scope="module")
def readme_shots(shots):
    return PROJECT_ROOT / "docs" if KEEP_IN_DOCS else shots


@pytest.fixture(scope="module")
def site(tmp_path_factory, index_config):
    # the session's index of the same corpus seeds the site's: nothing is embedded twice
    return prepare_site(tmp_path_factory.getbasetemp() / "page-site", seed_index=index_config.index_dir)


@pytest.fixture(scope="module")
def server(site, tmp_path_factory):
    temp = tmp_path_factory.mktemp("server-tmp")  # the server's own temporary files (exports)
    server = start_server(site, env={"TMPDIR": str(temp)})
    yield server
    server.stop()
    # stopped as a service manager stops it (SIGTERM): a clean exit that leaves no export behind
    assert server.proc.returncode == 0, server.log.read_text(encoding="utf-8")[-2000:]
    assert not list(temp.glob("policyqa-export-*"))


@pytest.fixture(scope="module")
def browser_page(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1360, "height": 1010}, locale="zh-CN", permissions=["clipboard-read", "clipboard-write"]
        )
        page = context.new_page()
        page.dialogs = []

        def on_dialog(dialog):
            page.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server.url)
        page.wait_for_selector("#pq-question textarea")
        yield page
        browser.close()


def _answered(page, turn: int) -> None:
    """Wait until answer ``turn`` is complete: its sources section is shown and nothing is pending."""
    page.wait_for_selector(f'#pq-sources .pq-turn[data-turn="{turn}"]')
    page.wait_for_function("() => !document.querySelector('#pq-chat').innerText.includes('正在查找')")
    page.wait_for_timeout(300)


def _ask(page, question: str) -> None:
    box = page.locator("#pq-question textarea")
    box.fill(question)
    box.press("Enter")


def _last_bot_text(page) -> str:
    return page.locator("#pq-chat .bot").last.inner_text()


def test_question_gets_cited_answer_with_sources_panel(browser_page, readme_shots):
    page = browser_page
    _ask(page, "双师型教师要有多少年企业工作经历？")
    _answered(page, 1)
    card = page.locator("#src-1-1")
    assert "《国家职业教育改革实施方案》" in card.inner_text()
    assert "国发〔2019〕4号" in card.inner_text() and "2019-01-24" in card.inner_text()
    assert "（十二）多措并举打造“双师型”教师队伍" in card.inner_text()
    # the quote (which sentence is chosen is the ranker's business) is marked in its paragraph and quoted in the chat
    quote = card.locator("mark").inner_text()
    assert quote and quote in card.locator(".pq-para").inner_text() and "双师型" in card.locator(".pq-para").inner_text()
    assert quote in _last_bot_text(page)
    # the citation number links to its card
    link = page.locator('#pq-chat a.pq-cite[href="#src-1-1"]')
    assert link.count() == 1
    link.click()
    page.wait_for_function("() => document.getElementById('src-1-1').classList.contains('pq-flash')")
    page.wait_for_timeout(1800)  # let the highlight animation end before the screenshot
    page.screenshot(path=str(readme_shots / "screenshot-chat.png"))


def test_clicking_an_example_asks_it(browser_page):
    page = browser_page
    page.get_by_role("button", name="老师去企业实践有什么要求？").click()
    _answered(page, 2)
    assert "老师去企业实践有什么要求？" in page.locator("#pq-chat").inner_text()
    section = page.locator('#pq-sources .pq-turn[data-turn="2"]')
    assert section.locator(".pq-card").count() >= 1 or section.locator(".pq-refusal").count() == 1
    # the first answer's sources are folded below, still reachable
    assert page.locator("#pq-sources details.pq-older").count() == 1


def test_hostile_question_is_shown_as_text(browser_page):
    page = browser_page
    hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>[链接](javascript:alert(3))"
    _ask(page, hostile)
    _answered(page, 3)
    user_text = page.locator("#pq-chat .user").last.inner_text()
    assert hostile in user_text
    assert page.locator('#pq-chat img[src="x"]').count() == 0
    assert page.locator('#pq-chat a[href^="javascript"]').count() == 0
    assert page.locator('#pq-sources img[src="x"]').count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []


def test_empty_question_gets_a_message_outside_the_chat(browser_page):
    page = browser_page
    before = page.locator("#pq-chat").inner_text()
    bubbles = page.locator("#pq-chat .bot").count()
    page.locator("#pq-question textarea").fill("")
    page.locator("#pq-question textarea").press("Enter")
    page.wait_for_function("() => document.body.innerText.includes('问题为空')")
    page.wait_for_timeout(500)
    assert page.locator("#pq-chat").inner_text() == before, "nothing is added to the previous answer's bubble"
    assert page.locator("#pq-chat .bot").count() == bubbles


def test_thumbs_up_appends_feedback(browser_page, site):
    page = browser_page
    path = site.data_dir / "feedback.jsonl"
    before = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    # the first answer (双师型) is the first bot message
    # Gradio labels the thumbs in the browser's language: "Like" / "赞"
    page.locator("#pq-chat button[aria-label='Like'], #pq-chat button[aria-label='赞']").first.click()
    for _ in range(40):
        if path.exists() and len(path.read_text(encoding="utf-8").splitlines()) > len(before):
            break
        page.wait_for_timeout(250)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(before) + 1
    entry = json.loads(lines[-1])
    assert entry["vote"] == "up" and entry["question"] == "双师型教师要有多少年企业工作经历？"
    assert entry["citations"] and entry["citations"][0]["quote"] in page.locator("#src-1-1 mark").text_content()
    # confirmed on the page, not only in the log
    page.wait_for_function("() => document.querySelector('#pq-feedback-status').innerText.includes('已记录您的反馈（赞）')")
    # clicking the thumb again withdraws the vote: a line linked to the first by the answer's id
    page.locator("#pq-chat button[aria-label='Liked']").first.click()
    page.wait_for_function("() => document.querySelector('#pq-feedback-status').innerText.includes('已撤销')")
    lines = path.read_text(encoding="utf-8").splitlines()
    withdrawn = json.loads(lines[-1])
    assert withdrawn["vote"] == "withdrawn" and withdrawn["answer_id"] == entry["answer_id"] and entry["answer_id"]
    assert all(json.loads(line)["vote"] for line in lines)


def test_like_comes_before_dislike(browser_page):
    page = browser_page
    like = page.locator("#pq-chat button[aria-label='Like'], #pq-chat button[aria-label='赞']").first.bounding_box()
    dislike = page.locator("#pq-chat button[aria-label='Dislike'], #pq-chat button[aria-label='踩']").first.bounding_box()
    assert like["x"] < dislike["x"]


def test_document_filter_limits_the_answer(browser_page):
    page = browser_page
    law = "《中华人民共和国职业教育法》（中华人民共和国主席令第一一二号）"
    page.locator("#pq-doc-filter input").click()
    page.get_by_role("option", name=law).click()
    page.keyboard.press("Escape")
    _ask(page, "双师型教师要有多少年企业工作经历？")
    _answered(page, 4)
    titles = page.locator('#pq-sources .pq-turn[data-turn="4"] .pq-title').all_inner_texts()
    assert set(titles) <= {"《中华人民共和国职业教育法》"}
    # the law speaks of 双师型 teachers but not of years in a company: refused, and the answer says a filter is on
    answer = _last_bot_text(page)
    assert "无法回答" in answer and "已限定文件：只在《中华人民共和国职业教育法》中查找" in answer
    # clear the filter again for the tests after this one
    page.locator("#pq-doc-filter button[aria-label^='Remove'], #pq-doc-filter .token-remove").first.click()


def test_exact_wording_tab(browser_page, readme_shots):
    page = browser_page
    page.get_by_role("tab", name="原文检索").click()
    box = page.locator("#pq-exact-q textarea")
    # traditional characters, and the phrase straddles a page break in the seed notice
    box.fill("指明了前進方向")
    page.locator("#pq-exact-btn").click()
    page.wait_for_selector("#pq-exact-results mark")
    results = page.locator("#pq-exact-results")
    assert "共出现 1 处" in results.inner_text()
    assert re.sub(r"\s", "", results.locator("mark").first.inner_text()) == "指明了前进方向"
    card = results.locator(".pq-card").first
    assert "人社部函〔2021〕49号" in card.inner_text()
    assert "一、深入学习领会习近平总书记对职业教育工作的重要指示精神" in card.inner_text()
    cite = card.locator("button.pq-copy").get_attribute("data-cite")
    # the copy button copies the sentence and its reference
    assert cite.startswith("“") and "指明了前进方向" in cite.split("”（")[0] and cite.endswith("）")
    assert "”（《人力资源社会保障部关于" in cite and "（人社部函〔2021〕49号）一、" in cite
    card.locator("button.pq-copy").click()
    page.wait_for_function("() => document.querySelector('#pq-exact-results button.pq-copy').innerText === '已复制'")
    assert page.evaluate("() => navigator.clipboard.readText()") == cite
    # a phrase with many occurrences, for the README screenshot
    box.fill("绩效工资")
    page.locator("#pq-exact-btn").click()
    page.wait_for_function("() => document.querySelector('#pq-exact-results').innerText.includes('「绩效工资」共出现')")
    assert results.locator("mark").count() >= 3
    assert set(results.locator("mark").all_inner_texts()) == {"绩效工资"}
    for close in page.locator(".toast-close").all():  # an earlier test's warning would cover the screenshot
        close.click()
    page.wait_for_function("() => !document.querySelector('.toast-body')")
    page.screenshot(path=str(readme_shots / "screenshot-exact.png"))
    # the tab's own 限定文件: only the chosen law's occurrences, and the summary says the search was limited
    law = "《中华人民共和国职业教育法》（中华人民共和国主席令第一一二号）"
    page.locator("#pq-exact-docs input").click()
    page.get_by_role("option", name=law).click()
    page.keyboard.press("Escape")
    page.locator("#pq-exact-btn").click()
    page.wait_for_function("() => document.querySelector('#pq-exact-results').innerText.includes('在所选的 1 个文件中')")
    titles = results.locator(".pq-card .pq-title").all_inner_texts()
    assert titles and set(titles) == {law}
    page.locator("#pq-exact-docs button[aria-label^='Remove'], #pq-exact-docs .token-remove").first.click()


def test_documents_tab_lists_the_index_without_upload(browser_page):
    page = browser_page
    page.get_by_role("tab", name="文件").click()
    table = page.locator("#pq-docs")
    table.wait_for()
    text = table.inner_text()
    assert "《国家职业教育改革实施方案》" in text and "国发〔2019〕4号" in text and "2019-01-24" in text
    assert page.locator("#pq-upload").count() == 0, "no upload section without POLICYQA_ADMIN_PASSWORD"


def test_a_follow_up_the_texts_leave_open_is_named_beside_the_answer(browser_page, shots):
    # a main question the texts answer, with a follow-up asking for a 期限 they do not give
    page = browser_page
    page.get_by_role("tab", name="问答").click()  # earlier tests leave another tab open
    _ask(page, "我们学校想按本地产业开个新专业，学校自己能做主吗？要提前多少天报备？")
    page.wait_for_function("() => document.querySelector('#pq-chat').innerText.includes('现有政策文件没有给出')", timeout=TIMEOUT_MS)
    page.wait_for_function("() => !document.querySelector('#pq-chat').innerText.includes('正在查找')")
    page.wait_for_timeout(300)
    chat = page.locator("#pq-chat").inner_text()
    answer = chat[chat.rindex("要提前多少天报备？"):]  # this turn: the notice, then the quoted answer
    assert "“要提前多少天报备”所问的具体期限，现有政策文件没有给出" in answer and "自主设置专业" in answer
    assert "文档信息不足" not in answer
    page.screenshot(path=str(shots / "screenshot-follow-up.png"))


def test_several_sources_and_no_repeated_article_number(browser_page):
    page = browser_page
    page.get_by_role("tab", name="问答").click()
    turns = page.locator("#pq-sources .pq-turn").count()
    _ask(page, "教师法第25条是怎么规定的？")
    page.wait_for_function(
        f"() => document.querySelectorAll('#pq-sources .pq-turn').length > {turns} && !document.querySelector('#pq-chat').innerText.includes('正在查找')")
    page.wait_for_timeout(300)
    answer = _last_bot_text(page)
    assert "“第二十五条" in answer and "第二十五条：“第二十五条" not in answer
    section = page.locator("#pq-sources .pq-turn").first
    cites = page.locator("#pq-chat .bot").last.locator("a.pq-cite").count()
    assert section.locator(":scope > .pq-card").count() == cites >= 1  # one card per quote, in order
    more = section.locator("details.pq-more")
    assert more.count() == 1 and "其他相关段落" in more.locator("summary").inner_text()
    assert more.locator(".pq-card").count() >= 1


def _phone(browser_page):
    """A second page at phone size (a fresh browser context: its own storage) in the same browser."""
    context = browser_page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                                       permissions=["clipboard-read", "clipboard-write"])
    return context.new_page()


def test_phone_refusal_points_below_and_hides_apparatus(browser_page, server, shots):
    page = _phone(browser_page)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(server.url)
    page.wait_for_selector("#pq-question textarea")
    _ask(page, "国务院职业教育工作部际联席会议今年开了几次会？")  # refused; the 批复's signature chunk ranks first
    _answered(page, 1)
    chat = page.locator("#pq-chat").inner_text()
    assert "无法回答" in chat and "下方“来源”栏" in chat and "右侧" not in chat
    related = page.locator("#pq-sources").inner_text()
    for line in ("此件公开发布", "2018年11月20日"):
        assert line not in related
    page.screenshot(path=str(shots / "screenshot-phone.png"))
    page.context.close()


def test_citation_opens_the_whole_document_at_the_cited_paragraph(browser_page):
    page = browser_page
    page.get_by_role("tab", name="问答").click()
    card = page.locator("#pq-sources .pq-turn").first.locator(":scope > .pq-card").first
    quote = card.locator("mark").inner_text()
    card.locator("button.pq-open-doc").click()
    target = page.locator("#pq-docview #pq-docview-target")
    target.wait_for()
    page.wait_for_timeout(500)
    assert "pq-doc-cited" in target.get_attribute("class")
    assert quote.replace("\n", "") in target.inner_text().replace("\n", "")
    assert page.locator("#pq-docview .pq-doc-para").count() > 10, "the whole document, not one paragraph"
    box = target.bounding_box()
    assert box and 0 <= box["y"] < page.viewport_size["height"], "scrolled to the cited paragraph"
    page.locator("#pq-docview button.pq-docview-close").click()
    page.wait_for_function("() => document.querySelector('#pq-docview .pq-docview-overlay').classList.contains('pq-closed')")


def test_conversation_is_kept_across_a_reload_exported_copied_and_cleared(browser_page):
    page = browser_page
    page.get_by_role("tab", name="问答").click()
    before = page.locator("#pq-chat .bot").count()
    assert before >= 3
    page.reload()
    page.wait_for_selector("#pq-question textarea")
    page.wait_for_function(f"() => document.querySelectorAll('#pq-chat .bot').length >= {before}")
    assert "双师型教师要有多少年企业工作经历？" in page.locator("#pq-chat").inner_text()
    assert page.locator("#pq-sources .pq-turn").count() >= 1, "the sources panel comes back too"
    # a copy button on every answer copies its text
    last = page.locator("#pq-chat .bot").last
    last.locator("button.pq-copy-msg").click()
    page.wait_for_function("() => [...document.querySelectorAll('#pq-chat .bot button.pq-copy-msg')].some(b => b.innerText === '已复制')")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied and "复制" not in copied[-3:] and copied.split("\n")[0] in last.inner_text()
    # export: Markdown with the quotes and full citations
    page.locator("#pq-export").click()
    link = page.locator("#pq-export-file a").first
    link.wait_for()
    with page.expect_download() as info:
        link.click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.startswith("# 政策问答 对话记录") and "## 问题 1：双师型教师要有多少年企业工作经历？" in text
    assert re.search(r"^\[1\] 《国家职业教育改革实施方案》（国发〔2019〕4号）.+（03_guojia", text, re.M)
    assert re.search(r"^> .+", text, re.M)
    # 新对话 empties the chat, and a reload does not bring the old one back
    page.locator("#pq-new-chat").click()
    page.wait_for_function("() => document.querySelectorAll('#pq-chat .bot').length === 0")
    page.reload()
    page.wait_for_selector("#pq-question textarea")
    page.wait_for_timeout(1500)
    assert page.locator("#pq-chat .bot").count() == 0


def test_chat_label_does_not_float_over_messages(browser_page):
    page = browser_page
    labels = page.locator("#pq-chat [data-testid='block-label'], #pq-chat .block-label, #pq-chat label")
    assert all(not el.is_visible() for el in labels.all())
