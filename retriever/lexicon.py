"""Query expansion: everyday words → the words policy texts use (老师 → 教师, 厂里 → 企业).

Teachers ask in everyday Chinese; laws and notices say 教师, 企业, 施行, 殴打. BM25 cannot bridge
that gap and the small embedding model bridges it only partly, so a question is searched with
the official words of a hand-written lexicon (``retriever/data/colloquial.tsv``) added. The
expansion only adds search words: quotes and refusal checks still read the question as asked.
"""
from __future__ import annotations

import functools
from pathlib import Path

from ingest.rules import parse_table
from retriever.text import tokenize

DEFAULT_LEXICON = Path(__file__).resolve().parent / "data" / "colloquial.tsv"

Lexicon = dict[str, tuple[str, ...]]


def parse_lexicon(text: str, source: str = "lexicon") -> Lexicon:
    """``word<TAB>official words[<TAB>why]`` lines (a rule table, ingest/rules.py: ``#`` comments
    and blank lines ignored, the reason optional in a user's own file) → a dict.

    Raises ValueError (:class:`ingest.rules.RuleTableError`) naming the line of a malformed entry,
    and of a word given twice (the second would silently win).
    """
    return {word.strip(): tuple(official.split()) for word, official, _why in parse_table(text, 3, source, optional=1)}


@functools.lru_cache(maxsize=8)
def load_lexicon(path: str | Path = "default") -> Lexicon:
    """The lexicon at ``path`` (cached): ``default`` is the shipped one; empty or ``none``, no expansion."""
    if not str(path) or str(path).lower() == "none":
        return {}
    path = DEFAULT_LEXICON if str(path) == "default" else Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"无法读取查询扩展词表 {path}：{exc}") from None
    return parse_lexicon(text, str(path))


def expand(query: str, lexicon: Lexicon) -> list[str]:
    """Official words for the everyday words in ``query`` (deduplicated, in lexicon order).

    A one-character entry must be a whole jieba word of the query (打 in 有人打老师, not in
    打造); a longer one may occur anywhere.
    """
    if not lexicon:
        return []
    words = set(tokenize(query))
    found: dict[str, None] = {}
    for word, terms in lexicon.items():
        if (word in words) if len(word) == 1 else (word in query):
            found.update(dict.fromkeys(terms))
    return list(found)
