"""Text normalisation and word segmentation shared by BM25, refusal checks and answer scoring."""
from __future__ import annotations

import functools
import logging
import re
import unicodedata

logging.getLogger("jieba").setLevel(logging.WARNING)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
#: Lone UTF-16 surrogates (undecodable bytes in argv, "\ud800" in JSON from a browser): they
#: cannot be encoded for the tokenizer or the page.
_SURROGATES = re.compile(r"[\ud800-\udfff]")

#: Function words that carry no meaning for retrieval or refusal decisions.
STOPWORDS = frozenset(
    "的 了 和 与 及 或 是 在 有 对 为 把 被 将 从 以 于 等 就 也 都 而 并 其 之 这 那 个 中 上 下 "
    "我 我们 你 你们 他 她 它 他们 咱们 吗 呢 吧 啊 呀 么 什么 怎么 怎样 如何 哪些 哪个 哪 多少 几 "
    "能 能否 可以 可 会 要 应 应该 应当 需要 需 请问 请 问 一下 一些 有没有 是否 还是 现在 以后 今后 "
    "规定 政策 文件 里 里面 方面 关于 怎么办 为什么 谁 时候 说 讲 提到 具体 相关 情况 这个 那个 "
    "没有 不 没 吗？ 呗 嘛 哦 啥 咋 该 想 知道 告诉 给 让".split()
)


def has_words(text: str) -> bool:
    """Whether ``text`` holds any letter, digit or CJK character (not only punctuation)."""
    return bool(_WORD.search(text))


def strip_control(text: str) -> str:
    """Remove control and invisible formatting characters (keeps newlines and tabs)."""
    return _CONTROL.sub("", text)


def strip_surrogates(text: str, replacement: str = "") -> str:
    """``text`` with every lone surrogate replaced by ``replacement`` (removed by default)."""
    return _SURROGATES.sub(replacement, text)


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (職業教育 → 职业教育), so either script finds the text."""
    return _t2s().convert(text)


_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")


def normalise_query(text: str) -> str:
    """NFKC (full-width ASCII → half-width), HTML tags removed, traditional → simplified,
    collapsed whitespace. Tags pasted from web pages are markup, not words to search for."""
    text = _HTML_TAG.sub(" ", unicodedata.normalize("NFKC", strip_control(text)))
    return re.sub(r"\s+", " ", to_simplified(text)).strip()


@functools.lru_cache(maxsize=1)
def _jieba():
    """jieba, its dictionary read from a memory-mapped table (retriever/jieba_dict.py)."""
    from retriever.jieba_dict import install
    from retriever.settings import default_cache_dir

    return install(default_cache_dir())


def warm_up() -> None:
    """Load jieba's dictionary now (a service or CLI start-up) rather than at the first question."""
    _jieba()


def cut(text: str) -> list[str]:
    """jieba's precise cut of ``text`` as given (no normalisation, punctuation kept)."""
    return _jieba().lcut(text)


def pos_cut(text: str) -> list[tuple[str, str]]:
    """jieba's part-of-speech cut: ``(word, flag)`` pairs (``ns`` a place name)."""
    _jieba()
    import jieba.posseg

    return [(w.word, w.flag) for w in jieba.posseg.lcut(text)]


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens (overlapping words and their parts), lower-cased, no punctuation.

    One-character words are kept: in Chinese they often carry the meaning (薪, 岗).
    """
    text = unicodedata.normalize("NFKC", text).lower()
    return [t for t in _jieba().lcut_for_search(text) if _WORD.search(t)]


_RUN = re.compile(r"[\w\u3400-\u9fff]+", re.UNICODE)


def char_bigrams(text: str) -> list[str]:
    """Overlapping character pairs inside each run of letters/digits/CJK, lower-cased (a run of
    one character gives that character).

    Sentence BM25 uses these instead of words: they match a colloquial 骨干老师 to 骨干教师 and
    兼职 inside 兼职兼薪 where jieba's cut of one side differs from the other's
    (on dev.jsonl they lifted top-1 retrieval by ~4 points over jieba tokens).
    """
    grams: list[str] = []
    for run in _RUN.findall(unicodedata.normalize("NFKC", text).lower()):
        grams.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    return grams


def content_terms(text: str) -> list[str]:
    """The meaningful words of a question: jieba's precise cut minus stopwords, deduplicated."""
    text = unicodedata.normalize("NFKC", text).lower()
    seen: dict[str, None] = {}
    for token in _jieba().lcut(text):
        if _WORD.search(token) and token not in STOPWORDS and not token.isdigit():
            seen.setdefault(token, None)
    return list(seen)
