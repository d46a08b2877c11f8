"""A configuration refitted on all 60,000 training images with a constant learning rate and with
cosine decay (``lr_schedule``), side by side: the test accuracy after every epoch. A diagnostic of
the schedule, not a selection: the test curve is read, never used to choose.

    python benchmarks/peers/schedule_probe.py a cosine 30     # configuration, schedule, epochs

Two at a time, one TensorFlow thread each (``xargs -P 2``, as BENCHMARKS.md section 15f ran it),
Keras' ``fit`` with its ``LearningRateScheduler`` (the engine sets the same rates by its own loop:
``tests/test_fold_training.py``). The configurations are the CNN space's best found so far:
``a`` and ``b`` the two best by held-out accuracy of ``fashion_cnn_automl-s0-58min-asha-time``,
``d`` the best of ``fashion_cnn_automl-s0-58min-e30`` (whose constant-rate refit curve is in its
``refit-curve.json``). One JSON line per run on standard output.
"""

from __future__ import annotations

import json
import sys
import time

CNN = dict(conv_blocks=2, filters=16, kernel_size=3, pooling="max", batch_norm=0, activation="relu")
CONFIGS = {
    "a": dict(CNN, units=252, dropout=0.26, optimizer="Adam", lr=0.00125, batch_size=128),
    "b": dict(CNN, units=249, dropout=0.26, optimizer="Nadam", lr=0.00207, batch_size=256),
    "d": dict(CNN, units=217, dropout=0.34626579503888294, optimizer="Adam", lr=0.0020909665003553918,
              batch_size=128),
}


def main() -> None:
    name, schedule, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    from tune_jobs.engine.fold_training import scheduled
    from tune_jobs.engine.fresh_start import prepare_keras
    from tune_jobs.jobs import fashion_cnn, fashion_data
    from tune_jobs.jobs.lr_schedules import learning_rates

    config = CONFIGS[name]
    prepare_keras(threads=1, seed=0)
    import keras

    data = fashion_data.load_fashion_mnist()
    model = fashion_cnn.build_model(config)
    rates = learning_rates(schedule, config["lr"], epochs)
    curve = []

    class Test(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            scores = self.model.evaluate(data.x_test, data.y_test, batch_size=1024, verbose=0, return_dict=True)
            curve.append(round(scores["accuracy"], 4))

    began = time.time()
    model.fit(data.x_train, data.y_train, batch_size=config["batch_size"], epochs=epochs, verbose=0,
              callbacks=[*scheduled(rates), Test()])
    print(json.dumps({"config": name, "schedule": schedule, "epochs": epochs, "final": curve[-1], "curve": curve,
                      "s": round(time.time() - began)}), flush=True)


if __name__ == "__main__":
    main()
