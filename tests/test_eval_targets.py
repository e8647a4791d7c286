"""The full eval on eval/data/dev.jsonl with the default configuration, in CI.

Targets the default configuration meets are asserted as they are stated in the eval issue.
Citation precision and recall are below their 0.90 targets (0.897 on dev.jsonl, see the
README); for them this test guards the level reached so far, so a regression still fails, and
the report states the target as missed. The held-out sets have no targets of their own (the
figures are lower: they were not tuned on); each is guarded at the level reached, one question below.
"""
from __future__ import annotations

import json

import pytest

from eval.run import run_eval
from policyqa.config import PROJECT_ROOT

DEV = PROJECT_ROOT / "eval" / "data" / "dev.jsonl"
HOLDOUT = PROJECT_ROOT / "eval" / "data" / "holdout.jsonl"
HOLDOUT2 = PROJECT_ROOT / "eval" / "data" / "holdout2.jsonl"
HOLDOUT3 = PROJECT_ROOT / "eval" / "data" / "holdout3.jsonl"

MET = {"recall@5": (">=", 0.95), "mrr@10": (">=", 0.85), "refusal_rate": (">=", 0.90),
       "false_refusal_rate": ("<=", 0.05), "non_verbatim_quotes": ("<=", 0)}
#: Not yet at the 0.90 target; the level reached so far must not drop.
FLOORS = {"citation_precision": 0.88, "citation_recall": 0.88}


def test_default_configuration_on_dev_set(index_config, tmp_path):
    code = run_eval(index_config, DEV, tmp_path, compare=False, check_targets=False)
    assert code == 0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    overall = report["systems"][report["default_system"]]["overall"]
    print(json.dumps({k: overall.get(k) for k in [*MET, *FLOORS]}, indent=1))
    for name, (op, goal) in MET.items():
        value = overall[name]
        assert (value >= goal if op == ">=" else value <= goal), f"{name} = {value}, target {op} {goal}"
    for name, floor in FLOORS.items():
        assert overall[name] >= floor, f"{name} fell to {overall[name]} (was ≥ {floor})"
    missed = {t["metric"] for t in report["targets"] if not t["passed"]}
    assert missed <= set(FLOORS), f"targets missed: {missed}"


HOLDOUT_FLOORS = {
    #: holdout.jsonl (38 answerable, 12 not), measured 0.868 / 0.762 / 0.641 / 0.658 / 0.833 / 0.026:
    #: one question less each.
    HOLDOUT: {"recall@5": (">=", 0.84), "mrr@10": (">=", 0.73), "citation_precision": (">=", 0.61),
              "citation_recall": (">=", 0.63), "refusal_rate": (">=", 0.75), "false_refusal_rate": ("<=", 0.053),
              "non_verbatim_quotes": ("<=", 0)},
    #: holdout2.jsonl (45 answerable, 15 not), measured 0.933 / 0.761 / 0.604 / 0.644 / 0.733 / 0.022.
    HOLDOUT2: {"recall@5": (">=", 0.91), "mrr@10": (">=", 0.73), "citation_precision": (">=", 0.58),
               "citation_recall": (">=", 0.62), "refusal_rate": (">=", 0.66), "false_refusal_rate": ("<=", 0.045),
               "non_verbatim_quotes": ("<=", 0)},
    #: holdout3.jsonl (33 answerable, 12 not), measured 0.970 / 0.907 / 0.824 / 0.849 / 0.833 / 0.030.
    HOLDOUT3: {"recall@5": (">=", 0.93), "mrr@10": (">=", 0.87), "citation_precision": (">=", 0.79),
               "citation_recall": (">=", 0.81), "refusal_rate": (">=", 0.75), "false_refusal_rate": ("<=", 0.061),
               "non_verbatim_quotes": ("<=", 0)},
}


@pytest.mark.parametrize("path", list(HOLDOUT_FLOORS), ids=lambda p: p.name)
def test_default_configuration_on_held_out_sets(index_config, tmp_path, path):
    run_eval(index_config, path, tmp_path, compare=False, check_targets=False)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    overall = report["systems"][report["default_system"]]["overall"]
    for name, (op, goal) in HOLDOUT_FLOORS[path].items():
        value = overall[name]
        assert (value >= goal if op == ">=" else value <= goal), f"{path.name} {name} = {value}, floor {op} {goal}"
