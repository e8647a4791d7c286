"""A learned correction of question vectors toward the sentences that answer them.

e5 embeds a question asked in everyday words and the sentence that answers it (a rule stated in
official wording) less alike than they are, and the quote ranker reads those cosines. A linear map ``q' = normalise(q + q·W)``, fitted by ridge
regression (closed form, deterministic) from each labelled question's vector to the mean vector
of its gold sentences, moves questions toward how the documents state things. Retrieval and the
refusal signals keep the plain question vector; only the ranker's candidate cosines use the
adapted one (policyqa/ranker.py: ``adapted_cosine``), so a poor fit can cost quote choice but never
recall.

``policyqa train`` fits it from the committed question sets (eval/train_ranker.py) and writes one
small file (retriever/data/query_adapter.npz): the matrix, the model it belongs to and what it was
fitted on. All functions are pure.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_ADAPTER = Path(__file__).resolve().parent / "data" / "query_adapter.npz"
FORMAT = "policyqa-query-adapter"
#: Ridge penalty of the fit. Chosen once, leave-one-question-set-out: 0.5, 1, 2 and 3 all lifted
#: every mean figure; 1 lifted first-quote precision and answer recall most (docs/journal.md, "Evaluation").
RIDGE = 1.0


@dataclass(frozen=True)
class QueryAdapter:
    """``adapt(q) = normalise(q + q @ matrix)`` for question vectors of ``model_id``."""

    matrix: np.ndarray  # float32 [dim, dim]
    model_id: str
    about: dict = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[0])

    def adapt(self, vector: np.ndarray) -> np.ndarray:
        adapted = vector + vector @ self.matrix
        norm = float(np.linalg.norm(adapted))
        return (adapted / norm if norm else vector).astype(np.float32)

    def save(self, path: Path = DEFAULT_ADAPTER) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = json.dumps({"format": FORMAT, "model": self.model_id, "about": self.about}, ensure_ascii=False)
        with open(path, "wb") as f:  # a file object: np.savez would append .npz to another suffix
            np.savez_compressed(f, matrix=self.matrix.astype(np.float16), header=np.array(header))
        return path

    @classmethod
    def load(cls, path: Path = DEFAULT_ADAPTER) -> "QueryAdapter":
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                header = json.loads(str(data["header"]))
                matrix = data["matrix"].astype(np.float32)
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(f"无法读取问题向量校正文件 {path}：{exc}；请运行 policyqa train") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT or matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"{path} 不是问题向量校正文件；请运行 policyqa train")
        return cls(matrix, header.get("model", ""), header.get("about", {}))


def fit_adapter(questions: np.ndarray, targets: np.ndarray, model_id: str, ridge: float = RIDGE,
                about: dict | None = None) -> QueryAdapter:
    """The ridge solution of ``questions + questions @ W ≈ targets`` (rows: one labelled question's
    vector and the normalised mean of its gold sentences' vectors). Stored in float16, so the
    matrix a model was trained with is the matrix it is shipped with."""
    q = np.asarray(questions, dtype=np.float64)
    t = np.asarray(targets, dtype=np.float64)
    t = t / np.linalg.norm(t, axis=1, keepdims=True)
    matrix = np.linalg.solve(q.T @ q + ridge * np.eye(q.shape[1]), q.T @ (t - q))
    info = {"questions": int(len(q)), "ridge": ridge, **(about or {})}
    return QueryAdapter(matrix.astype(np.float16).astype(np.float32), model_id, info)


def load_adapter(setting: str | Path, model_id: str, dim: int) -> QueryAdapter | None:
    """The adapter ``setting`` names (``default``: the shipped one; ``none``: no adapter; else a
    path), or None when it belongs to another model (an index built with another model is
    searched without it, and says so in the log)."""
    if not str(setting) or str(setting).lower() == "none":
        return None
    path = DEFAULT_ADAPTER if str(setting) == "default" else Path(setting).expanduser()
    if str(setting) == "default" and not path.exists():
        return None  # before the first `policyqa train`
    adapter = QueryAdapter.load(path)
    if adapter.model_id != model_id or adapter.dim != dim:
        log.info("问题向量校正属于模型 %s（%d 维），本索引用 %s（%d 维）：不使用", adapter.model_id, adapter.dim, model_id, dim)
        return None
    return adapter
