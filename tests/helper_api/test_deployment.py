"""What the container and the ECS task carry of issue 12: the gevent worker, its bounds, the per-address limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from helper_api.settings import Settings
from tests.docker.lockfile import runtime_packages
from tests.helper_api.support import GUNICORN_CONF, REPO
from tests.infra.support import TF_DIR, load_configuration

HELPER_MODULE = TF_DIR / "modules" / "helper"


def gunicorn_config(tmp_path: Path, **env: str) -> dict[str, Any]:
    """The names gunicorn.conf.py defines, read in a clean process as gunicorn would."""
    keep = "isinstance(v, (str, int, float, list, bool))"
    program = (
        f"import json, runpy; c = runpy.run_path({str(GUNICORN_CONF)!r}); "
        f"print(json.dumps({{k: v for k, v in c.items() if {keep}}}))"
    )
    base = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=tmp_path, env={**base, **env},
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    config: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return config


def test_gunicorn_serves_with_the_helpers_gevent_worker_and_its_header_timeout(tmp_path: Path) -> None:
    config = gunicorn_config(tmp_path, HELPER_HEADER_TIMEOUT_S="7", HELPER_WORKER_CONNECTIONS="300")
    assert config["worker_class"] == "helper_api.serving.HelperWorker"
    assert "threads" not in config  # gthread's: a thread per connection is what slow clients exhausted
    assert config["keepalive"] == 7  # the gevent worker's deadline for each request head
    assert config["worker_connections"] == 300
    assert config["forwarded_allow_ips"] == ""  # no proxy: X-Forwarded-* is nobody's to set
    assert (config["limit_request_line"], config["limit_request_fields"], config["limit_request_field_size"]) == (
        4094, 100, 8190,
    )  # fmt: skip
    assert config["preload_app"] is True


def test_the_image_installs_gevent_with_the_rest_of_the_runtime() -> None:
    runtime = runtime_packages(REPO / "uv.lock", "hestia-sync")
    assert {"gevent", "greenlet", "gunicorn"} <= set(runtime)


def test_the_task_sets_the_failed_authentication_limit_and_it_cannot_be_turned_off() -> None:
    helper = load_configuration(HELPER_MODULE)
    environment = {entry["name"]: entry["value"] for entry in helper.locals["environment"]}
    assert environment["HELPER_AUTH_FAILURES_PER_MINUTE"] == "${tostring(var.auth_failures_per_minute)}"
    variable = helper.variables["auth_failures_per_minute"]
    assert variable["default"] == Settings.model_fields["auth_failures_per_minute"].default
    assert "var.auth_failures_per_minute >= 1" in variable["validation"][0]["condition"]


def test_the_task_is_still_one_container_on_one_port_reached_only_through_its_security_group() -> None:
    helper = load_configuration(HELPER_MODULE)
    definitions = helper.resource("aws_ecs_task_definition", "this")["container_definitions"]
    assert definitions.count("portMappings") == 1
    assert 'portMappings = [{containerPort = var.port, protocol = "tcp"}]' in definitions
    network = helper.resource("aws_ecs_service", "this")["network_configuration"][0]
    assert network["assign_public_ip"] is False
    assert network["security_groups"] == ["${var.security_group_id}"]
    assert not list(helper.of_type("aws_lb"))  # nothing in front: REMOTE_ADDR is the job's own address


def test_settings_names_in_the_module_are_real_helper_settings() -> None:
    helper = load_configuration(HELPER_MODULE)
    names = {entry["name"] for entry in helper.locals["environment"]}
    known = {f"HELPER_{field.upper()}" for field in Settings.model_fields}
    assert names <= known
