"""The Gradio page of PolicyQA: chat with cited answers, sources panel, exact-wording search.

``policyqa serve`` calls :func:`main`; tests and the load script use :func:`build_app` and
:func:`launch`. This module is the page's layout and wiring only: the handlers are
``page/handlers.py``, the formatting ``page/render.py`` (pure functions), the style sheet,
script and example questions ``page/assets/``.

Safety: the page binds 127.0.0.1 unless told otherwise, never shares, serves no local paths,
limits upload size, and escapes every user and document text before it is rendered. Uploading
documents exists only when ``POLICYQA_ADMIN_PASSWORD`` is set, and needs that password.
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from page import render
from page.browser_secret import browser_secret
from page.feedback import FEEDBACK_FILE
from page.handlers import PageHandlers, new_state
from page.static import CSS, EXAMPLES, JS
from page.upload import ALLOWED_SUFFIXES, MAX_UPLOAD_LABEL

TITLE = "PolicyQA 政策问答"
def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "")))
    except ValueError:
        return default


#: Answers run on the CPU (~25 ms each on a CPU with native bf16, ~80 ms elsewhere, most of it the
#: question's two encodings, Config.serving): two at a time keeps both cores busy; the rest wait in the queue.
#: Gradio's own GRADIO_DEFAULT_CONCURRENCY_LIMIT overrides it (e.g. for bigger machines).
QUEUE_CONCURRENCY = _env_int("GRADIO_DEFAULT_CONCURRENCY_LIMIT", 2)
QUEUE_MAX_SIZE = 200
#: How often an open page checks whether the index changed (an upload in another tab).
DOCUMENT_POLL_S = 5.0

FONTS = (
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "system-ui",
    "sans-serif",
)


def make_theme() -> gr.themes.Base:
    """A clean theme with local fonts only (nothing fetched from the internet)."""
    return gr.themes.Soft(
        primary_hue="teal",
        secondary_hue="slate",
        neutral_hue="slate",
        radius_size="md",
        font=list(FONTS),
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


def _header_html() -> str:
    return (
        f'<div id="pq-header"><h1>{render.escape_html(TITLE)}</h1>'
        '<span class="pq-sub">离线 · 答案只引用政策原文 · 每句都可核查 · 找不到依据就直说</span></div>'
    )


def build_app(qa, admin_password: str | None = None, data_dir: Path | str | None = None) -> gr.Blocks:
    """The page for a loaded :class:`policyqa.qa.PolicyQA`: :func:`layout`, then :func:`wire`
    to the handlers (page/handlers.py).

    ``admin_password``: when set, the 文件 tab has an upload section guarded by it.
    ``data_dir``: where ``feedback.jsonl`` and the key of the browsers' saved conversations are
    kept (default: the corpus folder's parent).
    """
    data_dir = Path(data_dir) if data_dir is not None else Path(qa.config.corpus_dir).parent
    handlers = PageHandlers(qa, data_dir / FEEDBACK_FILE, admin_password)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        ui = layout(qa.documents(), with_upload=bool(admin_password), secret=browser_secret(data_dir))
        wire(demo, ui, handlers)
        gr.api(handlers.api_ask(), api_name="ask", concurrency_id="qa")
    demo.policyqa_gate = handlers.gate  # launch() installs page/guard.py's ApiGuard with it
    demo.policyqa_answer = handlers.answer_json  # and page/ask_route.py's POST /ask
    return demo


def document_filter(documents: list[dict], elem_id: str) -> gr.Dropdown:
    """A 限定文件 choice (the chat's and 原文检索's): none chosen means every document."""
    return gr.Dropdown(choices=render.document_choices(documents), value=[], multiselect=True, label="限定文件",
                       info="不选 = 在全部文件中查找", elem_id=elem_id)


def layout(documents: list[dict], with_upload: bool = False, secret: str | None = None) -> SimpleNamespace:
    """The page's components (inside an open ``gr.Blocks``), by name; no behaviour. ``secret``:
    the key of the saved conversations (page/browser_secret.py; None: a new one each start)."""
    ui = SimpleNamespace(state=gr.State(new_state()))
    # the conversation survives a reload and a restart: kept in the browser's storage, encrypted
    ui.saved = gr.BrowserState(None, storage_key="policyqa-conversation", secret=secret)
    ui.seen_build = gr.State("")
    ui.doc_timer = gr.Timer(DOCUMENT_POLL_S)
    gr.HTML(_header_html(), padding=False)
    with gr.Tabs():
        with gr.Tab("问答", id="tab-ask"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=380):
                    ui.chatbot = gr.Chatbot(
                        label="对话",
                        show_label=False,  # Gradio floats the label over the messages when scrolled
                        elem_id="pq-chat",
                        height=540,
                        layout="bubble",
                        sanitize_html=True,
                        render_markdown=True,
                        latex_delimiters=[],
                        allow_tags=False,
                        buttons=[],
                        feedback_options=("Like", "Dislike"),
                        placeholder="请输入您关于职业教育、教师待遇、职称、企业实践等政策的问题。\n\n答案只引用政策原文，并标注出处；找不到依据时会如实说明。",
                    )
                    with gr.Row(equal_height=True):
                        ui.question = gr.Textbox(
                            show_label=False,
                            placeholder="输入问题，按回车提问，例如：双师型教师要有多少年企业工作经历？",
                            scale=6,
                            max_lines=4,
                            elem_id="pq-question",
                        )
                        ui.send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="pq-send")
                    with gr.Row(elem_id="pq-chat-tools"):
                        ui.new_chat = gr.Button("新对话", size="sm", variant="secondary", elem_id="pq-new-chat", scale=0, min_width=80)
                        ui.export = gr.Button("导出对话（Markdown）", size="sm", variant="secondary", elem_id="pq-export", scale=0, min_width=150)
                    ui.export_file = gr.File(label="导出的对话", visible=False, elem_id="pq-export-file", interactive=False)
                    ui.feedback_status = gr.HTML("", elem_id="pq-feedback-status", padding=False)
                    gr.Markdown("**常见问题**（点击直接提问）")
                    with gr.Row(elem_classes=["pq-examples"]):
                        ui.examples = [
                            (gr.Button(text, size="sm", variant="secondary", elem_classes=["pq-example"]), text) for text in EXAMPLES
                        ]
                    ui.doc_filter = document_filter(documents, "pq-doc-filter")
                with gr.Column(scale=2, min_width=340):
                    gr.Markdown("### 来源", elem_id="pq-sources-title")
                    ui.sources = gr.HTML(render.PANEL_PLACEHOLDER, elem_id="pq-sources", padding=False, max_height=760)
                    # 查看全文: the card's button writes doc|chunk here (app.js) and presses the hidden button
                    ui.docview_req = gr.Textbox(elem_id="pq-docview-req", elem_classes=["pq-hidden"], show_label=False, container=False)
                    ui.docview_go = gr.Button("全文", elem_id="pq-docview-go", elem_classes=["pq-hidden"])
                    ui.docview = gr.HTML("", elem_id="pq-docview", padding=False)
        with gr.Tab("原文检索", id="tab-exact"):
            gr.Markdown(
                "按原文措辞查找：列出每一处出现的位置（文件、章节/条款）和上下文。"
                "忽略空格和换行（跨页断开的句子也能找到），繁体字自动转换为简体。"
            )
            with gr.Row(equal_height=True):
                ui.exact_q = gr.Textbox(
                    show_label=False,
                    placeholder="输入词语或句子，例如：双师型、绩效工资、3年以上企业工作经历",
                    scale=6,
                    elem_id="pq-exact-q",
                )
                ui.exact_btn = gr.Button("查找", variant="primary", scale=1, min_width=80, elem_id="pq-exact-btn")
            ui.exact_docs = document_filter(documents, "pq-exact-docs")
            ui.exact_out = gr.HTML('<div class="pq-empty">输入词语后点击“查找”。</div>', elem_id="pq-exact-results", padding=False)
        with gr.Tab("文件", id="tab-docs"):
            ui.docs_html = gr.HTML(render.documents_html(documents), elem_id="pq-docs", padding=False)
            ui.upload = None
            if with_upload:
                with gr.Accordion("添加文件（管理员）", open=False, elem_id="pq-upload"):
                    gr.Markdown(
                        f"支持 {'、'.join(ALLOWED_SUFFIXES)}，单个文件不超过 {MAX_UPLOAD_LABEL.upper()}。"
                        "文件保存到文件夹后自动更新索引；更新期间问答照常使用原有索引。"
                    )
                    ui.password = gr.Textbox(label="管理员密码", type="password", elem_id="pq-admin-password",
                                             info="输入后按回车，再选择文件（未验证密码时服务器不接收文件）")
                    ui.upload = gr.File(label="政策文件", file_types=list(ALLOWED_SUFFIXES), file_count="single", type="filepath")
                    ui.upload_btn = gr.Button("上传并更新索引", variant="primary")
                    ui.upload_status = gr.Markdown(elem_id="pq-upload-status", line_breaks=True)
    return ui


def wire(demo: gr.Blocks, ui: SimpleNamespace, handlers: PageHandlers) -> None:
    """Connect the components of :func:`layout` to the handlers (inside the same ``gr.Blocks``)."""
    # Quick handlers (votes, state, polling, the document view) go through the queue too, like every
    # event of the page: page/guard.py refuses the direct /run calls that queue=False would make.
    LIGHT = dict(concurrency_id="light", concurrency_limit=None)
    chat_io = dict(outputs=[ui.chatbot, ui.question, ui.sources, ui.state], api_visibility="private", concurrency_id="qa")
    keep = dict(fn=handlers.remember, inputs=[ui.chatbot, ui.state], outputs=[ui.saved], api_visibility="private", **LIGHT)
    ui.question.submit(handlers.respond, [ui.question, ui.chatbot, ui.doc_filter, ui.state], **chat_io).then(**keep)
    ui.send.click(handlers.respond, [ui.question, ui.chatbot, ui.doc_filter, ui.state], **chat_io).then(**keep)
    for button, text in ui.examples:
        button.click(handlers.example(text), [ui.chatbot, ui.doc_filter, ui.state], **chat_io).then(**keep)
    ui.new_chat.click(handlers.new_conversation, None, [ui.chatbot, ui.question, ui.sources, ui.state, ui.saved, ui.feedback_status],
                      api_visibility="private", **LIGHT)
    ui.export.click(handlers.export, [ui.state], [ui.export_file], api_visibility="private")
    demo.load(handlers.restore, [ui.saved], [ui.chatbot, ui.state, ui.sources], api_visibility="private", **LIGHT)
    ui.chatbot.clear(handlers.clear, None, [ui.chatbot, ui.question, ui.sources, ui.state], api_visibility="private",
                     **LIGHT).then(**keep)
    ui.chatbot.like(handlers.on_like, [ui.state], [ui.feedback_status], api_visibility="private", **LIGHT)
    ui.docview_go.click(handlers.document_view, [ui.docview_req], [ui.docview], api_visibility="private", **LIGHT).then(
        None, None, None, js="() => { const t = document.getElementById('pq-docview-target'); "
        "document.querySelector('#pq-docview .pq-docview-overlay')?.classList.remove('pq-closed'); "
        "if (t) t.scrollIntoView({block: 'center'}); }")
    exact_io = dict(outputs=[ui.exact_out], api_visibility="private", concurrency_id="exact", concurrency_limit=2)
    ui.exact_q.submit(handlers.search_exact, [ui.exact_q, ui.exact_docs], **exact_io)
    ui.exact_btn.click(handlers.search_exact, [ui.exact_q, ui.exact_docs], **exact_io)
    demo.load(handlers.refresh_documents, None, [ui.docs_html, ui.doc_filter, ui.exact_docs], api_visibility="private", **LIGHT)
    # other open pages see an upload: the document list follows the live build
    ui.doc_timer.tick(handlers.poll_documents, [ui.seen_build], [ui.docs_html, ui.doc_filter, ui.exact_docs, ui.seen_build],
                      api_visibility="private", **LIGHT, show_progress="hidden")
    if ui.upload is not None:
        ui.password.submit(handlers.login, [ui.password], [ui.upload_status], api_visibility="private",
                           concurrency_id="login", concurrency_limit=1)
        ui.upload_btn.click(
            handlers.do_upload,
            [ui.password, ui.upload],
            [ui.upload_status, ui.docs_html, ui.doc_filter, ui.exact_docs],
            api_visibility="private",
            concurrency_id="ingest",
            concurrency_limit=1,
        )


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, block: bool = True, quiet: bool = False):
    """Start serving with the safe settings; ``block=False`` returns once the server is up.

    Only ``/ask`` is public: ``api_open=False`` and page/guard.py's middleware refuse direct
    calls of the page's handlers and anonymous uploads. ``POST /ask`` (page/ask_route.py) answers
    plain JSON, with the queue's limits."""
    from starlette.middleware import Middleware

    from page.ask_route import AskRoute
    from page.guard import ApiGuard, PasswordGate

    gate = getattr(demo, "policyqa_gate", None) or PasswordGate(None)
    middleware = [Middleware(ApiGuard, gate=gate)]
    answer = getattr(demo, "policyqa_answer", None)
    if answer is not None:
        middleware.append(Middleware(AskRoute, answer=answer, concurrency=QUEUE_CONCURRENCY, max_waiting=QUEUE_MAX_SIZE))
    demo.queue(default_concurrency_limit=QUEUE_CONCURRENCY, max_size=QUEUE_MAX_SIZE, api_open=False)
    return demo.launch(
        app_kwargs={"middleware": middleware},
        server_name=host,
        server_port=port,
        share=False,
        inbrowser=False,
        prevent_thread_lock=not block,
        show_error=False,
        max_file_size=MAX_UPLOAD_LABEL,
        allowed_paths=None,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        run_history=False,
        footer_links=["api"],
        quiet=quiet,
        theme=make_theme(),
        css=CSS,
        js=JS,
    )


def main(config, host: str = "127.0.0.1", port: int = 7860) -> int:
    """Load the index and model, then serve until interrupted. Refuses to start without an index."""
    from policyqa.qa import PolicyQA
    from retriever.store import IndexUnavailable

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    config = config.serving()  # many questions after one start: the cheaper question encoder where there is one
    qa = PolicyQA(config)
    try:
        qa.load()
        qa.ask("职业学校教师的待遇")  # warm-up: the first query pays for tokenizer and model start-up
    except IndexUnavailable as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    password = os.environ.get("POLICYQA_ADMIN_PASSWORD") or None
    demo = build_app(qa, admin_password=password)
    print(f"PolicyQA 页面：http://{host}:{port}/（按 Ctrl+C 停止）", file=sys.stderr)
    # a service manager stops the server with SIGTERM: shut down as Ctrl+C does, so that the
    # exports folder and an embedded Milvus are cleaned up instead of left behind
    signal.signal(signal.SIGTERM, _interrupt)
    launch(demo, host=host, port=port, block=True)
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt
