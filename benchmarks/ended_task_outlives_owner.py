"""Whether a Ray task's process outlives the task's owner: an actor submits a short task and
waits for it, then is killed 0, 0.5 or 2 s later; is the task's process still alive 2 s after?
(BENCHMARKS.md, section 14e: why ``warm_workers.EndsItsTask`` ends a trial's task before Tune
ends the trial's actor.)

    python benchmarks/ended_task_outlives_owner.py
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def main() -> None:
    import ray

    temp = tempfile.mkdtemp(prefix="owner-death-", dir="/tmp")
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=temp, log_to_driver=False,
             _system_config={"num_workers_soft_limit": 12, "idle_worker_killing_time_threshold_ms": 600_000})
    try:
        @ray.remote(num_cpus=0, max_retries=0)
        def task(seconds: float) -> int:
            time.sleep(seconds)
            return os.getpid()

        @ray.remote(num_cpus=0)
        class Owner:
            def run(self, seconds: float) -> int:
                return ray.get(task.options(runtime_env={"env_vars": {"OMP_NUM_THREADS": "1"}}).remote(seconds))

        for after in (0.0, 0.5, 2.0):
            owner = Owner.remote()
            pid = ray.get(owner.run.remote(0.1))
            time.sleep(after)
            ray.kill(owner)
            time.sleep(2.0)
            print(f"task ended, its owner killed {after} s later: the task's process {pid} alive 2 s on: {alive(pid)}")
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
