"""What a caller who is not the page may do: ask through ``/ask``, nothing else.

Gradio serves every event handler of the page under ``/gradio_api/run/<name>``, ``/api/<name>``
and ``/call/<name>``, and ``POST /gradio_api/upload`` stores any file anyone sends. This ASGI
middleware (installed by ``app.launch``) refuses, before Gradio sees the request:

- ``/gradio_api/run/*`` and ``/gradio_api/api/*``: direct calls skip the queue, so neither the
  concurrency limit nor the queue size applied and password guesses were not slowed;
- ``/gradio_api/call/<name>`` for every name but ``ask`` (the one public API);
- ``POST /gradio_api/upload`` unless uploads are enabled (an admin password is set) and the
  caller's address gave the right password in the last :data:`LOGIN_TTL_S` seconds
  (:class:`PasswordGate`).

The page itself reaches its handlers through the queue (``/gradio_api/queue/join``), where the
concurrency limits and the queue size hold. ``POST /ask`` (plain JSON, page/ask_route.py) has
limits of its own and never reaches Gradio.
"""
from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
from collections import deque

log = logging.getLogger("policyqa.guard")

PUBLIC_API = frozenset({"ask"})
#: A correct admin password opens uploads from the same address for this long.
LOGIN_TTL_S = 15 * 60
#: Wrong passwords allowed per window, from all callers together; more are refused unchecked.
MAX_FAILURES = 5
FAILURE_WINDOW_S = 60.0

_DIRECT = re.compile(r"^/gradio_api/(run|api)(/|$)")
_CALL = re.compile(r"^/gradio_api/call/([^/]+)")
_UPLOAD = re.compile(r"^/gradio_api/upload/?$")


def passwords_match(given, expected: str | None) -> bool:
    """Constant-time comparison; never true without a configured password or for an empty one."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))

class PasswordGate:
    """The admin password: constant-time checks, rate-limited, and who logged in from where."""

    def __init__(self, password: str | None, max_failures: int = MAX_FAILURES, window_s: float = FAILURE_WINDOW_S):
        self.password = password or None
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: deque[float] = deque()
        self._logged_in: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.password is not None

    def wait_s(self) -> float:
        """Seconds until another attempt is checked (0: now)."""
        now = time.monotonic()
        with self._lock:
            while self._failures and now - self._failures[0] > self.window_s:
                self._failures.popleft()
            if len(self._failures) < self.max_failures:
                return 0.0
            return self.window_s - (now - self._failures[0])

    def check(self, given, address: str | None = None) -> tuple[bool, str]:
        """(ok, message). Refused unchecked while too many wrong passwords were given lately."""
        if not self.enabled:
            return False, "未设置管理员密码，上传已关闭。"
        wait = self.wait_s()
        if wait > 0:
            return False, f"密码错误次数过多，请 {wait:.0f} 秒后再试。"
        ok = passwords_match(given, self.password)
        with self._lock:
            if ok:
                if address:
                    self._logged_in[address] = time.monotonic()
            else:
                self._failures.append(time.monotonic())
        if not ok:
            log.warning("wrong admin password from %s", address or "?")
            return False, "管理员密码不正确。"
        return True, ""

    def logged_in(self, address: str | None) -> bool:
        if not self.enabled or not address:
            return False
        with self._lock:
            when = self._logged_in.get(address)
            return when is not None and time.monotonic() - when < LOGIN_TTL_S


class ApiGuard:
    """ASGI middleware; ``gate`` is the page's :class:`PasswordGate`."""

    def __init__(self, app, gate: PasswordGate):
        self.app = app
        self.gate = gate

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            refusal = self.refusal(scope["method"], scope["path"], (scope.get("client") or (None,))[0])
            if refusal is not None:
                status, message = refusal
                body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
                await send({"type": "http.response.start", "status": status,
                            "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def refusal(self, method: str, path: str, address: str | None) -> tuple[int, str] | None:
        """(status, message) for a request that is refused, else None."""
        path = "/" + path.lstrip("/")
        if _DIRECT.match(path):
            return 404, "只有 /ask 接口是公开的，请通过 gradio_client 或 /gradio_api/call/ask 调用。"
        call = _CALL.match(path)
        if call and call.group(1) not in PUBLIC_API:
            return 404, "只有 /ask 接口是公开的。"
        if _UPLOAD.match(path) and method.upper() != "GET":
            if not self.gate.enabled:
                return 403, "上传已关闭（未设置管理员密码）。"
            if not self.gate.logged_in(address):
                return 403, "请先在“添加文件”中输入管理员密码并按回车，再选择文件。"
        return None
