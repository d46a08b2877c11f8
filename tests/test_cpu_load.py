"""The machine's load before a sweep: other programs' busy cores are counted, the driver's own
preparation is not, and a window the preparation already filled costs no wait."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import threading
import time

import psutil

from tune_jobs.engine import cpu_load, runner
from tune_jobs.settings import RunSettings


def test_other_programs_busy_cores_are_counted_and_the_sweep_says_so(capsys):
    cores = os.cpu_count() or 1
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
    try:
        time.sleep(0.5)  # the interpreters started and spinning
        cpu_load.begin()
        time.sleep(cpu_load.LEAST_WINDOW_S + 0.1)
        assert cpu_load.others_percent() >= 50  # every core spun by another process
        runner.warn_about_load(RunSettings(space="s.yaml", workers=1))  # with no window open: a wait of its own
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert "CPUs are already" in capsys.readouterr().out


def test_the_drivers_own_work_in_the_window_is_not_counted():
    own = psutil.Process()
    psutil.cpu_percent(interval=None)  # psutil's whole-machine share, over the same window
    own_before, cpu_load_began = own.cpu_times(), time.monotonic()
    cpu_load.begin()

    def spin() -> None:
        while time.monotonic() - cpu_load_began < 0.7:
            pass

    spinner = threading.Thread(target=spin)  # a thread of the driver's, as TensorFlow's are
    spinner.start()
    spin()
    spinner.join()
    others = cpu_load.others_percent()
    whole = psutil.cpu_percent(interval=None)
    own_after = own.cpu_times()
    own_share = 100 * ((own_after.user + own_after.system) - (own_before.user + own_before.system)) / (
        (time.monotonic() - cpu_load_began) * (os.cpu_count() or 1))
    assert own_share > 0
    assert abs((whole - others) - own_share) <= max(10.0, own_share / 4)  # what is left out is this process


def test_a_window_the_preparation_filled_costs_no_wait(monkeypatch):
    waits: list[float] = []
    cpu_load.begin()
    time.sleep(cpu_load.LEAST_WINDOW_S)
    monkeypatch.setattr(cpu_load.time, "sleep", waits.append)
    cpu_load.others_percent()
    assert waits == []
    cpu_load.others_percent()  # no window open: it waits the least window itself
    assert len(waits) == 1 and 0 < waits[0] <= cpu_load.LEAST_WINDOW_S


def test_a_window_left_open_long_ago_is_not_taken_for_now(monkeypatch):
    waits: list[float] = []
    cpu_load.begin()
    began, *counters = cpu_load._window
    monkeypatch.setattr(cpu_load, "_window", (began - cpu_load.MOST_WINDOW_S - 1, *counters))
    monkeypatch.setattr(cpu_load.time, "sleep", waits.append)
    cpu_load.others_percent()
    assert len(waits) == 1 and 0 < waits[0] <= cpu_load.LEAST_WINDOW_S  # measured anew, over a wait


def test_a_scripts_start_from_the_packages_import_is_its_first_sweeps_window():
    """``import tune_jobs`` opens the window: a script whose imports and data took half a second
    before its sweep waits for nothing; a second sweep measures over its own preparation."""
    script = (
        "import time\n"
        "import tune_jobs\n"
        "from tune_jobs.engine import cpu_load\n"
        "time.sleep(cpu_load.LEAST_WINDOW_S)  # the script's own data\n"
        "waits = []\n"
        "cpu_load.time.sleep = waits.append\n"
        "cpu_load.begin_unless_open(); cpu_load.others_percent()  # the first sweep\n"
        "cpu_load.begin_unless_open(); cpu_load.others_percent()  # a second, at once\n"
        "print(waits)\n")
    waits = ast.literal_eval(subprocess.check_output([sys.executable, "-c", script], text=True))
    assert len(waits) == 1 and 0 < waits[0] <= cpu_load.LEAST_WINDOW_S
