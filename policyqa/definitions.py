"""Questions that ask what a term means (什么是未成年工, 1+X证书是什么) and the sentences that define
it (未成年工是指…, 本法所称高等学校是指…, …（以下称1+X证书制度试点）): the set phrases are in
``policyqa/data/definitions.tsv``, each with its reason."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ingest.rules import read_table

TABLE = Path(__file__).resolve().parent / "data" / "definitions.tsv"
_ROWS = read_table(TABLE, 3)
_ASKS = [re.compile(pattern) for pattern, role, _why in _ROWS if role == "ask"]
_DEFINES = [pattern for pattern, role, _why in _ROWS if role == "define"]
if len(_ASKS) + len(_DEFINES) != len(_ROWS):
    raise ValueError(f"{TABLE}: a role must be ask or define")
_CLOSING = "？?。！!；; "


def asked_term(question: str) -> str:
    """The term whose meaning ``question`` asks for, or "" when it asks something else."""
    text = unicodedata.normalize("NFKC", question).strip().rstrip(_CLOSING).strip()
    for ask in _ASKS:
        match = ask.match(text)
        if match:
            return match.group("term").strip("“”\"《》 ")
    return ""


def definition_pattern(term: str) -> re.Pattern | None:
    """What a sentence that defines ``term`` contains (None for no term)."""
    if not term:
        return None
    escaped = re.escape(unicodedata.normalize("NFKC", term))
    return re.compile("|".join(f"(?:{d.replace('{TERM}', escaped)})" for d in _DEFINES))


def defines(pattern: re.Pattern | None, sentence: str) -> bool:
    """Whether ``sentence`` defines the term ``pattern`` (:func:`definition_pattern`) was made for."""
    return pattern is not None and bool(pattern.search(unicodedata.normalize("NFKC", sentence)))
