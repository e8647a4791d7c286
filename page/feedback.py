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
    """Gradio's like data (True/False or the option's text) → "up" / "down" / the text."""
    if liked is True or liked == "Like":
        return "up"
    if liked is False or liked == "Dislike":
        return "down"
    return str(liked)


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
    """Append ``entry`` as one line; whole lines only, even with several writers."""
    path = Path(path)
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            with flocked(handle):
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
