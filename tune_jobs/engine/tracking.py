"""Optional MLflow tracking (``--mlflow URI``, ``mlflow=`` in the API; ``pip install tune-jobs[mlflow]``):
one MLflow run per sweep, and one per trial nested under it with its hyperparameters and its
metrics after every epoch.

The trials' runs are Ray's own ``MLflowLoggerCallback``, tagged with the sweep's run as their
parent (MLflow's ``mlflow.parentRunId``); the sweep's run holds the run options, the best and
test scores, and the run directory's path. Its id is kept in ``mlflow.json`` so that a resumed
sweep goes on under the same run.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any, Mapping

from tune_jobs.errors import BadInput
from tune_jobs.records import rundir

RECORD = "mlflow.json"  # tracking URI, experiment and the sweep's run id


class TrackingError(BadInput):
    """MLflow tracking that cannot start: not installed, or its server does not answer."""


def check_installed(uri: str | None) -> None:
    if uri and importlib.util.find_spec("mlflow") is None:
        raise TrackingError(f"--mlflow {uri}: MLflow is not installed; pip install 'tune-jobs[mlflow]'")


def start(uri: str, run_dir: Path, experiment: str, options: Mapping[str, Any], resume: bool) -> str:
    """The sweep's MLflow run (a new one, or the one a resumed sweep started); its id."""
    record = run_dir / RECORD
    if resume and record.is_file():
        return rundir.read_json(record)["parent_run_id"]
    client = _client(uri)
    try:
        found = client.get_experiment_by_name(experiment)
        experiment_id = found.experiment_id if found else client.create_experiment(experiment)
        run = client.create_run(experiment_id, run_name=run_dir.name, tags={"run_dir": str(run_dir)})
        client.log_batch(run.info.run_id, params=_params(options))
    except Exception as exc:  # MLflow raises its own exceptions, and requests' for a dead server
        raise TrackingError(f"--mlflow {uri}: cannot start tracking ({type(exc).__name__}: "
                            f"{str(exc).strip().splitlines()[0][:300]})") from None
    rundir.write_json(record, {"tracking_uri": uri, "experiment": experiment, "parent_run_id": run.info.run_id})
    return run.info.run_id


def trial_callback(uri: str, experiment: str, parent_run_id: str):
    """Ray's MLflow callback: one MLflow run per trial, nested under the sweep's."""
    from ray.air.integrations.mlflow import MLflowLoggerCallback

    return MLflowLoggerCallback(tracking_uri=uri, experiment_name=experiment,
                                tags={"mlflow.parentRunId": parent_run_id})


def finish(run_dir: Path, summary: Mapping[str, Any]) -> None:
    """The sweep's outcome on its run; the run ends when the sweep finished."""
    record = rundir.read_json(run_dir / RECORD)
    client = _client(record["tracking_uri"])
    from mlflow.entities import Metric

    scores = {k: summary.get(k) for k in ("best_score", "best_score_std", "test_score", "n_trials", "n_failed",
                                          "epochs_total", "wall_s")}
    metrics = [Metric(k, float(v), 0, 0) for k, v in scores.items() if isinstance(v, (int, float))]
    client.log_batch(record["parent_run_id"], metrics=metrics)
    if summary.get("finished"):
        client.set_terminated(record["parent_run_id"], "FINISHED")


def _client(uri: str):
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")  # a dead server is an error, soon
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def _params(options: Mapping[str, Any]):
    from mlflow.entities import Param

    return [Param(k, str(v)[:500]) for k, v in options.items() if v is not None]
