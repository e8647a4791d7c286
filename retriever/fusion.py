"""Fusion of ranked lists from several retrievers: a dispatch table of small, pure functions.

Every function takes ``rankings`` — for each retriever name, a list of ``(item, score)`` best
first — and per-retriever ``weights``, and returns ``[(item, fused_score), …]`` best first.
Ties are broken by item order of first appearance, so results are deterministic.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence

Ranking = Sequence[tuple[Hashable, float]]


def reciprocal_rank_fusion(
    rankings: Mapping[str, Ranking], weights: Mapping[str, float], k: int = 60
) -> list[tuple[Hashable, float]]:
    """Weighted RRF (Cormack et al. 2009): ``Σ w_r / (k + rank_r)``, ranks from 1.

    Scores of different retrievers are not comparable (cosine vs BM25); ranks are.
    A retriever whose weight is 0 or missing does not contribute.
    """
    fused: dict[Hashable, float] = {}
    for name, ranking in rankings.items():
        weight = weights.get(name, 0.0)
        if weight <= 0:
            continue
        for rank, (item, _score) in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return _sorted(fused)


def min_max_score_fusion(
    rankings: Mapping[str, Ranking], weights: Mapping[str, float], k: int = 60
) -> list[tuple[Hashable, float]]:
    """Weighted sum of scores min-max normalised per retriever (items missing from a list get 0).

    ``k`` is unused; it is accepted so every fusion has the same signature.
    """
    fused: dict[Hashable, float] = {}
    for name, ranking in rankings.items():
        weight = weights.get(name, 0.0)
        if weight <= 0 or not ranking:
            continue
        scores = [s for _, s in ranking]
        lo, hi = min(scores), max(scores)
        span = hi - lo or 1.0
        for item, score in ranking:
            fused[item] = fused.get(item, 0.0) + weight * (score - lo) / span
    return _sorted(fused)


def _sorted(fused: dict) -> list[tuple[Hashable, float]]:
    order = {item: i for i, item in enumerate(fused)}
    return sorted(fused.items(), key=lambda kv: (-kv[1], order[kv[0]]))


FUSIONS: dict[str, Callable[..., list[tuple[Hashable, float]]]] = {
    "rrf": reciprocal_rank_fusion,
    "minmax": min_max_score_fusion,
}


def fuse(method: str, rankings: Mapping[str, Ranking], weights: Mapping[str, float], k: int = 60):
    """Dispatch to the fusion called ``method`` (see :data:`FUSIONS`)."""
    try:
        function = FUSIONS[method]
    except KeyError:
        raise ValueError(f"未知的融合方法 {method!r}（可选：{', '.join(FUSIONS)}）") from None
    return function(rankings, weights, k)
