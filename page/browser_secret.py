"""The key that encrypts the conversation each browser keeps (Gradio's ``BrowserState``).

Gradio draws a new key at every start unless given one, and a conversation encrypted under the
old key cannot be read: a server restart would wipe every user's history. The key is therefore
kept beside the feedback file, drawn once, readable by the server's user only.
"""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

SECRET_FILE = ".browser-state-secret"


def browser_secret(data_dir: Path) -> str:
    """The kept key under ``data_dir`` (drawn and written on first use). When it cannot be kept
    (a read-only folder), a fresh key for this run, with a warning: histories then last until the
    next restart."""
    path = Path(data_dir) / SECRET_FILE
    try:
        kept = path.read_text(encoding="ascii").strip()
        if len(kept) >= 32:
            return kept
        log.warning("%s 内容无效，重新生成", path)
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("无法读取 %s（%s），重新生成", path, exc)
    secret = secrets.token_hex(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secret + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("无法保存 %s（%s）：重启服务后浏览器中的对话记录将无法恢复", path, exc)
    return secret
