"""👍/👎 feedback on answers: one JSON line per vote in ``<data folder>/feedback.jsonl``."""
from __future__ import annotations

import json
import os
import threading
import time
import uuid
from pathlib import Path

from ingest.locks import flocked
from policyqa.answer import Answer

FEEDBACK_FILE = "feedback.jsonl"
#: The only votes kept; anything else a caller sends is refused.
VOTES = {True: "up", "Like": "up", False: "down", "Dislike": "down"}
#: One vote line is at most this long (an answer record is a few KB), and the file stops
#: growing at MAX_FEEDBACK_BYTES: one request once added 5 MB.
MAX_ENTRY_BYTES = 64 * 1024
MAX_FEEDBACK_BYTES = 50 * 1024 * 1024
#: Votes kept per answer and browser session (a change of mind, not a flood).
MAX_VOTES_PER_ANSWER = 3


class FeedbackRefused(ValueError):
    """A vote that is not stored; the message says why."""
_LOCK = threading.Lock()  # threads of this process; flock below serialises processes


def answer_record(answer: Answer) -> dict:
    """What is kept of an answer for feedback: an id (every vote on this answer carries it, so a
    changed or withdrawn vote is linked to the first), question, answer text and the citations."""
    return {
        "answer_id": uuid.uuid4().hex[:16],
        "question": answer.question,
        "answer": answer.answer,
        "refused": answer.refused,
        "notice": answer.notice,
        "citations": [
            {
                "number": c.number,
                "label": c.label(),
                "chunk_id": c.hit.chunk.chunk_id,
                "date": c.hit.doc.date,
                "quote": c.quote,
            }
            for c in answer.citations
        ],
    }


#: What a vote is logged as when the reader clicks their thumb again (Gradio sends "").
WITHDRAWN = "withdrawn"
VOTE_WORDS = {"up": "赞", "down": "踩", WITHDRAWN: "已撤销评价"}


def conversation_markdown(records: list[dict]) -> str:
    """A conversation (its answer records, in order) as Markdown: each question, the answer
    and every quote with its full citation (《标题》（文号）章节条款, date, paragraph id)."""
    out = ["# 政策问答 对话记录", ""]
    for i, record in enumerate(records, start=1):
        out += [f"## 问题 {i}：{record.get('question', '')}", ""]
        if record.get("notice"):
            out += [f"> 提示：{record['notice']}", ""]
        if record.get("refused"):
            out += [f"**无法回答**：{record.get('answer', '')}", ""]
            continue
        out += [line for line in record.get("answer", "").split("\n") if line.strip()]
        out.append("")
        for c in record.get("citations", []):
            date = f"，{c['date']}" if c.get("date") else ""
            out += [f"[{c['number']}] {c['label']}（{c['chunk_id']}{date}）", "", f"> {c['quote']}", ""]
    return "\n".join(out).rstrip() + "\n"


def normalise_vote(liked) -> str:
    """Gradio's like data → "up" / "down", or "withdrawn" when a thumb is clicked off (Gradio
    sends ""); anything else raises :class:`FeedbackRefused`."""
    if isinstance(liked, (bool, str)) and liked in VOTES:
        return VOTES[liked]
    if liked is None or liked == "":
        return WITHDRAWN
    raise FeedbackRefused("无效的评价")


def confirmation(vote: str) -> str:
    """The words shown on the page once a vote is written."""
    if vote == WITHDRAWN:
        return "已撤销您对这条回答的评价（已记录）。"
    return f"已记录您的反馈（{VOTE_WORDS.get(vote, vote)}），谢谢！"


def feedback_entry(record: dict, liked, now: float | None = None) -> dict:
    """{time, answer_id, question, answer, citations, vote} (plus refused/notice) for one vote;
    the last line of an ``answer_id`` is the vote in force."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now if now is not None else time.time()))
    return {
        "time": stamp,
        "answer_id": record.get("answer_id", ""),
        "question": record.get("question", ""),
        "answer": record.get("answer", ""),
        "refused": record.get("refused", False),
        "notice": record.get("notice", ""),
        "citations": record.get("citations", []),
        "vote": normalise_vote(liked),
    }


def append_feedback(path: Path | str, entry: dict) -> None:
    """Append ``entry`` as one line; whole lines only, even with several writers. Raises
    :class:`FeedbackRefused` for an entry above MAX_ENTRY_BYTES or a file at MAX_FEEDBACK_BYTES."""
    path = Path(path)
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    if len(line.encode("utf-8")) > MAX_ENTRY_BYTES:
        raise FeedbackRefused("评价记录过大，未保存")
    with _LOCK:
        try:
            if path.stat().st_size + len(line) > MAX_FEEDBACK_BYTES:
                raise FeedbackRefused("反馈文件已达上限，未保存")
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            with flocked(handle):
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
