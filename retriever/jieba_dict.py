"""jieba's dictionary as a memory-mapped table: ready in milliseconds instead of seconds.

jieba builds a Python dict of ~500,000 words and prefixes when it starts (1.5-3 s even from its
marshal cache), and ``jieba.posseg`` reads its 5 MB dictionary file again for the part-of-speech
tags (another ~2 s), while a question looks up a few hundred strings. So the words, their
frequencies and their tags are written once into one sorted ``.npz`` in the model cache folder,
and jieba looks them up there (binary search, memoised): the same segmentation, no start-up cost.
"""
from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: Results memoised per process before the memo is cleared (a question needs a few hundred).
MEMO_LIMIT = 200_000
_MISSING = object()


class FrozenTable:
    """A read-only ``str → value`` mapping over sorted keys (``.get``, ``in``, ``[]``), the
    parts of a dict that jieba's tokenizers use."""

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        self._keys = keys
        self._values = values
        self._width = keys.dtype.itemsize // 4
        self._memo: dict = {}

    def _find(self, key):
        hit = self._memo.get(key, _MISSING)
        if hit is not _MISSING:
            return hit
        value = None
        if isinstance(key, str) and 0 < len(key) <= self._width:
            i = int(np.searchsorted(self._keys, key))
            if i < len(self._keys) and self._keys[i] == key:
                value = self._values[i]
        if len(self._memo) >= MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = value
        return value

    def __contains__(self, key) -> bool:
        return self._find(key) is not None

    def __getitem__(self, key):
        value = self._find(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key, default=None):
        value = self._find(key)
        return default if value is None else value

    def __len__(self) -> int:
        return len(self._keys)

    def __setitem__(self, key, value):
        raise TypeError("jieba's dictionary is frozen here (retriever/jieba_dict.py); add words to the lexicon instead")


class _Freq(FrozenTable):
    def _find(self, key):
        value = super()._find(key)
        return None if value is None else int(value)


class _Tags(FrozenTable):
    def __init__(self, keys, codes, names):
        super().__init__(keys, codes)
        self._names = names

    def _find(self, key):
        value = super()._find(key)
        return None if value is None or value < 0 else self._names[int(value)]


def _cache_path(cache_dir: Path) -> Path:
    import jieba

    dict_file = Path(jieba.__file__).with_name("dict.txt")
    return cache_dir / f"jieba-{jieba.__version__}-{dict_file.stat().st_size}.npz"


def _write_cache(path: Path) -> None:
    """Words, prefixes, frequencies and tags of jieba's default dictionary, sorted."""
    import jieba

    freq: dict[str, int] = {}
    tags: dict[str, str] = {}
    total = 0  # as jieba counts it: every line, a word given twice counted twice
    with jieba.get_dict_file() as f:
        for line in f:
            parts = line.decode("utf-8").strip().split(" ")
            if not parts[0]:
                continue
            word, count = parts[0], int(parts[1])
            freq[word] = count
            total += count
            if len(parts) > 2:
                tags[word] = parts[2]
            for i in range(1, len(word)):
                freq.setdefault(word[:i], 0)
    keys = np.array(sorted(freq))
    names = sorted(set(tags.values()))
    code = {n: i for i, n in enumerate(names)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(
        tmp, keys=keys, freq=np.array([freq[k] for k in keys], np.int64),
        tags=np.array([code.get(tags.get(k), -1) for k in keys], np.int16), tag_names=np.array(names),
        total=np.int64(total),
    )
    os.replace(tmp, path)
    log.info("jieba 词典已缓存：%s（%d 个词条）", path, len(keys))


def _load_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as npz:
        return {name: npz[name] for name in npz.files}


def install(cache_dir: Path):
    """jieba with its dictionary (and ``jieba.posseg``'s tags) read from the cached table;
    returns the ``jieba`` module. Falls back to jieba's own loading if the cache cannot be written."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    try:
        path = _cache_path(cache_dir)
        if not path.exists():
            _write_cache(path)
        arrays = _load_arrays(path)
    except (OSError, ValueError) as exc:
        log.warning("jieba 词典缓存不可用（%s），改用 jieba 自己的加载", exc)
        jieba.initialize()
        return jieba
    dt = jieba.dt
    with dt.lock:
        dt.FREQ = _Freq(arrays["keys"], arrays["freq"])
        dt.total = int(arrays["total"])
        dt.initialized = True
    _install_tags(jieba, _Tags(arrays["keys"], arrays["tags"], [str(n) for n in arrays["tag_names"]]))
    return jieba


def _install_tags(jieba, tags: FrozenTable) -> None:
    """Import ``jieba.posseg`` without its reading the dictionary file for tags (its module-level
    tokenizer does that on import), then hand it the cached tags."""
    import sys

    if "jieba.posseg" not in sys.modules:
        jieba.dt.get_dict_file = lambda: io.BytesIO(b"")  # instance attribute, removed below
        try:
            import jieba.posseg  # noqa: F401
        finally:
            del jieba.dt.get_dict_file
    sys.modules["jieba.posseg"].dt.word_tag_tab = tags
