"""Ingest's passages shared among forked one-thread workers (retriever/workers.py): the same vectors
in the same order as one process, never a fork beside another thread, and a failed worker is
reported (and the embedder then encodes in-process) instead of leaving zero rows behind."""
from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from retriever.embedder import store_linear_weights_in_bf16, torch_threads
from retriever.workers import MIN_TEXTS_PER_WORKER, WorkerError, cpu_ticks, encode_forked, shares, worker_count

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked (POSIX)")


def lengths_of(texts):
    return np.asarray([[len(t), t.count("条")] for t in texts], dtype=np.float32)


def test_shares_deal_every_row_once_by_length():
    lengths = [5, 1, 4, 2, 3, 9]
    dealt = shares(lengths, 2)
    assert sorted(dealt[0] + dealt[1]) == list(range(6))
    assert [lengths[i] for i in dealt[0]] == [1, 3, 5] and [lengths[i] for i in dealt[1]] == [2, 4, 9]


def test_worker_count():
    many = 4 * MIN_TEXTS_PER_WORKER
    assert worker_count(0, many, cpus=2) == 2
    assert worker_count(0, many, cpus=16) == 4  # one per core, at most 4
    assert worker_count(1, many, cpus=2) == 1
    assert worker_count(3, many, cpus=2) == 3  # asked for: as many as asked
    assert worker_count(0, MIN_TEXTS_PER_WORKER, cpus=2) == 1  # too few texts to share
    # another thread (a page's server) might hold a lock a child would wait on: no fork
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert worker_count(0, many, cpus=2) == 1
    finally:
        stop.set()
        other.join()


def test_rows_come_back_in_order():
    texts = [f"第{i}条" + "字" * (i % 7) for i in range(300)]

    def encode(share, advance):
        advance(len(share))
        return lengths_of(share)

    seen = []
    out = encode_forked(encode, texts, 2, 2, seen.append)
    np.testing.assert_array_equal(out, lengths_of(texts))
    assert seen and seen[-1] == len(texts)


@pytest.mark.parametrize("how", ["raises", "killed"])
def test_a_failed_worker_is_reported(how):
    texts = [f"句{i}" for i in range(200)]

    def encode(share, advance):
        if "句0" not in share:  # the other worker fails
            if how == "raises":
                raise RuntimeError("模拟的失败")
            os.kill(os.getpid(), signal.SIGKILL)
        return lengths_of(share)

    with pytest.raises(WorkerError, match="1 个嵌入子进程未完成" + ("（退出码 1）" if how == "raises" else "（被信号 9 终止）")):
        encode_forked(encode, texts, 2, 2)


@pytest.mark.skipif(cpu_ticks(os.getpid()) is None, reason="reads CPU time from Linux /proc")
def test_a_hung_worker_is_stopped():
    """A worker asleep for good (a lock that did not survive the fork) is killed and reported
    instead of being waited on for ever."""
    texts = [f"句{i}" for i in range(200)]

    def encode(share, advance):
        if "句0" not in share:
            time.sleep(600)  # hangs, asleep
        advance(len(share))
        return lengths_of(share)

    started = time.monotonic()
    with pytest.raises(WorkerError, match="1 个嵌入子进程 1 秒既无进展也不占用 CPU"):
        encode_forked(encode, texts, 2, 2, stall_s=1.0)
    assert time.monotonic() - started < 30


@pytest.mark.skipif(cpu_ticks(os.getpid()) is None, reason="reads CPU time from Linux /proc")
def test_a_slow_worker_is_not_taken_for_a_hung_one():
    """A worker that finishes no text for longer than the limit but keeps computing is waited for."""
    texts = [f"句{i}" for i in range(200)]

    def encode(share, advance):
        end = time.monotonic() + 2.5
        while time.monotonic() < end:  # busy: spends CPU, reports nothing
            pass
        advance(len(share))
        return lengths_of(share)

    out = encode_forked(encode, texts, 2, 2, stall_s=1.0)
    np.testing.assert_array_equal(out, lengths_of(texts))


def test_forked_passages_match_one_process(embedder):
    texts = [f"第{i}条 职业学校教师每年至少有{i % 12 + 1}个月在企业实践。" for i in range(3 * MIN_TEXTS_PER_WORKER)]
    workers_before = embedder.workers
    try:
        embedder.workers = 1
        here = embedder.encode_passages(texts)
        embedder.workers = 2
        assert worker_count(embedder.workers, len(texts)) == 2
        forked = embedder.encode_passages(texts)
    finally:
        embedder.workers = workers_before
    assert forked.shape == here.shape
    assert float(np.min(np.sum(forked * here, axis=1))) > 0.9999


def test_bf16_weights_give_the_vectors_autocast_gives(embedder):
    """What a bf16 worker does to its copy of the model changes no vector (bit for bit)."""
    import copy

    import torch

    texts = ["职业学校教师每年至少有一个月在企业实践。", "用人单位应当按时足额支付劳动报酬。", "第三条 本条例自公布之日起施行。"]
    twin = copy.deepcopy(embedder.st)
    assert store_linear_weights_in_bf16(twin) >= 6 * 12  # query, key, value, output, two feed-forward a layer
    assert store_linear_weights_in_bf16(twin) == 0  # all cast already
    with torch_threads(1), torch.autocast("cpu", dtype=torch.bfloat16):
        as_stored = embedder.st.encode(texts, convert_to_numpy=True)
        cast = twin.encode(texts, convert_to_numpy=True)
    np.testing.assert_array_equal(cast, as_stored)


def test_bf16_workers_leave_the_parent_model_in_float32(embedder):
    """Workers cast their own copies; the parent still encodes questions with float32 weights."""
    import torch

    texts = [f"第{i}条 用人单位应当在{i % 9 + 1}日内支付工资。" for i in range(2 * MIN_TEXTS_PER_WORKER)]
    before = (embedder.precision, embedder.workers)
    try:
        embedder.workers = 1
        here = embedder.encode_passages(texts)  # float32 on CPUs without bf16 units, else bf16
        embedder.precision, embedder.workers = "bfloat16", 2
        forked = embedder.encode_passages(texts)
    finally:
        embedder.precision, embedder.workers = before
    assert {p.dtype for p in embedder.st.parameters()} == {torch.float32}
    assert float(np.min(np.sum(forked * here, axis=1))) > 0.999


def test_workers_die_with_a_killed_ingest(tmp_path):
    # an ingest killed mid-pass (Ctrl-C twice, the OOM killer, a fault test) leaves no worker encoding on
    import subprocess
    import sys

    script = tmp_path / "parent.py"
    script.write_text(
        "import os, sys, time\n"
        f"sys.path.insert(0, {str(os.getcwd())!r})\n"
        "from retriever.workers import encode_forked\n"
        "def encode(share, advance):\n"
        f"    open(os.path.join({str(tmp_path)!r}, f'{{os.getpid()}}.pid'), 'w').close()\n"
        "    time.sleep(600)\n"
        "encode_forked(encode, [str(i) for i in range(200)], 2, 2)\n", encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script)])
    try:
        deadline = time.monotonic() + 30
        while len(list(tmp_path.glob("*.pid"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = [int(p.stem) for p in tmp_path.glob("*.pid")]
        assert len(workers) == 2
    finally:
        parent.kill()
        parent.wait()

    def alive(pid):
        try:
            state = open(f"/proc/{pid}/status").read().split("State:")[1].split()[0]
        except (OSError, IndexError):
            return False
        return state != "Z"

    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in workers), "a worker outlived its killed parent"


@pytest.mark.parametrize("value, message", [("-1", "embed_workers 不能为负数"), ("two", "embed_workers 需要数字")])
def test_a_bad_worker_count_is_named_before_anything_loads(monkeypatch, value, message):
    from policyqa.config import Config

    monkeypatch.setenv("POLICYQA_EMBED_WORKERS", value)
    with pytest.raises(ValueError, match=message):
        Config.load()
