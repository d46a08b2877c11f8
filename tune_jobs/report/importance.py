"""Which hyperparameters matter: the score per value, and Optuna's fANOVA importance.

fANOVA is computed for any run's trials, the grid's too: the trials are added to an
in-memory Optuna study with the distributions of the run's space. Only trials that trained
every epoch count, so that early-stopped scores (lower by construction) do not pose as a
hyperparameter's effect.
"""

from __future__ import annotations

import statistics
from typing import Any, Mapping, Sequence

import numpy as np

from tune_jobs.jobs.objective import Objective
from tune_jobs.records.results import column_of, score
from tune_jobs.space.domains import MANY_LEVELS, Choice, Domain, optuna_distribution

MIN_TRIALS = 8  # fewer complete trials than this: no importance, it would be noise
MAX_VALUES = MANY_LEVELS  # a hyperparameter with more values tried than this is shown in bins
BINS = 4  # quartiles of the values tried


def complete(rows: Sequence[Mapping[str, str]], objective: Objective) -> list[Mapping[str, str]]:
    return [r for r in rows if r["status"] == "ok" and score(r, objective) is not None]


def varied(params: Mapping[str, Domain]) -> dict[str, Domain]:
    """The hyperparameters a space lets vary (a one-value choice is a constant)."""
    return {n: d for n, d in params.items() if not (isinstance(d, Choice) and len(d.values) < 2)}


def per_value(rows: Sequence[Mapping[str, str]], params: Mapping[str, Domain],
              objective: Objective) -> list[dict[str, Any]]:
    """For each hyperparameter and value: trials, mean and best CV score of complete trials.

    A continuous range is cut into bins by quantiles of the values tried.
    """
    table = []
    done = complete(rows, objective)
    for name, domain in varied(params).items():
        values = [(row[column_of(name)], score(row, objective)) for row in done if row[column_of(name)] != ""]
        for label, scores in _groups(domain, values):
            table.append({"hyperparameter": name, "value": label, "trials": len(scores),
                          f"mean_{objective.key}": statistics.fmean(scores),
                          f"best_{objective.key}": objective.best(scores)})
    return table


def _groups(domain: Domain, values: list[tuple[str, float]]) -> list[tuple[str, list[float]]]:
    """Scores grouped by value (in the space's order), or by quantile bins of the values tried
    where a numeric hyperparameter took more than MAX_VALUES of them."""
    tried = {text: domain.parse(text) for text in {v for v, _ in values}}  # each text parsed once
    if not (domain.numeric and len(set(tried.values())) > MAX_VALUES):
        order = list(domain.values) if isinstance(domain, Choice) else sorted(set(tried.values()))
        groups: dict[str, list[float]] = {str(v): [] for v in order}
        for text, s in values:
            if str(tried[text]) in groups:  # a value the space does not list is not a group of it
                groups[str(tried[text])].append(s)
        return [(label, scores) for label, scores in groups.items() if scores]
    numbers = np.array([float(v) for v, _ in values])
    edges = np.unique(np.quantile(numbers, np.linspace(0, 1, BINS + 1)))
    which = np.clip(np.searchsorted(edges, numbers, side="right") - 1, 0, len(edges) - 2)
    return [(f"{edges[b]:.3g}-{edges[b + 1]:.3g}", [s for (_, s), w in zip(values, which) if w == b])
            for b in sorted(set(which.tolist()))]


def fanova(rows: Sequence[Mapping[str, str]], params: Mapping[str, Domain], objective: Objective,
           seed: int = 0) -> dict[str, float] | None:
    """fANOVA importance of each varied hyperparameter (sums to 1); None with too few trials."""
    import optuna

    done = complete(rows, objective)
    distributions = {n: optuna_distribution(d) for n, d in varied(params).items()}
    if len(done) < MIN_TRIALS or not distributions:
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize" if objective.maximize else "minimize")
    for row in done:
        given = {n: params[n].parse(row[column_of(n)]) for n in distributions if row[column_of(n)] != ""}
        study.add_trial(optuna.trial.create_trial(
            params=given, distributions={n: distributions[n] for n in given}, value=score(row, objective)))
    if len({t.value for t in study.trials}) < 2:
        return None  # every trial scored the same: nothing to attribute
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
    return dict(optuna.importance.get_param_importances(study, evaluator=evaluator))
