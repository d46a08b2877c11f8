"""The report's tables and arithmetic on hand-made trial tables with known answers (no Ray)."""

from __future__ import annotations

import csv
import math
import re

import numpy as np
import pytest
from reports import GRID, grid_rows, make_run, trial

from tune_jobs.jobs.objective import SEED_OBJECTIVE as ACCURACY
from tune_jobs.records import machine
from tune_jobs.records.runs import load_runs
from tune_jobs.report import anytime, comparison, importance
from tune_jobs.report import build as report
from tune_jobs.space.spec import parse_spec


def test_best_so_far_curve_counts_every_trials_compute():
    rows = [trial("a", "relu", 0.1, 0.70), trial("b", "relu", 0.01, None, epochs=1, status="failed"),
            trial("c", "swish", 0.01, 0.80, epochs=2, status="stopped"), trial("d", "swish", 0.1, 0.75)]
    points = anytime.curve(rows, 3, ACCURACY)
    assert [p.compute for p in points] == [9, 12, 18, 27]  # the failed trial's epoch cost compute too
    assert [p.best for p in points] == [0.70, 0.70, 0.80, 0.80]
    assert anytime.compute_to_reach(points, ACCURACY.target(0.80), ACCURACY) == 18
    assert anytime.compute_to_reach(points, 0.7971, ACCURACY) == 18
    assert anytime.compute_to_reach(points, 0.70, ACCURACY) == 9
    assert anytime.compute_to_reach(points, 0.81, ACCURACY) is None


def test_median_over_seeds_counts_a_seed_that_never_got_there_as_last():
    assert anytime.median_reached([10, None, 30]) == 30
    assert anytime.median_reached([4, 6]) == 5
    assert anytime.median_reached([None, None, 5]) is None
    assert anytime.median_reached([]) is None


def test_band_is_median_lowest_and_highest_over_seeds_up_to_the_shortest_run():
    one = [anytime.Point(10, None, 0.5), anytime.Point(20, None, 0.7)]
    two = [anytime.Point(10, None, 0.6), anytime.Point(30, None, 0.9)]
    three = [anytime.Point(5, None, 0.8), anytime.Point(40, None, 0.8)]
    band = anytime.band([one, two, three], "compute", n=5)  # x = 0, 5, 10, 15, 20
    assert band["x"].tolist() == [0, 5, 10, 15, 20]
    assert math.isnan(band["median"][0])  # nobody has scored at x = 0
    assert band["median"].tolist()[1:] == [0.8, 0.6, 0.6, 0.7]
    assert band["low"].tolist()[1:] == [0.8, 0.5, 0.5, 0.6]
    assert band["high"].tolist()[1:] == [0.8, 0.8, 0.8, 0.8]


def test_summary_reach_is_measured_against_the_grids_best(tmp_path):
    grid = make_run(tmp_path, "grid", grid_rows())
    # two random seeds: one reaches 0.85 - 0.003 after 2 trials (18), the other never does
    lucky = make_run(tmp_path, "random-0", [trial("r1", "relu", 0.01, 0.78), trial("r2", "swish", 0.01, 0.848)],
                     searcher="random", search_seed=0)
    unlucky = make_run(tmp_path, "random-1", [trial("r3", "relu", 0.1, 0.60), trial("r4", "relu", 0.001, 0.70)],
                       searcher="random", search_seed=1)
    runs = load_runs([grid, lucky, unlucky])
    ref = comparison.reference(runs)
    assert ref.score == 0.85 and ref.grid_compute == 54 and ref.target == pytest.approx(0.847)
    rows = {r["searcher"]: r for r in comparison.summary_table(comparison.run_table(runs, ref), ref)}
    assert rows["grid"]["median_epochs_x_folds_to_reach"] == 45  # the 5th of 6 trials
    assert rows["grid"]["reach_vs_grid"] == pytest.approx(45 / 54)
    assert rows["random"]["runs"] == 2 and rows["random"]["reached"] == 1
    assert rows["random"]["median_epochs_x_folds_to_reach"] is None  # median of 18 and never
    assert rows["random"]["best_cv_score_mean"] == pytest.approx((0.848 + 0.70) / 2)
    assert rows["random"]["best_config"] == "activation=swish, lr=0.01"
    per_run = {r["run"]: r for r in comparison.run_table(runs, ref)}
    assert per_run["random-0"]["epochs_x_folds_to_reach"] == 18 and per_run["random-0"]["seconds_to_reach"] is None
    assert per_run["grid"]["seconds_to_reach"] == 50.0


def test_warnings_a_careful_reader_would_raise(tmp_path):
    rows = grid_rows()
    rows[0]["status"], rows[0]["cv_accuracy"] = "failed", None
    rows[1]["status"], rows[1]["cv_accuracy"] = "failed", None
    grid = make_run(tmp_path, "grid", rows)
    edge = make_run(tmp_path, "random-0", [trial("r1", "relu", 0.1, 0.9)], searcher="random")
    other = make_run(tmp_path, "optuna-0", [trial("o1", "relu", 0.01, 0.5)], searcher="optuna", finished=False,
                     space=GRID.replace("epochs: [3]", "epochs: [5]"))
    runs = load_runs([grid, edge, other], allow_partial=True)
    found = comparison.warnings(runs, comparison.groups(runs), comparison.reference(runs))
    text = "\n".join(found)
    assert "FAILED TRIALS: 2 of 6 trials of grid" in text
    assert "BOUNDARY: random's best lr=0.1 is the highest value" in text
    assert "BOUNDARY: grid's" not in text  # the grid's best lr 0.01 is inside the space
    assert "PARTIAL: optuna-0 (optuna) did not finish: 1 trials of 6 planned" in text
    assert "NOT LIKE FOR LIKE" in text and "tiny, 5 epochs" in text
    assert "ONE SEED: random ran once" in text


def test_a_grids_near_ties_are_called_noise(tmp_path):
    rows = grid_rows()
    rows[1]["cv_accuracy"] = 0.849  # within the best's fold std (0.002) of 0.85
    runs = load_runs([make_run(tmp_path, "grid", rows)])
    assert any(w.startswith("NOISE: 2 configurations") for w in comparison.tie_warnings(runs))


def test_continuous_edges_use_the_log_scale():
    from tune_jobs.space.domains import Uniform

    lr = Uniform(1e-4, 1e-2, log=True)
    assert comparison._edge(1.2e-4, lr) == "lowest"
    assert comparison._edge(1e-3, lr) is None  # the middle on a log scale
    assert comparison._edge(9.5e-3, lr) == "highest"


def test_per_value_accuracy_and_fanova_importance_find_the_hyperparameter_that_matters():
    spec = parse_spec(GRID, __import__("pathlib").Path("tiny.yaml"))
    rows = grid_rows() + [trial(f"x{i}", a, lr, None, status="failed") for i, (a, lr) in enumerate([("relu", 0.1)])]
    table = {(r["hyperparameter"], r["value"]): r for r in importance.per_value(rows, spec.params, ACCURACY)}
    assert table[("lr", "0.01")]["mean_cv_accuracy"] == pytest.approx((0.78 + 0.85) / 2)
    assert table[("activation", "swish")]["best_cv_accuracy"] == 0.85 and table[("activation", "relu")]["trials"] == 3
    assert ("epochs", "3") not in table  # a constant is not a hyperparameter that varies
    assert importance.fanova(rows, spec.params, ACCURACY) is None  # 6 complete trials: too few
    many = [trial(f"t{i}", a, lr, (0.9 if lr == 0.01 else 0.6) + 0.001 * (a == "swish") + 0.0001 * i)
            for i, (a, lr) in enumerate([(a, lr) for a in ("relu", "swish") for lr in (0.001, 0.01, 0.1)] * 2)]
    scores = importance.fanova(many, spec.params, ACCURACY)
    assert set(scores) == {"activation", "lr"} and scores["lr"] > 0.9 > scores["activation"]


def test_continuous_values_are_binned_by_quartile():
    from tune_jobs.space.domains import Uniform

    rows = [{"status": "ok", "cv_accuracy": str(0.5 + i / 100), "dropout": str(i / 40)} for i in range(20)]
    table = importance.per_value(rows, {"dropout": Uniform(0.0, 0.5)}, ACCURACY)
    assert len(table) == 4 and sum(r["trials"] for r in table) == 20
    assert table[0]["value"] == "0-0.119" and table[-1]["best_cv_accuracy"] == pytest.approx(0.69)


def test_a_grid_of_many_numbers_is_binned_and_fanova_sees_a_range():
    """A grid of 200 learning rates (a many-trials sweep): quartile bins, not 200 table rows;
    fANOVA gets a range, not a category of 200 levels compared for every trial."""
    from tune_jobs.space.domains import Choice, optuna_distribution

    lrs = Choice(tuple(round(0.0005 * (i + 1), 6) for i in range(200)))
    rows = [{"status": "ok", "cv_accuracy": str(0.5 + lr), "lr": str(lr)} for lr in lrs.values]
    table = importance.per_value(rows, {"lr": lrs}, ACCURACY)
    assert len(table) == 4 and sum(r["trials"] for r in table) == 200
    assert table[-1]["best_cv_accuracy"] == pytest.approx(0.6)
    assert optuna_distribution(lrs).__class__.__name__ == "FloatDistribution"
    assert optuna_distribution(Choice(tuple(range(20)))).__class__.__name__ == "IntDistribution"
    assert optuna_distribution(Choice((0.1, 0.2))).__class__.__name__ == "CategoricalDistribution"
    assert set(importance.fanova(rows, {"lr": lrs, "epochs": Choice((1,))}, ACCURACY)) == {"lr"}


def test_report_writes_html_markdown_and_csv_of_every_table(tmp_path):
    grid = make_run(tmp_path / "runs", "grid", grid_rows())
    sampled = make_run(tmp_path / "runs", "optuna-0", [trial("o1", "swish", 0.01, 0.85, elapsed=5.0)],
                       searcher="optuna", scheduler="asha")
    out = tmp_path / "report"
    assert report.main([str(grid), str(sampled), "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert names == {"report.html", "report.md", "summary.csv", "runs.csv", "importance.csv", "per_value.csv",
                     "trials.csv", "curves.csv"}
    with (out / "summary.csv").open() as handle:
        summary = list(csv.DictReader(handle))
    assert [r["searcher"] for r in summary] == ["grid", "optuna+asha"]
    assert summary[1]["epochs x folds to within 0.003 (median)"] == "9"
    with (out / "trials.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == 7
    page = (out / "report.html").read_text()
    assert page.count("<svg") >= 2
    assert not re.search(r'@import\\?"https://fonts', page)  # HiPlot's web font, which would need the network
    assert "| optuna+asha |" in (out / "report.md").read_text()
    assert "600 training images, 3-fold CV, data seed 0" in page


def test_a_run_on_one_held_out_split_says_so(tmp_path):
    run = make_run(tmp_path / "runs", "grid", grid_rows(), cv=1)
    assert report.main([str(run), "--out", str(tmp_path / "report")]) == 0
    assert "600 training images, one held-out 20%, data seed 0" in (tmp_path / "report" / "report.html").read_text()


@pytest.mark.parametrize("case,message", [
    ("missing", "not a run directory (no run.json)"),
    ("unfinished", "is not finished"),
    ("killed", "has no summary.json"),
    ("empty", "has no trials"),
    ("other data", "n_train is 1200 but"),
])
def test_bad_runs_are_refused_with_exit_2_and_nothing_written(case, message, tmp_path, capsys):
    grid = make_run(tmp_path, "grid", grid_rows())
    if case == "missing":
        bad = tmp_path / "nope"
        bad.mkdir()
    elif case == "unfinished":
        bad = make_run(tmp_path, "bad", grid_rows()[:2], finished=False)
    elif case == "killed":
        bad = make_run(tmp_path, "bad", grid_rows()[:2])
        (bad / "summary.json").unlink()
    elif case == "empty":
        bad = make_run(tmp_path, "bad", [])
    else:
        bad = make_run(tmp_path, "bad", grid_rows(), n_train=1200)
    out = tmp_path / "report"
    assert report.main([str(grid), str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(bad) in err
    assert not out.exists()


def test_partial_runs_are_included_on_request_and_marked(tmp_path):
    grid = make_run(tmp_path, "grid", grid_rows()[:4], finished=False)
    out = tmp_path / "report"
    assert report.main([str(grid), "--partial", "--out", str(out)]) == 0
    assert "PARTIAL: grid (grid) did not finish: 4 trials of 6 planned" in (out / "report.md").read_text()
    with (out / "runs.csv").open() as handle:
        assert next(csv.DictReader(handle))["partial"] == "True"


def test_curves_have_no_gaps_in_their_numbers():
    points = anytime.curve(grid_rows(), 3, ACCURACY)
    values = anytime.best_at(points, np.array([0, 9, 17, 18, 54, 100]), "compute")
    assert np.isnan(values[0]) and values[1:].tolist() == [0.70, 0.70, 0.78, 0.85, 0.85]


def test_best_configuration_shows_sampled_floats_short(tmp_path):
    sampled = make_run(tmp_path, "optuna", [trial("o1", "swish", 0.0123456789, 0.84)], searcher="optuna")
    assert comparison.best_config(load_runs([sampled])[0]) == "activation=swish, lr=0.01235"


MSE = __import__("tune_jobs.jobs.objective", fromlist=["Objective"]).Objective("mse", "min", 0.05, relative=True)


def test_a_minimized_metric_is_best_when_lowest_in_every_table(tmp_path):
    """The same tiny grid, read as an MSE: the lowest value wins, and "within 5%" means at most 1.05x it."""
    grid = make_run(tmp_path, "grid", grid_rows(), objective=MSE)
    sampled = make_run(tmp_path, "random-0", [trial("r1", "relu", 0.1, 0.63), trial("r2", "swish", 0.1, 0.62)],
                       searcher="random", objective=MSE)
    runs = load_runs([grid, sampled])
    ref = comparison.reference(runs)
    assert ref.score == 0.60 and ref.target == pytest.approx(0.63)  # relu + lr 0.1, the grid's lowest
    per_run = {r["run"]: r for r in comparison.run_table(runs, ref)}
    assert per_run["grid"]["best_cv_score"] == 0.60 and per_run["grid"]["epochs_x_folds_to_reach"] == 27
    assert per_run["random-0"]["epochs_x_folds_to_reach"] == 9  # 0.63 is within 5% of 0.60
    assert comparison.best_config(runs[0]) == "activation=relu, lr=0.1"
    assert "BOUNDARY: grid's best lr=0.1 is the highest value" in "\n".join(
        comparison.warnings(runs, comparison.groups(runs), ref))
    out = tmp_path / "report"
    assert report.main([str(grid), str(sampled), "--out", str(out)]) == 0
    markdown = (out / "report.md").read_text()
    assert "Job linear. Reference: 0.6000 mean CV mse" in markdown and "within 5%" in markdown
    assert "best CV mse (mean)" in markdown and "best_cv_mse" in (out / "curves.csv").read_text()


def test_runs_of_different_jobs_or_metrics_are_refused(tmp_path, capsys):
    mse = make_run(tmp_path, "mse", grid_rows(), objective=MSE)
    old = make_run(tmp_path, "accuracy", grid_rows())  # written before jobs: the seed's MLP, accuracy
    sine = make_run(tmp_path, "sine", grid_rows(), objective=MSE, job="sine")
    for pair in ([mse, old], [mse, sine]):
        out = tmp_path / "report"
        assert report.main([*map(str, pair), "--out", str(out)]) == 2
        assert "runs of different jobs or metrics do not compare side by side" in capsys.readouterr().err
        assert not out.exists()


def test_a_published_run_made_before_jobs_still_loads_and_reports(tmp_path):
    """benchmarks/results/automl-quarter-budget was written before jobs, objectives and test_score."""
    from pathlib import Path

    published = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "automl-quarter-budget"
    [run] = load_runs([published])
    assert run.job == "fashion-mlp" and run.objective == ACCURACY
    assert run.summary["best_score"] == pytest.approx(0.8969, abs=1e-4)
    assert run.summary["test_score"] == pytest.approx(0.8947, abs=1e-4)
    assert report.main([str(published), "--out", str(tmp_path / "report")]) == 0
    assert "0.8969 mean CV accuracy" in (tmp_path / "report" / "report.md").read_text()


EPYC = ("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9B14\n"
        "flags\t\t: fpu sse2 avx fma avx2 bmi2\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 9B14\nflags\t\t: fpu\n")
XEON = "processor\t: 0\nmodel name\t: Intel Xeon Platinum 8481C\nflags\t\t: avx2 fma avx512f amx_tile amx_bf16\n"


def test_the_machine_is_the_first_processors_model_and_the_instruction_sets_tensorflow_picks_kernels_by():
    epyc = machine.describe(EPYC)
    assert epyc["cpu"] == "AMD EPYC 9B14" and epyc["isa"] == ["avx2", "fma"]  # bmi2, sse2: not listed
    assert machine.describe(XEON)["isa"] == ["avx2", "fma", "avx512f", "amx_tile", "amx_bf16"]
    assert machine.label(epyc) == "AMD EPYC 9B14, avx2 fma"
    assert machine.describe("")["isa"] == []  # no /proc/cpuinfo (macOS, Windows): the flags are unknown


def test_runs_on_different_cpus_and_a_run_whose_sessions_moved_are_flagged(tmp_path):
    epyc, xeon = machine.describe(EPYC), machine.describe(XEON)
    grid = make_run(tmp_path, "grid", grid_rows(), machines=[epyc])
    moved = make_run(tmp_path, "random-0", [trial("r1", "relu", 0.01, 0.8)], searcher="random",
                     machines=[epyc, xeon])
    older = make_run(tmp_path, "random-1", [trial("r2", "relu", 0.01, 0.7)], searcher="random", search_seed=1)
    runs = load_runs([grid, moved, older])
    found = comparison.machine_warnings(runs)
    assert found == [
        "MIXED CPUS: the sessions of random-0 (random) ran on different CPUs (AMD EPYC 9B14, avx2 fma; "
        "Intel Xeon Platinum 8481C, avx2 fma avx512f amx_tile amx_bf16): its wall and CPU seconds mix their speeds",
        "DIFFERENT CPUS: compare wall and CPU seconds only between runs on the same CPU (AMD EPYC 9B14, avx2 fma: "
        "grid, random-0; Intel Xeon Platinum 8481C, avx2 fma avx512f amx_tile amx_bf16: random-0)"]
    per_run = {r["run"]: r["cpu"] for r in comparison.run_table(runs, comparison.reference(runs))}
    assert per_run == {"grid": "AMD EPYC 9B14, avx2 fma", "random-0": "AMD EPYC 9B14, avx2 fma / Intel Xeon "
                       "Platinum 8481C, avx2 fma avx512f amx_tile amx_bf16", "random-1": None}  # made before
    same = load_runs([grid, make_run(tmp_path, "optuna-0", [trial("o1", "relu", 0.01, 0.8)], searcher="optuna",
                                     machines=[dict(epyc)])])
    assert comparison.machine_warnings(same) == []
