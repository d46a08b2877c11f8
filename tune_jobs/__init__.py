"""tune-jobs: hyperparameter sweeps of Keras models as parallel Ray Tune trials.

    python -m tune_jobs.fashion --smoke            # about a minute, to try the tool
    python -m tune_jobs.fashion --workers 8        # the seed's grid, 144 configurations x 3 folds
"""

__version__ = "0.1.0"
