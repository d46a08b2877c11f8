"""How the suite's files are spread over its two test processes (pytest-xdist, ``--dist loadfile``).

The slowest files start first (measured with --durations): a long file started last runs alone at
the end. (xdist's own file scheduler starts the files with the most tests first; `ray up`'s one
test came last.)

And a test process that dies (a segfault, the OOM killer) costs its one test, reported as failed,
not the whole run: xdist 3.8's file scheduler puts every file the dead process had back in the
queue, its finished files too, and hands them out as empty units that never complete, and it runs
the test that killed the process again; the run then waits forever (pytest-xdist issues #1378,
#1327, #1371; CI ran out of its 90 minutes so, 2026-12-03).
"""

from __future__ import annotations

from pathlib import Path

from xdist.scheduler import LoadFileScheduling

SLOW_FIRST = ("test_ray_up.py", "test_sweep_integration.py", "test_cluster.py", "test_searchers.py", "test_sklearn.py",
              "test_jobs.py", "test_notebook.py", "test_api.py", "test_compare.py", "test_user_jobs.py",
              "test_kept_models.py")


class SlowFilesFirst(LoadFileScheduling):
    def _assign_work_unit(self, node) -> None:
        if not getattr(self, "_reordered", False):
            rank = {name: i for i, name in enumerate(SLOW_FIRST)}
            scopes = sorted(self.workqueue.items(), key=lambda item: rank.get(Path(item[0]).name, len(rank)))
            self.workqueue.clear()
            self.workqueue.update(scopes)
            self._reordered = True
        try:
            super()._assign_work_unit(node)
        except OSError:  # the process died a moment ago: its end (``remove_node``) puts the unit back
            pass

    def remove_node(self, node) -> str | None:
        """A process ended: at shutdown nothing is pending; where it died, the test it died in is
        the first unfinished one. That test counts as done (xdist reports it failed) and only the
        files with tests still to run go back in the queue."""
        workload = self.assigned_work.pop(node)
        unfinished = [(scope, test) for scope, unit in workload.items() for test, done in unit.items() if not done]
        if not unfinished:
            return None
        scope, crashed = unfinished[0]
        workload[scope][crashed] = True
        for scope, unit in workload.items():
            if not all(unit.values()):
                self.workqueue[scope] = unit
        for other in self.assigned_work:
            self._reschedule(other)
        return crashed

    def _reschedule(self, node) -> None:
        """As xdist does, and then more until the process holds two tests: a process runs a test
        only once it holds the next one or has been told to stop, and a replacement process
        given a file with one test left would wait for a second forever."""
        super()._reschedule(node)
        while self.workqueue and not node.shutting_down and self._pending_of(self.assigned_work[node]) < 2:
            self._assign_work_unit(node)
        if not self.workqueue and not node.shutting_down:
            node.shutdown()
