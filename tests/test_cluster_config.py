"""cluster.yaml and cluster-aws.yaml validate against the schema Ray ships, and stay secure by default."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FILES = ["cluster.yaml", "cluster-aws.yaml"]


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


@pytest.mark.parametrize("name", FILES)
def test_validates_against_rays_schema_as_ray_up_fills_it(name):
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = prepare_config(load(name))  # what `ray up` does: Ray's defaults for the provider filled in
    validate_config(config)  # ray/autoscaler/ray-schema.json, plus Ray's own checks
    with pytest.raises(Exception, match="head_ips|Additional properties"):  # the check can fail
        validate_config({**config, "head_ips": ["10.0.0.1"]})


@pytest.mark.parametrize("name", FILES)
def test_token_auth_on_every_node_and_nothing_public(name):
    config = load(name)
    starts = config["head_start_ray_commands"] + config["worker_start_ray_commands"]
    assert all("RAY_AUTH_MODE=token" in c for c in starts if " start " in c)
    head = " ".join(config["head_start_ray_commands"])
    assert "--dashboard-host=127.0.0.1" in head
    assert "0.0.0.0" not in (ROOT / name).read_text().replace("not 0.0.0.0/0", "")
    # the token travels from the user's home, never from the repository
    assert config["file_mounts"]["~/.ray/auth_token"] == "~/.ray/auth_token"


def test_the_aws_example_opens_ssh_only():
    rules = load("cluster-aws.yaml")["provider"]["security_group"]["IpPermissions"]
    assert [(r["FromPort"], r["ToPort"]) for r in rules] == [(22, 22)]
