"""`ray up` for real: cluster.yaml, its head at 127.0.0.1, reached over SSH, then a sweep on it.

sshd (Debian's openssh-server; `.ci/run` installs it) listens on 127.0.0.1 only, with a key made
for the test, and runs in a PID namespace of its own: everything started through it -- Ray's head,
the sweep -- lives there, so `ray stop` (which `ray up` and `ray down` run, and which stops every
Ray process it can see) sees only this cluster, and ending the namespace ends them all. Its
sessions get a home of their own (sshd's SetEnv), so nothing lands in the real home directory.

The copy of cluster.yaml changes only what must: addresses, user, key, the SSH port (through a
ProxyCommand), Ray's ports (6379 and 10001 may be taken here) and the cluster's name.
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from tune_jobs.engine.local_cluster import free_port, wait_for_port
from tune_jobs.records.rundir import read_csv

ROOT = Path(__file__).resolve().parent.parent
SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
REQUIRED = os.environ.get("TUNE_JOBS_REQUIRE_SSHD") == "1"  # CI: a missing sshd is a failure

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (Path(SSHD).is_file() or REQUIRED), reason="no sshd (apt-get install openssh-server)"),
]


def cluster_copy(folder: Path, key: Path, ssh_port: int, ray_port: int) -> Path:
    config = yaml.safe_load((ROOT / "cluster.yaml").read_text())
    config["cluster_name"] = f"tj-test-{secrets.token_hex(3)}"
    config["provider"].update(head_ip="127.0.0.1", worker_ips=[])
    config["auth"] = {"ssh_user": getpass.getuser(), "ssh_private_key": str(key),
                      "ssh_proxy_command": f"nc 127.0.0.1 {ssh_port}"}
    for section in ("head_start_ray_commands", "worker_start_ray_commands"):
        config[section] = [c.replace("6379", str(ray_port)) for c in config[section]]
    config["head_start_ray_commands"][-1] += f" --ray-client-server-port={free_port()}"  # 10001 may be taken
    path = folder / "cluster.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture
def sshd_on_loopback():
    """sshd on 127.0.0.1 in its own PID namespace; yields (folder, key, port, remote home, env)."""
    assert Path(SSHD).is_file(), "TUNE_JOBS_REQUIRE_SSHD=1 but no sshd"
    folder = Path(tempfile.mkdtemp(prefix="tj-ssh-", dir="/tmp"))
    key, host = folder / "key", folder / "host_key"
    for path in (key, host):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    shutil.copy(f"{key}.pub", folder / "authorized_keys")
    remote_home, local_home = folder / "remote", folder / "local"
    (local_home / ".ray").mkdir(parents=True)
    remote_home.mkdir()
    (local_home / ".ray" / "auth_token").write_text(secrets.token_hex(16))  # `ray get-auth-token --generate`
    port = free_port()
    (folder / "sshd_config").write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {host}", f"PidFile {folder / 'sshd.pid'}",
        f"AuthorizedKeysFile {folder / 'authorized_keys'}", "StrictModes no", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "UsePAM no", "PermitRootLogin prohibit-password",
        f"SetEnv HOME={remote_home} RAY_TMPDIR={folder / 'ray'}", ""]))
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    sshd = subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
                             SSHD, "-D", "-e", "-f", str(folder / "sshd_config")],
                            stdout=subprocess.DEVNULL, stderr=open(folder / "sshd.log", "w"))
    env = {**os.environ, "HOME": str(local_home), "RAY_TMPDIR": str(folder / "launcher")}
    for name in ("RAY_AUTH_TOKEN", "RAY_ADDRESS", "PYTHONPATH"):  # the node's, not this test process's
        env.pop(name, None)
    (folder / "launcher").mkdir()
    try:
        wait_for_port(port, timeout=30)
        yield folder, key, port, remote_home, env
    finally:
        sshd.send_signal(signal.SIGKILL)  # unshare's --kill-child ends the namespace, and all in it
        sshd.wait()
        time.sleep(1)
        shutil.rmtree(folder, ignore_errors=True)


def node_image_with_the_dependencies(venv: Path) -> None:
    """The node's ``~/tune-jobs-venv`` as a machine image would have it: tune-jobs' dependencies
    installed (a copy of this test's own venv, hard-linked where the file system allows, its
    scripts' ``#!`` lines pointed at the copy). cluster.yaml's setup still runs for real on it: it
    finds the venv and pip-installs the copied project into it. Installing the dependencies
    themselves is what ``.ci/run`` and the README's quick start do; here it took ~2 minutes of the suite."""
    source = Path(sys.prefix).resolve()  # as the scripts' #! lines name it (a venv reached by a symlink)
    try:
        shutil.copytree(source, venv, symlinks=True, copy_function=os.link)
    except OSError:  # another file system: a plain copy
        shutil.rmtree(venv, ignore_errors=True)
        shutil.copytree(source, venv, symlinks=True)
    for script in (venv / "bin").iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        text = script.read_bytes()
        if text.startswith(b"#!" + bytes(source)):
            mode = script.stat().st_mode
            script.unlink()  # a new file, not the hard-linked original
            script.write_bytes(text.replace(bytes(source), bytes(venv), 1))
            script.chmod(mode)
    # The setup's pip must install into the copy: a #! line naming another Python would have it
    # install the node's project there, into the venv the suite runs in (seen once, with the venv
    # reached by a symlink, when ``source`` was not resolved and matched no #! line).
    elsewhere = [script.name for script in (venv / "bin").iterdir()
                 if script.is_file() and not script.is_symlink()
                 and re.match(rb"#!/\S*python", first := script.read_bytes().split(b"\n", 1)[0])
                 and not first.startswith(b"#!" + bytes(venv) + b"/")]
    assert not elsewhere, f"scripts of the node's venv run another Python: {elsewhere}"


def test_ray_up_then_a_sweep_then_ray_down(sshd_on_loopback, real_data_dir, tmp_path):
    folder, key, ssh_port, remote_home, env = sshd_on_loopback
    node_image_with_the_dependencies(remote_home / "tune-jobs-venv")
    config = cluster_copy(folder, key, ssh_port, ray_port=free_port())
    ray = str(Path(sys.executable).with_name("ray"))

    def run(*args: str, timeout: int) -> subprocess.CompletedProcess:
        return subprocess.run([ray, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)

    up = run("up", "-y", "--no-config-cache", str(config), timeout=900)
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    assert (remote_home / "tune-jobs" / "tune_jobs" / "fashion.py").is_file()  # the project was copied
    where = subprocess.run([str(remote_home / "tune-jobs-venv" / "bin" / "python"), "-c",
                            "import tune_jobs; print(tune_jobs.__file__)"], cwd=tmp_path, env=env, capture_output=True,
                           text=True, check=True)
    assert where.stdout.startswith(f"{remote_home / 'tune-jobs'}/"), where.stdout  # and installed from there
    assert (remote_home / ".ray" / "auth_token").read_text() == (
        Path(env["HOME"]) / ".ray" / "auth_token").read_text()  # and the token, from the user's home
    space = folder / "space.yaml"
    space.write_text("grid:\n  lr: [0.001, 0.01]\n  batch_size: [256]\n  epochs: [1]\n")
    command = (f"cd ~/tune-jobs && ~/tune-jobs-venv/bin/python -m tune_jobs.fashion --address auto "
               f"--space {space} --workers 2 --max-train-samples 1200 --no-refit --data-dir {real_data_dir} "
               f"--out ~/runs")
    sweep = run("exec", str(config), command, timeout=600)
    assert sweep.returncode == 0, sweep.stdout[-3000:] + sweep.stderr[-3000:]
    [run_dir] = list((remote_home / "runs").iterdir())
    rows = read_csv(run_dir / "trials.csv")
    assert sorted(float(r["lr"]) for r in rows) == [0.001, 0.01] and all(r["status"] == "ok" for r in rows)
    token = (remote_home / ".ray" / "auth_token").read_text()
    assert not [p for p in run_dir.rglob("*") if p.is_file() and token in p.read_text(errors="replace")]
    down = run("down", "-y", str(config), timeout=300)
    assert down.returncode == 0, down.stdout[-3000:] + down.stderr[-3000:]
