import numpy as np
import pytest

from tune_jobs.jobs import fashion_data as data_module
from tune_jobs.jobs.fashion_data import DataError, load_fashion_mnist, read_idx


@pytest.fixture
def no_system_copies(monkeypatch, tmp_path):
    """Point the cache and the Debian folder at empty places, and forbid downloads."""
    monkeypatch.setattr(data_module, "KERAS_CACHE", tmp_path / "keras-cache")
    monkeypatch.setattr(data_module, "DEBIAN_DIR", tmp_path / "debian")
    monkeypatch.delenv(data_module.ENV_VAR, raising=False)

    def offline():
        raise OSError("no network")

    monkeypatch.setattr(data_module, "_download", offline)
    return tmp_path


def test_reads_a_users_copy_scaled_to_unit_range(synthetic_fashion, no_system_copies):
    folder = synthetic_fashion()
    data = load_fashion_mnist(folder)
    assert data.x_train.shape == (60, 28, 28) and data.x_test.shape == (20, 28, 28)
    assert data.x_train.dtype == np.float32 and 0 <= data.x_train.min() and data.x_train.max() <= 1
    assert data.x_train.max() > 0.9  # scaled, not zeroed
    assert list(data.y_train[:12]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert data.source == str(folder)


def test_lookup_order(synthetic_fashion, no_system_copies, monkeypatch):
    debian = synthetic_fashion(no_system_copies / "debian")
    assert load_fashion_mnist().source == str(debian)
    cache = synthetic_fashion(no_system_copies / "keras-cache")
    assert load_fashion_mnist().source == str(cache)
    env = synthetic_fashion(no_system_copies / "env")
    monkeypatch.setenv(data_module.ENV_VAR, str(env))
    assert load_fashion_mnist().source == str(env)
    explicit = synthetic_fashion(no_system_copies / "explicit")
    assert load_fashion_mnist(explicit).source == str(explicit)


def test_an_explicit_folder_without_data_is_an_error(no_system_copies, synthetic_fashion):
    synthetic_fashion(no_system_copies / "debian")  # would be found, but the user named a folder
    with pytest.raises(DataError, match="--data-dir .*empty: no Fashion-MNIST"):
        load_fashion_mnist(no_system_copies / "empty")


def test_nothing_found_names_every_place_and_how_to_get_it(no_system_copies):
    with pytest.raises(DataError) as error:
        load_fashion_mnist()
    message = str(error.value)
    for place in ("keras-cache", "debian", "Keras' download (OSError: no network)",
                  "apt-get install dataset-fashion-mnist"):
        assert place in message


def test_truncated_file_is_named(synthetic_fashion, tmp_path):
    folder = synthetic_fashion()
    path = folder / "train-images-idx3-ubyte.gz"
    import gzip

    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz: header says"):
        read_idx(path)


def test_a_gzip_file_cut_short_is_named(synthetic_fashion):
    path = synthetic_fashion() / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte.gz: cannot read \(EOFError: .*get it again"):
        read_idx(path)


def test_the_real_data_set(real_data_dir):
    data = load_fashion_mnist(real_data_dir)
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
    assert np.bincount(data.y_train).tolist() == [6000] * 10
