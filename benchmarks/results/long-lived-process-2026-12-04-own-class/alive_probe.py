"""Probe (BENCHMARKS.md, 14h): what of a trial stays alive in its process, trial after trial, for a
model that kept_models does not keep (TUNE_JOBS_KEEP_MODELS=0): TensorFlow FuncGraphs, Keras models
and variables (after a full collection, frozen objects included), and the functions the eager
context holds. Run from the repository root: python PATH/alive_probe.py [TRIALS]"""

import gc
import os
import sys

os.environ["TUNE_JOBS_KEEP_MODELS"] = "0"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.getcwd())

import keras  # noqa: E402
from tensorflow.python.eager import context  # noqa: E402
from tensorflow.python.framework.func_graph import FuncGraph  # noqa: E402

from tune_jobs.engine import trainable  # noqa: E402
from tune_jobs.jobs.fashion_data import load_fashion_mnist  # noqa: E402
from tune_jobs.jobs.fashion_mlp import JOB  # noqa: E402

CONFIG = {"activation": "relu", "batch_norm": 1, "dropout": 0.2, "optimizer": "Adam", "lr": 0.01,
          "batch_size": 512, "epochs": 1, "layers": 1, "units": 128, "lr_schedule": "constant"}

data = load_fashion_mnist(None)
keep = JOB.subset(data.y_train, 3000, 0)
arrays = {"x_train": data.x_train[keep], "y_train": data.y_train[keep]}
for trial in range(int(sys.argv[1]) if len(sys.argv) > 1 else 8):
    trainable.train_folds(CONFIG, JOB, arrays, cv=3, seed=0, threads=1, node="here", report=lambda result: None)
    gc.unfreeze()
    gc.collect()
    alive = gc.get_objects()
    print(f"after trial {trial + 1}: FuncGraphs {sum(isinstance(o, FuncGraph) for o in alive)}, "
          f"models {sum(isinstance(o, keras.Model) for o in alive)}, "
          f"variables {sum(isinstance(o, keras.Variable) for o in alive)}, "
          f"the eager context's functions {len(context.context().list_function_names())}", flush=True)
    del alive  # else it holds this trial's objects through the next collection
