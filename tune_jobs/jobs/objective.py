"""What a sweep optimizes: one metric, one direction, one tolerance, travelling as one value.

Every module past the jobs (trainable, searchers, scheduler, records, report, progress line)
takes an ``Objective`` and never names a metric: ``cv_accuracy`` and ``"max"`` live here and
in the jobs that choose them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping

MODES = ("max", "min")
# Metrics Keras reports where higher is better; any other name is minimized unless MODE says so.
HIGHER_IS_BETTER = ("accuracy", "auc", "precision", "recall", "f1_score", "r2_score")


@dataclass(frozen=True)
class Objective:
    """The metric trials report (``cv_<metric>``, its mean over folds), ``max`` or ``min``.

    ``tolerance`` is what "within X of the best" means: in the metric's units, or, when
    ``relative``, as a fraction of the best value (an MSE has no natural absolute scale).
    """

    metric: str = "accuracy"
    mode: str = "max"
    tolerance: float = 0.003
    relative: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode {self.mode!r} must be one of {', '.join(MODES)}")

    @property
    def key(self) -> str:
        """The column of trials.csv and the key of Ray Tune's results: ``cv_accuracy``."""
        return f"cv_{self.metric}"

    @property
    def std_key(self) -> str:
        return f"{self.key}_std"

    @property
    def maximize(self) -> bool:
        return self.mode == "max"

    @property
    def label(self) -> str:
        return f"mean CV {self.metric}"

    def score_label(self, cv: int) -> str:
        """What a run's score is: the mean over its folds, or (``--cv 1``) one held-out split's."""
        return self.label if cv > 1 else f"held-out {self.metric}"

    @property
    def tolerance_text(self) -> str:
        return f"{self.tolerance:.0%}" if self.relative else f"{self.tolerance:g}"

    def better(self, a: float, b: float) -> bool:
        """True when ``a`` is strictly better than ``b``."""
        return a > b if self.maximize else a < b

    def rank_key(self, value: float) -> float:
        """Larger is better, whatever the mode: for ``max``/``sorted`` of values."""
        return value if self.maximize else -value

    def best(self, values: Iterable[float | None]) -> float | None:
        scored = [v for v in values if v is not None and not math.isnan(v)]
        return max(scored, key=self.rank_key, default=None)

    def target(self, reference: float) -> float:
        """The value that counts as "within the tolerance" of ``reference``."""
        margin = self.tolerance * abs(reference) if self.relative else self.tolerance
        return reference - margin if self.maximize else reference + margin

    def reached(self, value: float | None, target: float) -> bool:
        if value is None:
            return False
        return value >= target - 1e-12 if self.maximize else value <= target + 1e-12

    def format(self, value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value:.4f}" if 0.01 <= abs(value) < 10 else f"{value:.4g}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "Objective":
        """An objective as run.json or summary.json stores it; runs made before jobs existed
        stored none, and were all the Fashion-MNIST MLP: mean CV accuracy, maximized."""
        if not data:
            return SEED_OBJECTIVE
        return cls(**{k: data[k] for k in ("metric", "mode", "tolerance", "relative") if k in data})


def default_mode(metric: str) -> str:
    return "max" if any(name in metric for name in HIGHER_IS_BETTER) else "min"


def objective_for(metric: str, mode: str | None = None, tolerance: float | None = None) -> Objective:
    """``metric``'s objective, with its direction and "within X" defaulted: 0.003 of an
    accuracy-like score, 5% of an error (an MSE has no natural absolute scale)."""
    mode = mode or default_mode(metric)
    if tolerance is not None:
        return Objective(metric, mode, float(tolerance))
    return Objective(metric, mode, 0.003) if mode == "max" else Objective(metric, mode, 0.05, relative=True)


SEED_OBJECTIVE = Objective()  # the seed's: mean CV accuracy, higher is better, "within 0.3 points"
