"""A trial whose training raised is not trained again by Ray Tune's retries (engine/retries.py).
The real sweep's side: test_sweep_integration's reduced grid, whose diverging trials train once."""

from __future__ import annotations

import pytest
import ray.exceptions

from tune_jobs.engine.retries import raised_once


class NeedsTwoArguments(Exception):
    """Pickles, but does not unpickle (its constructor wants two arguments)."""

    def __init__(self, what: str, where: str):
        super().__init__(f"{what} at {where}")


def test_a_retry_raises_the_recorded_error_without_training(tmp_path):
    trained = []
    with pytest.raises(FloatingPointError, match="loss became nan at epoch 3"):
        with raised_once(tmp_path, "t1"):
            trained.append("t1")
            raise FloatingPointError("training loss became nan at epoch 3")
    for _ in range(2):  # Tune's two retries
        with pytest.raises(FloatingPointError, match="loss became nan at epoch 3"):
            with raised_once(tmp_path, "t1"):
                trained.append("t1 again")
    with raised_once(tmp_path, "t2"):  # another trial is not affected
        trained.append("t2")
    assert trained == ["t1", "t2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t1.pkl"]


@pytest.mark.parametrize("error", [ray.exceptions.WorkerCrashedError(), MemoryError("out of memory"),
                                   type("ResourceExhaustedError", (RuntimeError,), {})("OOM when allocating")],
                         ids=["process died", "MemoryError", "TensorFlow out of memory"])
def test_a_trial_whose_process_or_memory_gave_out_trains_again(tmp_path, error):
    with pytest.raises(type(error)):
        with raised_once(tmp_path, "t1"):
            raise error
    trained = []
    with raised_once(tmp_path, "t1"):
        trained.append("again")
    assert trained == ["again"] and not any(tmp_path.iterdir())


def test_an_error_that_does_not_unpickle_comes_back_by_its_message(tmp_path):
    with pytest.raises(NeedsTwoArguments):
        with raised_once(tmp_path, "t1"):
            raise NeedsTwoArguments("bad layer size", "layer 2")
    with pytest.raises(RuntimeError, match=r"^NeedsTwoArguments: bad layer size at layer 2$"):
        with raised_once(tmp_path, "t1"):
            pytest.fail("trained again")


def test_on_a_node_without_the_run_directory_nothing_is_recorded(tmp_path):
    missing = tmp_path / "run" / "raised"
    for _ in range(2):
        with pytest.raises(ValueError):
            with raised_once(missing, "t1"):
                raise ValueError("bad layer size")
    assert not (tmp_path / "run").exists()
