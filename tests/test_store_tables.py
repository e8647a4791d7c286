"""The loaded index reads chunks and documents on demand from its JSON Lines files."""
import json
import shutil

import pytest

from retriever import store


@pytest.fixture(scope="module")
def loaded(index_config):
    return store.load_index(index_config.index_dir, with_search=False)


def test_chunk_table_reads_exactly_the_written_lines(loaded):
    lines = (loaded.path / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    chunks = loaded.chunks
    assert isinstance(chunks, store.ChunkTable) and len(chunks) == len(lines) == loaded.manifest["chunk_count"]
    assert [c.to_dict() for c in chunks] == [json.loads(line) for line in lines]
    assert chunks[-1] == chunks[len(chunks) - 1] and chunks[2:5] == [chunks[2], chunks[3], chunks[4]]
    with pytest.raises(IndexError):
        chunks[len(chunks)]


def test_document_table_follows_the_manifest(loaded):
    docs = loaded.documents
    assert isinstance(docs, store.DocumentTable)
    assert list(docs) == list(loaded.manifest["documents"])
    for doc_id, meta in loaded.manifest["documents"].items():
        assert docs[doc_id].doc_id == doc_id and docs[doc_id].title == meta["title"]
    with pytest.raises(KeyError):
        docs["no-such-document"]


def test_a_damaged_line_in_the_middle_names_the_line_and_what_to_do(loaded, tmp_path):
    copy = tmp_path / "chunks.jsonl"
    lines = (loaded.path / "chunks.jsonl").read_bytes().splitlines(keepends=True)
    lines[3] = b'{"chunk_id": "broken\n'
    copy.write_bytes(b"".join(lines))
    table = store.ChunkTable(copy)
    assert table[2].chunk_id == loaded.chunks[2].chunk_id  # the rest still reads
    with pytest.raises(ValueError, match="第 4 行已损坏.*policyqa ingest"):
        table[3]


def test_documents_out_of_manifest_order_are_refused(loaded, tmp_path):
    build = tmp_path / "build"
    shutil.copytree(loaded.path, build)
    ids = list(loaded.manifest["documents"])
    table = store.DocumentTable(build / "documents.jsonl", ids[1:] + ids[:1])
    with pytest.raises(ValueError, match="顺序与清单不一致"):
        table[ids[1]]
