"""Where a document applies: national, or the province/city named in its title or issuer.

Users' folders hold local rules (上海市职业教育条例, 青岛市职业教育条例) beside the national laws
they implement, often with nearly the same wording; a question that names no place is about the
national rule, and a local one must always say whose it is. The level and region are read from
the title (or, failing that, the issuer) when a document is loaded (ingest/loaders.py).

Place names are the table ``ingest/data/places.tsv`` (name, kind, why); a title that starts
with another name ending like an administrative unit (…省, …市, …自治州, …县) counts too.
All functions are pure.
"""
from __future__ import annotations

import re
from pathlib import Path

from ingest.rules import read_table

#: name → kind ("province" or "city"), from ingest/data/places.tsv.
PLACE_KINDS: dict[str, str] = {
    name: kind for name, kind, _why in read_table(Path(__file__).resolve().parent / "data" / "places.tsv", 3)
}
NATIONAL = "national"
PROVINCIAL = "provincial"
MUNICIPAL = "municipal"
COUNTY = "county"

_SUFFIXES = "省|市|自治区|特别行政区"
_KNOWN = "|".join(sorted(map(re.escape, PLACE_KINDS), key=len, reverse=True))
#: A title or issuer that starts with a known place (上海市…, 深圳经济特区…, 广西壮族自治区…).
_KNOWN_START = re.compile(rf"^(?:{_KNOWN})(?:(?:壮族|回族|维吾尔)?(?:{_SUFFIXES}))?")
#: …or with another name of two to four characters ending like an administrative unit (洛阳市; not
#: 人力资源市场), an autonomous prefecture or county (景宁畲族自治县: up to ten), or a special
#: economic zone's city (汕头经济特区 → 汕头).
_OTHER_START = re.compile(
    r"^(?:[\u4e00-\u9fff]{2,4}?(?:省|市|县)(?![场政容级域])|[\u4e00-\u9fff]{2,10}?自治[州县]|[\u4e00-\u9fff]{2,3}(?=经济特区))")
#: 中国（上海）自由贸易试验区条例: the place in brackets after 中国.
_BRACKETED = re.compile(r"^中国[（(]([\u4e00-\u9fff]{2,4})[）)]")
#: Starts that look like a place but are not one: 城市…, 全市, 本省, 各县 (the class needs two
#: characters before the suffix, so 城市 never matches; these guard the rest).
_NOT_A_PLACE = re.compile(r"^(?:全|本|各|该|外|每|省|市|县|城|大|小|农村|地方)")


def place_of(text: str) -> str:
    """The province or city ``text`` (a title or issuer) starts with: 上海市职业教育条例 → 上海市,
    深圳经济特区…条例 → 深圳, 中华人民共和国职业教育法 → ""."""
    text = "".join(text.split()).lstrip("《")
    bracketed = _BRACKETED.match(text)
    if bracketed:
        text = bracketed.group(1)
    match = _KNOWN_START.match(text)
    if match:
        return match.group(0)
    match = _OTHER_START.match(text)
    if match and not _NOT_A_PLACE.match(match.group(0)):
        return match.group(0)
    return ""


def place_stem(region: str) -> str:
    """A region as a question names it: 上海市 → 上海, 河南省 → 河南, 广西壮族自治区 → 广西,
    景宁畲族自治县 → 景宁."""
    for name in sorted(PLACE_KINDS, key=len, reverse=True):
        if region.startswith(name):
            return name
    if re.search(r"自治[州县]$", region):
        return region[:2]  # 景宁畲族自治县 → 景宁: the place comes before the people's name
    return re.sub(r"(?:省|市|县|特别行政区)$", "", region) or region


def level_of(region: str) -> str:
    """national for "", provincial for a province-level division, else municipal (or county)."""
    if not region:
        return NATIONAL
    stem = place_stem(region)
    if PLACE_KINDS.get(stem) == "province" or region.endswith(("省", "自治区", "特别行政区")):
        return PROVINCIAL
    return COUNTY if region.endswith("县") else MUNICIPAL


def jurisdiction(title: str, issuer: str = "") -> tuple[str, str]:
    """``(level, region)`` of a document: the place its title starts with, else its issuer's."""
    region = place_of(title) or place_of(issuer)
    return level_of(region), region


def named_regions(query: str, regions) -> set[str]:
    """The regions among ``regions`` that the question names (by stem: 上海 names 上海市)."""
    text = "".join(query.split())
    return {region for region in regions if region and place_stem(region) in text}
