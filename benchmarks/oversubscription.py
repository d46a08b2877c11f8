"""More trials than cores, and two sweeps at once, on this machine: what they cost.

    python benchmarks/oversubscription.py --pairs 2 --out benchmarks/results/oversubscription

Side by side in one run, whole processes of `python -m tune_jobs.fashion`, alternating:
(a) 8 configurations of the seed's grid (12,000 images, 3 folds, 3 epochs) with `--workers` = cores
against `--workers 8`; (b) one `--smoke` run alone against two started together, and two started
together with `--cpus` = half the cores each. Prints the times and ratios; writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPACE = Path(__file__).resolve().parent / "eight_configs.yaml"


def sweep(*args: str, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "tune_jobs.fashion", "--no-refit", "--out", str(out), *args]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "RAY_TMPDIR": tempfile.mkdtemp(prefix="tj-", dir="/tmp")})


def timed(*processes: subprocess.Popen) -> float:
    began = time.monotonic()
    for process in processes:
        assert process.wait() == 0
    return time.monotonic() - began


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=2)
    p.add_argument("--out", default="benchmarks/results/oversubscription")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = Path(tempfile.mkdtemp(prefix="oversubscription-"))
    cores = os.cpu_count() or 1
    eight = ["--space", str(SPACE), "--max-train-samples", "12000"]
    figures: dict[str, list[float]] = {"workers=cores": [], "workers=8": [], "smoke alone": [],
                                        "two smoke at once": [], "two smoke at once, --cpus half each": []}
    for pair in range(args.pairs):
        order = ["workers=cores", "workers=8"] if pair % 2 == 0 else ["workers=8", "workers=cores"]
        for name in order:
            workers = str(cores) if name == "workers=cores" else "8"
            figures[name].append(timed(sweep(*eight, "--workers", workers, out=runs)))
            print(f"pair {pair}: {name:14s} {figures[name][-1]:6.1f} s", flush=True)
        figures["smoke alone"].append(timed(sweep("--smoke", out=runs)))
        figures["two smoke at once"].append(timed(sweep("--smoke", out=runs), sweep("--smoke", out=runs)))
        half = str(max(1, cores // 2))
        figures["two smoke at once, --cpus half each"].append(timed(
            sweep("--smoke", "--cpus", half, "--workers", half, out=runs),
            sweep("--smoke", "--cpus", half, "--workers", half, out=runs)))
        for name in ("smoke alone", "two smoke at once", "two smoke at once, --cpus half each"):
            print(f"pair {pair}: {name:36s} {figures[name][-1]:6.1f} s", flush=True)
    ratios = {
        "workers=8 / workers=cores": [b / a for a, b in zip(figures["workers=cores"], figures["workers=8"])],
        "two smoke at once / one alone": [b / a for a, b in zip(figures["smoke alone"], figures["two smoke at once"])],
        "two smoke, --cpus half each / two smoke": [
            b / a for a, b in zip(figures["two smoke at once"], figures["two smoke at once, --cpus half each"])],
    }
    for name, values in ratios.items():
        print(f"{name}: {', '.join(f'{v:.2f}' for v in values)}")
    (out / "oversubscription.json").write_text(json.dumps(
        {"command": " ".join(sys.argv), "when": time.strftime("%Y-%m-%d %H:%M:%S"), "cores": cores,
         "seconds": figures, "ratios": ratios}, indent=2) + "\n")


if __name__ == "__main__":
    main()
