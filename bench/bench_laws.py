"""The bench corpus as a real workload (issue 14, item 3); prints figures, no pass/fail.

    .venv/bin/python bench/bench_laws.py --fraction 0.02 [--mix] [--out /tmp/bench-laws.json]
    .venv/bin/python bench/bench_laws.py --files LIST --mix --reuse-index /tmp/index26   # a chosen set

1. unpacks ../shared/bench-corpus/lawrefbook-laws-*.tar.xz under /tmp (never into the repository)
   and picks a stated fraction of its 3,502 Markdown files (a fixed hash of each path, so the same
   fraction is the same files), or the files listed in ``--files`` (paths relative to the archive);
2. ingests them (with data/policies too, ``--mix``) into a fresh index in a subprocess
   (``policyqa ingest``): wall time, CPU seconds, peak memory (the child's max RSS, and the
   sampled peak PSS of it and its forked encoders), characters
   per CPU-second, index size on disk; and extrapolates CPU time and size to the whole corpus
   (~20 M characters) at the measured rate, which the report says is an extrapolation (the CPU
   time includes the child's start and model load, ~20 CPU-seconds, which dominates a sample of a
   few files: one 269-character law gave 12 characters per CPU-second);
   ``--reuse-index`` starts from a copy of an existing index of data/policies, so only the new
   files are embedded;
3. ``search`` and ``ask`` p50/p95 over the questions of eval/data/*.jsonl;
4. with ``--mix``, the scores of eval/data/set26.jsonl and holdout4.jsonl (answer recall,
   first-quote precision, first quotes from a local rule for questions that name no place), with
   the preference step (retriever/preference.py) on and off.

Ingest here runs at only a few hundred characters per CPU-second, so a fraction of 1–5 % is what
fits; the whole corpus is ``--fraction 1``. Never needed by the test suite.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

log = logging.getLogger("bench_laws")
ARCHIVE = ROOT.parent / "shared" / "bench-corpus" / "lawrefbook-laws-2f4c5c2.tar.xz"
UNPACKED = Path(tempfile.gettempdir()) / "lawrefbook-laws"
MIX_SETS = ("set26.jsonl", "holdout4.jsonl")


def unpack(archive: Path, dest: Path) -> Path:
    """The archive unpacked into ``dest`` (once; a marker file says it is complete)."""
    marker = dest / ".unpacked"
    if not marker.exists():
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
        marker.write_text(archive.name, encoding="utf-8")
    return dest


def law_files(root: Path) -> list[Path]:
    """Every law of the corpus (the category pages ``_index.md`` are not documents)."""
    return sorted(p for p in root.rglob("*.md") if p.name != "_index.md")


def sample(files: list[Path], root: Path, fraction: float) -> list[Path]:
    """About ``fraction`` of ``files``: those whose path hashes below it (stable across runs)."""
    def share(p: Path) -> float:
        return int(hashlib.sha256(str(p.relative_to(root)).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return [p for p in files if share(p) < fraction]


def link_corpus(files: list[Path], root: Path, dest: Path, extra: list[Path] = ()) -> Path:
    """A corpus folder of symbolic links (the archive's folders kept, so equal names do not clash)."""
    shutil.rmtree(dest, ignore_errors=True)
    for p in files:
        target = dest / p.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(p)
    for p in extra:
        dest.mkdir(parents=True, exist_ok=True)
        (dest / p.name).symlink_to(p)
    return dest


def characters(files: list[Path]) -> int:
    from ingest.loaders import LoadError, load_document

    total = 0
    for p in files:
        try:
            total += len(load_document(p).text)
        except LoadError:
            pass
    return total


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def _tree_pss_kb(pid: int) -> int:
    """Proportional set size of ``pid`` and its children (Linux): memory the tree really holds,
    pages a fork shares counted once (a forked encoder's max RSS would count the model twice)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
            total += next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue  # it ended meanwhile
    return total


def ingest(corpus: Path, index: Path) -> dict:
    """``policyqa ingest`` in a child process: wall, CPU and peak memory of that child (its max
    RSS, and the sampled peak of the PSS of it and its forked encoders together)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # output to files, not pipes: a pipe nobody reads while sampling would fill and stall the ingest
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([sys.executable, "-m", "policyqa.cli", "ingest", "--quiet", "--corpus", str(corpus),
                                  "--index", str(index)], cwd=ROOT, stdout=out, stderr=err, text=True)
        peak_pss = 0
        while child.poll() is None:
            peak_pss = max(peak_pss, _tree_pss_kb(child.pid))
            time.sleep(0.5)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode:
        raise SystemExit(f"ingest failed:\n{stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = [line for line in stdout.splitlines() if line.strip()]
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_mb": round(after.ru_maxrss / 1024),
            "peak_pss_mb": round(peak_pss / 1024), "summary": summary[-12:]}


def percentiles(values: list[float]) -> dict:
    values = sorted(values)
    pick = lambda p: values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]  # noqa: E731
    return {"p50_ms": round(pick(50), 1), "p95_ms": round(pick(95), 1), "n": len(values)}


def questions(names: list[str]) -> list[dict]:
    """The questions of each file: a name in eval/data (set26.jsonl) or a path to the file."""
    from eval.run import load_questions

    return [q for name in names
            for q in load_questions(Path(name) if Path(name).is_file() else ROOT / "eval" / "data" / name)]


def latencies(qa, qs: list[dict]) -> dict:
    qa.ask("教师的工资待遇有什么规定？")  # warm up
    search, ask = [], []
    for q in qs:
        t = time.perf_counter()
        qa.search(q["question"])
        search.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        qa.ask(q["question"])
        ask.append((time.perf_counter() - t) * 1000)
    return {"search": percentiles(search), "ask": percentiles(ask)}


def mixed_scores(qa, qs: list[dict]) -> dict:
    """Answer recall and first-quote precision over the answerable questions, and how many first
    quotes come from a local rule although the question names no place."""
    from eval.metrics import quote_matches_gold
    from ingest.jurisdiction import PLACE_KINDS

    answerable = [q for q in qs if q["answerable"]]
    answered = right_first = local_first = 0
    for q in answerable:
        data = qa.ask(q["question"]).to_dict()
        if data["refused"] or not data["citations"]:
            continue
        answered += 1
        first = data["citations"][0]
        right_first += quote_matches_gold(first["quote"], q["gold"])
        names_place = any(p in q["question"] for p in PLACE_KINDS) or any(s in q["question"] for s in ("省", "市"))
        local_first += bool(first.get("region")) and not names_place
    n = len(answerable)
    return {"answerable": n, "answer_recall": round(answered / n, 3), "first_quote_precision": round(right_first / n, 3),
            "local_first_quotes_without_place": local_first}


def main(argv: list[str] | None = None) -> int:
    from eval.train_ranker import TRAIN_SETS

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archive", type=Path, default=ARCHIVE)
    parser.add_argument("--unpacked", type=Path, default=UNPACKED, help="where to unpack it (under /tmp)")
    parser.add_argument("--fraction", type=float, default=0.02)
    parser.add_argument("--files", type=Path, help="a list of archive paths, one a line, instead of --fraction")
    parser.add_argument("--mix", action="store_true", help="also ingest data/policies and score the eval sets")
    parser.add_argument("--reuse-index", type=Path, help="copy this index of data/policies first (only new files embedded)")
    parser.add_argument("--index", type=Path, default=None, help="index folder (default: a new temporary one)")
    # by default the ranker's training sets, never a sealed one, which is run once, by hand
    parser.add_argument("--questions", nargs="*", default=[f"{name}.jsonl" for name in TRAIN_SETS],
                        help="question files: names in eval/data or paths")
    parser.add_argument("--n", type=int, default=60, help="questions timed for search/ask latency")
    parser.add_argument("--skip-ingest", action="store_true", help="measure an index built before (--index)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    root = unpack(args.archive, args.unpacked)
    everything = law_files(root)
    if args.files:
        listed = [line.strip() for line in args.files.read_text(encoding="utf-8").splitlines()]
        chosen = [root / line for line in listed if line and Path(line).name != "_index.md"]
    else:
        chosen = sample(everything, root, args.fraction)
    extra = sorted((ROOT / "data" / "policies").glob("*.txt")) if args.mix else []
    work = Path(tempfile.mkdtemp(prefix="bench-laws-"))
    corpus = link_corpus(chosen, root, work / "corpus", extra)
    index = args.index or work / "index"
    if args.reuse_index and not args.skip_ingest:
        shutil.rmtree(index, ignore_errors=True)
        shutil.copytree(args.reuse_index, index)
    chars = characters(chosen)
    report = {"files": len(chosen), "of_files": len(everything), "characters": chars,
              "load_average": os.getloadavg(), "cpus": os.cpu_count(), "mixed_with_default_corpus": args.mix}
    log.info("%d of %d files, %d characters%s", len(chosen), len(everything), chars, " + data/policies" if args.mix else "")
    if not args.skip_ingest:
        report["ingest"] = ingest(corpus, index)
        rate = chars / max(report["ingest"]["cpu_s"], 1e-9)
        total = characters(everything) if args.fraction < 1 or args.files else chars
        report["ingest"]["chars_per_cpu_s"] = round(rate)
        report["extrapolated_whole_corpus"] = {
            "characters": total, "cpu_hours": round(total / rate / 3600, 1),
            "note": "at the measured rate; embedding dominates and scales with characters"}
    from policyqa.config import Config
    from policyqa.qa import PolicyQA
    from retriever import store

    build = store.read_current(index)
    report["index_mb"] = round(du(build) / 2**20, 1)
    qa = PolicyQA(Config.load(index_dir=index, corpus_dir=corpus)).load()
    report["chunks"] = len(qa.index.chunks)
    if report.get("extrapolated_whole_corpus"):
        report["extrapolated_whole_corpus"]["index_mb"] = round(report["index_mb"] * report["extrapolated_whole_corpus"]["characters"] / max(chars, 1))
    qs = questions(args.questions)
    step = max(1, len(qs) // args.n)
    report["latency"] = latencies(qa, qs[::step][: args.n])
    if args.mix:
        mix = questions(list(MIX_SETS))
        report["scores_preference_on"] = mixed_scores(qa, mix)
        off = PolicyQA(Config.load(index_dir=index, corpus_dir=corpus, local_weight=1.0, superseded_weight=1.0),
                       embedder=qa.embedder).load()
        report["scores_preference_off"] = mixed_scores(off, mix)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
