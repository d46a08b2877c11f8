"""The peer comparison as a page: a table of every tool's result and one plot of best-so-far test
accuracy over wall time, from the directories equal_time.sh wrote.

    python benchmarks/peers/publish.py benchmarks/results/peers/fashion_automl-s0-15min --out docs/peers

Writes ``README.md`` (the table and the targets of issue 15, checked on these figures),
``results.csv`` and ``anytime.svg`` into ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

OURS = "tune-jobs"
COLUMNS = ["comparison", "tool", "seed", "minutes", "best validation / CV score", "test accuracy",
           "models trained", "trials", "first reached peer's test accuracy (s)"]


def load(tool_dir: Path) -> dict[str, Any] | None:
    """One tool's result.json with its best-so-far curve [(s, test accuracy)], or None if unfinished."""
    if not (tool_dir / "result.json").exists():
        return None
    result = json.loads((tool_dir / "result.json").read_text())
    with (tool_dir / "anytime.csv").open() as handle:
        result["curve"] = [(float(row["s"]), float(row["test_accuracy"])) for row in csv.DictReader(handle)]
    result["comparison"], result["path"] = tool_dir.parent.name, tool_dir.resolve()
    return result


def first_reached(curve: list[tuple[float, float]], target: float) -> float | None:
    """When a best-so-far curve first reached ``target`` test accuracy (None: never)."""
    return next((s for s, accuracy in curve if accuracy >= target), None)


def rows_and_checks(results: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    rows, checks = [], []
    for comparison in sorted({r["comparison"] for r in results}):
        group = [r for r in results if r["comparison"] == comparison]
        ours_all = [r for r in group if r["tool"].startswith(OURS)]
        checks += [f"{comparison}: {ours['tool']}: no trial ended in time" for ours in ours_all
                   if ours["test_accuracy"] is None]
        for r in group:
            score_key = next(k for k in r if k.startswith("best_"))
            firsts = [] if r in ours_all or r["test_accuracy"] is None else \
                [compare(comparison, ours, r, checks) for ours in ours_all]
            rows.append({"comparison": comparison, "tool": r["tool"], "seed": r["seed"], "minutes": r["minutes"],
                         "best validation / CV score":
                             "none in time" if r[score_key] is None else round(r[score_key], 4),
                         "test accuracy": r["test_accuracy"],
                         "models trained": r["models_trained"], "trials": r.get("trials", r["models_trained"]),
                         "first reached peer's test accuracy (s)": " / ".join(firsts)})
    return rows, checks


def compare(comparison: str, ours: dict[str, Any], peer: dict[str, Any], checks: list[str]) -> str:
    """One tune-jobs run against one peer: its check appended to ``checks``; when it first reached
    the peer's test accuracy, as the table shows it."""
    if ours["test_accuracy"] is None:
        return "none"
    reached = first_reached(ours["curve"], peer["test_accuracy"])
    half = peer["minutes"] * 60 / 2
    checks.append(
        f"{comparison}: {ours['tool']} {ours['test_accuracy']} vs {peer['tool']} {peer['test_accuracy']}: "
        f"{'at least' if ours['test_accuracy'] >= peer['test_accuracy'] else 'BELOW'}; "
        + ("never reached it" if reached is None else f"reached it at {reached:.0f} s, "
           + ("within" if reached <= half else "NOT within") + f" half the budget ({half:.0f} s)"))
    return "never" if reached is None else f"{reached:g}"


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = OURS  # the same figures give the same file: no churn in docs/
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 6))
    drawn, several = set(), len({r["comparison"] for r in results}) > 1
    for r in results:
        if r["path"] in drawn:  # one run in two comparisons (AutoKeras' own space fits any): drawn once
            continue
        drawn.add(r["path"])
        label = f"{r['tool']} ({r['comparison']})" if several else r["tool"]
        if not r["curve"]:  # no trial ended in time: its final model, where its fit() returned
            if r["test_accuracy"] is not None:
                ax.plot([r["wall_s"] / 60], [r["test_accuracy"]], "D", label=f"{label}: no trial within "
                        f"{r['minutes']:g} min, its final model when fit() returned")
            continue
        xs = [s / 60 for s, _ in r["curve"]] + [r["minutes"]]
        ys = [a for _, a in r["curve"]] + [r["curve"][-1][1]]
        ax.step(xs, ys, where="post", label=label, linewidth=2.5 if r["tool"].startswith(OURS) else 1.5)
    ax.set_xlabel("wall time (minutes)")
    ax.set_ylabel("test accuracy of the best so far")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize="small", frameon=False)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("comparisons", nargs="+", help="directories equal_time.sh wrote")
    p.add_argument("--out", default="docs/peers")
    args = p.parse_args()
    results = [r for d in args.comparisons for tool in sorted(Path(d).iterdir()) if tool.is_dir()
               if (r := load(tool)) is not None]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows, checks = rows_and_checks(results)
    with (out / "results.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    plot(results, out / "anytime.svg")
    table = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    table += ["| " + " | ".join(str(row[c]) for c in COLUMNS) + " |" for row in rows]
    text = (Path(__file__).with_name("PAGE.md").read_text()
            .replace("{table}", "\n".join(table)).replace("{checks}", "\n".join(f"- {c}" for c in checks))
            .replace("{sources}", ", ".join(f"`{d}`" for d in args.comparisons)))
    (out / "README.md").write_text(text)
    print("\n".join(table + checks))


if __name__ == "__main__":
    main()
