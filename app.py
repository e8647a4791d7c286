"""The Gradio page of PolicyQA: chat with cited answers, sources panel, exact-wording search.

``policyqa serve`` calls :func:`main`; tests and the load script use :func:`build_app` and
:func:`launch`. The formatting lives in ``page/`` (pure functions); this module is the page's
layout and wiring.

Safety: the page binds 127.0.0.1 unless told otherwise, never shares, serves no local paths,
limits upload size, and escapes every user and document text before it is rendered. Uploading
documents exists only when ``POLICYQA_ADMIN_PASSWORD`` is set, and needs that password.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path

import gradio as gr

from page import render
from page.exact import ExactIndex, results_html
from page.feedback import FEEDBACK_FILE, answer_record, append_feedback, feedback_entry
from page.upload import ALLOWED_SUFFIXES, MAX_UPLOAD_LABEL, add_document, check_password
from policyqa.answer import QuestionError

log = logging.getLogger("policyqa.app")

TITLE = "PolicyQA 政策问答"
EXAMPLES = [
    "我们学校的绩效工资以后怎么改？",
    "双师型教师要有多少年企业经历？",
    "职业学校老师的工资待遇有什么规定？",
    "老师去企业实践有什么要求？",
    "职业学校教师评职称有什么政策？",
]
#: Answers run on the CPU (one query embedding each, ~0.1 s on 2 cores): two at a time keeps
#: both cores busy without oversubscribing torch's threads; the rest wait in the queue.
#: Gradio's own GRADIO_DEFAULT_CONCURRENCY_LIMIT overrides it (e.g. for bigger machines).
def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "")))
    except ValueError:
        return default


QUEUE_CONCURRENCY = _env_int("GRADIO_DEFAULT_CONCURRENCY_LIMIT", 2)
QUEUE_MAX_SIZE = 200
#: Pause between streamed answer lines (they appear one by one).
STREAM_DELAY_S = 0.04
#: Sources panel: answers kept per browser session.
MAX_SECTIONS = 30

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

CSS = """
:root { --pq-accent: #0f766e; --pq-accent-soft: #ccfbf1; --pq-border: #e2e8f0; --pq-muted: #64748b; }
.gradio-container { max-width: 1320px !important; margin: 0 auto; }
.gradio-container, .gradio-container button, .gradio-container input, .gradio-container textarea {
  font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
    "Source Han Sans SC", "WenQuanYi Micro Hei", system-ui, sans-serif; }
#pq-header { display: flex; align-items: baseline; gap: 14px; padding: 6px 2px 2px; }
#pq-header h1 { font-size: 26px; margin: 0; color: #0f172a; letter-spacing: .5px; }
#pq-header .pq-sub { color: var(--pq-muted); font-size: 14px; }
#pq-chat .message, #pq-chat .message-content { font-size: 15px; line-height: 1.75; }
a.pq-cite { color: var(--pq-accent) !important; font-weight: 700; text-decoration: none; padding: 0 1px;
  border-bottom: 1px dashed var(--pq-accent); cursor: pointer; }
.pq-notice { color: #92400e; font-size: 13px; }
.pq-refusal-text { color: #b91c1c; font-weight: 600; }
.pq-examples { gap: 6px !important; flex-wrap: wrap; }
.pq-examples button { flex: 0 1 auto !important; min-width: 0 !important; font-weight: 400 !important; }
#pq-sources { padding-right: 4px; }
.pq-badge { display: inline-block; font-size: 12px; line-height: 18px; padding: 0 8px; border-radius: 9px;
  font-weight: 700; vertical-align: 1px; margin-right: 4px; }
.pq-badge-warn { background: #fef3c7; color: #92400e; }
.pq-badge-info { background: #e0f2fe; color: #075985; }
.pq-badge-refused { background: #fee2e2; color: #b91c1c; }
#pq-sources-title h3, #pq-exact-title h3 { margin: 4px 0 0; }
.pq-empty { color: var(--pq-muted); padding: 18px; border: 1px dashed var(--pq-border); border-radius: 10px;
  text-align: center; font-size: 14px; }
.pq-turn { margin-bottom: 14px; }
.pq-turn-q { font-size: 13px; color: var(--pq-muted); margin: 2px 0 8px; }
.pq-card { background: #fff; border: 1px solid var(--pq-border); border-left: 4px solid var(--pq-accent);
  border-radius: 10px; padding: 12px 14px; margin: 0 0 12px; box-shadow: 0 1px 2px rgba(15,23,42,.05);
  scroll-margin-top: 12px; }
.pq-card-head { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.pq-num { display: inline-flex; align-items: center; justify-content: center; min-width: 24px; height: 24px;
  border-radius: 12px; background: var(--pq-accent); color: #fff; font-size: 13px; font-weight: 700; padding: 0 6px; }
.pq-title { font-weight: 700; color: #0f172a; font-size: 15px; }
.pq-meta { display: flex; gap: 6px; flex-wrap: wrap; margin: 6px 0 2px; }
.pq-docno, .pq-date { font-size: 12px; color: #334155; background: #f1f5f9; border-radius: 6px; padding: 1px 8px; }
.pq-card-head .pq-date { margin-left: auto; }
.pq-heading { font-size: 13px; color: var(--pq-accent); margin: 4px 0 6px; }
.pq-para { font-size: 14.5px; line-height: 1.8; color: #1e293b; margin: 0; white-space: pre-line; text-align: justify; }
.pq-para mark { background: #fde68a; color: #0f172a; padding: 1px 0; border-radius: 2px; }
.pq-ctx { color: var(--pq-muted); }
.pq-card-foot { display: flex; align-items: center; justify-content: space-between; gap: 10px; margin-top: 8px;
  padding-top: 8px; border-top: 1px solid #f1f5f9; }
.pq-label { font-size: 12px; color: var(--pq-muted); }
button.pq-copy { font-size: 12px; border: 1px solid var(--pq-border); background: #f8fafc; color: #0f172a;
  border-radius: 6px; padding: 2px 10px; cursor: pointer; white-space: nowrap; }
button.pq-copy:hover { border-color: var(--pq-accent); color: var(--pq-accent); }
.pq-flash { animation: pq-flash 1.6s ease-out; }
@keyframes pq-flash { 0% { box-shadow: 0 0 0 4px #fcd34d; } 100% { box-shadow: 0 1px 2px rgba(15,23,42,.05); } }
.pq-refusal { background: #fef2f2; border: 1px solid #fecaca; color: #991b1b; border-radius: 10px;
  padding: 10px 14px; margin-bottom: 10px; font-weight: 600; }
.pq-related-box { border: 2px dashed #cbd5e1; border-radius: 12px; padding: 10px 10px 0; background: #f8fafc; }
.pq-related-head { font-size: 13px; color: #475569; font-weight: 700; margin: 0 4px 10px; }
.pq-card.pq-related { border-left-color: #94a3b8; background: #fbfcfd; }
.pq-card.pq-related .pq-para { color: #475569; }
.pq-num-related { background: #94a3b8; }
details.pq-older { border: 1px solid var(--pq-border); border-radius: 10px; padding: 6px 10px; margin-bottom: 10px; }
details.pq-older summary { cursor: pointer; color: #334155; font-size: 13px; }
details.pq-older[open] summary { margin-bottom: 8px; }
.pq-summary { font-size: 14px; color: #334155; margin: 4px 0 10px; }
.pq-doc-count { font-size: 13px; color: var(--pq-muted); margin-bottom: 6px; }
table.pq-docs { width: 100%; border-collapse: collapse; font-size: 14px; border: 1px solid var(--pq-border) !important;
  border-radius: 10px; overflow: hidden; }
table.pq-docs th { text-align: left; background: #f1f5f9; color: #334155; padding: 8px 12px; font-weight: 600;
  border: none !important; }
table.pq-docs td { border: none !important; border-top: 1px solid var(--pq-border) !important; padding: 8px 12px;
  vertical-align: top; background: #fff; }
.pq-nowrap { white-space: nowrap; }
.pq-num-col { text-align: right; }
#pq-upload-status { white-space: pre-line; }
"""

#: Page script: citation links scroll to their source card (opening folded answers), and
#: copy buttons put the citation on the clipboard. Delegated, so it works for re-rendered HTML.
JS = r"""
() => {
  if (window.__pqInit) return;
  window.__pqInit = true;
  const copyText = (text) => {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    const area = document.createElement('textarea');
    area.value = text; area.setAttribute('readonly', ''); area.style.position = 'fixed'; area.style.opacity = '0';
    document.body.appendChild(area); area.select();
    try { document.execCommand('copy'); } finally { area.remove(); }
    return Promise.resolve();
  };
  document.addEventListener('click', (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const link = target.closest('a[href^="#src-"]');
    if (link) {
      event.preventDefault();
      event.stopPropagation();
      const card = document.getElementById(link.getAttribute('href').slice(1));
      if (!card) return;
      const folded = card.closest('details');
      if (folded) folded.open = true;
      card.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
      card.classList.remove('pq-flash'); void card.offsetWidth; card.classList.add('pq-flash');
      return;
    }
    const button = target.closest('button.pq-copy');
    if (button) {
      event.preventDefault();
      const done = () => { const old = button.textContent; button.textContent = '已复制'; setTimeout(() => { button.textContent = old; }, 1500); };
      copyText(button.dataset.cite || '').then(done, () => { button.textContent = '复制失败'; });
    }
  }, true);
}
"""


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


class _ExactCache:
    """The exact-wording index, rebuilt when the live index changes (after an ingest)."""

    def __init__(self, qa):
        self.qa = qa
        self._lock = threading.Lock()
        self._key = None
        self._exact: ExactIndex | None = None

    def get(self) -> ExactIndex:
        index = self.qa.index
        with self._lock:
            if self._key is not index:
                self._exact = ExactIndex(index.documents, index.chunks)
                self._key = index
            return self._exact


def _new_state() -> dict:
    # turn: answers so far; sections: (turn, question, html) for the sources panel;
    # records: chat message index → answer record (for 👍/👎)
    return {"turn": 0, "sections": [], "records": {}}


def _copy_state(state) -> dict:
    state = state or _new_state()
    return {"turn": state["turn"], "sections": list(state["sections"]), "records": dict(state["records"])}


def _header_html() -> str:
    return (
        f'<div id="pq-header"><h1>{render.escape_html(TITLE)}</h1>'
        '<span class="pq-sub">离线 · 答案只引用政策原文 · 每句都可核查 · 找不到依据就直说</span></div>'
    )


def build_app(qa, admin_password: str | None = None, data_dir: Path | str | None = None) -> gr.Blocks:
    """The page for a loaded :class:`policyqa.qa.PolicyQA`.

    ``admin_password``: when set, the 文件 tab has an upload section guarded by it.
    ``data_dir``: where ``feedback.jsonl`` is written (default: the corpus folder's parent).
    """
    data_dir = Path(data_dir) if data_dir is not None else Path(qa.config.corpus_dir).parent
    feedback_path = data_dir / FEEDBACK_FILE
    exact = _ExactCache(qa)
    documents = qa.documents()

    # -- handlers ---------------------------------------------------------------------------
    def respond(question, history, docs, state):
        """Chat turn: show the question, retrieve once, stream the answer lines, then the sources."""
        history = list(history or [])
        state = _copy_state(state)
        text = question if isinstance(question, str) else ""
        if text.strip():
            history.append({"role": "user", "content": render.question_markdown(text)})
        history.append({"role": "assistant", "content": render.PENDING_MARKDOWN})
        yield history, "", gr.skip(), gr.skip()
        try:
            answer = qa.ask(text, docs=list(docs or []) or None)
        except QuestionError as exc:
            history[-1] = {"role": "assistant", "content": render.error_markdown(str(exc))}
            yield history, gr.skip(), gr.skip(), state
            return
        except ValueError as exc:  # e.g. a filtered document that is no longer in the index
            history[-1] = {"role": "assistant", "content": render.error_markdown(f"{exc}（请刷新页面后重新选择文件）")}
            yield history, gr.skip(), gr.skip(), state
            return
        except Exception:
            log.exception("answering failed")
            history[-1] = {"role": "assistant", "content": render.error_markdown("内部错误，未能回答该问题，请稍后重试。")}
            yield history, gr.skip(), gr.skip(), state
            return
        state["turn"] += 1
        turn = state["turn"]
        state["sections"] = (state["sections"] + [(turn, answer.question, render.sources_section_html(answer, turn))])[-MAX_SECTIONS:]
        state["records"][str(len(history) - 1)] = answer_record(answer)
        panel = render.panel_html(state["sections"])
        lines = render.answer_lines(answer, turn)
        for i in range(1, len(lines) + 1):
            history[-1] = {"role": "assistant", "content": render.join_lines(lines[:i])}
            if i < len(lines):
                yield history, gr.skip(), panel if i == 1 else gr.skip(), gr.skip()
                time.sleep(STREAM_DELAY_S)
        yield history, gr.skip(), panel, state

    def clear():
        return [], "", render.PANEL_PLACEHOLDER, _new_state()

    def on_like(state, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        record = (state or {}).get("records", {}).get(str(index))
        if record is None:
            gr.Info("这条消息不是答案，无需评价。")
            return
        append_feedback(feedback_path, feedback_entry(record, data.liked))
        gr.Info("已记录您的反馈，谢谢！")

    def search_exact(phrase):
        return results_html(exact.get().search(phrase or ""))

    def refresh_documents():
        docs = qa.documents()
        return render.documents_html(docs), gr.update(choices=render.document_choices(docs))

    def ask(question: str, docs: list[str] | None = None) -> dict:
        """Answer a question from the policy documents: verbatim quotes with numbered citations,
        or a refusal. ``docs``: optional document ids to search in (default: all). Returns the
        same JSON as ``policyqa ask --json``."""
        try:
            return qa.ask(question, docs=list(docs or []) or None).to_dict()
        except (QuestionError, ValueError) as exc:
            raise gr.Error(str(exc)) from None

    # -- layout -----------------------------------------------------------------------------
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        state = gr.State(_new_state())
        gr.HTML(_header_html(), padding=False)
        with gr.Tabs():
            with gr.Tab("问答", id="tab-ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=380):
                        chatbot = gr.Chatbot(
                            label="对话",
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
                            question = gr.Textbox(
                                show_label=False,
                                placeholder="输入问题，按回车提问，例如：双师型教师要有多少年企业工作经历？",
                                scale=6,
                                max_lines=4,
                                elem_id="pq-question",
                            )
                            send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="pq-send")
                        gr.Markdown("**常见问题**（点击直接提问）")
                        with gr.Row(elem_classes=["pq-examples"]):
                            example_buttons = [
                                gr.Button(text, size="sm", variant="secondary", elem_classes=["pq-example"]) for text in EXAMPLES
                            ]
                        doc_filter = gr.Dropdown(
                            choices=render.document_choices(documents),
                            value=[],
                            multiselect=True,
                            label="限定文件",
                            info="不选 = 在全部文件中查找",
                            elem_id="pq-doc-filter",
                        )
                    with gr.Column(scale=2, min_width=340):
                        gr.Markdown("### 来源", elem_id="pq-sources-title")
                        sources = gr.HTML(render.PANEL_PLACEHOLDER, elem_id="pq-sources", padding=False, max_height=760)
            with gr.Tab("原文检索", id="tab-exact"):
                gr.Markdown(
                    "按原文措辞查找：列出每一处出现的位置（文件、章节/条款）和上下文。"
                    "忽略空格和换行（跨页断开的句子也能找到），繁体字自动转换为简体。"
                )
                with gr.Row(equal_height=True):
                    exact_q = gr.Textbox(
                        show_label=False,
                        placeholder="输入词语或句子，例如：双师型、绩效工资、3年以上企业工作经历",
                        scale=6,
                        elem_id="pq-exact-q",
                    )
                    exact_btn = gr.Button("查找", variant="primary", scale=1, min_width=80, elem_id="pq-exact-btn")
                exact_out = gr.HTML('<div class="pq-empty">输入词语后点击“查找”。</div>', elem_id="pq-exact-results", padding=False)
            with gr.Tab("文件", id="tab-docs"):
                docs_html = gr.HTML(render.documents_html(documents), elem_id="pq-docs", padding=False)
                if admin_password:
                    with gr.Accordion("添加文件（管理员）", open=False, elem_id="pq-upload"):
                        gr.Markdown(
                            f"支持 {'、'.join(ALLOWED_SUFFIXES)}，单个文件不超过 {MAX_UPLOAD_LABEL.upper()}。"
                            "文件保存到文件夹后自动更新索引；更新期间问答照常使用原有索引。"
                        )
                        password = gr.Textbox(label="管理员密码", type="password", elem_id="pq-admin-password")
                        upload = gr.File(label="政策文件", file_types=list(ALLOWED_SUFFIXES), file_count="single", type="filepath")
                        upload_btn = gr.Button("上传并更新索引", variant="primary")
                        upload_status = gr.Markdown(elem_id="pq-upload-status", line_breaks=True)

        # -- events -----------------------------------------------------------------------------
        chat_io = dict(outputs=[chatbot, question, sources, state], api_visibility="private", concurrency_id="qa")
        question.submit(respond, [question, chatbot, doc_filter, state], **chat_io)
        send.click(respond, [question, chatbot, doc_filter, state], **chat_io)
        for button, text in zip(example_buttons, EXAMPLES):

            def run_example(history, docs, state, _text=text):
                yield from respond(_text, history, docs, state)

            button.click(run_example, [chatbot, doc_filter, state], **chat_io)
        chatbot.clear(clear, None, [chatbot, question, sources, state], api_visibility="private", queue=False)
        chatbot.like(on_like, [state], None, api_visibility="private", queue=False)
        exact_io = dict(outputs=[exact_out], api_visibility="private", concurrency_id="exact", concurrency_limit=2)
        exact_q.submit(search_exact, [exact_q], **exact_io)
        exact_btn.click(search_exact, [exact_q], **exact_io)
        demo.load(refresh_documents, None, [docs_html, doc_filter], api_visibility="private", queue=False)

        if admin_password:

            def do_upload(given, path, progress=gr.Progress(track_tqdm=True)):
                if not check_password(given, admin_password):
                    time.sleep(1.0)  # slows down guessing
                    return f"{render.badge('失败', 'refused')} 管理员密码不正确。", gr.skip(), gr.skip()
                if not path:
                    return f"{render.badge('失败', 'refused')} 请先选择要上传的文件。", gr.skip(), gr.skip()
                ok, message = add_document(qa, path, Path(path).name, progress=lambda f, t: progress(f, desc=t))
                html, choices = refresh_documents()
                label = render.badge("完成", "info") if ok else render.badge("失败", "refused")
                return f"{label} {render.escape_md(message)}", html, choices

            upload_btn.click(
                do_upload,
                [password, upload],
                [upload_status, docs_html, doc_filter],
                api_visibility="private",
                concurrency_id="ingest",
                concurrency_limit=1,
            )

        gr.api(ask, api_name="ask", concurrency_id="qa")
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, block: bool = True, quiet: bool = False):
    """Start serving with the safe settings; ``block=False`` returns once the server is up."""
    demo.queue(default_concurrency_limit=QUEUE_CONCURRENCY, max_size=QUEUE_MAX_SIZE)
    return demo.launch(
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
    launch(demo, host=host, port=port, block=True)
    return 0
