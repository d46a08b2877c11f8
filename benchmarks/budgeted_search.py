"""A compute-budgeted sampling run, as the comparison of section 5 runs each of its nine, with
today's code against an older commit's, side by side:

    python benchmarks/budgeted_search.py --before 7c3767e --pairs 2 --out benchmarks/results/budgeted-search

Each side is a whole ``python -m tune_jobs run`` process: the seed's grid space, SEARCHERS
(default random and optuna) with search seed 0, 6,000 training images, 4 epochs, 3 folds,
``--budget 432`` (a quarter of the grid's compute), ``--workers 2``, no refit. The older side
runs from a git worktree of ``--before`` with this checkout's virtual environment, started in the
worktree (``python -m`` imports from its working directory first); the sides alternate. It prints
each run's wall time (summary.json), the sum of its trials' times, its best CV score and trials,
and the medians' ratios today / before, and writes them to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--space", "search_spaces/fashion_grid.yaml", "--max-train-samples", "6000", "--epochs", "4",
        "--budget", "432", "--workers", "2", "--no-refit", "--seed", "0"]


def run(side: str, searcher: str, pair: int, work: Path, before: Path) -> dict:
    """One whole process; its summary's figures."""
    out = work / f"{side}-{searcher}-{pair}"
    env = {**os.environ, "RAY_TMPDIR": str(work / f"ray-{side}-{pair}")}
    Path(env["RAY_TMPDIR"]).mkdir(parents=True, exist_ok=True)
    # ``python -m`` puts its working directory first on sys.path, before PYTHONPATH and this
    # checkout's editable install, and Ray's workers get the driver's sys.path: each side runs in
    # the checkout whose code it measures.
    subprocess.run([sys.executable, "-m", "tune_jobs", "run", "--searcher", searcher, *ARGS, "--out", str(out)],
                   cwd=before if side == "before" else ROOT, env=env, check=True, capture_output=True)
    version = subprocess.run([sys.executable, "-c", "import tune_jobs; print(tune_jobs.__file__)"],
                             cwd=before if side == "before" else ROOT, capture_output=True, text=True).stdout
    assert version.startswith(str(before if side == "before" else ROOT)), version  # the code it claims to run
    [summary_path] = out.glob("*/summary.json")
    summary = json.loads(summary_path.read_text())
    return {"side": side, "searcher": searcher, "pair": pair, "wall_s": summary["wall_s"],
            "trial_time_s": summary["trial_time_s"], "best": summary["best_score"],
            "trials": summary["n_trials"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", required=True, help="the older commit")
    p.add_argument("--pairs", type=int, default=2)
    p.add_argument("--searchers", default="random,optuna")
    p.add_argument("--out", default="benchmarks/results/budgeted-search")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tj-budgeted-"))
    before = work / "before"
    subprocess.run(["git", "worktree", "add", "-q", "--detach", str(before), args.before], cwd=ROOT, check=True)
    runs = []
    try:
        for pair in range(args.pairs):
            for searcher in args.searchers.split(","):
                for side in (("before", "today") if pair % 2 == 0 else ("today", "before")):
                    runs.append(run(side, searcher, pair, work, before))
                    r = runs[-1]
                    print(f"pair {pair} {searcher:7s} {side:6s}: wall {r['wall_s']:6.1f} s, trials' time "
                          f"{r['trial_time_s']:6.1f} s, best {r['best']:.4f}, {r['trials']} trials", flush=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT, check=False)
    ratios = {}
    for searcher in args.searchers.split(","):
        for key in ("wall_s", "trial_time_s"):
            side = {s: statistics.median(r[key] for r in runs if r["side"] == s and r["searcher"] == searcher)
                    for s in ("before", "today")}
            ratios[f"{searcher} {key}"] = side["today"] / side["before"]
            print(f"{searcher}, {key}: median before {side['before']:.1f} s, today {side['today']:.1f} s, "
                  f"today / before {ratios[f'{searcher} {key}']:.3f}")
    out = ROOT / args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "budgeted-search.json").write_text(json.dumps(
        {"command": " ".join(sys.argv), "before": args.before, "args": ARGS, "runs": runs, "ratios": ratios},
        indent=2) + "\n")
    print(f"runs kept in {work}")


if __name__ == "__main__":
    main()
