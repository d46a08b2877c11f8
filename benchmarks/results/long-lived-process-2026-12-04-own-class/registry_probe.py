"""Probe (BENCHMARKS.md, 14h): the custom gradients TensorFlow's gradient registry holds after
TRIALS one-epoch trials of a model of the user's own class over random shapes of the seed's grid
(``long_lived_process.py --own-class``'s draws), counted by their gradient function. Run from the
repository root, in a worktree of the version to look at: python PATH/registry_probe.py [TRIALS]"""

import collections
import os
import random
import sys

sys.path.insert(0, os.getcwd())
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks.long_lived_process import RATES, SHAPES, of_own_class  # noqa: E402
from tune_jobs.engine import trainable  # noqa: E402
from tune_jobs.jobs.fashion_data import load_fashion_mnist  # noqa: E402
from tune_jobs.jobs.fashion_mlp import JOB  # noqa: E402


def gradient_function(entry) -> str:
    """The gradient function inside custom_gradient's registered wrapper, as module.qualname."""
    function = entry["type"]
    for name in ("tape_grad_fn", "grad_fn"):
        function = function.__closure__[function.__code__.co_freevars.index(name)].cell_contents
    return f"{function.__module__}.{function.__qualname__}"


def main() -> None:
    from tensorflow.python.framework import ops

    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    job = of_own_class(JOB)
    data = load_fashion_mnist(None)
    keep = JOB.subset(data.y_train, 3000, 0)
    arrays = {"x_train": data.x_train[keep], "y_train": data.y_train[keep]}
    draw = random.Random(0)
    for _ in range(trials):
        activation, batch_norm, dropout, optimizer = draw.choice(SHAPES)
        config = {"activation": activation, "batch_norm": batch_norm, "dropout": dropout, "optimizer": optimizer,
                  "lr": draw.choice(RATES), "batch_size": 512, "epochs": 1, "layers": 1, "units": 128,
                  "lr_schedule": "constant"}
        trainable.train_folds(config, job, arrays, cv=3, seed=0, threads=1, node="here", report=lambda result: None)
    counts = collections.Counter(gradient_function(entry) for name, entry in ops._gradient_registry._registry.items()
                                 if name.startswith("CustomGradient-"))
    print(f"after {trials} trials, custom gradients registered: {sum(counts.values())}")
    for function, count in counts.most_common():
        print(f"  {count:4d}  {function}")


if __name__ == "__main__":
    main()
