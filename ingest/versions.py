"""Versions of one document: which is current, which superseded, which abolished.

A folder may hold the 1996 and the 2022 职业教育法 side by side (same title, different dates):
answers should quote the newer one unless the question names a year or asks for the old
version, and the older one is marked superseded wherever it is shown. A document may also carry
a ``status:`` header (已废止, 已失效): it is shown, and not quoted unless asked for by name or year.

All functions are pure; ``retriever/search.py`` applies them to a question's candidates.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

#: Status words that mean a document no longer applies (a ``status:`` header containing any).
ABOLISHED = re.compile(r"废止|失效|废除|作废|停止执行")
#: A year the question names: 1996年, 2009年版, 2018版.
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*(?:年|版)")
#: Words that ask for the previous version rather than the current one.
_OLD_VERSION = re.compile(r"旧版|老版|原版|原来的|修订前|修改前|修正前|以前的版本|上一版")


def version_key(title: str) -> str:
    """What two versions of one document share: the title without 《》, whitespace and a trailing
    note of revision or year (（2009年修正）, （2018年修订）), NFKC. A (试行) note stays: it is part of
    the name of a trial rule, not a version date."""
    text = unicodedata.normalize("NFKC", title)
    text = re.sub(r"[《》〈〉\s]", "", text)
    return re.sub(r"[(（][^()（）]*(?:修正|修订|修改|\d{4})[^()（）]*[)）]$", "", text)


def is_abolished(status: str) -> bool:
    return bool(status and ABOLISHED.search(status))


def year_of(date: str) -> int | None:
    match = re.match(r"((?:19|20)\d\d)", date or "")
    return int(match.group(1)) if match else None


def asked_year(query: str) -> int | None:
    """The year a question names (「1996年的职业教育法」 → 1996), or None."""
    match = _YEAR.search(unicodedata.normalize("NFKC", query))
    return int(match.group(1)) if match else None


def asks_old_version(query: str) -> bool:
    return bool(_OLD_VERSION.search(query))


def version_groups(docs: Iterable[tuple[str, str, str]]) -> dict[str, list[str]]:
    """``(doc_id, title, date)`` → version key → the ids of its dated versions, oldest first;
    only keys with versions of at least two different dates (an undated copy cannot be ordered)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for doc_id, title, date in docs:
        if year_of(date) is not None:
            groups.setdefault(version_key(title), []).append((date, doc_id))
    return {
        key: [doc_id for _date, doc_id in sorted(members)]
        for key, members in groups.items()
        if len({date for date, _ in members}) > 1
    }


def superseded_by(docs: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """doc_id → the id of the newest version of the same title, for every older version."""
    dated = list(docs)
    dates = {doc_id: date for doc_id, _title, date in dated}
    out = {}
    for members in version_groups(dated).values():
        newest = members[-1]
        for doc_id in members:
            if dates[doc_id] < dates[newest]:
                out[doc_id] = newest
    return out


def wanted_versions(members: list[str], dates: dict[str, str], year: int | None, old: bool) -> set[str]:
    """Which of a title's versions (``members``, oldest first) a question wants: the newest; with
    a named ``year``, the newest in force that year (the oldest when all are later); with ``old``,
    the one before the newest. Versions of the same date are wanted together."""
    if year is not None:
        earlier = [d for d in members if year_of(dates[d]) <= year]
        pick = earlier[-1] if earlier else members[0]
    elif old:
        newest_date = dates[members[-1]]
        older = [d for d in members if dates[d] < newest_date]
        pick = older[-1] if older else members[-1]
    else:
        pick = members[-1]
    return {d for d in members if dates[d] == dates[pick]}
