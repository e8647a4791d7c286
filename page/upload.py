"""Adding a document from the page (after page/guard.py has checked the password): sanitise the
name, validate the file, store it in the corpus folder without overwriting anything, then re-ingest.

The file is loaded (and checked for duplicate content) *before* it is stored, so a file that
cannot be used never enters the corpus folder; if the ingest itself fails, the stored file is
removed again and the old index keeps serving (builds are published atomically).
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ingest.chunker import chunk_within_limit
from ingest.loaders import SUPPORTED_SUFFIXES, LoadError, doc_id_for, find_documents, load_document
from ingest.schema import SourceDocument, content_key, quoted_title
from retriever.text import strip_control

#: What the page accepts: every type the loaders read (ingest/loaders.py), in a fixed order for the label.
ALLOWED_SUFFIXES = tuple(sorted(SUPPORTED_SUFFIXES))
MAX_UPLOAD_BYTES = 20 * 2**20
MAX_UPLOAD_LABEL = f"{MAX_UPLOAD_BYTES // 2**20}mb"  # the same limit for Gradio's launch(max_file_size=...)
MAX_STEM_CHARS = 80
_KEEP = set("-_（）()《》〔〕【】[]·、，,.+")


class UploadError(ValueError):
    """An upload that was refused; the message is shown to the admin."""


def sanitize_filename(name: str) -> str:
    """A safe file name from an uploaded one: no folders, no hidden or reserved names, Chinese kept.

    ``../../etc/passwd.txt`` → ``passwd.txt``; ``关于 印发<方案>.PDF`` → ``关于_印发_方案.pdf``.
    Raises :class:`UploadError` for unsupported types.
    """
    base = re.split(r"[/\\]", str(name or ""))[-1]
    base = strip_control(unicodedata.normalize("NFC", base)).strip()
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    suffix = "." + ext.lower() if ext else ""
    if suffix not in ALLOWED_SUFFIXES:
        raise UploadError(f"不支持的文件类型 {suffix or '（无扩展名）'}，请上传 {'、'.join(ALLOWED_SUFFIXES)} 文件。")
    stem = "".join(ch if (ch.isalnum() or ch in _KEEP) else "_" for ch in stem)
    stem = re.sub(r"_+", "_", stem).strip("._- ")
    stem = re.sub(r"\.{2,}", ".", stem)
    stem = stem[:MAX_STEM_CHARS].rstrip("._- ") or "document"
    return stem + suffix


@dataclass
class StoredFile:
    path: Path
    doc: SourceDocument
    renamed_from: str = ""  # the sanitised name, when another name had to be used


def _candidates(name: str):
    stem, suffix = name[: -len(Path(name).suffix)], Path(name).suffix
    yield name
    for i in range(2, 1000):
        yield f"{stem}-{i}{suffix}"


def store_upload(
    src: Path | str,
    original_name: str,
    corpus_dir: Path,
    existing: dict[str, SourceDocument],
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_chars: int = 400,
) -> StoredFile:
    """Validate ``src`` and copy it into ``corpus_dir`` under a sanitised, unused name.

    ``existing``: the documents of the live index (for duplicate-content and id checks).
    """
    src = Path(src)
    name = sanitize_filename(original_name)
    try:
        size = src.stat().st_size
    except OSError as exc:
        raise UploadError(f"{name}: 无法读取上传的文件（{exc.strerror}）") from None
    if size > max_bytes:
        raise UploadError(f"{name}: 文件过大（{size / 2**20:.1f} MB，上限 {max_bytes / 2**20:.0f} MB）")
    try:
        doc = _probe(src, name, max_chars)
        return _store(src, name, doc, Path(corpus_dir), existing)
    except OSError as exc:  # a full disk, a read-only corpus folder, a file system without hard links
        raise UploadError(f"{name}: 无法保存到文档目录（{exc.strerror or exc}），文件未保存，索引未改变。") from None


def _probe(src: Path, name: str, max_chars: int) -> SourceDocument:
    """The upload loaded from a private copy, or :class:`UploadError`: nothing in the corpus folder yet."""
    with tempfile.TemporaryDirectory(prefix="policyqa-upload-") as tmp:
        probe = Path(tmp) / name
        shutil.copyfile(src, probe)
        try:
            doc = load_document(probe)  # refuses oversized text and zip bombs
            chunk_within_limit(doc, max_chars)  # and too many chunks: one file never holds the ingest slot for hours
        except LoadError as exc:
            raise UploadError(f"{exc}（文件未保存，索引未改变）") from None
    return doc


def _store(src: Path, name: str, doc: SourceDocument, corpus_dir: Path, existing) -> StoredFile:
    """``src`` linked into ``corpus_dir`` under a free name (never overwriting), unless its content is there."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    key = content_key(doc)
    for other in existing.values():
        if content_key(other) == key:
            raise UploadError(f"{name}: 与已有文件 {quoted_title(other.title)} 内容相同，未保存。")
    taken_ids = set(existing) | {doc_id_for(p) for p in find_documents(corpus_dir)}
    fd, part = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=corpus_dir)  # hidden: ingest skips it
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as data:
            shutil.copyfileobj(data, out)
            out.flush()
            os.fsync(out.fileno())
        for candidate in _candidates(name):
            dest = corpus_dir / candidate
            if dest.exists() or doc_id_for(dest) in taken_ids:
                continue
            try:
                os.link(part, dest)  # atomic, and fails instead of overwriting
            except FileExistsError:
                continue
            break
        else:
            raise UploadError(f"{name}: 同名文件太多，请改名后再上传。")
    finally:
        os.unlink(part)
    try:
        doc = load_document(dest)  # the same bytes as the probe, now with their place in the corpus
    except (LoadError, OSError) as exc:
        dest.unlink(missing_ok=True)  # what is refused is not left behind
        if isinstance(exc, LoadError):
            raise UploadError(f"{exc}（文件未保存，索引未改变）") from None
        raise
    return StoredFile(dest, doc, renamed_from=name if dest.name != name else "")


def add_document(qa, src: Path | str, original_name: str, progress=None) -> tuple[bool, str]:
    """Store an uploaded file and re-ingest; returns (ok, message for the admin).

    ``progress(fraction, text)`` is called between steps when given.
    """

    def step(fraction: float, text: str) -> None:
        if progress is not None:
            progress(fraction, text)

    step(0.05, "检查文件…")
    try:
        stored = store_upload(src, original_name, qa.config.corpus_dir, qa.index.documents,
                              max_chars=qa.config.chunk_max_chars)
    except UploadError as exc:
        return False, str(exc)
    step(0.2, "更新索引（嵌入新文件的段落）…")
    try:
        report = qa.ingest(progress=False)
    except Exception as exc:  # any failure: take the file out again; the old index still serves
        stored.path.unlink(missing_ok=True)
        return False, f"{stored.path.name}: 索引更新失败，文件已撤回，原有索引不受影响（{type(exc).__name__}: {exc}）"
    if stored.doc.doc_id not in qa.index.documents:
        stored.path.unlink(missing_ok=True)
        details = "\n".join(report.errors + report.duplicates) or "未能加入索引"
        return False, f"{stored.path.name}: 未能加入索引，文件已撤回。\n{details}"
    step(1.0, "完成")
    renamed = f"（同名文件已存在，保存为 {stored.path.name}）" if stored.renamed_from else ""
    return True, f"已添加 {quoted_title(stored.doc.title)}{renamed}。\n{report.summary()}"
