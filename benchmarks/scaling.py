"""Issue 5: how the wall time of one reduced grid falls with workers and nodes, side by side.

    python benchmarks/scaling.py [--space benchmarks/reduced_grid.yaml] [--max-train-samples 12000] [--repeats 1]

Three ways to run the same sweep, in turn: 1 worker on the local Ray; 2 workers on the local Ray;
2 workers on a cluster of two single-CPU Ray nodes on this machine (`ray start --head` and
`ray start --address`, token authentication). Prints each sweep's wall time (summary.json's
wall_s, Ray's start excluded) and its ratio to the 1-worker run; 0.5 is ideal on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tune_jobs.engine.local_cluster import start_cluster  # noqa: E402


def sweep(space: Path, n: int, workers: int, out: Path, address: str | None = None) -> dict:
    command = [sys.executable, "-m", "tune_jobs.fashion", "--space", str(space), "--workers", str(workers),
               "--max-train-samples", str(n), "--no-refit", "--out", str(out)]
    subprocess.run(command + (["--address", address] if address else []), check=True, stdout=subprocess.DEVNULL,
                   env=os.environ.copy())
    run_dir = max(out.iterdir(), key=lambda p: p.stat().st_mtime)
    summary = json.loads((run_dir / "summary.json").read_text())
    from tune_jobs.records.rundir import read_csv

    nodes = {row["node"] for row in read_csv(run_dir / "trials.csv")}
    return {"wall_s": summary["wall_s"], "trial_s": summary["trial_time_s"], "nodes": len(nodes)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--space", type=Path, default=HERE / "reduced_grid.yaml")
    p.add_argument("--max-train-samples", type=int, default=12000)
    p.add_argument("--repeats", type=int, default=1)
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tj-scale-", dir="/tmp"))
    os.environ["RAY_TMPDIR"] = str(root / "ray")
    (root / "ray").mkdir()
    results: dict[str, list[dict]] = {"1 worker": [], "2 workers": [], "2 nodes x 1 CPU": []}
    try:
        for repeat in range(args.repeats):
            results["1 worker"].append(sweep(args.space, args.max_train_samples, 1, root / f"w1-{repeat}"))
            results["2 workers"].append(sweep(args.space, args.max_train_samples, 2, root / f"w2-{repeat}"))
            os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(16))
            address, nodes = start_cluster(root / f"cluster-{repeat}", nodes=2, cpus=1)
            try:
                results["2 nodes x 1 CPU"].append(
                    sweep(args.space, args.max_train_samples, 2, root / f"n2-{repeat}", address))
            finally:
                for node in reversed(nodes):
                    node.stop()
                for key in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN"):
                    os.environ.pop(key)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    base = statistics.median(r["wall_s"] for r in results["1 worker"])
    print(f"{args.space.name}, {args.max_train_samples} images, {args.repeats} repeat(s); "
          f"sweep wall time (median) and its ratio to 1 worker (ideal on 2 cores: 0.5)")
    for name, runs in results.items():
        wall = statistics.median(r["wall_s"] for r in runs)
        trial = statistics.median(r["trial_s"] for r in runs)
        print(f"  {name:16s} wall {wall:7.1f} s  ratio {wall / base:.3f}  sum of trial times {trial:7.1f} s  "
              f"nodes used {max(r['nodes'] for r in runs)}")


if __name__ == "__main__":
    main()
