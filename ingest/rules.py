"""Hand-written rule tables: tab-separated text files, one entry a line, under a ``data/``
folder of the floor that uses them (ingest/data, retriever/data, policyqa/data).

Every table ends with a column that says why its entry is there, so a rule can be judged
without reading the code. Lines starting with ``#`` and blank lines are comments. The first
column is the entry's key: a key given twice is an error (the second would silently win).
Each floor reads its own tables; this reader is on the ground floor so that all can share it.
"""
from __future__ import annotations

from pathlib import Path


class RuleTableError(ValueError):
    """A malformed rule table; the message names the file and line."""


def parse_table(text: str, columns: int, source: str = "table", optional: int = 0) -> list[tuple[str, ...]]:
    """The entries of a table as tuples of ``columns`` fields (the last ``optional`` ones may be
    missing, and then are ""). Raises :class:`RuleTableError` on a line with the wrong number of
    fields, an empty required field or a key seen before."""
    entries: list[tuple[str, ...]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        required = columns - optional
        if not required <= len(fields) <= columns or not all(f.strip() for f in fields[:required]):
            raise RuleTableError(f"{source} 第 {number} 行应有 {columns} 列（以 Tab 分隔，前 {required} 列不能为空）：{line!r}")
        key = fields[0]
        if key in seen:
            raise RuleTableError(f"{source} 第 {number} 行与第 {seen[key]} 行重复：{key!r}")
        seen[key] = number
        entries.append(tuple(fields) + ("",) * (columns - len(fields)))
    return entries


def read_table(path: Path, columns: int, optional: int = 0) -> list[tuple[str, ...]]:
    """:func:`parse_table` of the file at ``path`` (UTF-8)."""
    return parse_table(Path(path).read_text(encoding="utf-8"), columns, str(path), optional)


def alternation(patterns: list[str]) -> str:
    """One regular expression that matches where any of ``patterns`` does (they are joined by
    ``|`` exactly as written, so a table of alternatives is the regex it was cut from)."""
    return "|".join(patterns)
