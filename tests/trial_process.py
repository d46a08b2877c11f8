"""What the tests of a trial process's kept state share: a small MLP configuration of the seed's
job, and a process with nothing kept (``nothing_kept`` in conftest.py)."""

CONFIG = {"activation": "relu", "batch_norm": 1, "dropout": 0.2, "layers": 1, "units": 32, "optimizer": "Adam",
          "lr": 0.01, "batch_size": 16, "epochs": 2}


def forget_everything_kept() -> None:
    """Drop what a trial process keeps across trials: compiled models, folds, fold models' weights."""
    from tune_jobs.engine import kept_fold_weights, kept_folds, kept_models

    for kept in (kept_models, kept_folds, kept_fold_weights):
        kept.forget()
