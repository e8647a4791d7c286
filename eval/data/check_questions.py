#!/usr/bin/env python3
"""Validate PolicyQA question files (JSON Lines) against the policy corpus.

Usage:
    python3 eval/data/check_questions.py [FILE ...] [--corpus DIR]

With no FILE arguments it checks tests/data/retrieval_questions.jsonl and every
eval/data/*.jsonl except the sealed sets (sealed*.jsonl), whose per-document counts it would print (the tests
check that one silently).
The corpus defaults to data/policies/ in the repository root.

Each line must be one JSON object:
    {"id": "D001", "question": "...", "answerable": true,
     "persona": "teacher" | "hr" | "public",
     "gold": [{"doc": "《标题》", "quote": "..."}]}

Checks: valid JSON object per line; required fields with the right types;
unique ids; persona in the allowed set; answerable <=> gold non-empty; each
gold doc equals a `title:` header in the corpus; each quote occurs verbatim in
that document's text after removing all whitespace from both (no Unicode
normalisation: characters must match exactly).

Exit status 0 when every file is clean, 1 when any problem is found (each
problem is printed).  Stdlib only; importable: ``check_file(path, corpus_dir)``
returns the list of problems for one file.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import re
import sys

PERSONAS = frozenset({"teacher", "hr", "public"})
REQUIRED = {
    "id": str,
    "question": str,
    "answerable": bool,
    "persona": str,
    "gold": list,
}

_WS = re.compile(r"\s+")

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_CORPUS = os.path.join(REPO_ROOT, "data", "policies")


def is_sealed(path: str) -> bool:
    """Whether ``path`` (a file, or a set's name) is a sealed question set: ``sealed*.jsonl``."""
    return os.path.basename(str(path)).startswith("sealed")


DEFAULT_FILES = (
    os.path.join(REPO_ROOT, "tests", "data", "retrieval_questions.jsonl"),
    *sorted(p for p in glob.glob(os.path.join(REPO_ROOT, "eval", "data", "*.jsonl")) if not is_sealed(p)),
)


def strip_ws(text: str) -> str:
    """Remove every whitespace character (incl. U+3000 and newlines)."""
    return _WS.sub("", text)


def load_corpus(corpus_dir: str) -> dict[str, str]:
    """Map each document title (header ``title:`` value) to its body text.

    A document file is ``key: value`` header lines, a line ``---``, then the
    text.  Files without a ``---`` line or without a title are skipped.
    """
    docs: dict[str, str] = {}
    for path in sorted(glob.glob(os.path.join(corpus_dir, "*.txt"))):
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        header: dict[str, str] = {}
        body_start = None
        for i, line in enumerate(lines):
            if line.strip() == "---":
                body_start = i + 1
                break
            key, sep, value = line.partition(":")
            if sep:
                header[key.strip()] = value.strip()
        if body_start is None or not header.get("title"):
            continue
        docs[header["title"]] = "\n".join(lines[body_start:])
    return docs


def check_record(obj, docs_ws: dict[str, str]) -> list[str]:
    """Problems with one parsed record (without the location prefix)."""
    problems: list[str] = []
    if not isinstance(obj, dict):
        return ["not a JSON object"]
    ok: dict[str, bool] = {}
    for field, typ in REQUIRED.items():
        if field not in obj:
            problems.append(f"missing field {field!r}")
            ok[field] = False
        elif not isinstance(obj[field], typ) or (typ is not bool and isinstance(obj[field], bool)):
            problems.append(f"field {field!r} should be {typ.__name__}, got {type(obj[field]).__name__}")
            ok[field] = False
        else:
            ok[field] = True
    if ok["id"] and not obj["id"].strip():
        problems.append("empty id")
    if ok["question"] and not obj["question"].strip():
        problems.append("empty question")
    if ok["persona"] and obj["persona"] not in PERSONAS:
        problems.append(f"persona {obj['persona']!r} not in {sorted(PERSONAS)}")
    if not ok["gold"]:
        return problems
    gold = obj["gold"]
    if ok["answerable"]:
        if obj["answerable"] and not gold:
            problems.append("answerable is true but gold is empty")
        if not obj["answerable"] and gold:
            problems.append("answerable is false but gold is not empty")
    for k, g in enumerate(gold):
        where = f"gold[{k}]"
        if not isinstance(g, dict):
            problems.append(f"{where} is not an object")
            continue
        doc, quote = g.get("doc"), g.get("quote")
        if not isinstance(doc, str) or not doc:
            problems.append(f"{where}.doc missing or not a non-empty string")
            continue
        if not isinstance(quote, str) or not strip_ws(quote):
            problems.append(f"{where}.quote missing or empty")
            continue
        if doc not in docs_ws:
            problems.append(f"{where}.doc {doc!r} is not a title in the corpus")
            continue
        if strip_ws(quote) not in docs_ws[doc]:
            problems.append(f"{where}.quote not found verbatim in {doc}: {quote[:40]!r}...")
    return problems


def check_file(path: str, corpus_dir: str = DEFAULT_CORPUS) -> list[str]:
    """Return a list of problems (empty when the file is valid)."""
    docs = load_corpus(corpus_dir)
    if not docs:
        return [f"{corpus_dir}: no corpus documents found"]
    docs_ws = {title: strip_ws(text) for title, text in docs.items()}
    problems: list[str] = []
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{path}: cannot read: {exc}"]
    seen_ids: dict[str, int] = {}
    n_records = 0
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        loc = f"{path}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{loc}: invalid JSON: {exc}")
            continue
        n_records += 1
        rid = obj.get("id") if isinstance(obj, dict) else None
        if isinstance(rid, str):
            loc = f"{loc} ({rid})"
            if rid in seen_ids:
                problems.append(f"{loc}: duplicate id (first on line {seen_ids[rid]})")
            else:
                seen_ids[rid] = lineno
        problems.extend(f"{loc}: {p}" for p in check_record(obj, docs_ws))
    if n_records == 0:
        problems.append(f"{path}: no records")
    return problems


def summarize(path: str) -> str:
    """One-paragraph summary of counts for a (parseable) file."""
    records = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(obj, dict):
                    records.append(obj)
    ans = sum(1 for r in records if r.get("answerable") is True)
    personas = collections.Counter(r.get("persona") for r in records)
    first_doc = collections.Counter(
        r["gold"][0].get("doc") for r in records
        if isinstance(r.get("gold"), list) and r["gold"] and isinstance(r["gold"][0], dict)
    )
    any_doc = collections.Counter()
    for r in records:
        if isinstance(r.get("gold"), list):
            for d in {g.get("doc") for g in r["gold"] if isinstance(g, dict)}:
                any_doc[d] += 1
    out = [
        f"{path}: {len(records)} questions, {ans} answerable, {len(records) - ans} unanswerable",
        "  persona: " + ", ".join(f"{k}={v}" for k, v in sorted(personas.items(), key=str)),
        "  by document (first gold / any gold):",
    ]
    for doc in sorted(set(first_doc) | set(any_doc), key=str):
        out.append(f"    {first_doc[doc]:3d} / {any_doc[doc]:3d}  {doc}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="question files (default: dev + retrieval test sets)")
    ap.add_argument("--corpus", default=DEFAULT_CORPUS, help="corpus directory (default: data/policies)")
    args = ap.parse_args(argv)
    files = args.files or list(DEFAULT_FILES)

    all_problems: list[str] = []
    questions: dict[str, str] = {}
    for path in files:
        problems = check_file(path, args.corpus)
        all_problems.extend(problems)
        if os.path.exists(path):
            try:
                print(summarize(path))
            except (OSError, UnicodeDecodeError):
                pass
            # the same question text in two files is almost always a mistake
            try:
                with open(path, encoding="utf-8") as fh:
                    for line in fh:
                        try:
                            obj = json.loads(line)
                        except json.JSONDecodeError:
                            continue
                        if isinstance(obj, dict) and isinstance(obj.get("question"), str):
                            q = strip_ws(obj["question"])
                            if q in questions and questions[q] != path:
                                all_problems.append(
                                    f"{path} ({obj.get('id')}): question also in {questions[q]}")
                            questions.setdefault(q, path)
            except (OSError, UnicodeDecodeError):
                pass
    if all_problems:
        print(f"\n{len(all_problems)} problem(s):")
        for p in all_problems:
            print("  " + p)
        return 1
    print("\nOK: no problems")
    return 0


if __name__ == "__main__":
    sys.exit(main())
