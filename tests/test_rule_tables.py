"""The hand-written rule tables (*/data/*.tsv): each loads, has no key twice, and says why
every entry is there (without naming evaluation questions)."""
import re

import pytest

from ingest.rules import RuleTableError, parse_table, read_table
from policyqa.config import PROJECT_ROOT

#: Every rule table and its number of columns (the last one: why the entry is there).
TABLES = {
    "ingest/data/apparatus.tsv": 2,
    "retriever/data/colloquial.tsv": 3,
    "retriever/data/document_names.tsv": 3,
    "retriever/data/pointed_kinds.tsv": 2,
    "retriever/data/implementing_kinds.tsv": 2,
    "retriever/data/issuer_names.tsv": 3,
    "policyqa/data/instructions.tsv": 2,
    "ingest/data/places.tsv": 3,
    "policyqa/data/figures.tsv": 4,
    "policyqa/data/relative_time.tsv": 2,
    "policyqa/data/indefinite.tsv": 2,
    "policyqa/data/yes_no.tsv": 2,
    "policyqa/data/quote_units.tsv": 2,
    "policyqa/data/reported_speech.tsv": 2,
    "policyqa/data/definitions.tsv": 3,
    "policyqa/data/story_places.tsv": 3,
}
EVAL_ID = re.compile(r"\b[A-Z]\d{3}\b")


def test_every_table_is_listed():
    found = {str(p.relative_to(PROJECT_ROOT)) for package in ("ingest", "retriever", "policyqa")
             for p in (PROJECT_ROOT / package / "data").glob("*.tsv")}
    assert found == set(TABLES)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_table_loads_with_unique_keys_and_reasons(name):
    entries = read_table(PROJECT_ROOT / name, TABLES[name])  # raises on a key given twice
    assert entries
    for entry in entries:
        why = entry[-1].strip()
        assert why, f"{name}: {entry[0]!r} does not say why it is there"
        assert not EVAL_ID.search(why), f"{name}: {entry[0]!r} cites an evaluation question"


def test_a_key_given_twice_is_an_error():
    with pytest.raises(RuleTableError, match="第 3 行与第 2 行重复"):
        parse_table("# comment\na\tfirst\na\tsecond\n", 2, "t.tsv")


def test_a_line_with_missing_columns_is_an_error():
    with pytest.raises(RuleTableError, match="第 1 行"):
        parse_table("only-a-key\n", 2, "t.tsv")
