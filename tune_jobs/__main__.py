"""``python -m tune_jobs``: run a sweep of any job, or list the registered jobs.

    python -m tune_jobs run --job fashion-cnn --smoke
    python -m tune_jobs run --job my_job.py --space my_space.yaml --workers 2
    python -m tune_jobs jobs
"""

from __future__ import annotations

import sys
from typing import Sequence

USAGE = "usage: python -m tune_jobs {run,jobs} ...   (run: a sweep, see `run --help`; jobs: the registered jobs)"


def list_jobs() -> int:
    """One line per registered job: name, metric, mode, default space, what it trains."""
    from tune_jobs.jobs import JOBS, get_job

    for name in JOBS:
        job = get_job(name)
        space = job.default_space.relative_to(job.default_space.parent.parent) if job.default_space else "-"
        print(f"{name:<12} {job.objective.metric:<9} {job.objective.mode:<4} {str(space):<36} {job.description}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["jobs"]:
        return list_jobs()
    if argv[:1] == ["run"]:
        from tune_jobs import cli

        return cli.main(argv[1:], prog="python -m tune_jobs run")
    print(USAGE, file=sys.stderr)
    return 0 if argv[:1] in (["-h"], ["--help"]) else 2


if __name__ == "__main__":
    from tune_jobs.cli import run_as_program

    run_as_program(main)
