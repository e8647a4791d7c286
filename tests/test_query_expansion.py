"""Query expansion (everyday → official words) and the character bigrams of sentence BM25."""
import dataclasses

import pytest

from retriever.lexicon import DEFAULT_LEXICON, expand, load_lexicon, parse_lexicon
from retriever.text import char_bigrams


def test_char_bigrams_overlap_inside_runs_and_keep_single_characters():
    assert char_bigrams("骨干老师") == ["骨干", "干老", "老师"]
    # punctuation splits runs; a one-character run is kept whole; full-width is folded (NFKC)
    assert char_bigrams("打，ＡＢ３") == ["打", "ab", "b3"]
    assert char_bigrams("？！") == []


def test_parse_lexicon_reads_entries_and_skips_comments():
    lexicon = parse_lexicon("# comment\n\n老师\t教师\n厂里\t企业 用人单位\n")
    assert lexicon == {"老师": ("教师",), "厂里": ("企业", "用人单位")}


@pytest.mark.parametrize("line", ["老师 教师", "老师\t", "\t教师", "老师\t \t空格不算规范用语", "老师\t教师\t理由\t多一列"])
def test_malformed_lexicon_line_is_named(line):
    with pytest.raises(ValueError, match="第 2 行"):
        parse_lexicon(f"# ok\n{line}\n", "my.tsv")


def test_a_word_given_twice_is_named_not_silently_overwritten():
    with pytest.raises(ValueError, match="第 2 行与第 1 行重复"):
        parse_lexicon("工资\t薪酬\n工资\t工资报酬\n", "my.tsv")


def test_missing_lexicon_file_gives_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="无法读取查询扩展词表"):
        load_lexicon(str(tmp_path / "nope.tsv"))


def test_none_turns_expansion_off():
    assert load_lexicon("none") == {}
    assert expand("老师的工资", {}) == []


def test_shipped_lexicon_parses_and_has_no_word_mapped_to_itself_only():
    lexicon = load_lexicon("default")
    assert len(lexicon) > 50 and DEFAULT_LEXICON.exists()
    assert not [w for w, terms in lexicon.items() if terms == (w,)]


def test_one_character_entries_match_whole_words_only():
    lexicon = {"打": ("殴打",), "老师": ("教师",)}
    assert expand("家长到学校打老师怎么办", lexicon) == ["殴打", "教师"]
    assert expand("打造高水平专业", lexicon) == []  # 打 is part of the word 打造


def test_expansion_reaches_the_official_wording(qa):
    # 「打老师」 is 「殴打教师」 in the 教师法; without the lexicon the first hit is another article
    question = "家长冲到学校打了老师，依法该怎么处理？"
    result = qa.search(question)
    assert {"殴打", "教师"} <= set(result.expansion)
    assert "殴打教师" in result.hits[0].chunk.text


def test_expansion_can_be_switched_off(qa):
    plain = dataclasses.replace(qa.config, query_lexicon="none")
    retriever = qa.live.retriever.reconfigured(plain)
    assert retriever.search("老师的工资").expansion == []


@pytest.mark.parametrize("question", ["年底考评没过的老师会怎样？", "年终考评的结果跟老师的工资晋级有没有关系？"])
def test_everyday_appraisal_finds_the_law_on_teacher_assessment(qa, question):
    # 考评 is 考核 in the 教师法; without the entry the first hits are 教师资格 or 待遇 articles
    result = qa.search(question)
    assert "考核" in result.expansion
    assert "第五章 考核" in result.hits[0].chunk.heading_path


def test_a_year_is_read_as_every_year(qa):
    # 一年 in a question about how often (一年…几次) is 每年 in policy texts
    assert "每年" in qa.search("企业一年要组织几次职工培训？").expansion


def test_an_abbreviated_school_kind_is_answered_as_spelled_out(qa):
    # 高校 is how everyone says 高等学校; without the entry the question was refused
    answer = qa.ask("高校教师需要什么学历？")
    assert not answer.refused, answer.reason
    assert "研究生或者大学本科毕业学历" in answer.citations[0].quote
