"""Ray nodes on one machine, for tests and benchmarks: a head and workers from `ray start`.

Each node runs `ray start --block` in a process group of its own, with its own temp dir, on
loopback; stopping it ends that group and any Ray process left under its temp dir, by id, and
nothing else on the machine.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tune_jobs.engine.runner import NICENESS_ENV

RAY = str(Path(sys.executable).with_name("ray"))
# These nodes share the machine with their caller (a test beside another test process): their
# trials run at its priority, not niced by 15 as Ray's default would (BENCHMARKS.md, section 17),
# unless the caller's environment sets Ray's own RAY_worker_niceness.
AT_THE_CALLERS_PRIORITY = {NICENESS_ENV: "0"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Node:
    """One `ray start --block` node; the head with ``head_port``, else a worker joining ``address``."""

    def __init__(self, temp_dir: Path, cpus: int = 1, head_port: int | None = None, address: str | None = None):
        temp_dir.mkdir(parents=True, exist_ok=True)
        self.temp_dir = temp_dir
        role = (["--head", f"--port={head_port}", "--include-dashboard=false",
                 f"--ray-client-server-port={free_port()}"] if head_port else [f"--address={address}"])
        self.process = subprocess.Popen(
            [RAY, "start", "--block", f"--num-cpus={cpus}", f"--temp-dir={temp_dir}", "--node-ip-address=127.0.0.1",
             "--disable-usage-stats", *role], start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=AT_THE_CALLERS_PRIORITY | dict(os.environ))

    def kill(self) -> None:
        """SIGKILL: the node dies as a machine would."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        end_processes_under(self.temp_dir)

    def stop(self) -> None:
        """SIGTERM, a few seconds' grace (`ray start --block` rarely ends in less), then SIGKILL."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=3)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        self.kill()


def end_processes_under(temp_dir: Path) -> int:
    """SIGKILL every process whose command line names ``temp_dir`` (Ray's, outliving their node)."""
    killed = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if str(temp_dir) in cmdline:
            try:
                os.kill(int(proc.name), signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    return killed


def alive_nodes(address: str) -> int:
    """How many nodes the cluster at ``address`` counts alive (asked from a fresh process)."""
    probe = subprocess.run([sys.executable, "-c", (
        "import ray; ray.init(address=%r, logging_level='ERROR'); "
        "print(sum(n['Alive'] for n in ray.nodes()))") % address],
        capture_output=True, text=True, timeout=120, env=os.environ.copy())
    lines = probe.stdout.strip().splitlines()
    return int(lines[-1]) if probe.returncode == 0 and lines else 0


def start_cluster(root: Path, nodes: int, cpus: int = 1, timeout: float = 90) -> tuple[str, list[Node]]:
    """A head and ``nodes - 1`` workers, ``cpus`` each; returns its address once all have joined."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    started = [Node(root / "head", cpus, head_port=port)]
    try:
        wait_for_port(port, timeout=60)
        started += [Node(root / f"worker{i}", cpus, address=address) for i in range(1, nodes)]
        deadline = time.monotonic() + timeout
        while alive_nodes(address) < nodes:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{nodes} nodes did not come up within {timeout} s")
            time.sleep(1)
    except BaseException:
        for node in reversed(started):
            node.stop()
        raise
    return address, started
