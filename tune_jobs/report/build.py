"""The grid-versus-search report of finished run directories.

    python -m tune_jobs.report runs/fashion-grid-... runs/fashion-grid-...-optuna --out reports/grid-vs-optuna

Writes report.html (self-contained: opens offline, from a file), report.md and CSV files of
every table into ``--out``. Runs that did not finish are refused unless ``--partial``.
"""

from __future__ import annotations

import argparse
import html
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from tune_jobs.report import anytime
from tune_jobs import cli
from tune_jobs.report import comparison
from tune_jobs.records import rundir
from tune_jobs.errors import BadInput
from tune_jobs.report.importance import fanova, per_value, varied
from tune_jobs.report.page import (
    curves_svg,
    page,
    parallel_coordinates_html,
    table_html,
    table_md,
)
from tune_jobs.jobs.objective import Objective
from tune_jobs.records.results import column_of, number, score
from tune_jobs.records.runs import Run, load_runs

HTML, MARKDOWN = "report.html", "report.md"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tune_jobs.report", description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories of tune_jobs.fashion")
    p.add_argument("--out", help="folder of the report (default: reports/report-<time>)")
    p.add_argument("--partial", action="store_true", help="include runs that did not finish, marked as partial")
    args = p.parse_args(argv)
    try:
        runs = load_runs(args.runs, allow_partial=args.partial)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return cli.EXIT_BAD_INPUT
    out = Path(args.out or f"reports/report-{time.strftime('%Y%m%d-%H%M%S')}")
    write_report(runs, out)
    print(f"report: {out / HTML}")
    return 0


def write_report(runs: Sequence[Run], out: Path) -> Path:
    """Every table of the comparison as CSV, and the HTML and Markdown pages, in ``out``."""
    ref = comparison.reference(runs)
    groups = comparison.groups(runs)
    per_run = comparison.run_table(runs, ref)
    tables = {
        "summary": summary_rows(comparison.summary_table(per_run, ref), ref),
        "runs": per_run,
        "importance": importance_rows(groups, ref.objective),
        "per_value": per_value_rows(groups, ref.objective),
        "trials": trial_rows(runs, ref.objective),
        "curves": curve_rows(runs, ref.objective),
    }
    warnings = comparison.warnings(runs, groups, ref)
    curves = {g.label: [anytime.curve(r.rows, r.settings.cv, ref.objective) for r in g.runs] for g in groups}
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        rundir.write_csv(out / f"{name}.csv", rows, list(rows[0]) if rows else [])
    context = context_line(runs, ref)
    rundir.write_text(out / MARKDOWN, markdown(context, warnings, tables))
    rundir.write_text(out / HTML, html_page(context, warnings, tables, curves, ref))
    return out


def context_line(runs: Sequence[Run], ref: comparison.Reference) -> str:
    first = runs[0].summary
    n_train = next((r.summary["n_train"] for r in runs if r.summary.get("n_train")), "?")  # a partial run may lack it
    validation = "one held-out 20%" if first.get("cv") == 1 else f"{first.get('cv')}-fold CV"
    return (f"{len(runs)} runs; {n_train} training images, {validation}, data seed {first.get('seed')}. "
            f"Job {runs[0].job}. Reference: {ref.objective.format(ref.score)} {ref.objective.label} ({ref.source}); "
            f"\"within {ref.objective.tolerance_text}\" means reaching {ref.objective.format(ref.target)} "
            f"({'at least' if ref.objective.maximize else 'at most'}).")


def summary_rows(table: list[dict[str, Any]], ref: comparison.Reference) -> list[dict[str, Any]]:
    """The summary as a reader wants it: spread beside the mean, reach beside the grid's compute."""
    metric = ref.objective.metric
    return [{
        "searcher": row["searcher"], "runs": row["runs"], "search seeds": row["seeds"],
        "distinct configs (mean)": row["distinct_configs"],
        "completed / stopped / failed": f"{row['completed']} / {row['stopped']} / {row['failed']}",
        f"best CV {metric} (mean)": row["best_cv_score_mean"],
        "+- over seeds": row["best_cv_score_spread"],
        "best configuration": row["best_config"], f"test {metric} (mean)": row["test_score_mean"],
        "epochs x folds (mean)": row["epochs_x_folds"], "CPU-s (mean)": row["cpu_s"], "wall s (mean)": row["wall_s"],
        f"epochs x folds to within {ref.objective.tolerance_text} (median)": row["median_epochs_x_folds_to_reach"],
        "seeds that got there": f"{row['reached']} of {row['runs']}",
        "of the grid's compute": row["reach_vs_grid"],
        "partial runs": row["partial_runs"],
    } for row in table]


def importance_rows(groups: Sequence[comparison.Group], objective: Objective) -> list[dict[str, Any]]:
    """fANOVA importance per hyperparameter, a column per searcher (seeds pooled)."""
    scores = {}
    for group in groups:
        space = group.runs[0].spec
        rows = [row for run in group.runs for row in run.rows]
        scores[group.label] = fanova(rows, {**space.params, **space.layer_params}, objective)
    names = list(dict.fromkeys(n for s in scores.values() if s for n in s))
    return [{"hyperparameter": n, **{label: (s or {}).get(n) for label, s in scores.items()}} for n in names]


def per_value_rows(groups: Sequence[comparison.Group], objective: Objective) -> list[dict[str, Any]]:
    """The score per value, from the grid (every value tried equally often) or else the first searcher."""
    group = next((g for g in groups if g.runs[0].settings.searcher == "grid"), groups[0])
    space = group.runs[0].spec
    rows = [row for run in group.runs for row in run.rows]
    return [{"searcher": group.label, **r} for r in per_value(rows, {**space.params, **space.layer_params}, objective)]


def trial_rows(runs: Sequence[Run], objective: Objective) -> list[dict[str, Any]]:
    """Every trial of every run, with its run and searcher (the HiPlot data, and trials.csv)."""
    names = list(dict.fromkeys(n for run in runs for n in [*varied(run.spec.params), *run.spec.layer_params]))
    table = []
    for run in runs:
        for row in run.rows:
            table.append({
                "searcher": run.label, "search_seed": run.search_seed, "run": run.path.name,
                "trial_id": row["trial_id"], "status": row["status"],
                **{n: _value(row.get(column_of(n), "")) for n in names},
                "epochs": int(row["epochs"] or 0), objective.key: score(row, objective),
                "time_s": number(row.get("time_s")), "elapsed_s": number(row.get("elapsed_s")),
            })
    return table


def curve_rows(runs: Sequence[Run], objective: Objective) -> list[dict[str, Any]]:
    return [{"searcher": run.label, "search_seed": run.search_seed, "run": run.path.name, "trial": i + 1,
             "epochs_x_folds": p.compute, "elapsed_s": p.elapsed_s, f"best_{objective.key}": p.best}
            for run in runs for i, p in enumerate(anytime.curve(run.rows, run.settings.cv, objective))]


def markdown(context: str, warnings: list[str], tables: dict[str, list]) -> str:
    parts = ["# Grid versus search\n", context + "\n", "## Warnings\n",
             "".join(f"- {w}\n" for w in warnings) or "None.\n",
             "## Summary, one row per searcher\n", table_md(tables["summary"]),
             "\nThe curves and the parallel-coordinates plot are in report.html.\n",
             "## What matters: fANOVA importance (complete trials, seeds pooled)\n", table_md(tables["importance"]),
             "## Score per value\n", table_md(tables["per_value"]),
             "## Every run\n", table_md([_short(r) for r in tables["runs"]]),
             "\nCSV files beside this one: " + ", ".join(f"{n}.csv" for n in tables) + ".\n"]
    return "\n".join(parts)


def html_page(context: str, warnings: list[str], tables: dict[str, list], curves: dict, ref) -> str:
    timed = all(p.elapsed_s is not None for runs in curves.values() for points in runs for p in points)
    warning_html = "".join(f'<div class="warn">{html.escape(w)}</div>' for w in warnings) or "<p>None.</p>"
    before = [
        "<h1>Grid versus search</h1>", f"<p>{html.escape(context)}</p>",
        "<h2>Warnings</h2>", warning_html,
        "<h2>Summary, one row per searcher</h2>", table_html(tables["summary"]),
        "<h2>Best so far, as compute and time are spent</h2>",
        "<p>The line is the median over a searcher's seeds; the band runs from its worst to its best seed.</p>",
        f'<figure id="curve-compute">{curves_svg(curves, "compute", ref.target, ref.objective)}</figure>',
        f'<figure id="curve-time">{curves_svg(curves, "elapsed_s", ref.target, ref.objective)}</figure>' if timed else
        "<p>No wall-time curve: these runs' trials.csv have no elapsed_s (made by an older tune-jobs).</p>",
        "<h2>Every trial: parallel coordinates (HiPlot)</h2>",
        "<p>Failed trials are left out (they have no score); see trials.csv.</p>",
    ]
    after = [
        "<h2>What matters</h2>", "<p>fANOVA importance (Optuna), complete trials only, seeds pooled:</p>",
        table_html(tables["importance"]), "<p>Score per value:</p>", table_html(tables["per_value"]),
        "<h2>Every run</h2>", table_html([_short(r) for r in tables["runs"]]),
    ]
    scored = [t for t in tables["trials"] if t[ref.objective.key] is not None]
    return page("Grid versus search", before, parallel_coordinates_html(scored, ref.objective), after)


def _short(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("best_config",)}


def _value(text: str) -> Any:
    if text == "":
        return None
    value = number(text)
    return text if value is None else (int(value) if value.is_integer() and "." not in text else value)
