"""The README's quick start and .ci/run must not drift apart: the same Debian packages, the same
virtual environment, the same install, the same test command; both work as root (no sudo)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
CI = (ROOT / ".ci" / "run").read_text()


def quick_start() -> list[str]:
    """The command lines of the quick start's code block (comments dropped)."""
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_quick_start_is_two_commands_the_second_is_ci():
    run_main, run_tests = quick_start()
    assert run_tests.strip() == "bash .ci/run"
    assert "python -m tune_jobs.fashion" in run_main


def test_the_first_command_installs_what_ci_installs_the_same_way():
    run_main, _ = quick_start()
    packages = set(re.search(r"apt-get install -y ([\w\s.-]+?)(?:&&|$)", run_main).group(1).split())
    ci_packages = set(re.findall(r"missing\+=\(([\w.-]+)\)", CI))
    assert packages <= ci_packages, packages - ci_packages  # what a user installs, CI installs too
    assert "python3 -m venv .venv" in run_main and "python3 -m venv .venv" in CI
    install = re.compile(r"\.venv/bin/pip install -q uv && \.venv/bin/uv pip install (.*?) -e (\S+)")
    readme, ci = install.search(run_main), install.search(CI.replace("\n.venv/bin/uv", " && .venv/bin/uv"))
    assert readme and ci and readme.group(1) == ci.group(1)  # the same installer, the same options
    assert readme.group(2) == "." and ci.group(2) == "'.[test]'"


def test_both_work_as_root_where_there_is_no_sudo():
    run_main, _ = quick_start()
    assert "sudo apt-get" not in run_main.replace("$(command -v sudo) apt-get", "")  # no bare sudo
    assert '[ "$(id -u)" = 0 ] || sudo="sudo"' in CI and "sudo apt-get" not in CI.replace("$sudo apt-get", "")


def test_the_readmes_test_command_is_what_ci_runs():
    stated = re.search(r"the test command is `([^`]+)`", README).group(1)
    last = [line for line in CI.splitlines() if line.strip() and not line.startswith("#")][-1]
    assert last.strip() == stated
