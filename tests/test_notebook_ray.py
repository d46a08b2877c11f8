"""A notebook keeps the local Ray its first sweep started, as Ray Tune leaves it (a module of its
own: the ``shared_ray`` fixture's Ray would be the one it finds)."""

from __future__ import annotations

from pathlib import Path

from tune_jobs.engine import warm_workers


def test_a_notebook_keeps_the_local_ray_its_sweep_started_until_other_settings_need_another(ray_tmpdir, tmp_path,
                                                                                           monkeypatch):
    """As Ray Tune leaves the Ray it started: the next sweep in the kernel finds it (and its warm
    task processes); a sweep for another CPU count starts another. (Outside a notebook a sweep
    ends the Ray it started: every test that uses the ``ray_tmpdir`` fixture asserts it.)"""
    import ray

    from tune_jobs.engine import progress
    from tune_jobs.engine.runner import run_sweep
    from tune_jobs.records import rundir
    from tune_jobs.settings import RunSettings
    from tune_jobs.space.spec import parse_spec
    from tune_jobs.testing import ANALYTIC, analytic_trainable, tiny_data

    spec = parse_spec("grid:\n  lr: [0.001, 0.01]\n  epochs: [1]\n", Path("analytic.yaml"))

    def sweep(**options) -> str | None:
        settings = RunSettings(space="analytic.yaml", job="analytic", refit=False, out=str(tmp_path), **options)
        run_dir = rundir.new_run_dir(tmp_path, "analytic")
        assert run_sweep(settings, spec, ANALYTIC, tiny_data(), run_dir, trainable=analytic_trainable) == 0
        return ray.get_runtime_context().get_node_id() if ray.is_initialized() else None

    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    try:
        first = sweep()
        assert first is not None and warm_workers.in_session()
        assert sweep() == first  # the same Ray
        assert sweep(cpus=1, workers=1) not in (None, first)  # another CPU count: another Ray, kept in its turn
    finally:
        ray.shutdown()
