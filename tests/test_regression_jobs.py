"""The seed's three regressions, end to end with real Ray and Keras: a small search gets the
refit's test MSE close to the noise floor (the benchmark holds the tighter targets)."""

from __future__ import annotations


import pytest

from tune_jobs import cli
from tune_jobs.records.results import read_trials
from tune_jobs.records.summary import read_summary

pytestmark = pytest.mark.integration

SMALL = "grid:\n  layers: [2]\n  units: [64]\n  activation: [relu, tanh]\n  lr: [0.003]\n  batch_size: [32]\n" \
        "  epochs: [30]\n"
# Test MSE at most this, as a multiple of the noise variance (sine has none: an absolute bound).
WITHIN = {"linear": ("x floor", 1.5), "free-fall": ("x floor", 1.5), "sine": ("absolute", 0.01)}




@pytest.mark.parametrize("name", list(WITHIN))
def test_a_small_search_gets_close_to_the_noise_floor(name, shared_ray, write_space, tmp_path, capsys):
    space = write_space(SMALL)
    out = tmp_path / "runs"
    code = cli.main(["--job", name, "--space", str(space), "--workers", "2", "--cv", "2", "--out", str(out)],
                    prog="python -m tune_jobs run")
    assert code == 0
    [run_dir] = list(out.iterdir())
    summary = read_summary(run_dir / "summary.json")
    floor, test = summary["noise_variance"], summary["test_score"]
    kind, bound = WITHIN[name]
    assert test <= (bound * floor if kind == "x floor" else bound), (name, test, floor)
    rows = read_trials(run_dir / "trials.csv")
    assert summary["objective"]["mode"] == "min" and summary["best_score"] == min(float(r["cv_mse"]) for r in rows)
    printed = capsys.readouterr().out
    assert f"(the noise variance, its floor: {floor:.4g})" in printed and "best mean CV mse:" in printed
