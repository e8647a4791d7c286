"""👍/👎 feedback on answers: one JSON line per vote in ``<data folder>/feedback.jsonl``."""
from __future__ import annotations

import json
import os
import threading
import time
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
    """What is kept of an answer for feedback: question, answer text and the citations."""
    return {
        "question": answer.question,
        "answer": answer.answer,
        "refused": answer.refused,
        "notice": answer.notice,
        "citations": [
            {
                "number": c.number,
                "label": c.label(),
                "chunk_id": c.hit.chunk.chunk_id,
                "quote": c.quote,
            }
            for c in answer.citations
        ],
    }


def normalise_vote(liked) -> str:
    """Gradio's like data (True/False or the option's text) → "up" / "down"; anything else
    raises :class:`FeedbackRefused`."""
    if isinstance(liked, (bool, str)) and liked in VOTES:
        return VOTES[liked]
    raise FeedbackRefused("无效的评价")


def feedback_entry(record: dict, liked, now: float | None = None) -> dict:
    """{time, question, answer, citations, vote} (plus refused/notice) for one vote."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now if now is not None else time.time()))
    return {
        "time": stamp,
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
