"""Encoding split among forked single-threaded processes (ingest's passage passes).

On these 2-core machines one process with two torch threads spends 23 % more CPU than one thread
on the same texts (the model's matrices are small, so the threads spend much of their time
meeting), while two forked processes of one thread each encode the same texts with 14 % less CPU
and 14 % less wall time than the two threads (docs/journal.md, "Ingest throughput"). A fork shares the
loaded model with the parent page for page, so a worker costs no model load.

A process that runs other threads (the page's server re-ingesting an upload) does not fork: the
child would inherit locks those threads may hold at that instant and could wait on them for ever.
"""
from __future__ import annotations

import ctypes
import logging
import mmap
import os
import signal
import threading
import time
from collections.abc import Callable

import numpy as np

log = logging.getLogger(__name__)

#: Below this many texts per worker a fork is not worth its set-up (a few milliseconds).
MIN_TEXTS_PER_WORKER = 64
#: How often the parent looks at its workers (and moves the progress bar), in seconds.
POLL_SECONDS = 0.05
#: Workers that finish no text and spend no CPU time for this long are taken as hung and stopped;
#: the caller then encodes in-process. A child can wait for ever on a lock or thread pool that did
#: not survive the fork, asleep; a slow one (a worker reports every 1,024 texts, minutes apart for
#: long chunks on a slow core) keeps spending CPU. Where the CPU time cannot be read (no Linux
#: ``/proc``) workers count as busy, so nothing is stopped there.
STALL_SECONDS = 120.0


def cpu_ticks(pid: int) -> int | None:
    """CPU time (user + system, in clock ticks) spent so far by process ``pid``; None where
    ``/proc/<pid>/stat`` cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()  # the name, in (), may hold spaces
        return int(fields[11]) + int(fields[12])  # utime and stime: fields 14 and 15 of the line
    except (OSError, IndexError, ValueError):
        return None


class WorkerError(RuntimeError):
    """A worker process did not finish its texts; the message says how it ended."""


def _die_with(parent: int) -> None:
    """Have the kernel kill this (worker) process when its parent dies (Linux ``PR_SET_PDEATHSIG``),
    so an ingest killed mid-pass leaves no worker encoding on; and leave now if it already has."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: an orphan finishes its share and leaves
        pass
    if os.getppid() != parent:
        os._exit(1)


def can_fork() -> bool:
    """Whether this process may fork workers: POSIX, and no Python thread but this one."""
    return hasattr(os, "fork") and threading.active_count() == 1


def stop_tqdm_monitor() -> None:
    """Stop tqdm's monitor thread, and keep it stopped: it only tunes how often progress bars
    redraw, but it takes tqdm's lock every few seconds, which a child creating a bar (as
    sentence-transformers' ``encode`` does, hidden or not) would then wait on for ever."""
    from tqdm import tqdm
    from tqdm._monitor import TMonitor

    tqdm.monitor_interval = 0  # inherited by tqdm.auto's and every other bar class
    for thread in threading.enumerate():
        if isinstance(thread, TMonitor):  # one per bar class that has drawn a bar
            thread.exit()


def worker_count(requested: int, n_texts: int, cpus: int | None = None) -> int:
    """How many workers encode ``n_texts``: ``requested`` (0: one per core, at most 4), fewer when
    there are too few texts to share, and 1 (this process) where :func:`can_fork` says no. Before
    it asks, tqdm's monitor thread is stopped (:func:`stop_tqdm_monitor`)."""
    cpus = cpus or os.cpu_count() or 1
    wanted = min(cpus, 4) if requested <= 0 else requested
    wanted = min(wanted, n_texts // MIN_TEXTS_PER_WORKER)
    if wanted <= 1:
        return 1
    stop_tqdm_monitor()
    return wanted if can_fork() else 1


def shares(lengths: list[int], workers: int) -> list[list[int]]:
    """Rows dealt to ``workers`` in order of length (the 1st, 3rd, 5th… shortest to one, the 2nd,
    4th… to the next), so each gets about the same work and texts of about one length batch together."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[k::workers] for k in range(workers)]


def encode_forked(encode: Callable[[list[str], Callable[[int], None]], np.ndarray], texts: list[str], dim: int,
                  workers: int, on_progress: Callable[[int], None] | None = None,
                  stall_s: float = STALL_SECONDS) -> np.ndarray:
    """``encode(texts, advance)`` of each worker's share of ``texts``, run in ``workers`` forked
    processes, as float32 rows in the order of ``texts``. ``encode`` runs in the child and calls
    ``advance(n)`` as it finishes ``n`` texts; ``on_progress(total done)`` runs in the parent.
    Raises :class:`WorkerError` when a worker fails, or when the workers finish no text and spend
    no CPU time for ``stall_s`` seconds (they are then killed); the caller may then encode here instead."""
    n = len(texts)
    # anonymous shared memory: what a child writes there, the parent reads; nothing is pickled
    rows_buffer = mmap.mmap(-1, max(1, n * dim * 4))
    done_buffer = mmap.mmap(-1, 8 * workers)
    out = np.frombuffer(rows_buffer, dtype=np.float32, count=n * dim).reshape(n, dim)
    done = np.frombuffer(done_buffer, dtype=np.int64, count=workers)
    pids: set[int] = set()
    parent = os.getpid()
    try:
        for k, rows in enumerate(shares([len(t) for t in texts], workers)):
            pid = os.fork()
            if pid == 0:  # the worker: encode, write, leave without running the parent's exit code
                status = 1
                try:
                    _die_with(parent)

                    def advance(count: int, k: int = k) -> None:
                        done[k] += count

                    out[rows] = encode([texts[i] for i in rows], advance)
                    status = 0
                except BaseException:  # noqa: BLE001 - reported to the parent by the exit status
                    log.exception("嵌入子进程出错")
                finally:
                    os._exit(status)
            pids.add(pid)
        failures = []
        last_seen, last_change = None, time.monotonic()
        while pids:
            for pid in list(pids):
                finished, status = os.waitpid(pid, os.WNOHANG)
                if finished:
                    pids.discard(pid)
                    code = os.waitstatus_to_exitcode(status)
                    if code != 0:
                        failures.append(f"退出码 {code}" if code > 0 else f"被信号 {-code} 终止")
            total = int(done.sum())
            if on_progress:
                on_progress(total)
            ticks = [cpu_ticks(pid) for pid in pids]
            seen = (total, None if None in ticks else sum(ticks))
            if seen != last_seen or seen[1] is None:
                last_seen, last_change = seen, time.monotonic()
            elif pids and time.monotonic() - last_change > stall_s:  # the finally below kills them
                raise WorkerError(f"{len(pids)} 个嵌入子进程 {stall_s:.0f} 秒既无进展也不占用 CPU，已终止")
            if pids:
                time.sleep(POLL_SECONDS)
        if failures:
            raise WorkerError(f"{len(failures)} 个嵌入子进程未完成（{'，'.join(failures)}）")
        return out.copy()
    finally:
        for pid in pids:  # interrupted (Ctrl-C) or failed to fork the next: leave no worker behind
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        del out, done
        for buffer in (rows_buffer, done_buffer):
            try:
                buffer.close()
            except BufferError:  # a view is still referenced (a traceback): the collector frees it
                pass
