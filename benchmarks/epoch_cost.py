"""Seconds per epoch x fold of finished runs' trials, by searcher: what a run's trials cost per
unit of compute, and how much of a trial's time lies outside its folds' fits (a trial's start,
slicing the data, building the models).

    python benchmarks/epoch_cost.py RUN_DIR [RUN_DIR ...] [--epochs 15] [--breakdown] [--by-run]
    python benchmarks/epoch_cost.py FIRST_RUN_DIR SECOND_RUN_DIR --same-configs

Read with the report's own reader (``records.runs``): for all its ended trials,
and for those that trained ``--epochs`` epochs (trials of the same length compare their per-epoch
cost without the first epoch's tracing weighing more in short ones). BENCHMARKS.md, section 13c.

``--breakdown`` (section 14d) adds, per searcher: the fit seconds per epoch x fold for each value of
each hyperparameter; the median epoch of the first fold and of the others in one-epoch trials (the
first pays a trace where the model's shape is new to its process); and, where a run directory
still has Ray's trial folders (``tune/``, whose results name the trial's process), how many trials
were the first of their model shape in their process (the shape: the configuration without
``lr``, ``batch_size`` and ``epochs``, which ``kept_models`` does not key on), how many met a
shape their process had seen before, and of those how many ``kept_models``' cache (replayed in
the trials' order) had let go -- replayed over all the runs given at once, in time order: a
comparison's runs share one Ray session, whose trial processes outlive each run (``warm_workers``);
each trial's set-up before its first report (section 14e: the trials whose process was new to
the Ray session, TensorFlow imported there); and, by each trial's last report, its seconds in
``train_folds`` outside its folds' fits and Tune's share of its time (section 14e: where ASHA's
wall time goes).

``--by-run`` (section 14g): the first table a line per run, not per searcher (a comparison's runs in
their order: what a trial costs as the Ray session's processes age).

``--same-configs`` (section 15b), for two runs: the configurations both trained to the same epochs,
and the second run's summed trial time over the first's on them (the same work, two days' code).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import OrderedDict, defaultdict
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
SLOW_SETUP_S = 3.0  # a set-up this long imported TensorFlow: the trial's process was new
sys.path.insert(0, str(ROOT))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+")
    p.add_argument("--epochs", type=int, default=15, help="trials of this many epochs, apart (default: 15)")
    p.add_argument("--breakdown", action="store_true", help="by hyperparameter value, first fold, model shape")
    p.add_argument("--by-run", action="store_true", help="a line per run instead of per searcher")
    p.add_argument("--same-configs", action="store_true",
                   help="two runs: trial time on the configurations both trained to the same epochs")
    args = p.parse_args()
    from tune_jobs.records.results import per_fold
    from tune_jobs.records.runs import load_runs

    if args.same_configs:
        if len(args.runs) != 2:
            p.error("--same-configs compares two runs")
        return same_configs(*load_runs(args.runs, allow_partial=True))  # runs cut at a wall time too

    groups: dict[str, list[dict]] = defaultdict(list)
    reports: list[tuple[str, TrialReports]] = []  # (searcher, a trial's reports) of every run
    for run in load_runs(args.runs):
        params = [p for p in run.spec.columns if p != "epochs"]
        for row in run.rows:
            if row["status"] in ("ok", "stopped") and row["epochs"]:
                folds = per_fold(row, "fold_fit_s") or [0.0]
                group = run.path.name if args.by_run else run.label
                groups[group].append({"epochs": int(row["epochs"]), "cv": run.settings.cv, "time": float(row["time_s"]),
                                      "folds": folds, "fit": sum(folds), "values": {p: row.get(p, "") for p in params}})
        if args.breakdown:
            reports += [(run.label, trial) for trial in trial_reports(run.path / "tune")]
    shapes = shape_counts(reports)
    width = max(14, *(len(label) for label in groups))
    print(f"{'run' if args.by_run else 'searcher':{width}s} {'trials':>6s} {'epochs x folds':>14s} {'s / epoch x fold':>16s} "
          f"{'fit s / epoch x fold':>20s} {'s outside fits / trial':>22s} {f'fit s / epoch x fold, {args.epochs}-epoch trials (n)':>40s}")
    for label, rows in groups.items():
        compute = sum(r["epochs"] * r["cv"] for r in rows)
        long = [r for r in rows if r["epochs"] == args.epochs]
        long_fit = sum(r["fit"] for r in long) / max(1, sum(r["epochs"] * r["cv"] for r in long))
        print(f"{label:{width}s} {len(rows):6d} {compute:14d} {sum(r['time'] for r in rows) / compute:16.3f} "
              f"{sum(r['fit'] for r in rows) / compute:20.3f} {sum(r['time'] - r['fit'] for r in rows) / len(rows):22.2f} "
              f"{f'{long_fit:.3f} ({len(long)})':>40s}")
    if args.breakdown:
        for label, rows in groups.items():
            breakdown(label, rows, shapes.get(label), [trial for of, trial in reports if of == label])
    return 0


def same_configs(first, second) -> int:
    """The trials of the same configuration and epochs in both runs: their time, second over first."""
    from tune_jobs.records.results import config_of

    def times(run) -> dict[str, float]:
        return {repr(sorted(config_of(row, run.spec).items())) + f" x {row['epochs']}": float(row["time_s"])
                for row in run.rows if row["status"] in ("ok", "stopped") and row["epochs"]}

    before, after = times(first), times(second)
    common = sorted(before.keys() & after.keys())
    if not common:
        print("no configuration trained to the same epochs in both runs")
        return 1
    total_before, total_after = sum(before[k] for k in common), sum(after[k] for k in common)
    print(f"{len(common)} configurations trained to the same epochs in both ({len(before)} / {len(after)} trials): "
          f"{total_before:.1f} s / {total_after:.1f} s of trial time, second over first {total_after / total_before:.3f}")
    return 0


def breakdown(label: str, rows: list[dict], shapes: list[int] | None, trials: list[TrialReports]) -> None:
    print(f"\n{label}: fit s per epoch x fold by value")
    for param in rows[0]["values"]:
        cost: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        for r in rows:
            cost[r["values"][param]][0] += r["fit"]
            cost[r["values"][param]][1] += r["epochs"] * r["cv"]
        print(f"  {param}: " + ", ".join(f"{v} {f / n:.3f} ({n})" for v, (f, n) in sorted(cost.items())))
    short = [r["folds"] for r in rows if r["epochs"] == 1 and len(r["folds"]) > 1]
    if short:
        print(f"  one-epoch trials ({len(short)}): median epoch of the first fold {statistics.median(f[0] for f in short):.3f} s, "
              f"of the others {statistics.median(v for f in short for v in f[1:]):.3f} s")
    if shapes and sum(shapes):
        print(f"  trials the first of their model shape in their process: {shapes[0]}; "
              f"of a shape their process had seen: {shapes[1]} ({shapes[2]} of them after kept_models let it go)")
    if trials:
        setups = [t.setup_s for t in trials]
        slow = [s for s in setups if s > SLOW_SETUP_S]
        print(f"  set-up before the first report (its seconds less the folds' fits): median {statistics.median(setups):.2f} s; "
              f"{len(slow)} trials over {SLOW_SETUP_S:g} s ({sum(slow):.1f} s in all: a process new to the Ray session)")
        outside = [t.outside_fits_s for t in trials]
        print(f"  a trial's seconds in train_folds outside its folds' fits, by its last report: median "
              f"{statistics.median(outside):.2f} s, {sum(outside):.1f} s over {len(outside)} trials; Tune's and the "
              f"relay's share (its time by Tune's clock less train_folds'): median "
              f"{statistics.median(t.tune_s for t in trials):.3f} s")


class TrialReports(NamedTuple):
    """What a trial's results in Ray's trial folder say of its cost."""

    first_at: float  # when it first reported
    process: int  # the process that trained it
    shape: tuple  # the configuration without ``lr``, ``batch_size`` and ``epochs`` (``kept_models`` keys on the rest)
    setup_s: float  # its seconds before its first report less its folds' fits (a new process imports TensorFlow)
    outside_fits_s: float  # by its last report: ``train_folds``' seconds less its folds' fits (validations included)
    tune_s: float  # by its last report: its time by Tune's clock less ``train_folds``' own


def _outside_fits(result: dict) -> float:
    return result.get("train_time_s", 0.0) - sum(result.get("fold_fit_s", []))


def trial_reports(tune_dir: Path) -> list[TrialReports]:
    """Per trial, from Ray's trial folders (none where the run directory has none)."""
    found = []
    for result in tune_dir.glob("*/result.json"):
        lines = [json.loads(line) for line in result.read_text().splitlines() if line.strip()]
        if lines:
            first, last = lines[0], lines[-1]
            config = first.get("config") or json.loads((result.parent / "params.json").read_text())
            shape = tuple(sorted((k, str(v)) for k, v in config.items() if k not in ("lr", "batch_size", "epochs")))
            found.append(TrialReports(first["timestamp"], first.get("train_pid", first["pid"]), shape,
                                      _outside_fits(first), _outside_fits(last),
                                      last.get("time_total_s", 0.0) - last.get("train_time_s", 0.0)))
    return found


def shape_counts(reports: list[tuple[str, TrialReports]]) -> dict[str, list[int]]:
    """Per searcher: [trials first of their shape in their process, trials of a shape seen there
    before, of those the ones ``kept_models``' least-recently-used cache of ``KEEP`` shapes had
    let go], the trials of all runs replayed together in time order (a process may have served
    an earlier run)."""
    from tune_jobs.engine import kept_models

    seen: dict[int, set] = defaultdict(set)
    kept: dict[int, OrderedDict] = defaultdict(OrderedDict)  # kept_models' cache, replayed per process
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for label, (_, process, shape, *_) in sorted(reports, key=lambda r: r[1].first_at):
        if shape in seen[process]:
            counts[label][1] += 1
            counts[label][2] += shape not in kept[process]
        else:
            counts[label][0] += 1
            seen[process].add(shape)
        kept[process][shape] = True
        kept[process].move_to_end(shape)
        while len(kept[process]) > kept_models.KEEP:
            kept[process].popitem(last=False)
    return counts


if __name__ == "__main__":
    sys.exit(main())
