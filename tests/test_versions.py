"""Versions and jurisdiction: the newer of two versions is cited, the older marked superseded; a
question naming a year gets the version in force then; a local rule is quoted after the national
one unless the question names its place, and always says whose it is; an abolished document is
quoted only when asked for by name; the bench corpus's Markdown format loads with title and date.

The corpus is small and synthetic, written into a temporary folder, and indexed with the real model.
"""
from __future__ import annotations

import json

import pytest

from ingest.chunker import chunk_document
from ingest.jurisdiction import jurisdiction, named_regions, place_stem
from ingest.loaders import load_document
from ingest.schema import SourceDocument
from ingest.versions import asked_year, superseded_by, version_key, wanted_versions
from retriever.preference import Preferences, Standing, demoted, prefer

OLD_LAW = """\
title: 《中华人民共和国职业培训法》
issuer: 全国人民代表大会常务委员会
date: 1996-05-15
---
中华人民共和国职业培训法

（1996年5月15日第八届全国人民代表大会常务委员会第十九次会议通过）

第一章 总则

第一条 为了发展职业培训，提高劳动者素质，制定本法。

第十条 职业学校教师的培训经费由县级人民政府统一安排，列入教育经费预算。
"""

NEW_LAW_MD = """\
# 中华人民共和国职业培训法

1996年5月15日 第八届全国人民代表大会常务委员会第十九次会议通过

2022年4月20日 第十三届全国人民代表大会常务委员会第三十四次会议修订

<!-- INFO END -->

## 第一章 总则

第一条 为了推动职业培训高质量发展，提高劳动者素质和技术技能水平，制定本法。

第十条 职业学校教师的培训经费由举办者足额保障，用于教师到企业实践和专业进修。
"""

LOCAL_MD = """\
# 上海市职业培训条例

2018年11月22日 上海市第十五届人民代表大会常务委员会第七次会议修订

<!-- INFO END -->

## 第一章　总则

第一条 为了发展本市职业培训，根据《中华人民共和国职业培训法》，结合本市实际，制定本条例。

第十条 本市职业学校教师的培训经费由市和区人民政府统筹保障，用于教师到企业实践。
"""

ABOLISHED = """\
title: 《职业学校教师进修暂行办法》
issuer: 国家教育委员会
date: 1990-03-01
status: 已废止
---
职业学校教师进修暂行办法

第一条 职业学校教师进修的费用由学校在年度经费中列支，每人每年安排一次进修。
"""

CURRENT_RULE = """\
title: 《职业学校教师进修管理规定》
issuer: 教育部
date: 2019-09-01
---
职业学校教师进修管理规定

第一条 职业学校应当制定教师进修计划，教师进修的费用由学校按规定列支。
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("versions-corpus")
    (folder / "zhiye-peixun-fa-1996.txt").write_text(OLD_LAW, encoding="utf-8")
    (folder / "职业培训法(2022-04-20).md").write_text(NEW_LAW_MD, encoding="utf-8")
    (folder / "上海市职业培训条例(2018-11-22).md").write_text(LOCAL_MD, encoding="utf-8")
    (folder / "jinxiu-banfa-1990.txt").write_text(ABOLISHED, encoding="utf-8")
    (folder / "jinxiu-guiding-2019.txt").write_text(CURRENT_RULE, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def versions_qa(corpus, tmp_path_factory, embedder):
    from policyqa.config import Config
    from policyqa.qa import PolicyQA

    cfg = Config.load(index_dir=tmp_path_factory.mktemp("versions-index"), corpus_dir=corpus)
    qa = PolicyQA(cfg, embedder=embedder)
    qa.ingest(progress=False)
    return qa


OLD, NEW, LOCAL = "zhiye-peixun-fa-1996", "职业培训法(2022-04-20)", "上海市职业培训条例(2018-11-22)"


# -- loading -----------------------------------------------------------------------------------

def test_markdown_law_loads_with_title_date_and_headings(corpus):
    doc = load_document(corpus / "职业培训法(2022-04-20).md")
    assert doc.title == "《中华人民共和国职业培训法》"  # no leading "# " (every title is shown inside 《》)
    assert doc.date == "2022-04-20"  # from the file name
    assert doc.issuer == "全国人民代表大会常务委员会"
    assert (doc.level, doc.region) == ("national", "")
    assert "#" not in doc.text and "INFO END" not in doc.text
    headings = [c.heading for c in chunk_document(doc)]
    assert ["第一章 总则", "第十条"] in headings  # ## 第一章 is a chapter the chunker reads


def test_markdown_law_without_a_date_in_its_name_takes_the_latest_metadata_date(tmp_path):
    path = tmp_path / "北京市某条例.md"
    path.write_text("# 北京市某条例\n\n2001年6月22日 北京市第十一届人民代表大会常务委员会第二十七次会议通过\n\n"
                    "2016年11月25日 北京市第十四届人民代表大会常务委员会第三十一次会议修正\n\n<!-- INFO END -->\n\n"
                    "第一条 为了规范某事项，制定本条例。\n", encoding="utf-8")
    doc = load_document(path)
    assert (doc.title, doc.date, doc.issuer) == ("《北京市某条例》", "2016-11-25", "北京市人民代表大会常务委员会")
    assert (doc.level, doc.region) == ("provincial", "北京市")


def test_local_rule_knows_its_region_and_status_header_is_read(corpus):
    local = load_document(corpus / "上海市职业培训条例(2018-11-22).md")
    assert (local.level, local.region, local.date) == ("provincial", "上海市", "2018-11-22")
    assert load_document(corpus / "jinxiu-banfa-1990.txt").status == "已废止"


def test_status_changes_the_hash_only_when_given(corpus, tmp_path):
    plain = load_document(corpus / "jinxiu-guiding-2019.txt")
    (tmp_path / "a.txt").write_text(CURRENT_RULE.replace("date: 2019-09-01", "date: 2019-09-01\nstatus: 已废止"), encoding="utf-8")
    assert load_document(tmp_path / "a.txt").sha256 != plain.sha256


@pytest.mark.parametrize("title, expected", [
    ("上海市职业教育条例", ("provincial", "上海市")),
    ("青岛市职业教育条例", ("municipal", "青岛市")),
    ("河南省职业培训条例", ("provincial", "河南省")),
    ("深圳经济特区学前教育条例", ("municipal", "深圳")),
    ("《中华人民共和国职业教育法》", ("national", "")),
    ("人力资源市场暂行条例", ("national", "")),  # 人力资源市 is not a city
    ("城市居民委员会组织法", ("national", "")),
])
def test_jurisdiction_from_title(title, expected):
    assert jurisdiction(title) == expected


def test_jurisdiction_from_issuer_and_named_regions():
    assert jurisdiction("关于做好职业培训工作的通知", "青岛市人民政府") == ("municipal", "青岛市")
    assert place_stem("广西壮族自治区") == "广西"
    assert named_regions("上海的职业学校教师培训经费谁出？", {"上海市", "青岛市"}) == {"上海市"}
    assert named_regions("职业学校教师培训经费谁出？", {"上海市"}) == set()


def test_old_index_documents_derive_their_region():
    doc = SourceDocument.from_dict({"doc_id": "d", "title": "青岛市职业教育条例", "text": "x"})
    assert (doc.level, doc.region) == ("municipal", "青岛市")


# -- versions, pure ----------------------------------------------------------------------------

def test_version_key_and_superseded():
    assert version_key("《中华人民共和国教师法》（2009年修正）") == version_key("中华人民共和国教师法")
    docs = [("a", "《某法》", "1996-05-15"), ("b", "某法", "2022-04-20"), ("c", "某法", ""), ("d", "另法", "2000-01-01")]
    assert superseded_by(docs) == {"a": "b"}


def test_wanted_version_follows_the_year_named():
    members, dates = ["a", "b", "c"], {"a": "1996-05-15", "b": "2009-08-27", "c": "2022-04-20"}
    assert wanted_versions(members, dates, None, False) == {"c"}
    assert wanted_versions(members, dates, 1996, False) == {"a"}
    assert wanted_versions(members, dates, 2015, False) == {"b"}  # the version in force that year
    assert wanted_versions(members, dates, 1990, False) == {"a"}
    assert wanted_versions(members, dates, None, True) == {"b"}  # 旧版
    assert asked_year("2009年版的教师法怎么说？") == 2009 and asked_year("教师法怎么说？") is None


def test_prefer_demotes_superseded_local_and_abolished():
    prefs = Preferences({
        "old": Standing("某法", "1996-01-01"), "new": Standing("某法", "2022-01-01"),
        "sh": Standing("上海市某条例", "2018-01-01", region="上海市"),
        "gone": Standing("某办法", "1990-01-01", status="已废止"),
    })
    fused = [(0, 1.0), (1, 0.9), (2, 0.8), (3, 0.3)]  # rows 0..3 = gone, sh, old, new
    doc = ["gone", "sh", "old", "new"].__getitem__
    order = lambda q, named=(): [doc(r) for r, _ in prefer(fused, doc, prefs.factors(q, {"old", "new", "sh", "gone"}, named))]  # noqa: E731
    assert order("某事怎么办？") == ["sh", "old", "new", "gone"]  # 0.45, 0.4, 0.3; abolished last
    assert order("上海某事怎么办？") == ["sh", "old", "new", "gone"]
    assert order("1996年某法怎么规定？")[:2] == ["old", "sh"]  # 0.8 vs 0.45
    assert order("某办法怎么规定？", named=("gone",))[0] == "gone"
    everyone = {"old", "new", "sh", "gone"}
    assert demoted(prefs.factors("某事怎么办？", everyone)) == {"old", "sh", "gone"}
    assert demoted(prefs.factors("上海某事怎么办？", everyone)) == {"old", "gone"}  # 上海 promotes its rule


# -- search and answers over a real index ------------------------------------------------------

def top_doc(qa, question):
    return qa.search(question).hits[0].chunk.doc_id


def test_newer_version_is_cited_and_older_marked(versions_qa):
    result = versions_qa.search("职业学校教师的培训经费由谁保障？")
    docs = [h.chunk.doc_id for h in result.hits]
    assert docs[0] == NEW
    assert docs.index(OLD) > docs.index(NEW)
    old_hit = next(h for h in result.hits if h.chunk.doc_id == OLD)
    assert old_hit.to_dict()["superseded"] is True and result.hits[0].to_dict()["superseded"] is False
    answer = versions_qa.ask("职业学校教师的培训经费由谁保障？")
    assert not answer.refused, answer.reason
    cited = answer.to_dict()["citations"][0]
    assert cited["chunk_id"].startswith(NEW) and cited["superseded"] is False
    assert {"region", "superseded", "status"} <= set(cited)


def test_a_question_naming_the_year_gets_the_older_version(versions_qa):
    assert top_doc(versions_qa, "1996年的职业培训法规定职业学校教师的培训经费由谁安排？") == OLD
    answer = versions_qa.ask("1996年的职业培训法规定职业学校教师的培训经费由谁安排？")
    assert not answer.refused, answer.reason
    cited = answer.citations[0]
    assert cited.hit.chunk.doc_id == OLD and cited.to_dict()["superseded"] is True
    assert "已有新版本" in cited.label()


def test_national_rule_first_unless_the_place_is_named(versions_qa):
    assert top_doc(versions_qa, "职业学校教师到企业实践的培训经费由谁保障？") == NEW
    assert top_doc(versions_qa, "上海职业学校教师到企业实践的培训经费由谁保障？") == LOCAL
    hit = versions_qa.search("上海职业学校教师到企业实践的培训经费由谁保障？").hits[0]
    assert hit.to_dict()["region"] == "上海市"


def test_a_local_rule_is_quoted_only_for_its_place(versions_qa):
    question = "职业学校教师到企业实践的培训经费由谁保障？"
    hits = versions_qa.search(question).hits
    assert {h.chunk.doc_id for h in hits if not h.preferred} >= {LOCAL, OLD}
    answer = versions_qa.ask(question)
    assert not answer.refused, answer.reason
    assert all(c.hit.preferred for c in answer.citations)
    assert LOCAL not in {c.hit.chunk.doc_id for c in answer.citations}, "not even as a further quote"
    placed = versions_qa.ask("上海职业学校教师到企业实践的培训经费由谁保障？")
    assert not placed.refused and placed.citations[0].hit.chunk.doc_id == LOCAL


def test_demoted_documents_do_not_change_how_preferred_candidates_are_measured(versions_qa):
    """A local rule or an older version ranked among the hits must not lower the national passage's
    standing (its rank, its share of the best score, its gaps to the best candidate): those are what
    the ranker weighs against the refusal bar, and the demoted document is not quoted beside it."""
    import dataclasses

    import numpy as np

    from policyqa.ranker import featurise

    question = "职业学校教师到企业实践的培训经费由谁保障？"
    prepared = versions_qa.prepare(question)
    max_hits = versions_qa.config.rank_hits
    hits = prepared.result.hits[:max_hits]
    kept = [i for i, h in enumerate(hits) if h.preferred]
    assert 0 < len(kept) < len(hits), "the question must find both preferred and demoted documents"
    assert not hits[0].preferred or any(not h.preferred for h in hits[:kept[-1]]), "a demoted hit must rank among preferred ones"

    candidates, matrix = featurise(prepared.result, prepared.view, max_hits=max_hits)
    alone = dataclasses.replace(prepared.result, hits=[hits[i] for i in kept])
    view = dataclasses.replace(prepared.view, apparatus=[prepared.view.apparatus[i] for i in kept])
    alone_candidates, alone_matrix = featurise(alone, view, max_hits=max_hits)

    mine = [j for j, c in enumerate(candidates) if hits[c.hit].preferred]
    assert [(kept[c.hit], c.start, c.end) for c in alone_candidates] == [(candidates[j].hit, candidates[j].start, candidates[j].end) for j in mine]
    np.testing.assert_allclose(matrix[mine], alone_matrix, rtol=1e-6, atol=1e-7)


def test_abolished_document_is_quoted_only_when_named(versions_qa):
    result = versions_qa.search("职业学校教师进修的费用怎么列支？", k=50)
    assert result.hits[0].chunk.doc_id == "jinxiu-guiding-2019"
    gone = next(h for h in result.hits if h.chunk.doc_id == "jinxiu-banfa-1990")
    assert gone.to_dict()["status"] == "已废止"
    assert top_doc(versions_qa, "《职业学校教师进修暂行办法》规定进修的费用怎么列支？") == "jinxiu-banfa-1990"


def test_manifest_carries_the_new_fields(versions_qa):
    manifest = versions_qa.index.manifest["documents"]
    assert manifest[OLD]["superseded_by"] == NEW and manifest[NEW]["superseded_by"] == ""
    assert manifest[LOCAL]["region"] == "上海市" and manifest[LOCAL]["level"] == "provincial"
    assert manifest["jinxiu-banfa-1990"]["status"] == "已废止"
    line = (versions_qa.index.path / "documents.jsonl").read_text(encoding="utf-8").splitlines()[0]
    assert {"status", "level", "region", "superseded_by"} <= set(json.loads(line))


def test_cli_search_marks_superseded_and_region(versions_qa, capsys):
    from policyqa.cli import main

    cfg = versions_qa.config
    assert main(["search", "职业学校教师的培训经费由谁保障？", "--index", str(cfg.index_dir),
                 "--corpus", str(cfg.corpus_dir)]) == 0
    out = capsys.readouterr().out
    assert "年版，已有新版本〕" in out and "上海市" in out

