"""Every built-in job, one sweep each, as a user types it: best CV and test metric, wall time, and
for the regressions the noise floor beside the test MSE, against the "Jobs" issue's targets.

    python benchmarks/jobs.py --out benchmarks/results/jobs            # about 35 minutes on 2 cores
    python benchmarks/jobs.py --jobs linear,sine --out /tmp/jobs       # some of them

Each sweep is its own process (``python -m tune_jobs run --job NAME --workers 2``, the job's
default space; fashion-mlp with ``--smoke``: its default grid is the hour-long seed grid,
measured in BENCHMARKS.md section 8). The table goes to stdout and to ``<out>/jobs.txt``; each
run directory stays under ``<out>/runs``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MLP_GRID_WALL_S = 3600  # the seed's full grid on this machine with --workers 2 (BENCHMARKS.md section 8)
MLP_GRID_TEST = 0.8904  # its refit's test accuracy
EXTRA = {"fashion-mlp": ["--smoke"]}


def target(name: str, summary: dict) -> str:
    """The issue's target for ``name``, and whether this run met it, with the measured figure."""
    test, floor, wall = summary["test_score"], summary.get("noise_variance"), summary["wall_s"]
    if test is None:
        return "no test score (refit failed)"
    if name in ("linear", "free-fall"):
        ratio = test / floor
        return f"test MSE <= 1.2 x noise variance: {ratio:.3f} x -> {'met' if ratio <= 1.2 else 'NOT met'}"
    if name == "sine":
        return f"test MSE < 1e-3: {test:.2e} -> {'met' if test < 1e-3 else 'NOT met'}"
    if name == "fashion-cnn":
        met = test > MLP_GRID_TEST and wall <= MLP_GRID_WALL_S
        return (f"test accuracy > {MLP_GRID_TEST} in <= {MLP_GRID_WALL_S} s: {test:.4f} in {wall:.0f} s "
                f"-> {'met' if met else 'NOT met'}")
    return "no target (the smoke sweep shows the job runs)"


def main() -> int:
    from tune_jobs.jobs import JOBS

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", default=",".join(JOBS))
    p.add_argument("--out", required=True)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    out = Path(args.out).resolve()
    lines = [f"{'job':<12} {'metric':<9} {'best CV':>10} {'test':>10} {'noise floor':>12} {'wall s':>7} "
             f"{'trials':>6}  target"]
    for name in args.jobs.split(","):
        runs = out / "runs" / name
        started = time.monotonic()
        command = [sys.executable, "-m", "tune_jobs", "run", "--job", name, "--workers", str(args.workers),
                   "--out", str(runs), *EXTRA.get(name, [])]
        print("$", " ".join(command[1:]), flush=True)
        code = subprocess.run(command, cwd=ROOT).returncode
        [run_dir] = sorted(runs.iterdir())[-1:]
        summary = json.loads((run_dir / "summary.json").read_text())
        metric = summary["objective"]["metric"]
        floor = summary.get("noise_variance")
        lines.append(f"{name:<12} {metric:<9} {summary['best_score']:>10.4g} {summary['test_score']:>10.4g} "
                     f"{'-' if floor is None else f'{floor:.4g}':>12} {summary['wall_s']:>7.0f} "
                     f"{summary['n_trials']:>6}  {target(name, summary)}"
                     + ("" if code == 0 else f"  (exit code {code})"))
        print(lines[-1], f"(process: {time.monotonic() - started:.0f} s)", flush=True)
    table = "\n".join(lines) + "\n"
    (out / "jobs.txt").write_text(table)
    print("\n" + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
