"""A sweep's data goes into Ray's object store once per Ray session and content: a later sweep on
the same arrays (a comparison's next run, a notebook's next fit) gets the same object, so its trial
processes find the folds they made; arrays changed in place, or other arrays, are put anew."""

from __future__ import annotations

import numpy as np
import pytest

from tune_jobs.engine import stored_data
from tune_jobs.jobs.base import Data

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def nothing_stored():
    stored_data.forget()
    yield
    stored_data.forget()


def data(x: np.ndarray) -> Data:
    return Data(x_train=x, y_train=np.arange(len(x)) % 3, x_test=x[:2], y_test=np.arange(2))


def test_the_same_content_is_put_once_and_a_change_in_place_is_put_anew(shared_ray):
    import ray

    x = np.random.default_rng(0).random((30, 4), dtype=np.float32)
    first = stored_data.put(data(x))
    assert stored_data.put(data(x.copy())) == first  # other arrays, the same content: the same object
    x[0, 0] += 1  # changed in place after the first sweep
    changed = stored_data.put(data(x))
    assert changed != first and np.array_equal(ray.get(changed)["x_train"], x)
    assert stored_data.put(data(x[:, :3].copy())) not in (first, changed)  # another shape


def test_a_new_ray_session_gets_its_own_object(ray_tmpdir, monkeypatch):
    from tune_jobs.engine.runner import start_ray
    import ray

    puts = []
    real_put = ray.put
    monkeypatch.setattr(ray, "put", lambda value, **kw: puts.append(1) or real_put(value, **kw))
    x = np.ones((6, 2), dtype=np.float32)
    for _ in range(2):  # a notebook's Ray shut down and started again (another --cpus)
        start_ray(None, cpus=1)
        try:
            assert np.array_equal(ray.get(stored_data.put(data(x)))["x_train"], x)
            stored_data.put(data(x))
        finally:
            ray.shutdown()
    assert len(puts) == 2  # once per session
