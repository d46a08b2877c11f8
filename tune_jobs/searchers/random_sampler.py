"""The random searcher's sampler, as a Ray Tune Searcher (so that NoRepeats can wrap it)."""

from __future__ import annotations

import math
import pickle
from pathlib import Path
from typing import Any

import numpy as np
from ray.tune.search import Searcher

from tune_jobs.space.domains import Choice, Domain, Uniform
from tune_jobs.space.spec import Spec


class RandomSampler(Searcher):
    """Each suggestion drawn independently from the space (a queued one first: see ``enqueue``)."""

    def __init__(self, spec: Spec, seed: int, metric: str, mode: str):
        super().__init__(metric=metric, mode=mode)
        self.spec = spec
        self._rng = np.random.default_rng(seed)
        self._queue: list[dict[str, Any]] = []

    def set_search_properties(self, metric, mode, config, **spec) -> bool:
        return True

    def enqueue(self, config: dict[str, Any]) -> None:
        """Suggest ``config`` next (how NoRepeats puts an untried configuration in)."""
        self._queue.append({**self.spec.constants, **config})

    def suggest(self, trial_id: str) -> dict[str, Any]:
        if self._queue:
            return self._queue.pop(0)
        config = {name: draw(domain, self._rng) for name, domain in self.spec.params.items()}
        for name, domain in self.spec.layer_params.items():
            if self.spec.is_active(name, {**self.spec.fixed, **config}):
                config[name] = draw(domain, self._rng)
        return config

    def on_trial_complete(self, trial_id: str, result=None, error: bool = False) -> None:
        pass  # independent draws learn nothing

    def save(self, checkpoint_path: str) -> None:
        Path(checkpoint_path).write_bytes(pickle.dumps({"rng": self._rng.bit_generator.state, "queue": self._queue}))

    def restore(self, checkpoint_path: str) -> None:
        state = pickle.loads(Path(checkpoint_path).read_bytes())
        self._rng.bit_generator.state, self._queue = state["rng"], state["queue"]


def draw(domain: Domain, rng: np.random.Generator) -> Any:
    """One value of ``domain``, as a Python number or the listed value itself."""
    if isinstance(domain, Choice):
        return domain.values[int(rng.integers(len(domain.values)))]
    if isinstance(domain, Uniform):
        if domain.log:
            return float(math.exp(rng.uniform(math.log(domain.low), math.log(domain.high))))
        return float(rng.uniform(domain.low, domain.high))
    if domain.log:
        value = math.exp(rng.uniform(math.log(domain.low), math.log(domain.high + 1)))
        return int(min(domain.high, max(domain.low, math.floor(value))))
    return int(rng.integers(domain.low, domain.high + 1))
