"""Read policy files (.txt/.md/.docx/.html/.pdf) into :class:`SourceDocument` records.

Each loader is a small function from raw bytes to plain text; :func:`load_document` picks one
by extension, parses the optional ``key: value`` header and fills the metadata.
"""
from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from pathlib import Path

from ingest.jurisdiction import jurisdiction
from ingest.schema import SourceDocument, quoted_title

HEADER_KEYS = {"title", "doc_number", "issuer", "date", "source_url", "status"}
_HEADER_LINE = re.compile(r"^([a-z_]+):\s?(.*)$")
#: Files larger than this are refused (a policy document is a few hundred KB at most).
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Extracted text above this many characters is refused: the longest shipped document (a law)
#: has ~12,000; 300,000 is ~25 of them, about 1,000 chunks and a few minutes of embedding on
#: 2 cores. Without it a 10 MB .txt became 34,674 chunks (hours of embedding) and held the
#: one ingest slot that every upload waits for.
MAX_TEXT_CHARS = 300_000
#: A .docx (a zip) whose parts unpack to more than this is refused before it is parsed: a
#: 747 KB file whose document.xml expanded to 184 MB was still being parsed after 300 s at 1.2 GB.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: ... and so is one that expands more than this many times its size once it unpacks to more
#: than UNPACKED_RATIO_FROM bytes (ordinary .docx files expand 3-20x; small ones may expand more).
MAX_EXPANSION_RATIO = 100
UNPACKED_RATIO_FROM = 8 * 1024 * 1024


class LoadError(ValueError):
    """A file that cannot be ingested; the message names the file and the problem."""


def decode_text(data: bytes, name: str = "") -> str:
    """Decode UTF-8 (with or without BOM) or GB18030/GBK, the encodings government files use."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        # GB18030 is a superset of GBK and GB2312; try it before guessing.
        text = data.decode("gb18030")
        if _looks_like_text(text):
            return text
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise LoadError(f"{name + ': ' if name else ''}无法识别文件编码（不是 UTF-8、GBK/GB18030 文本）")
    return str(best)


#: Signatures of binary formats that may arrive renamed as .txt/.md (some, like PDF, are all ASCII).
_BINARY_MAGIC = {
    b"%PDF-": "PDF",
    b"PK\x03\x04": "ZIP/docx/xlsx",
    b"\xd0\xcf\x11\xe0": "doc/xls",
    b"\x89PNG": "PNG 图片",
    b"\xff\xd8\xff": "JPEG 图片",
    b"GIF8": "GIF 图片",
}


def _binary_kind(data: bytes) -> str | None:
    return next((kind for magic, kind in _BINARY_MAGIC.items() if data.startswith(magic)), None)


def _looks_like_text(text: str) -> bool:
    if not text:
        return True
    bad = sum(1 for ch in text if unicodedata.category(ch) in {"Cc", "Co", "Cn"} and ch not in "\n\r\t\f")
    return bad / len(text) < 0.01


def check_zip_expansion(data: bytes) -> None:
    """Refuse a zip bomb before it is parsed (LoadError naming the limit)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(max(info.file_size, 0) for info in archive.infolist())
    except zipfile.BadZipFile:
        return  # python-docx says it is not a valid .docx
    if unpacked > MAX_UNPACKED_BYTES:
        raise LoadError(f"解压后 {unpacked / 2**20:.0f} MB，超过上限 {MAX_UNPACKED_BYTES / 2**20:.0f} MB（疑似压缩炸弹），未读取")
    if unpacked > UNPACKED_RATIO_FROM and unpacked > MAX_EXPANSION_RATIO * len(data):
        raise LoadError(f"解压后是原文件的 {unpacked / max(len(data), 1):.0f} 倍，超过上限 {MAX_EXPANSION_RATIO} 倍（疑似压缩炸弹），未读取")


def _read_docx(data: bytes) -> str:
    import docx

    check_zip_expansion(data)
    document = docx.Document(io.BytesIO(data))
    return "\n\n".join(p.text for p in document.paragraphs if p.text.strip())


def _read_html(data: bytes) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(data), "lxml")
    for tag in soup(["script", "style", "noscript", "head", "nav", "footer"]):
        tag.decompose()
    blocks = [el.get_text(" ", strip=True) for el in soup.find_all(["h1", "h2", "h3", "h4", "p", "li", "td", "pre"])]
    blocks = [b for b in blocks if b]
    if not blocks:
        blocks = [line.strip() for line in soup.get_text("\n").splitlines() if line.strip()]
    return "\n\n".join(blocks)


def _read_pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = [(page.extract_text() or "").strip() for page in reader.pages]
    return "\n\n".join(p for p in pages if p)


def _read_plain(data: bytes) -> str:
    return decode_text(data)


READERS = {
    ".txt": _read_plain,
    ".md": _read_plain,
    ".html": _read_html,
    ".htm": _read_html,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
}
#: The file types a corpus folder may hold: those a reader exists for.
SUPPORTED_SUFFIXES = frozenset(READERS)


def split_header(text: str) -> tuple[dict[str, str], str]:
    """Split ``key: value`` lines above a ``---`` line from the body; no header → ({}, text)."""
    head, sep, body = text.partition("\n---\n")
    if not sep:
        return {}, text
    meta = {}
    for line in head.splitlines():
        if not line.strip():
            continue
        match = _HEADER_LINE.match(line.strip())
        if not match or match.group(1) not in HEADER_KEYS:
            return {}, text  # not a header after all: keep the text whole
        meta[match.group(1)] = match.group(2).strip()
    return meta, body


def doc_id_for(path: Path) -> str:
    """Stable id from the file name: the stem with whitespace and separators replaced."""
    return re.sub(r"[\s/\\:]+", "_", path.stem).strip("_") or "doc"


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _guess_title(body: str, fallback: str) -> str:
    for line in body.splitlines():
        line = line.strip()
        if line:
            return line[:80]
    return fallback


#: The line that ends a Markdown law's metadata (LawRefBook's format: README, "bench corpus").
INFO_END = "<!-- INFO END -->"
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
#: The version date in a file name: 教育法(2021-04-29).md.
_NAME_DATE = re.compile(r"[(（]((?:19|20)\d\d)-(\d\d)-(\d\d)[)）]$")
_CN_DATE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
#: The organ in a metadata line: 第八届全国人民代表大会常务委员会…, 青岛市第十五届人民代表大会常务委员会…
_ISSUER = re.compile(r"([\u4e00-\u9fff]{0,12}?)第[一二三四五六七八九十]+届(全国人民代表大会常务委员会|全国人民代表大会|人民代表大会常务委员会|人民代表大会)")


def is_markdown_law(body: str) -> bool:
    """A Markdown document in the bench corpus's format: a ``# title`` first line, or the
    ``<!-- INFO END -->`` line that closes its metadata."""
    first = next((line for line in body.splitlines() if line.strip()), "")
    return bool(_MD_HEADING.match(first)) or INFO_END in body


def read_markdown_law(body: str, stem: str = "") -> tuple[dict[str, str], str]:
    """Metadata and plain text of a Markdown law (``# title``, metadata lines, ``<!-- INFO END -->``,
    ``#``/``##`` headings for 编/章/节, one 第X条 a line).

    The text keeps every line but loses the Markdown: heading marks (``## 第一章 总则`` becomes
    ``第一章 总则``, which the chunker reads as a chapter) and HTML comments. The title is the
    leading ``#`` lines (without ``# ``; 《民法典》's books have two: 中华人民共和国民法典 / 侵权责任编);
    the date is the one in the file name (教育法(2021-04-29)), else the latest in the metadata
    lines; the issuer is the organ the first metadata line names."""
    head, found, _rest = body.partition(INFO_END)
    info = head if found else ""
    body = _HTML_COMMENT.sub("", body)
    lines = [_MD_HEADING.sub("", line).rstrip() for line in body.split("\n")]
    titles = []
    for raw, line in zip(body.split("\n"), lines):
        if not raw.strip():
            continue
        if not _MD_HEADING.match(raw):
            break
        titles.append(line.strip())
    meta: dict[str, str] = {}
    if titles:
        meta["title"] = "".join(titles)
    match = _NAME_DATE.search(stem)
    dates = ["-".join(match.groups())] if match else sorted(
        f"{y}-{int(m):02d}-{int(d):02d}" for y, m, d in _CN_DATE.findall(info))[-1:]
    if dates:
        meta["date"] = dates[0]
    organ = _ISSUER.search(info)
    if organ:
        meta["issuer"] = organ.group(1) + organ.group(2)
    text = "\n".join(lines).strip("\n") + "\n"
    return meta, re.sub(r"\n{3,}", "\n\n", text)


def load_document(path: Path | str) -> SourceDocument:
    """Read one file; raise :class:`LoadError` naming the file when it cannot be used."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise LoadError(f"{path.name}: 不支持的文件类型 {suffix or '(无扩展名)'}（支持 {', '.join(sorted(SUPPORTED_SUFFIXES))}）")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(f"{path.name}: 无法读取（{exc.strerror}）") from exc
    if size == 0:
        raise LoadError(f"{path.name}: 文件为空")
    if size > MAX_FILE_BYTES:
        raise LoadError(f"{path.name}: 文件过大（{size / 2**20:.1f} MB，上限 {MAX_FILE_BYTES / 2**20:.0f} MB）")
    data = path.read_bytes()
    if suffix in {".txt", ".md"} and _binary_kind(data):
        raise LoadError(f"{path.name}: 看起来是二进制文件（{_binary_kind(data)}），不是文本；请使用正确的扩展名")
    if suffix in {".txt", ".md"} and b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError(f"{path.name}: 看起来是二进制文件，不是文本")
    try:
        raw = READERS[suffix](data)
    except LoadError as exc:  # raised by decode_text, which does not know the file name
        raise LoadError(f"{path.name}: {exc}") from None
    except Exception as exc:  # each library has its own error types for corrupt files
        raise LoadError(f"{path.name}: 文件已损坏或格式不正确（{type(exc).__name__}: {exc}）") from exc
    if len(raw) > MAX_TEXT_CHARS:
        raise LoadError(f"{path.name}: 正文过长（{len(raw):,} 字，上限 {MAX_TEXT_CHARS:,} 字），未读取；请拆分成多个文件")
    raw = normalise_newlines(raw)
    if suffix in {".txt", ".md"} and not _looks_like_text(raw):
        raise LoadError(f"{path.name}: 看起来是二进制文件，不是文本")
    meta, body = split_header(raw)
    if not body.strip():
        if suffix == ".pdf":
            raise LoadError(f"{path.name}: PDF 没有文字层（可能是扫描件），请先进行文字识别（OCR）")
        raise LoadError(f"{path.name}: 没有可用的正文")
    if suffix == ".md" and is_markdown_law(body):
        md_meta, body = read_markdown_law(body, path.stem)
        meta = {**md_meta, **meta}  # a ``key: value`` header above it wins
    doc_id = doc_id_for(path)
    title = quoted_title(meta.get("title") or _guess_title(body, path.stem))  # always a quoted source
    level, region = jurisdiction(title, meta.get("issuer", ""))
    doc = SourceDocument(
        doc_id=doc_id,
        title=title,
        text=body,
        doc_number=meta.get("doc_number", ""),
        issuer=meta.get("issuer", ""),
        date=meta.get("date", ""),
        source_url=meta.get("source_url", ""),
        path=str(path),
        status=meta.get("status", ""),
        level=level,
        region=region,
    )
    doc.sha256 = content_hash(doc)
    return doc


def content_hash(doc: SourceDocument) -> str:
    """Hash of what the index depends on: the text and the metadata shown in citations."""
    h = hashlib.sha256()
    for part in (doc.title, doc.doc_number, doc.issuer, doc.date, doc.text):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    if doc.status:  # only when given, so documents without one keep the hashes of older builds
        h.update(b"status\x00" + doc.status.encode("utf-8"))
    return h.hexdigest()


def find_documents(folder: Path) -> list[Path]:
    """Supported files under ``folder`` (recursively), in a stable order; hidden files skipped."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError(f"{folder}: 文件夹不存在")
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
