"""Page handlers against the real index: document polling, upload progress, restoring a kept
conversation, the document view."""
from __future__ import annotations

import inspect
from pathlib import Path

import gradio as gr

from page.handlers import PageHandlers, new_state


def _handlers(qa, tmp_path):
    return PageHandlers(qa, tmp_path / "feedback.jsonl")


def test_other_pages_follow_a_new_build(qa, tmp_path):
    handlers = _handlers(qa, tmp_path)
    build = qa.live.build
    assert all(isinstance(x, type(gr.skip())) for x in handlers.poll_documents(build)), "nothing sent while unchanged"
    html, choices, exact_choices, seen = handlers.poll_documents("an-older-build")
    assert seen == build and f"索引中共有 {len(qa.documents())} 个文件" in html
    assert len(choices["choices"]) == len(qa.documents()) and exact_choices == choices


def test_exact_search_takes_the_tabs_document_filter(qa, tmp_path):
    handlers = _handlers(qa, tmp_path)
    doc = qa.documents()[0]
    chosen = handlers.search_exact("的", [doc["doc_id"]])
    assert "在所选的 1 个文件中" in chosen and 'data-occurrence="1"' in chosen
    assert "在所选" not in handlers.search_exact("的", [])  # nothing chosen: every document
    assert "在所选" not in handlers.search_exact("的", None)


def test_upload_progress_shows_only_our_words():
    progress = inspect.signature(PageHandlers.do_upload).parameters["progress"].default
    assert progress.track_tqdm is False  # no 「Batches」 or 「BM25S Create Vocab」 bars from the libraries


def test_a_kept_conversation_comes_back(qa, tmp_path):
    handlers = _handlers(qa, tmp_path)
    history, state = [], new_state()
    for output in handlers.respond("教师法第25条是怎么规定的？", history, [], state):
        history, state = output[0], output[3] if isinstance(output[3], dict) else state
    saved = handlers.remember(history, state)
    restored_history, restored_state, panel = handlers.restore(saved)
    assert restored_history == history and restored_state["turn"] == 1 and 'data-turn="1"' in panel
    assert all(isinstance(x, type(gr.skip())) for x in handlers.restore({"version": 1, "history": []}))
    assert all(isinstance(x, type(gr.skip())) for x in handlers.restore(None))  # nothing kept: nothing changed


def test_document_view_of_a_cited_chunk(qa, tmp_path):
    handlers = _handlers(qa, tmp_path)
    answer = qa.ask("教师法第25条是怎么规定的？")
    chunk = answer.citations[0].hit.chunk
    out = handlers.document_view(f"{chunk.doc_id}|{chunk.chunk_id}")
    assert 'id="pq-docview-target"' in out and "第二十五条" in out.split('id="pq-docview-target">')[1][:40]
    assert "已不在索引中" in handlers.document_view("no-such-doc|x")


def test_saved_conversations_keep_their_key_across_restarts(qa, tmp_path):
    # Gradio draws a new BrowserState key at every start: every kept history would be unreadable
    import os
    import stat

    import app
    from page.browser_secret import SECRET_FILE, browser_secret

    def saved_secret(demo):
        return next(b.secret for b in demo.blocks.values() if isinstance(b, gr.BrowserState))

    first, second = app.build_app(qa, data_dir=tmp_path), app.build_app(qa, data_dir=tmp_path)
    assert saved_secret(first) == saved_secret(second) == browser_secret(tmp_path)
    assert stat.S_IMODE(os.stat(tmp_path / SECRET_FILE).st_mode) == 0o600
    (tmp_path / SECRET_FILE).write_text("short")  # damaged: a new key, kept from then on
    renewed = browser_secret(tmp_path)
    assert renewed != saved_secret(first) and browser_secret(tmp_path) == renewed
    first.close()
    second.close()


def test_a_data_folder_that_cannot_keep_the_key_still_serves(tmp_path, caplog):
    from page.browser_secret import browser_secret

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data folder should be")
    assert len(browser_secret(blocked)) == 64  # a key for this run
    assert "无法保存" in caplog.text
    assert blocked.read_text() == "a file where the data folder should be"


def test_exports_share_one_folder_and_old_ones_are_pruned(qa, tmp_path):
    from page.handlers import MAX_EXPORTS

    handlers = _handlers(qa, tmp_path)
    history, state = [], new_state()
    for output in handlers.respond("教师法第25条是怎么规定的？", history, [], state):
        history, state = output[0], output[3] if isinstance(output[3], dict) else state
    paths = [Path(handlers.export(state)["value"]) for _ in range(MAX_EXPORTS + 3)]
    assert len(set(paths[-MAX_EXPORTS:])) == MAX_EXPORTS, "two exports in one second get two files"
    assert len({p.parent for p in paths}) == 1, "one folder per server, not one per click"
    kept = sorted(paths[0].parent.glob("*.md"))
    assert len(kept) == MAX_EXPORTS and set(kept) == set(paths[-MAX_EXPORTS:])
    assert "第二十五条" in paths[-1].read_text(encoding="utf-8")
    folder = paths[0].parent
    handlers._exports.cleanup()  # what happens when the server exits
    assert not folder.exists()
