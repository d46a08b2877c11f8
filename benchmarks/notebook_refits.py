"""The drop-in GridSearchCV fitted again and again in one Jupyter kernel: trials in warm task
processes against trials in Tune's actors.

    python benchmarks/notebook_refits.py [--rounds 2] [--fits 3] [--samples 12000] [--epochs 3] [--out DIR]

A real kernel (nbclient) runs a notebook of section 10's drop-in search (the seed's model, 8
configurations of the seed's grid, ``cv=3``, ``n_jobs=2``, no refit) and fits it ``--fits``
times in a row, timing each ``fit`` in the kernel. The kernel's first fit starts a local Ray that
the kernel keeps (as Ray Tune does); with ``TUNE_JOBS_WARM_WORKERS=0`` the trials train in Tune's
actors, which every fit starts afresh (each importing TensorFlow again), else in task processes
kept from one fit to the next. The two sides alternate, their order swapped each round. Prints
each fit's time, the ratio fit for fit, and whether both sides scored every candidate alike;
writes them to ``--out``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import dropin_vs_gridsearchcv

SIDES = {"warm": "1", "actors": "0"}  # TUNE_JOBS_WARM_WORKERS

# Section 10's model and grid, their source run as the notebook's own cell: the kernel defines them
# as a user would.
SETUP = """
import json, time
import keras
from tune_jobs.jobs.fashion_data import load_fashion_mnist
from tune_jobs.sklearn import GridSearchCV, KerasClassifier

data = load_fashion_mnist()
x, y = data.x_train[:SAMPLES], data.y_train[:SAMPLES]
""" + inspect.getsource(dropin_vs_gridsearchcv.create_model) + inspect.getsource(dropin_vs_gridsearchcv._eight) \
    + "param_grid = _eight(keras, EPOCHS)\n"
CELLS = [SETUP, '''
for fit in range(FITS):
    began = time.monotonic()
    grid = GridSearchCV(KerasClassifier(build_fn=create_model, verbose=0), param_grid, cv=3, n_jobs=2,
                        refit=False).fit(x, y)
    print(json.dumps({"fit": fit, "fit_s": round(time.monotonic() - began, 2),
                      "scores": [round(float(s), 4) for s in grid.cv_results_["mean_test_score"]]}))
''']


def run(side: str, args: argparse.Namespace) -> list[dict]:
    import nbformat
    from nbclient import NotebookClient

    folder = Path(tempfile.mkdtemp(prefix=f"tj-notebook-{side}-"))
    (folder / "ray").mkdir()
    setup = f"SAMPLES, EPOCHS, FITS = {args.samples}, {args.epochs}, {args.fits}\n"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup + CELLS[0]),
                                               nbformat.v4.new_code_cell(CELLS[1])])
    os.environ.update(TUNE_JOBS_WARM_WORKERS=SIDES[side], RAY_TMPDIR=str(folder / "ray"))
    NotebookClient(notebook, timeout=3600, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    lines = [line for o in notebook.cells[1].outputs if o.output_type == "stream" and o.name == "stdout"
             for line in o.text.splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--fits", type=int, default=3)
    p.add_argument("--samples", type=int, default=12000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--out", default="benchmarks/results/notebook-refits")
    args = p.parse_args()
    results = []
    for round_ in range(args.rounds):
        for side in (("warm", "actors") if round_ % 2 == 0 else ("actors", "warm")):
            fits = run(side, args)
            results.append({"round": round_, "side": side, "fits": fits})
            print(f"round {round_} {side:6s}: fits " + " / ".join(f"{f['fit_s']:.1f}" for f in fits) + " s",
                  flush=True)
    for round_ in range(args.rounds):
        warm, actors = ([r["fits"] for r in results if r["round"] == round_ and r["side"] == s][0] for s in SIDES)
        ratios = " / ".join(f"{w['fit_s'] / a['fit_s']:.3f}" for w, a in zip(warm, actors))
        same = all(w["scores"] == a["scores"] for w, a in zip(warm, actors))
        print(f"round {round_}: warm / actors, fit for fit: {ratios}; every candidate's score "
              f"{'identical' if same else 'NOT identical'} on both sides")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "notebook_refits.json").write_text(json.dumps(
        {"command": " ".join(sys.argv), "when": time.strftime("%Y-%m-%d %H:%M:%S"), "results": results},
        indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
