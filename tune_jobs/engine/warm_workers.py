"""Trials trained in Ray task processes that outlive a sweep, where one Ray session runs several.

Ray Tune ends its trial actors with every ``Tuner.fit``, so each sweep's first trial per worker
imports TensorFlow again (5-8 s of CPU on this project's machine) and traces its models again.
Where a Ray session that tune-jobs started runs more than one sweep (a comparison's runs, a
notebook's sweeps: the runner leaves a kernel's Ray up; a test module's), each trial instead hands
its training to a CPU-less Ray task on its own node: Ray keeps that task's process once it is idle
(:data:`SYSTEM_CONFIG`, set where tune-jobs starts Ray), so a later sweep's trials find TensorFlow
imported and their models kept (``kept_models``). The trial's actor keeps the CPUs Ray reserved
for it and relays each result to Tune; the task waits for Tune's answer before it trains on, as a
trial in the actor does (Tune reports synchronously), so ASHA's stops land between epochs (or a
step into the next) and a stopped task's process stays warm; so does the process of a trial that
the sweep's end cuts (a budget, Ctrl-C): its actor ends the task before it dies (``EndsItsTask``).

Not for GPU trials (a task without GPUs sees none), and not on a Ray that tune-jobs did not start
or that this sweep itself starts and ends (nothing later would find the processes warm; on a
user's Ray its own limits may end idle workers, and every trial would import TensorFlow again).
Measured: BENCHMARKS.md, sections 5c (the probe) and 5d.
"""

from __future__ import annotations

import functools
import os
import queue
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

# Ray ends idle worker processes beyond a soft limit (by default the node's CPU count, which Tune's
# trial actors already fill) after one second idle: keep a trial actor and a task per CPU, twice
# over (two sweeps' thread counts), and keep them idle for 10 minutes.
SYSTEM_CONFIG = {"num_workers_soft_limit": 4 * (os.cpu_count() or 1) + 4,
                 "idle_worker_killing_time_threshold_ms": 600_000}

Report = Callable[[dict], None]
SWITCH = "TUNE_JOBS_WARM_WORKERS"

_session: tuple[str, int | None] | None = None  # the node and CPU count of the local Ray tune-jobs started
_kept: str | None = None  # the node of a local Ray that a notebook's sweep left running
_training: tuple[Any, Path] | None = None  # in a trial's actor: its task's results and stop file, while it trains


def stop_wait_s() -> float:
    """How long a stopped trial waits for its task to end: as long as Tune waits for a reused
    actor's trial thread before it replaces the actor, and with it the task (Tune's own setting,
    read as Tune reads it, in the trial's actor)."""
    return float(int(os.environ.get("TUNE_FUNCTION_THREAD_TIMEOUT_S", 2)))


def started_here(cpus: int | None) -> None:
    """Record that this process just started a local Ray of ``cpus`` CPUs with :data:`SYSTEM_CONFIG`."""
    import ray

    global _session
    _session = ray.get_runtime_context().get_node_id(), cpus


def ours() -> bool:
    """Whether the Ray this process is connected to is a local one that tune-jobs started."""
    import ray

    return ray.is_initialized() and _session is not None and _session[0] == ray.get_runtime_context().get_node_id()


def keep() -> None:
    """Record that a notebook's sweep leaves the local Ray it started running, for the next one."""
    global _kept
    if ours():
        _kept = _session[0]


def replaceable(address: str | None, cpus: int | None) -> bool:
    """Whether the Ray this process is connected to is one a notebook's sweep left running for
    other settings than ``address`` and ``cpus``: the next sweep starts the Ray it needs instead."""
    return ours() and _kept == _session[0] and not (address is None and cpus == _session[1])


def in_session() -> bool:
    """Whether trials may train in warm task processes: on a local Ray that tune-jobs started (not
    where the environment sets ``TUNE_JOBS_WARM_WORKERS=0``: benchmarks compare both ways)."""
    return os.environ.get(SWITCH) != "0" and ours()


def run(train: Callable[..., None], *args: Any, threads: int, report: Report, **kwargs: Any) -> None:
    """``train(*args, threads=threads, report=..., **kwargs)`` in a warm task process on this node,
    each of its results passed to ``report`` (Tune's, in the trial's actor). Arguments that are
    object-store references (the job, the data) reach the task as their values, the data read
    without a copy; ``threads`` (the trial's CPUs) keeps tasks of different thread counts in
    different processes (TensorFlow's thread pools are set once per process)."""
    import ray

    global _training
    stop = Path(tempfile.gettempdir()) / f"tune-jobs-stop-{uuid.uuid4().hex}"  # this node's: the task's too
    results = _task().options(**_here(threads)).remote(train, {**kwargs, "threads": threads}, str(stop), *args)
    _training = results, stop
    ended = False  # the task ended on its own: its training returned or raised
    try:
        for ref in results:
            try:
                result = ray.get(ref)
            except ray.exceptions.RayTaskError as error:  # the trial's own error, as Tune records it in-actor
                ended = True
                if error.cause is None:
                    raise
                raise error.cause from error
            if result is not None:  # None: the task's question "go on?", answered by asking for the next
                report(result)
        ended = True
    finally:
        _training = None
        _end(results, stop, ended=ended)  # a stopped trial (Tune's report raised): its task ends, its process stays


def warm_up(workers: int, threads: int, prepare: Callable[..., None], *args: Any, **kwargs: Any) -> set[int]:
    """Start ``workers`` task processes for trials of ``threads`` threads on this node and run
    ``prepare(*args, threads=threads, **kwargs)`` in each (object-store references among ``args``
    arrive as their values), before a comparison's first run: that run's trials then find them as
    warm as the later runs' do, and its wall time counts no process start (a new process's import of
    TensorFlow, BENCHMARKS.md section 14e, and its folds, 14g). The processes' ids: none where
    trials do not train in warm tasks (:func:`in_session`)."""
    if not in_session():
        return set()
    import ray
    from ray.tune.execution.class_cache import DEFAULT_ENV_VARS, ENV_VARS_TO_PROPAGATE

    # Sent as a trial sends its task: from an actor in the environment Ray Tune gives its trial
    # actors. Ray merges a task's environment into its sender's and keeps the processes of each
    # merged environment apart; sent from here, the tasks would start processes no trial uses.
    trials = {**DEFAULT_ENV_VARS, **{name: os.environ[name] for name in ENV_VARS_TO_PROPAGATE if name in os.environ}}
    sender = ray.remote(num_cpus=0, runtime_env={"env_vars": trials})(_Sender).remote()
    try:
        return ray.get(sender.warm_up.remote(workers, threads, prepare, args, kwargs))
    finally:
        ray.kill(sender)


class _Sender:
    """The actor that sends :func:`warm_up`'s tasks."""

    def warm_up(self, workers: int, threads: int, prepare: Callable[..., None], args: tuple,
                kwargs: dict[str, Any]) -> set[int]:
        import ray

        # All sent before any is waited for: each imports TensorFlow for seconds, in a process of its own.
        options = {**kwargs, "prepare": prepare, "threads": threads}
        streams = [_task().options(**_here(threads)).remote(_prepared, options, "", *args) for _ in range(workers)]
        return {result["pid"] for stream in streams for result in map(ray.get, stream) if result is not None}


def _prepared(*args: Any, prepare: Callable[..., None], threads: int, report: Report, **kwargs: Any) -> None:
    """A warm-up task's training: ``prepare``, then its process id reported."""
    prepare(*args, threads=threads, **kwargs)
    report({"pid": os.getpid()})


def _here(threads: int) -> dict[str, Any]:
    """Ray's options for a task on this node in the processes kept for trials of ``threads``
    threads (TensorFlow's thread pools are set once per process)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return {"scheduling_strategy": NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False),
            "runtime_env": {"env_vars": {"OMP_NUM_THREADS": str(threads)}}}


class EndsItsTask:
    """Mixed into the trial's Tune trainable class (``__mixins__``, where trials train in warm
    tasks): Tune's stop of the trial's actor, as a budget, a time budget or Ctrl-C ends the sweep,
    first ends the trial's task and waits for it. Tune's own clean-up returns at once (its thread
    is not waited for) and the actor then dies; Ray ends a running task whose owner died, process
    and all, but keeps the process of one that has ended: the next sweep finds it warm."""

    def cleanup(self) -> None:
        end_training()
        super().cleanup()


def end_training() -> None:
    """In a trial's actor: end the task its trial is training in, if any, within :func:`stop_wait_s`
    (a cancel ends a task's training at its next Python step: after the fold-epoch it is in)."""
    training = _training
    if training is None:
        return
    _end(*training, take_question=False)  # the trial's thread may be waiting on the results itself


def _end(results, stop: Path, take_question: bool = True, ended: bool = False) -> None:
    """End a trial's task and wait until it has: Tune starts the next trial on the actor it reuses
    at once, and a task sent while the last one still runs gets a new process, which imports
    TensorFlow again (7-13 s of a trial: BENCHMARKS.md, section 14e).

    A stopped trial's task waits for its "go on?" to be taken: it is taken with ``stop`` written,
    which the task reads as its answer, and it ends at once. ``ray.cancel`` only where there is no
    question to take (a task training): a task waiting for its answer would see a cancel at its
    next poll, a second later. Never for a task that ``ended`` on its own (its stream's end or its
    error came): a cancel that crosses its last reply fails a check in Ray's core worker and ends
    the process that owns the task (Ray 2.60: "Tried to complete task that was not pending")."""
    import ray

    stop.touch()
    done = results.completed()
    try:
        if not ended and not (take_question and _answered(results, done)):
            ray.cancel(results)
        ray.wait([done], timeout=stop_wait_s())
    finally:
        stop.unlink(missing_ok=True)


def _answered(results, done, within_s: float = 0.2) -> bool:
    """Take the task's next "go on?" if it comes within ``within_s`` (it follows each result at
    once): whether one was taken; False where the task ended first."""
    import ray

    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if results.next_ready():
            try:
                next(results)
            except Exception:  # noqa: BLE001 - the task's end (StopIteration) or its error: no question
                return False
            return True
        if ray.wait([done], timeout=0.005)[0]:
            return False
    return False


@functools.cache
def _task():
    import ray

    return ray.remote(num_cpus=0, max_retries=0, num_returns="streaming",
                      _generator_backpressure_num_objects=1)(relay)


class _Stopped(Exception):
    """The trial was stopped: its training thread ends here."""


_DONE = object()


def relay(train: Callable[..., None], kwargs: dict[str, Any], stop_file: str, *args: Any) -> Iterator[dict | None]:
    """The task: ``train`` in a thread of its own; each result it reports is yielded, then a
    ``None``: with ``_generator_backpressure_num_objects=1`` a yield returns once the trial took
    what it yielded, and the trial asks for the ``None`` only after Tune has answered; only then
    does the training go on, unless ``stop_file`` exists by then (the trial was stopped: ``_end``).
    A stop, or ``ray.cancel``, ends the training (a cancel within a step where it already went on:
    the cancel can end the wait before its KeyboardInterrupt arrives) and returns: a
    KeyboardInterrupt out of a generator task would end the process too."""
    import ray

    context = ray.get_runtime_context()
    handoff: queue.Queue = queue.Queue(maxsize=1)
    go_on, stop = threading.Event(), threading.Event()

    def report(result: dict) -> None:
        handoff.put(result)
        go_on.wait()
        go_on.clear()
        if stop.is_set():
            raise _Stopped

    def body() -> None:
        try:
            try:
                train(*args, report=report, **kwargs)
                handoff.put(_DONE)
            except _Stopped:
                pass
            except BaseException as exc:  # the trial's error, raised by the task for Tune to record
                handoff.put(exc)
        except _Stopped:  # raised into this thread just as the training ended
            pass

    thread = threading.Thread(target=body, name="tune-jobs-trial", daemon=True)
    thread.start()
    try:
        while True:
            try:
                item = handoff.get(timeout=0.1)
            except queue.Empty:
                continue
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            yield None  # returns once the trial asked for it (Tune answered), or once ray.cancel came
            if context.is_canceled() or os.path.exists(stop_file):  # the answer: stop (``_end``)
                raise KeyboardInterrupt
            go_on.set()
    except KeyboardInterrupt:  # ray.cancel
        _stop(thread, stop, go_on)
        thread.join()
    except BaseException:  # the error above; GeneratorExit or SystemExit: the trial's actor is gone
        _stop(thread, stop, go_on)
        raise


def _stop(thread: threading.Thread, stop: threading.Event, go_on: threading.Event) -> None:
    """End the training thread: at its next report, or, training, at its next Python step
    (Keras returns to Python between calls into TensorFlow)."""
    import ctypes

    stop.set()
    go_on.set()
    if thread.ident is not None and thread.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(_Stopped))
