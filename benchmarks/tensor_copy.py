"""Whether TensorFlow copies a numpy array into a tensor, and what that costs: a fold's training rows
(40,000 images of 28 x 28 float32, 125 MB) sliced as a trial slices them, and the same rows in a
64-byte-aligned buffer; each converted with ``tf.convert_to_tensor``, timed, then one element of
the array changed to see whether the tensor shares its memory.

    python benchmarks/tensor_copy.py [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def aligned_take(x: np.ndarray, rows: np.ndarray, align: int = 64) -> np.ndarray:
    """``x[rows]`` in a buffer whose address is a multiple of ``align`` bytes."""
    size = len(rows) * x[0].nbytes
    buffer = np.empty(size + align, np.uint8)
    start = (-buffer.ctypes.data) % align
    out = buffer[start:start + size].view(x.dtype).reshape((len(rows),) + x.shape[1:])
    np.take(x, rows, axis=0, out=out)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.random((60000, 28, 28), dtype=np.float32)
    rows = rng.permutation(60000)[:40000]
    ways = {"x[rows]": lambda: x[rows], "64-byte aligned": lambda: aligned_take(x, rows)}
    for _ in range(args.repeats):
        for name, make in ways.items():
            array = make()
            started = time.perf_counter()
            tensor = tf.convert_to_tensor(array)
            seconds = time.perf_counter() - started
            array[0, 0, 0] = 123.0
            print(f"{name:16s} address % 64 = {array.ctypes.data % 64:2d}  convert {seconds:.3f} s  "
                  f"shares memory: {float(tensor[0, 0, 0]) == 123.0}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
