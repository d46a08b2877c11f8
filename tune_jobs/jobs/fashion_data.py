"""Fashion-MNIST from the user's copy, Keras' cache, the Debian package, or Keras' download.

The files are the original IDX files (``train-images-idx3-ubyte.gz`` ...), gzipped or not,
which is how Keras caches them and how Debian's ``dataset-fashion-mnist`` installs them.
"""

from __future__ import annotations

import gzip
import zlib
import os
from pathlib import Path

import numpy as np

from tune_jobs.errors import BadInput
from tune_jobs.jobs.base import Data, DataOptions

ENV_VAR = "FASHION_MNIST_DIR"
KERAS_CACHE = Path("~/.keras/datasets/fashion-mnist")
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
HOW_TO_GET = (
    "Get the data with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or put the four "
    "IDX files from https://github.com/zalandoresearch/fashion-mnist in a folder and pass "
    f"--data-dir or set {ENV_VAR}, or run where Keras can download it."
)


class DataError(BadInput, RuntimeError):
    """Fashion-MNIST could not be found or read."""


def load_data(options: DataOptions) -> Data:
    """The built-in Fashion-MNIST jobs' data: images as float32 in [0, 1], labels as uint8."""
    return load_fashion_mnist(options.data_dir)


def candidate_dirs(data_dir: str | Path | None = None) -> list[Path]:
    """The folders looked at, in order: the user's, Keras' cache, the Debian package's."""
    user = data_dir or os.environ.get(ENV_VAR)
    dirs = [Path(user).expanduser()] if user else []
    return dirs + [KERAS_CACHE.expanduser(), DEBIAN_DIR]


def load_fashion_mnist(data_dir: str | Path | None = None, download: bool = True) -> Data:
    """The first complete copy found; Keras' download when there is none and ``download``."""
    looked = []
    for folder in candidate_dirs(data_dir):
        if _complete(folder):
            arrays = {key: read_idx(_file(folder, stem)) for key, stem in FILES.items()}
            return _scaled(arrays, source=str(folder))
        looked.append(f"{folder} ({'incomplete' if folder.is_dir() else 'not found'})")
        if data_dir and folder == Path(data_dir).expanduser():
            # An explicit --data-dir that does not hold the data is a mistake, not a fallback.
            raise DataError(f"--data-dir {data_dir}: no Fashion-MNIST IDX files there. {HOW_TO_GET}")
    if download:
        try:
            return _download()
        except Exception as exc:  # any failure of the network or of Keras ends the same way
            looked.append(f"Keras' download ({type(exc).__name__}: {exc})")
    raise DataError("Fashion-MNIST not found. Looked in: " + "; ".join(looked) + ". " + HOW_TO_GET)


def read_idx(path: Path) -> np.ndarray:
    """One IDX file as a uint8 array (the format's header gives the shape)."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError, zlib.error) as exc:  # EOFError: a gzip file cut short
        raise DataError(f"{path}: cannot read ({type(exc).__name__}: {exc}); the file is damaged or "
                        f"incomplete: get it again") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path}: not an IDX file of unsigned bytes")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DataError(f"{path}: header says {shape} but holds {data.size} values (truncated?)")
    return data.reshape(shape)


def _file(folder: Path, stem: str) -> Path:
    gz = folder / f"{stem}.gz"
    return gz if gz.exists() else folder / stem


def _complete(folder: Path) -> bool:
    return all(_file(folder, stem).is_file() for stem in FILES.values())


def _scaled(arrays: dict[str, np.ndarray], source: str) -> Data:
    return Data(
        x_train=arrays["x_train"].astype(np.float32) / 255.0,
        y_train=arrays["y_train"].astype(np.uint8),
        x_test=arrays["x_test"].astype(np.float32) / 255.0,
        y_test=arrays["y_test"].astype(np.uint8),
        source=source,
    )


def _download() -> Data:
    import keras  # heavy, and only needed where there is a network

    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return _scaled(arrays, source=str(KERAS_CACHE.expanduser()))
