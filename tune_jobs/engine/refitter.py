"""Where GridSearchCV's refit runs: on a Ray of one node, in a process that keeps TensorFlow
imported from one sweep to the next.

A refit as a plain Ray task gets a fresh worker process, which imports TensorFlow (5-8 s of CPU on
this project's machine) for a fit that may take a second: on the comparison of BENCHMARKS.md,
section 5b, 7-12 s passed after each run's last trial. On a Ray of one node (a local Ray, this
machine's alone) the refit runs instead in one actor per Ray session, started when the sweep
starts, so that its import overlaps the trials, and kept for every later sweep of the session
(a comparison's runs, a notebook's fits). The actor holds no CPU (``num_cpus=0``): it trains
only once the trials are done, with all of the node's cores. On a cluster of several nodes,
where other drivers' trials may share the largest node, the refit stays a task that reserves
that node's CPUs.
"""

from __future__ import annotations

import importlib
import os
from typing import Any, Mapping

NAME = "tune-jobs-refitter"


class Refitter:
    """The actor: imports TensorFlow as it starts, then refits on request."""

    def __init__(self) -> None:
        importlib.import_module("keras")  # TensorFlow's import, while the first sweep's trials run

    def refit(self, job, config: Mapping[str, Any], data: Mapping[str, Any], seed: int, threads: int) -> float:
        from tune_jobs.engine.trainable import refit_and_score

        return refit_and_score(job, config, data, seed, threads)

    def pid(self) -> int:
        return os.getpid()


def _nodes() -> list[dict]:
    import ray

    return [node for node in ray.nodes() if node["Alive"]]


def warm() -> None:
    """Start this Ray session's refitter now, on a Ray of one node; elsewhere nothing."""
    if len(_nodes()) == 1:
        _refitter()


# Ray ends an actor once its creator's handle is gone, a named one too: the handle stays here,
# with the node it was made for (one Ray session's; a later ray.init makes a new node).
_kept: tuple[str, Any] | None = None


def _refitter():
    """This Ray session's refitter: the one this process started, else a new one."""
    import ray

    global _kept
    node = ray.get_runtime_context().get_node_id()
    if _kept is None or _kept[0] != node:
        _kept = node, ray.remote(Refitter).options(name=NAME, get_if_exists=True, num_cpus=0).remote()
    return _kept[1]


def refit_and_score_remote(job, config: Mapping[str, Any], data_ref, seed: int) -> float:
    """The refit's test score, trained where this module's docstring says, with all of a node's CPUs."""
    import ray

    from tune_jobs.engine.trainable import refit_and_score

    global _kept
    nodes = _nodes()
    cpus = max(node["Resources"].get("CPU", 0) for node in nodes) or 1
    threads = max(1, int(cpus))
    if len(nodes) == 1:
        try:
            return ray.get(_refitter().refit.remote(job, config, data_ref, seed, threads))
        except ray.exceptions.RayActorError:
            _kept = None  # it died (out of memory, killed): the next refit starts another
            raise
    task = ray.remote(num_cpus=cpus)(refit_and_score)  # Ray places it on a node that has them all
    return ray.get(task.remote(job, config, data_ref, seed, threads))
