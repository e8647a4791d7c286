"""Start a throw-away PolicyQA site for tests and the load script (loopback only).

``prepare_site(base)`` copies the shipped corpus into ``base/data/policies`` and builds
``base/index`` once (a second caller with the same ``base`` reuses it). ``start_server``
runs the real ``policyqa serve`` in a subprocess on a free 127.0.0.1 port and waits until
the page answers.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ingest.locks import lock_file
from policyqa.config import PROJECT_ROOT, Config

SHIPPED_CORPUS = PROJECT_ROOT / "data" / "policies"


@dataclass
class Site:
    base: Path
    corpus_dir: Path  # base/data/policies: feedback.jsonl goes to base/data
    index_dir: Path

    @property
    def data_dir(self) -> Path:
        return self.corpus_dir.parent

    @property
    def milvus_collection(self) -> str:
        """This site's collection prefix on a Milvus server it shares with other index folders
        (``POLICYQA_BACKEND=milvus``): one prefix per index folder, or one folder's clean-up of
        old builds would drop the other's collections."""
        return "site_" + hashlib.sha1(str(self.base.resolve()).encode("utf-8")).hexdigest()[:10]

    def config(self, **overrides) -> Config:
        return Config.load(**{"corpus_dir": self.corpus_dir, "index_dir": self.index_dir,
                              "milvus_collection": self.milvus_collection, **overrides})

    def cli_args(self) -> list[str]:
        return ["--corpus", str(self.corpus_dir), "--index", str(self.index_dir)]

    def env(self) -> dict[str, str]:
        """Environment for a ``policyqa`` process on this site (what ``cli_args`` cannot say)."""
        return {"POLICYQA_MILVUS_COLLECTION": self.milvus_collection}


#: Set to a folder to reuse one prepared site across test sessions (its index is built once;
#: delete the folder when the corpus or the chunker changes).
SITE_ENV = "POLICYQA_TEST_SITE"


def prepare_site(base: Path | str, corpus: Path = SHIPPED_CORPUS, seed_index: Path | None = None) -> Site:
    """A corpus copy and its index under ``base`` (built on first use, then reused).

    ``seed_index``: an index already built from ``corpus``, copied in first, so the incremental
    ingest finds every document unchanged instead of embedding the corpus again (minutes on 2 cores).
    ``$POLICYQA_TEST_SITE``, when set, replaces ``base``.
    """
    base = Path(os.environ.get(SITE_ENV) or base)
    site = Site(base, base / "data" / "policies", base / "index")
    with lock_file(base / ".prepare.lock"):
        if not (base / ".ready").exists():
            if site.corpus_dir.exists():
                shutil.rmtree(site.corpus_dir)
            shutil.copytree(corpus, site.corpus_dir)
            if seed_index is not None and not site.index_dir.exists():
                # the build folders only: an embedded Milvus file beside them is the seed's own
                shutil.copytree(seed_index, site.index_dir, ignore=shutil.ignore_patterns("*.db", ".*.lock"))
            from retriever.build import ingest

            report = ingest(site.config(), progress=False)
            if report.errors or not report.chunk_count:
                raise RuntimeError(f"test index failed: {report.summary()}")
            (base / ".ready").write_text("ok")
    return site


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen | None = None, timeout: float = 180.0, log: Path | None = None) -> None:
    """Poll ``url`` until it answers 200; fail early (with the log) if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready after {timeout:.0f} s")


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_server(site: Site, port: int | None = None, env: dict | None = None, timeout: float = 180.0) -> Server:
    """``policyqa serve`` for ``site`` on 127.0.0.1:``port`` (a free one by default)."""
    port = port or free_port()
    log = site.base / f"server-{port}.log"
    child_env = {k: v for k, v in os.environ.items() if k != "POLICYQA_ADMIN_PASSWORD"}
    child_env.update({"HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"})
    child_env.update(site.env())
    child_env.update(env or {})
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "policyqa.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *site.cli_args()],
            cwd=PROJECT_ROOT,
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(proc, f"http://127.0.0.1:{port}/", log)
    try:
        wait_ready(server.url, proc, timeout=timeout, log=log)
    except BaseException:
        server.stop()
        raise
    return server
