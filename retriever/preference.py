"""Which documents a question prefers: the current version, and national before local rules.

A pure step over the fused ranking (retriever/search.py calls it before the named documents and
articles are put first): the fused score of a chunk is multiplied by

- ``superseded_weight`` when its document is an older version of a title that the index also
  holds in another version and the question does not ask for that one (a year it was in force,
  旧版/修订前) — ingest/versions.py;
- ``local_weight`` when its document is a local rule (a region, ingest/jurisdiction.py) and the
  question names no place, or another place; divided by it when the question names its place;

and a chunk of an abolished document (``status:`` 已废止) goes below every other candidate unless
the question names that document or a year up to its date. A document the question names by
title is never demoted for being local. Multiplying (not sorting by tier) lets a local rule still
answer when nothing national comes close: "a local rule is quoted only when the question names
its place or nothing national answers".
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from ingest.jurisdiction import named_regions
from ingest.versions import asked_year, asks_old_version, is_abolished, version_groups, wanted_versions, year_of


@dataclass(frozen=True)
class Standing:
    """What the preference step knows of one document."""

    title: str
    date: str = ""
    status: str = ""
    region: str = ""


class Preferences:
    """The version groups and regions of an index's documents, computed once per index."""

    def __init__(self, documents: Mapping[str, Standing]):
        self.documents = dict(documents)
        self.groups = version_groups((d, s.title, s.date) for d, s in self.documents.items())
        self.group_of = {doc_id: key for key, members in self.groups.items() for doc_id in members}
        self.regions = {s.region for s in self.documents.values() if s.region}
        self.dates = {d: s.date for d, s in self.documents.items()}

    def factors(self, query: str, doc_ids: Collection[str], named: Collection[str] = (),
                local_weight: float = 0.5, superseded_weight: float = 0.5) -> dict[str, tuple[int, float]]:
        """doc_id → (tier, factor) for the documents ``doc_ids`` among a question's candidates:
        tier 1 sorts below tier 0 (abolished, not asked for); the factor multiplies the score."""
        year, old = asked_year(query), asks_old_version(query)
        places = named_regions(query, self.regions)
        wanted: dict[str, set[str]] = {}
        out = {}
        for doc_id in doc_ids:
            standing = self.documents.get(doc_id)
            if standing is None:
                out[doc_id] = (0, 1.0)
                continue
            factor, tier = 1.0, 0
            key = self.group_of.get(doc_id)
            if key is not None:
                if key not in wanted:
                    wanted[key] = wanted_versions(self.groups[key], self.dates, year, old)
                if doc_id not in wanted[key]:
                    factor *= superseded_weight
            if standing.region and doc_id not in named and 0 < local_weight < 1:
                factor *= 1 / local_weight if standing.region in places else local_weight
            if is_abolished(standing.status) and doc_id not in named:
                doc_year = year_of(standing.date)
                if year is None or doc_year is None or year > doc_year:
                    tier = 1
            out[doc_id] = (tier, factor)
        return out


def demoted(factors: Mapping[str, tuple[int, float]]) -> frozenset[str]:
    """The documents ``factors`` (doc_id → (tier, factor)) put down: a lower tier or a factor under 1."""
    return frozenset(d for d, (tier, factor) in factors.items() if tier > 0 or factor < 1)


def prefer(fused: list[tuple[int, float]], doc_of_row, factors: Mapping[str, tuple[int, float]]) -> list[tuple[int, float]]:
    """``fused`` (row, score) re-scored by ``factors`` (doc_id → (tier, factor)) and re-sorted:
    tier first, then score; ties keep their order."""
    scored = []
    for position, (row, score) in enumerate(fused):
        tier, factor = factors.get(doc_of_row(row), (0, 1.0))
        scored.append((tier, -score * factor, position, row, score * factor))
    scored.sort()
    return [(row, score) for _tier, _neg, _pos, row, score in scored]
