"""The figures of BENCHMARKS.md section 8 that the report does not print, from its trials.csv.

    python benchmarks/seed_reproduction_facts.py [docs/seed-reproduction/trials.csv]

The seed's own winner's score and rank in the grid; configurations within 0.3 points of the
grid's best; the grid's trial times; per run, the compute spent on configurations the run had
already trained (every trial after the first of its configuration), and whether repeats of a
configuration trained all epochs scored the same (training is seeded).
"""

import sys

import pandas as pd

GRID_KEYS = ["activation", "batch_norm", "dropout", "lr", "optimizer", "batch_size"]
SEED_WINNER = {"activation": "swish", "batch_norm": 1, "dropout": 0.2, "lr": 0.01, "optimizer": "Adam",
               "batch_size": 512}
CV = 3


def main(path: str) -> None:
    trials = pd.read_csv(path)
    grid = trials[trials.searcher == "grid"].sort_values("cv_accuracy", ascending=False).reset_index(drop=True)
    best = grid.cv_accuracy.iloc[0]
    seed = grid[(grid[list(SEED_WINNER)] == pd.Series(SEED_WINNER)).all(axis=1)]
    print(f"grid: best {best:.4f}; the seed's winner {seed.cv_accuracy.iloc[0]:.4f}, rank {seed.index[0] + 1} "
          f"of {len(grid)}; {(grid.cv_accuracy >= best - 0.003).sum()} configurations within 0.3 points")
    print(f"grid trial time min / median / max: {grid.time_s.min():.0f} / {grid.time_s.median():.0f} / "
          f"{grid.time_s.max():.0f} s; sum {grid.time_s.sum():.0f} s")
    same_space = trials[trials.layers.isna()]  # the grid file's runs: no per-layer columns
    for run, rows in same_space.groupby("run", sort=False):
        repeat = rows.duplicated(GRID_KEYS)
        compute = rows.epochs * CV
        print(f"{run}: {len(rows)} trials, {(~repeat).sum()} distinct; {compute[repeat].sum()} of {compute.sum()} "
              f"epochs x folds on repeats ({compute[repeat].sum() / compute.sum():.0%})")
    full = same_space[same_space.epochs == same_space.epochs.max()]
    spread = full.groupby(GRID_KEYS).cv_accuracy.agg(["count", "min", "max"])
    spread = spread[spread["count"] > 1]
    print(f"{len(spread)} configurations trained all epochs more than once (in any run); "
          f"{(spread['max'] == spread['min']).sum()} of them scored identically every time")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/seed-reproduction/trials.csv")
