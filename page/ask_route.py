"""``POST /ask``: the public API as plain JSON, for programs (curl, scripts, other services).

    curl -s http://127.0.0.1:7860/ask -H 'content-type: application/json' \\
         -d '{"question": "教师的平均工资水平应当怎样？", "docs": []}'

answers with the same JSON as ``policyqa ask --json`` (``docs``: optional document ids to search
in). Gradio's ``/gradio_api/call/ask`` serves the same function to gradio_client; its queue and
event stream cost ~16 ms of the event loop a question, more than the answer itself on a CPU with
native bf16, so under load this route answers about twice as many questions a second.

Like the page's queue it runs at most ``concurrency`` answers at once and lets at most
``max_waiting`` more wait; beyond that a caller gets HTTP 503 with a clear "busy" message. A body
over :data:`MAX_BODY_BYTES`, bad JSON or a bad question is a 4xx with a message naming the
problem. An ASGI middleware (installed by ``app.launch``), so Gradio never sees these requests.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Callable

log = logging.getLogger("policyqa.api")

PATH = "/ask"
#: A question is at most a few hundred characters (policyqa/answer.py); a body this large is not one.
MAX_BODY_BYTES = 64 * 1024
BUSY = "服务器繁忙：排队的问题已满，请稍后再试。"


class BadRequest(ValueError):
    """The request cannot be answered as sent; the message says why."""


def parse_request(body: bytes) -> tuple[str, list[str] | None]:
    """(question, docs) from a JSON body, or :class:`BadRequest` naming what is wrong."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"请求体不是 UTF-8 JSON：{exc}") from None
    if not isinstance(data, dict):
        raise BadRequest('请求体应为 JSON 对象，例如 {"question": "…"}')
    question = data.get("question")
    if not isinstance(question, str):
        raise BadRequest('缺少字符串字段 "question"')
    docs = data.get("docs")
    if docs is not None and not (isinstance(docs, list) and all(isinstance(d, str) for d in docs)):
        raise BadRequest('"docs" 应为文档编号（字符串）的列表')
    return question, list(docs or []) or None


class AskRoute:
    """ASGI middleware serving :data:`PATH`; everything else goes on to ``app``.

    ``answer(question, docs) -> dict`` is the page's own API function without Gradio
    (``PageHandlers.answer_json``); it raises :class:`BadRequest` for input it cannot take. Any
    other exception is the server's fault (a damaged index row): HTTP 500, logged."""

    def __init__(self, app, answer: Callable[[str, list[str] | None], dict], concurrency: int = 2, max_waiting: int = 200):
        self.app = app
        self.answer = answer
        self.concurrency = max(1, int(concurrency))
        self.max_waiting = max(0, int(max_waiting))
        self._slots: asyncio.Semaphore | None = None  # made in the server's event loop
        self._admitted = 0  # answering or waiting

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].rstrip("/") != PATH:
            await self.app(scope, receive, send)
            return
        if scope["method"].upper() != "POST":
            await _reply(send, 405, {"error": '请用 POST 发送 JSON：{"question": "…", "docs": []}'}, [(b"allow", b"POST")])
            return
        try:
            question, docs = parse_request(await _read_body(receive, MAX_BODY_BYTES))
        except _TooLarge:
            await _reply(send, 413, {"error": f"请求体超过 {MAX_BODY_BYTES // 1024} KB"})
            return
        except BadRequest as exc:
            await _reply(send, 400, {"error": str(exc)})
            return
        if self._admitted >= self.concurrency + self.max_waiting:
            await _reply(send, 503, {"error": BUSY}, [(b"retry-after", b"1")])
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        self._admitted += 1
        try:
            async with self._slots:
                result = await asyncio.get_running_loop().run_in_executor(None, self.answer, question, docs)
        except BadRequest as exc:  # input the answer cannot take (an empty question, an unknown document)
            await _reply(send, 400, {"error": str(exc)})
            return
        except Exception:
            log.exception("answering %r failed", question[:80])
            await _reply(send, 500, {"error": "内部错误，请查看服务器日志。"})
            return
        finally:
            self._admitted -= 1
        await _reply(send, 200, result)


class _TooLarge(Exception):
    pass


async def _read_body(receive, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _reply(send, status: int, payload: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})
