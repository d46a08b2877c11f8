"""The suite's own scheduler (tests/scheduling.py): a test process that dies costs its one test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


@pytest.mark.parametrize(("processes", "other_files"), [(1, 4), (2, 4), (1, 0)])
def test_a_test_process_that_dies_fails_its_test_and_the_run_goes_on_to_the_end(tmp_path, processes, other_files):
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(TESTS)!r})\nfrom scheduling import SlowFilesFirst\n\n\n"
        "def pytest_xdist_make_scheduler(config, log):\n    return SlowFilesFirst(config, log)\n")
    (tmp_path / "test_0_dies.py").write_text(
        "import os, signal\n\n\ndef test_before():\n    pass\n\n\n"
        "def test_dies():\n    os.kill(os.getpid(), signal.SIGKILL)\n\n\ndef test_after():\n    pass\n")
    for number in range(1, other_files + 1):
        (tmp_path / f"test_{number}.py").write_text("def test_a():\n    pass\n\n\ndef test_b():\n    pass\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    # xdist 3.8's own file scheduler runs the deadly test again, once per process it starts anew, and
    # with the dying file alone waits forever for a second test (pytest-xdist #1371, #1327)
    run = subprocess.run([sys.executable, "-m", "pytest", "-n", str(processes), "--dist", "loadfile", "-p",
                          "no:cacheprovider", "-q", "-o", "addopts=", "--rootdir", str(tmp_path), str(tmp_path)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout[-3000:]
    assert f"1 failed, {2 + 2 * other_files} passed" in run.stdout, run.stdout[-3000:]
    assert "FAILED test_0_dies.py::test_dies - worker 'gw" in run.stdout
