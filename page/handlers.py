"""What the page does when it is used: one method per event (ask, like, search, upload).

``app.py`` lays the page out and wires these to its components; the formatting is
``page/render.py`` (pure functions). A handler never raises to the browser: bad questions and
internal errors become a message in the chat.
"""
from __future__ import annotations

import logging
from collections import deque
import tempfile
import threading
import time
from pathlib import Path

import gradio as gr

from page import render
from page.ask_route import BadRequest
from page.exact import results_html
from page.feedback import MAX_VOTES_PER_ANSWER, FeedbackRefused, answer_record, append_feedback, confirmation, conversation_markdown, feedback_entry
from page.guard import PasswordGate
from page.upload import add_document
from policyqa.answer import QuestionError
from policyqa.qa import INPUT_ERRORS
from policyqa.followup import read_follow_up, reading_notice

log = logging.getLogger("policyqa.app")

#: Pause between streamed answer lines (they appear one by one).
STREAM_DELAY_S = 0.04
#: Sources panel: answers kept per browser session.
MAX_SECTIONS = 30
#: Exported conversations kept on disk (Gradio serves its own copy; older files are removed).
MAX_EXPORTS = 20


def _address(request) -> str | None:
    client = getattr(request, "client", None)
    return getattr(client, "host", None)


def new_state() -> dict:
    # turn: answers so far; sections: (turn, question, html) for the sources panel;
    # records: chat message index → answer record (for 👍/👎)
    return {"turn": 0, "sections": [], "records": {}, "last_question": None}


def _copy_state(state) -> dict:
    state = state or new_state()
    return {"turn": state["turn"], "sections": list(state["sections"]), "records": dict(state["records"]),
            "last_question": state.get("last_question"), "votes": dict(state.get("votes", {}))}


class PageHandlers:
    """The page's event handlers for one loaded :class:`policyqa.qa.PolicyQA`."""

    def __init__(self, qa, feedback_path: Path, admin_password: str | None = None):
        self.qa = qa
        self.feedback_path = Path(feedback_path)
        self.gate = PasswordGate(admin_password)  # rate-limited checks; opens Gradio's upload route (page/guard.py)
        # one folder for this server's exports, removed at exit (a folder per click piled up in /tmp)
        self._exports = tempfile.TemporaryDirectory(prefix="policyqa-export-")
        self._export_lock = threading.Lock()
        self._exported: deque[Path] = deque()

    def _export_path(self) -> Path:
        """A fresh file name in the export folder; the oldest files beyond MAX_EXPORTS go."""
        folder = Path(self._exports.name)
        with self._export_lock:
            while len(self._exported) >= MAX_EXPORTS:
                self._exported.popleft().unlink(missing_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            path, n = folder / f"政策问答-{stamp}.md", 1
            while path.exists():  # two exports in one second
                n += 1
                path = folder / f"政策问答-{stamp}-{n}.md"
            path.touch()
            self._exported.append(path)
            return path

    def respond(self, question, history, docs, state):
        """Chat turn: show the question, retrieve once, stream the answer lines, then the sources."""
        history = list(history or [])
        state = _copy_state(state)
        text = question if isinstance(question, str) else ""
        if not text.strip():
            # nothing asked: say so beside the box, and leave the conversation as it is (a message
            # here would be drawn inside the previous answer's bubble)
            gr.Warning("问题为空，请输入要查询的问题。")
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        history.append({"role": "user", "content": render.question_markdown(text)})
        history.append({"role": "assistant", "content": render.PENDING_MARKDOWN})
        yield history, "", gr.skip(), gr.skip()
        # a follow-up (那…呢, 它) is searched with the previous question's subject (policyqa/followup.py)
        reading = read_follow_up(text, state.get("last_question"), lambda t: self.qa.live.retriever.references(t).spans)
        try:
            answer = self.qa.ask(reading or text, docs=list(docs or []) or None)
            if reading:
                answer.notice = f"{reading_notice(reading)}{answer.notice}"
        except QuestionError as exc:
            history[-1] = {"role": "assistant", "content": render.error_markdown(str(exc))}
            yield history, gr.skip(), gr.skip(), state
            return
        except INPUT_ERRORS as exc:  # a filtered document that is no longer in the index
            history[-1] = {"role": "assistant", "content": render.error_markdown(f"{exc}（请刷新页面后重新选择文件）")}
            yield history, gr.skip(), gr.skip(), state
            return
        except Exception:
            log.exception("answering failed")
            history[-1] = {"role": "assistant", "content": render.error_markdown("内部错误，未能回答该问题，请稍后重试。")}
            yield history, gr.skip(), gr.skip(), state
            return
        state["turn"] += 1
        state["last_question"] = reading or text
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

    def example(self, text: str):
        """The handler of one 常见问题 button: asks ``text``."""
        def run_example(history, docs, state):
            yield from self.respond(text, history, docs, state)

        return run_example

    def clear(self):
        return [], "", render.PANEL_PLACEHOLDER, new_state()

    def new_conversation(self):
        """新对话: an empty chat, panel and state, and nothing kept in the browser."""
        return [], "", render.PANEL_PLACEHOLDER, new_state(), {"version": 1, "history": []}, ""

    # -- the conversation kept in the browser (gr.BrowserState: reloads keep it) ------------
    @staticmethod
    def remember(history, state):
        """What the browser keeps after each answer: the chat and the state behind it."""
        return {"version": 1, "history": list(history or []), "state": _copy_state(state)}

    @staticmethod
    def restore(saved):
        """On page load: the kept conversation back into the chat, state and sources panel."""
        if not isinstance(saved, dict) or saved.get("version") != 1 or not saved.get("history"):
            return gr.skip(), gr.skip(), gr.skip()
        state = _copy_state(saved.get("state"))
        state["sections"] = [tuple(section) for section in state["sections"]]
        return saved["history"], state, render.panel_html(state["sections"])

    def export(self, state):
        """The conversation as a Markdown file (questions, answers, quotes, full citations)."""
        records = [r for _, r in sorted((state or {}).get("records", {}).items(), key=lambda kv: int(kv[0]))]
        if not records:
            gr.Warning("还没有可导出的问答。")
            return gr.skip()
        path = self._export_path()
        path.write_text(conversation_markdown(records), encoding="utf-8")
        return gr.update(value=str(path), visible=True)

    def on_like(self, state, data: gr.LikeData):
        """👍/👎: only a vote on an answer of this session, only Like/Dislike (or withdrawing
        one), a few per answer; confirmed on the page (a status line under the chat)."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) and data.index else data.index
        record = (state or {}).get("records", {}).get(str(index)) if isinstance(index, int) else None
        if record is None:
            return render.feedback_status_html("这条消息不是答案，无需评价。", ok=False)
        votes = state.setdefault("votes", {})
        if votes.get(str(index), 0) >= MAX_VOTES_PER_ANSWER:
            return render.feedback_status_html("这条答案已评价过。", ok=False)
        try:
            entry = feedback_entry(record, data.liked)
            append_feedback(self.feedback_path, entry)
        except FeedbackRefused as exc:
            log.warning("feedback refused: %s", exc)
            return render.feedback_status_html(f"{exc}。", ok=False)
        except OSError:
            log.exception("writing feedback failed")
            return render.feedback_status_html("反馈未能保存，请稍后重试。", ok=False)
        votes[str(index)] = votes.get(str(index), 0) + 1
        return render.feedback_status_html(confirmation(entry["vote"]))

    def document_view(self, target):
        """查看全文: ``target`` (``doc_id|chunk_id``, from the page's script) → the whole document, the cited paragraph marked."""
        doc_id, _, chunk_id = str(target or "").partition("|")
        index = self.qa.index
        meta = index.manifest["documents"].get(doc_id)
        if meta is None:
            return '<div class="pq-empty">该文件已不在索引中，请刷新页面。</div>'
        doc = index.documents[doc_id]
        first, last = meta["rows"]
        chunk = next((index.chunks[row] for row in range(first, last) if index.chunks[row].chunk_id == chunk_id), None)
        start, end = chunk.para_span if chunk is not None and chunk.para_span[1] > chunk.para_span[0] else (
            (chunk.start, chunk.end) if chunk is not None else (0, 0))
        return render.document_view_html(doc, start, end)

    def search_exact(self, phrase, docs=None):
        """原文检索: every occurrence of ``phrase``, in the documents ``docs`` names (its 限定文件) or in all."""
        return results_html(self.qa.live.exact.search(phrase or "", docs=list(docs or []) or None))

    def refresh_documents(self):
        """The document list and the choices of the page's two 限定文件 filters (问答 and 原文检索)."""
        docs = self.qa.documents()
        choices = gr.update(choices=render.document_choices(docs))
        return render.documents_html(docs), choices, choices

    def poll_documents(self, seen_build):
        """Every open page asks now and then: a new build (another tab's upload, a CLI ingest)
        refreshes its document list and filters; otherwise nothing is sent."""
        build = self.qa.live.build
        if build == seen_build:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return *self.refresh_documents(), build

    def login(self, given, request: gr.Request = None):
        """The password box's Enter: a right password lets this address upload files for a while."""
        ok, message = self.gate.check(given, _address(request))
        if not ok:
            time.sleep(1.0)  # slows down guessing (the gate also refuses bursts unchecked)
            return f"{render.badge('失败', 'refused')} {message}"
        return f"{render.badge('完成', 'info')} 密码正确，现在可以选择文件上传。"

    def do_upload(self, given, path, request: gr.Request = None, progress=gr.Progress()):  # our own words only, not the libraries' bars
        ok, message = self.gate.check(given, _address(request))
        if not ok:
            time.sleep(1.0)  # slows down guessing (the gate also refuses bursts unchecked)
            return f"{render.badge('失败', 'refused')} {message}", gr.skip(), gr.skip(), gr.skip()
        if not path:
            return f"{render.badge('失败', 'refused')} 请先选择要上传的文件。", gr.skip(), gr.skip(), gr.skip()
        ok, message = add_document(self.qa, path, Path(path).name, progress=lambda f, t: progress(f, desc=t))
        label = render.badge("完成", "info") if ok else render.badge("失败", "refused")
        return f"{label} {render.escape_md(message)}", *self.refresh_documents()

    def answer_json(self, question: str, docs: list[str] | None = None) -> dict:
        """The public API's answer (``POST /ask``, page/ask_route.py, and Gradio's ``/ask``): the
        JSON of ``policyqa ask --json``. Input it cannot take (policyqa/qa.py, ``INPUT_ERRORS``) raises
        :class:`BadRequest` with the reason; any other error is the server's own and passes on."""
        try:
            return self.qa.ask(question, docs=list(docs or []) or None).to_dict()
        except INPUT_ERRORS as exc:
            raise BadRequest(str(exc)) from None

    def api_ask(self):
        """:meth:`answer_json` as Gradio's API function (``/gradio_api/call/ask``, gradio_client)."""
        answer_json = self.answer_json

        def ask(question: str, docs: list[str] | None = None) -> dict:
            """Answer a question from the policy documents: verbatim quotes with numbered citations,
            or a refusal. ``docs``: optional document ids to search in (default: all). Returns the
            same JSON as ``policyqa ask --json``."""
            try:
                return answer_json(question, docs)
            except BadRequest as exc:
                raise gr.Error(str(exc)) from None

        return ask
