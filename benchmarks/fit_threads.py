"""Two processes at once, each fitting one fold, as two grid trials do on 2 cores, under variants of
TensorFlow's threading; prints each process's wall and CPU seconds of the fit.

    python benchmarks/fit_threads.py EPOCHS                   # two at once, every variant, 2 repeats
    INTRA=1 INTER=1 python benchmarks/fit_threads.py child EPOCHS 0   # one process alone

The seed's best configuration, the first 40,000 training images (a fold's size), batch 512, 16 steps
per call unless SPE=1; JIT=1 compiles with XLA. Variants: intra/inter-op threads 1 or 2, oneDNN off,
each process pinned to its own core.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

VARIANTS = {
    "intra1-inter1": {"INTRA": "1", "INTER": "1"},
    "intra1-inter1-noonednn": {"INTRA": "1", "INTER": "1", "TF_ENABLE_ONEDNN_OPTS": "0"},
    "intra1-inter1-spe1": {"INTRA": "1", "INTER": "1", "SPE": "1"},
    "intra2-inter2": {"INTRA": "2", "INTER": "2"},
    "intra1-inter1-pinned": {"INTRA": "1", "INTER": "1", "PIN": "1"},
}


def child(epochs: int, index: int) -> None:
    import resource

    if os.environ.get("PIN"):
        os.sched_setaffinity(0, {index})

    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(int(os.environ["INTRA"]))
    tf.config.threading.set_inter_op_parallelism_threads(int(os.environ["INTER"]))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tune_jobs.engine import fold_training
    from tune_jobs.jobs.fashion_data import load_fashion_mnist
    from tune_jobs.jobs.fashion_mlp import JOB
    data = load_fashion_mnist(None)
    x, y = data.x_train[:40000], data.y_train[:40000]
    config = {"activation": "swish", "batch_norm": 1, "dropout": 0.2, "layers": 1, "units": 128,
              "optimizer": "Adam", "lr": 0.01, "batch_size": 512, "epochs": epochs}
    model = JOB.model(config)
    if os.environ.get("SPE", "16") != "1":
        model = fold_training.more_steps_per_call(model)
    if os.environ.get("JIT"):
        model.jit_compile = True
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=512, epochs=epochs, verbose=0)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall": round(wall, 2), "cpu": round(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime, 2)}))


def main() -> None:
    epochs = int(sys.argv[1])
    for repeat in range(2):
        for name, env in VARIANTS.items():
            procs = [subprocess.Popen([sys.executable, __file__, "child", str(epochs), str(i)],
                                      env={**os.environ, **env}, stdout=subprocess.PIPE, text=True) for i in range(2)]
            outs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
            print(repeat, name, outs, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "child":
        child(int(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
