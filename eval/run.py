"""``policyqa eval``: run a question file through the pipeline (and baselines) and write a report.

Output folder::

    predictions.jsonl            the default (hybrid) configuration, one answer a line
    predictions-<system>.jsonl   with --compare: bm25, dense, hybrid, naive
    report.json                  every metric (eval.metrics.score_run per system), targets
    report.md                    the same as tables: targets, comparison, per persona, worst
    report.png                   the main metrics per system as grouped bars

Each prediction line has the fields of ``policyqa ask --json`` plus ``id``; anyone can re-score a
run with :func:`eval.metrics.score_run` without running the pipeline.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

from eval import metrics
from eval.data.check_questions import is_sealed
from policyqa.config import Config

log = logging.getLogger(__name__)

DEFAULT_SYSTEM = "hybrid"
#: --compare: what each system is; the order is the order of tables and bars.
SYSTEMS = {
    "naive": "naive RAG: 500-char windows, dense only, top-1 chunk",
    "bm25": "BM25 only (structured chunks)",
    "dense": "dense only (structured chunks)",
    "hybrid": "hybrid fusion, default config",
}
PERSONAS = ("teacher", "hr", "public")
#: Metrics in the comparison tables and the plot (rates in 0..1).
TABLE_METRICS = (
    "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10",
    "citation_precision", "citation_recall", "quote_precision",
    "first_quote_precision", "answer_recall", "citations_per_answer", "first_quote_chars", "first_quote_focus",
    "refusal_rate", "false_refusal_rate", "non_verbatim_quotes",
    "latency_p50_ms", "latency_p95_ms",
)
PLOT_METRICS = ("recall@5", "mrr@10", "ndcg@10", "citation_precision", "citation_recall", "refusal_rate", "false_refusal_rate")
#: Asked once per system before timing, so model and tokenizer warm-up is not in the latencies.
WARMUP_QUESTION = "职业教育法什么时候施行？"

Ask = Callable[[str], dict]


class QuestionFileError(ValueError):
    """A malformed question file; the message lists every bad line."""


class SealedSetError(ValueError):
    """A sealed set (``sealed*.jsonl``) asked for without ``--unseal``: it is run once, at the end."""


# -- question file ---------------------------------------------------------------------------


def validate_question(obj) -> list[str]:
    """Format problems of one parsed question line (empty list = valid)."""
    if not isinstance(obj, dict):
        return ["not a JSON object"]
    problems = []
    for field in ("id", "question"):
        if not isinstance(obj.get(field), str) or not obj[field].strip():
            problems.append(f"{field!r} must be a non-empty string")
    if not isinstance(obj.get("answerable"), bool):
        problems.append("'answerable' must be true or false")
    if obj.get("persona") not in PERSONAS:
        problems.append(f"'persona' must be one of {', '.join(PERSONAS)}, got {obj.get('persona')!r}")
    gold = obj.get("gold")
    if not isinstance(gold, list):
        return problems + ["'gold' must be a list"]
    if isinstance(obj.get("answerable"), bool) and obj["answerable"] != bool(gold):
        problems.append("'answerable' must be true exactly when 'gold' is non-empty")
    for i, g in enumerate(gold):
        if not isinstance(g, dict) or not all(isinstance(g.get(k), str) and g[k].strip() for k in ("doc", "quote")):
            problems.append(f"gold[{i}] must be an object with non-empty 'doc' and 'quote' strings")
    return problems


def load_questions(path: str | Path) -> list[dict]:
    """Parse a question file strictly; raise :class:`QuestionFileError` naming every bad line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionFileError(f"无法读取问题文件 {path}：{exc}") from None
    questions, problems, seen = [], [], {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{lineno}: invalid JSON ({exc.msg})")
            continue
        found = validate_question(obj)
        qid = obj.get("id") if isinstance(obj, dict) else None
        if isinstance(qid, str) and qid in seen:
            found.append(f"duplicate id {qid!r} (first on line {seen[qid]})")
        elif isinstance(qid, str):
            seen[qid] = lineno
        problems.extend(f"{path}:{lineno}: {p}" for p in found)
        questions.append(obj)
    if not questions and not problems:
        problems.append(f"{path}: no questions")
    if problems:
        raise QuestionFileError("问题文件格式错误：\n  " + "\n  ".join(problems))
    return questions


# -- running systems -----------------------------------------------------------------------------


def pipeline_asker(qa, retrievers: tuple[str, ...] | None = None) -> Ask:
    """The pipeline's ``ask`` returning plain dicts; ``retrievers`` None = its default set."""
    if retrievers is None:
        return lambda question: qa.ask(question).to_dict()
    return lambda question: qa.ask(question, retrievers=retrievers).to_dict()


def build_systems(config: Config, qa, out_dir: Path, compare: bool) -> dict[str, Ask]:
    """The systems to run: the default configuration, plus the ablations and the naive baseline."""
    if not compare:
        return {DEFAULT_SYSTEM: pipeline_asker(qa)}
    from eval.baselines import NaiveBaseline

    naive = NaiveBaseline(config, qa.embedder, cache_dir=out_dir / "cache")
    return {
        "naive": naive.ask,
        "bm25": pipeline_asker(qa, ("bm25",)),
        "dense": pipeline_asker(qa, ("dense",)),
        DEFAULT_SYSTEM: pipeline_asker(qa),
    }


def run_system(name: str, ask: Ask, questions: list[dict]) -> list[dict]:
    """Every question through one system, in file order."""
    ask(WARMUP_QUESTION)
    predictions = []
    started = time.perf_counter()
    for i, q in enumerate(questions, start=1):
        predictions.append({"id": q["id"], **ask(q["question"])})
        if i % 25 == 0 or i == len(questions):
            log.info("%s：%d/%d 个问题（%.1f 秒）", name, i, len(questions), time.perf_counter() - started)
    return predictions


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


# -- report -------------------------------------------------------------------------------------


def build_report(config: Config, questions_path: Path, questions: list[dict], scores: dict[str, dict], seconds: float) -> dict:
    """report.json: per-system scores, the comparison rows and the default system's targets."""
    default = scores[DEFAULT_SYSTEM]["overall"]
    targets = metrics.check_targets(default)
    return {
        "questions_file": str(questions_path),
        "questions": len(questions),
        "answerable": sum(1 for q in questions if q["answerable"]),
        "unanswerable": sum(1 for q in questions if not q["answerable"]),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": round(seconds, 1),
        "config": config.to_dict(),
        "default_system": DEFAULT_SYSTEM,
        "system_labels": {name: SYSTEMS[name] for name in scores},
        "targets": targets,
        "targets_met": all(t["passed"] for t in targets),
        "comparison": [{"system": name, **{m: s["overall"].get(m) for m in TABLE_METRICS}} for name, s in scores.items()],
        "systems": scores,
    }


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"
    return str(value)


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(c) if not isinstance(c, str) else c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return lines + [""]


def _what_went_wrong(worst: dict) -> str:
    """The problems of a worst question; a false refusal with the pipeline's reason."""
    return "; ".join(f"{p}: {worst['reason']}" if p == "false refusal" and worst.get("reason") else p for p in worst["problems"])


def render_markdown(report: dict) -> str:
    """report.md: targets, the system comparison, per persona, refusal analysis, slowest, worst."""
    default = report["systems"][report["default_system"]]
    systems = list(report["systems"])
    cfg = report["config"]
    weights = ", ".join(f"{name.removeprefix('weight_')} {value}" for name, value in cfg.items() if name.startswith("weight_"))
    out = [
        "# PolicyQA eval report",
        "",
        f"Questions: `{report['questions_file']}` — {report['questions']} ({report['answerable']} answerable, "
        f"{report['unanswerable']} unanswerable). Created {report['created']}, {report['seconds']} s.",
        "",
        f"Config: model `{cfg.get('model')}`, sparse {cfg.get('sparse')}, fusion {cfg.get('fusion')} ({weights}), "
        f"min_dense_score {cfg.get('min_dense_score')}, min_term_coverage {cfg.get('min_term_coverage')}.",
        "",
        *([f"**Stale index** (measured as it is; `--update-index` to update): {'; '.join(report['stale_index'])}", ""]
          if report.get("stale_index") else []),
        "A passage *supports* a gold quote when their longest common substring (NFKC, no whitespace) "
        "covers ≥ 60 % of the quote; recall@k = share of answerable questions with a supporting passage "
        "in the top k. Definitions: `eval/metrics.py`.",
        "",
        f"## Targets ({report['default_system']})",
        "",
    ]
    out += _table(["metric", "target", "value", "result"], [[t["metric"], t["target"], t["value"], "PASS" if t["passed"] else "**FAIL**"] for t in report["targets"]])
    out += ["## Systems" if len(systems) > 1 else "## Overall", ""]
    out += [f"- **{name}**: {report['system_labels'][name]}" for name in systems] + [""]
    out += _table(["metric", *systems], [[m, *(report["systems"][s]["overall"].get(m) for s in systems)] for m in TABLE_METRICS])
    out += [f"## Where the first quote goes wrong ({report['default_system']})", "",
            "Answerable questions whose first quote is not a gold sentence, by what the reader sees first "
            "(`eval/metrics.py:first_quote_miss`).", ""]
    out += _table(["first quote", *systems], [[label, *(report["systems"][s]["overall"].get(f"miss_{kind}") for s in systems)]
                                              for kind, label in metrics.MISS_KINDS.items()])
    out += [f"## Per persona ({report['default_system']})", ""]
    personas = list(default["per_persona"])
    out += _table(["metric", *personas], [[m, *(default["per_persona"][p].get(m) for p in personas)] for m in ("questions", "answerable", "unanswerable", *TABLE_METRICS)])
    sweep = default.get("refusal_threshold")
    if sweep:
        out += [
            "## Refusal signal (top dense cosine)",
            "",
            f"Answerable questions: {sweep['answerable_range'][0]}–{sweep['answerable_range'][1]} (5th percentile {sweep['answerable_p05']}); "
            f"unanswerable: {sweep['unanswerable_range'][0]}–{sweep['unanswerable_range'][1]} (95th percentile {sweep['unanswerable_p95']}).",
            "",
            f"Refusing on this score alone, the best threshold is {sweep['best_threshold']} (equally good up to "
            f"{sweep['equally_good_up_to']}): refusal rate {sweep['refusal_rate']}, false refusals {sweep['false_refusal_rate']}."
            + (f" At the configured {sweep['at_current']['threshold']}: refusal rate {sweep['at_current']['refusal_rate']}, "
               f"false refusals {sweep['at_current']['false_refusal_rate']} (the pipeline also checks term coverage)." if "at_current" in sweep else ""),
            "",
        ]
    out += ["## Slowest questions", ""]
    out += _table(["id", "ms", "question"], [[s["id"], s["latency_ms"], s["question"]] for s in default["slowest"]])
    out += [f"## Worst questions ({report['default_system']}: {len(default['worst'])})", ""]
    if default["worst"]:
        out += _table(
            ["id", "persona", "question", "what went wrong", "gold rank", "top dense"],
            [[w["id"], w["persona"], w["question"], _what_went_wrong(w), w["first_relevant_rank"], w["dense_top"]] for w in default["worst"]],
        )
    else:
        out += ["None.", ""]
    return "\n".join(out)


def plot_report(report: dict, path: Path) -> None:
    """report.png: main metrics per system (grouped bars) and latency. ASCII labels only, so
    nothing renders as boxes where no CJK font is installed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = list(report["systems"])
    fig, (ax, lat) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [4, 1]})
    width = 0.8 / len(systems)
    for i, name in enumerate(systems):
        overall = report["systems"][name]["overall"]
        values = [overall.get(m) or 0.0 for m in PLOT_METRICS]
        xs = [x + (i - (len(systems) - 1) / 2) * width for x in range(len(PLOT_METRICS))]
        bars = ax.bar(xs, values, width, label=name)
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=6, padding=1)
    goals = {t["metric"]: float(t["target"].split()[1]) for t in report["targets"]}
    for x, m in enumerate(PLOT_METRICS):
        if m in goals:  # the default system's target, as a short dashed line
            ax.hlines(goals[m], x - 0.42, x + 0.42, colors="black", linestyles="dashed", linewidth=0.8)
    ax.set_xticks(range(len(PLOT_METRICS)), PLOT_METRICS, rotation=15, fontsize=8)
    ax.set_ylim(0, 1.1)
    ax.set_title(f"{report['questions']} questions ({report['answerable']} answerable); dashed: targets (hybrid)")
    ax.legend(fontsize=8, loc="upper center", ncol=len(systems))
    p50 = [report["systems"][s]["overall"]["latency_p50_ms"] or 0 for s in systems]
    p95 = [report["systems"][s]["overall"]["latency_p95_ms"] or 0 for s in systems]
    xs = range(len(systems))
    lat.bar([x - 0.2 for x in xs], p50, 0.4, label="p50")
    lat.bar([x + 0.2 for x in xs], p95, 0.4, label="p95")
    lat.set_xticks(list(xs), systems, rotation=15, fontsize=8)
    lat.set_ylabel("latency (ms)")
    lat.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def summary_table(report: dict) -> str:
    """A few columns per system for the terminal."""
    cols = ("recall@5", "mrr@10", "citation_precision", "citation_recall", "refusal_rate", "false_refusal_rate", "latency_p50_ms")
    short = ("R@5", "MRR", "CitP", "CitR", "Refuse", "FalseRef", "p50ms")
    lines = [f"{'system':<8}" + "".join(f"{h:>10}" for h in short)]
    for name, s in report["systems"].items():
        lines.append(f"{name:<8}" + "".join(f"{_fmt(s['overall'].get(c)):>10}" for c in cols))
    missed = [t["metric"] for t in report["targets"] if not t["passed"]]
    lines.append("targets: all met" if not missed else f"targets missed: {', '.join(missed)}")
    return "\n".join(lines)


# -- entry point ----------------------------------------------------------------------------------


def run_eval(config: Config, questions_path, out_dir, compare: bool = False, check_targets: bool = False,
             update_index: bool = False, unseal: bool = False) -> int:
    """Run the eval; returns the exit code (1 when ``check_targets`` and a target is missed).

    A sealed set runs only with ``unseal`` (``policyqa eval --unseal``): its figures are the
    headline because nobody tuned on them, and every run spends some of that.

    The index is only read: measuring never changes what it measures. A stale index (the corpus
    folder differs from it) is reported in the log and the report; ``update_index`` brings it up
    to date first (``policyqa eval --update-index``)."""
    from policyqa.qa import PolicyQA

    started = time.perf_counter()
    questions_path, out_dir = Path(questions_path), Path(out_dir)
    if is_sealed(questions_path) and not unseal:
        raise SealedSetError(f"{questions_path} 是封存的评测集，只在工作结束时运行一次；确需运行请加 --unseal（并在 README 中记录这次运行）")
    questions = load_questions(questions_path)  # before anything slow: a bad file fails fast
    log.info("问题文件 %s：%d 个问题", questions_path, len(questions))
    out_dir.mkdir(parents=True, exist_ok=True)

    qa = PolicyQA(config)
    if update_index:
        log.info("%s", qa.ingest(progress=False).summary())
    qa.load()
    from retriever.build import stale_documents

    stale = stale_documents(config.build_settings(), qa.index.manifest)
    if stale:
        log.warning("索引与文件夹 %s 不一致（评测照旧使用索引，不改动它；要更新请加 --update-index）：\n  %s",
                    config.corpus_dir, "\n  ".join(stale))

    scores: dict[str, dict] = {}
    for name, ask in build_systems(config, qa, out_dir, compare).items():
        predictions = run_system(name, ask, questions)
        if name == DEFAULT_SYSTEM:
            write_jsonl(out_dir / "predictions.jsonl", predictions)
        if compare:
            write_jsonl(out_dir / f"predictions-{name}.jsonl", predictions)
        scores[name] = metrics.score_run(questions, predictions, refusal_threshold=config.min_dense_score)

    result = build_report(config, questions_path, questions, scores, time.perf_counter() - started)
    result["stale_index"] = stale
    (out_dir / "report.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    (out_dir / "report.md").write_text(render_markdown(result), encoding="utf-8")
    plot_report(result, out_dir / "report.png")
    log.info("报告已写入 %s", out_dir)
    print(summary_table(result))
    return 1 if check_targets and not result["targets_met"] else 0
