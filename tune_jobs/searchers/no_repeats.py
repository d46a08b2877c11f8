"""No configuration trained twice in a run: a searcher's repeat is answered from the run's records.

Seeded training gives a configuration the same score every time, so a sampler that suggests a
configuration already finished (TPE does, often, on a small grid; random too) learns nothing
new from training it again. ``NoRepeats`` wraps the sampler: a repeat of a finished trial is told
its known result (a trial ASHA stopped early: the score it stopped with) and the sampler asked
again, up to ``RETRIES`` times; then, where the space is finite, a configuration not yet tried is
put in its place (Optuna's ``enqueue_trial``, the random sampler's ``enqueue``). When every
configuration of a finite space has been tried, the sweep ends early. Each answer served from the
records is a line of ``answers.jsonl`` in the run directory (summary.json counts them).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from ray.tune.search import Searcher

from tune_jobs.records import rundir
from tune_jobs.space.spec import Spec

RETRIES = 20  # suggestions asked for one trial before falling back to a configuration not yet tried


class NoRepeats(Searcher):
    def __init__(self, inner: Searcher, spec: Spec, metric: str, mode: str, run_dir: Path, seed: int):
        super().__init__(metric=metric, mode=mode)
        self.inner = inner
        self.spec = spec
        self.answers_path = Path(run_dir) / rundir.ANSWERS
        self._rng = np.random.default_rng(seed)
        self._known: dict[tuple, dict] = {}  # configuration -> last result of its finished trial
        self._live: dict[str, tuple[str, tuple]] = {}  # trial id -> (the inner searcher's id, configuration)
        self._configs = spec.configurations()

    # --- what Ray Tune calls ---

    def set_search_properties(self, metric, mode, config, **spec) -> bool:
        return self.inner.set_search_properties(metric, mode, config, **spec)

    def set_max_concurrency(self, max_concurrent: int) -> bool:
        return self.inner.set_max_concurrency(max_concurrent)

    def suggest(self, trial_id: str):
        for attempt in range(RETRIES + 1):
            inner_id = trial_id if attempt == 0 else f"{trial_id}-repeat{attempt}"
            if attempt == RETRIES:
                if not self._enqueue_untried():
                    return Searcher.FINISHED if self._exhausted() else None
            config = self.inner.suggest(inner_id)
            if config is None or config == Searcher.FINISHED:
                return config
            key = self.key(config)
            if key in self._known:
                self.inner.on_trial_complete(inner_id, result=self._known[key])
                self._record_answer(config, self._known[key])
                continue
            if key in {k for _, k in self._live.values()}:
                self.inner.on_trial_complete(inner_id, result=None, error=True)  # running: no result yet
                continue
            self._live[trial_id] = (inner_id, key)
            return config
        return None

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        if trial_id in self._live:
            self.inner.on_trial_result(self._live[trial_id][0], result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        if trial_id not in self._live:
            return
        inner_id, key = self._live.pop(trial_id)
        if result is not None and not error and self.metric in result:
            self._known[key] = {k: v for k, v in result.items() if isinstance(v, (int, float, str))}
        self.inner.on_trial_complete(inner_id, result=result, error=error)

    # --- state, for --resume (Ray saves the searcher with its experiment) ---

    def save(self, checkpoint_path: str) -> None:
        inner = Path(f"{checkpoint_path}.inner")
        self.inner.save(str(inner))
        state = {"known": self._known, "live": self._live, "rng": self._rng.bit_generator.state,
                 "inner": inner.read_bytes()}
        inner.unlink()
        Path(checkpoint_path).write_bytes(pickle.dumps(state))

    def restore(self, checkpoint_path: str) -> None:
        state = pickle.loads(Path(checkpoint_path).read_bytes())
        inner = Path(f"{checkpoint_path}.inner")
        inner.write_bytes(state["inner"])
        self.inner.restore(str(inner))
        inner.unlink()
        if hasattr(self.inner, "_ot_study"):  # Ray's OptunaSearch, pickled with its journal file's path
            from tune_jobs.searchers.optuna_tpe import journal_where_the_run_is

            journal_where_the_run_is(self.inner)
        # Trials live at the interruption run again under their ids: their results still reach the sampler.
        self._known, self._live = state["known"], state["live"]
        self._rng.bit_generator.state = state["rng"]

    # --- helpers ---

    def key(self, config: Mapping[str, Any]) -> tuple:
        """A configuration as the run's records see it: its active hyperparameters and their values."""
        full = {**self.spec.fixed, **self.spec.constants, **config}
        return tuple((name, full.get(name)) for name in self.spec.columns if self.spec.is_active(name, full))

    def _tried(self) -> set[tuple]:
        return set(self._known) | {k for _, k in self._live.values()}

    def _exhausted(self) -> bool:
        return self._configs is not None and not self._live and len(self._known) >= len(self._configs)

    def _enqueue_untried(self) -> bool:
        """Put a configuration not tried yet first in the sampler's queue; False when none is left."""
        if self._configs is None:
            return False
        tried = self._tried()
        untried = [c for c in self._configs if self.key(c) not in tried]
        if not untried:
            return False
        chosen = untried[int(self._rng.integers(len(untried)))]
        varied = {k: v for k, v in chosen.items() if k not in self.spec.constants}
        self.inner.enqueue(varied) if hasattr(self.inner, "enqueue") else self.inner._ot_study.enqueue_trial(varied)
        return True

    def _record_answer(self, config: Mapping[str, Any], result: Mapping[str, Any]) -> None:
        line = json.dumps({"config": {k: v for k, v in config.items()}, self.metric: result.get(self.metric),
                           "epoch": result.get("epoch")}, default=str)
        with rundir.located(self.answers_path).open("a") as handle:
            handle.write(line + "\n")
