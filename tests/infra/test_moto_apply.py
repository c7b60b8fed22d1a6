"""terraform apply and destroy of the whole configuration against moto's AWS emulator on 127.0.0.1.

The S3 backend (with its lock file) points at moto too, so the backend configuration is exercised as well.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from tests.infra.support import copy_configuration, describe, require_provider_mirror, require_terraform, run_terraform

pytestmark = pytest.mark.terraform

REGION = "eu-west-1"
ENVIRONMENT = "dev"
NAME = f"hestia-sync-{ENVIRONMENT}"
STATE_BUCKET = "hestia-sync-test-state"
STATE_KEY = f"{ENVIRONMENT}/terraform.tfstate"
IMAGE_TAG = "0123456789abcdef0123456789abcdef01234567"
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
# Every service the configuration calls; each gets an `endpoints` entry pointing at moto.
PROVIDER_ENDPOINTS = (
    "cloudwatch",
    "cloudwatchlogs",
    "ec2",
    "ecr",
    "ecs",
    "iam",
    "kms",
    "route53",
    "scheduler",
    "secretsmanager",
    "servicediscovery",
    "sns",
    "sqs",
    "sts",
)


@dataclass(frozen=True)
class Moto:
    url: str

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.url, region_name=REGION, **CREDENTIALS)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], deadline_s: float = 30.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with status {process.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=2):  # noqa: S310 - fixed http URL on loopback
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"moto_server did not answer on {url} within {deadline_s:.0f} s")


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    """A moto_server of its own on a free loopback port, stopped after the module."""
    require_terraform()
    require_provider_mirror()
    server = Path(sys.executable).with_name("moto_server")
    if not server.exists():
        pytest.skip(f"{server} is missing: moto[server] is a dev dependency, run `make install`")
    port = _free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    process = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_ready(url, process)
        yield Moto(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _prepare_account(moto: Moto) -> dict[str, Any]:
    """What exists before the deploy: a VPC with two private subnets and the state bucket."""
    ec2 = moto.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in ((1, "a"), (2, "b"))
    ]
    moto.client("s3").create_bucket(Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return {"vpc_id": vpc_id, "private_subnet_ids": subnets}


def _write_test_files(workdir: Path, moto: Moto, network: dict[str, Any]) -> None:
    """Point the provider and the S3 backend at moto; the repo's files stay as they are."""
    endpoints = "\n".join(f'    {service} = "{moto.url}"' for service in PROVIDER_ENDPOINTS)
    (workdir / "moto_override.tf").write_text(
        f"""provider "aws" {{
  region                      = "{REGION}"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {{
{endpoints}
  }}
}}
""",
        encoding="utf-8",
    )
    (workdir / "moto.s3.tfbackend").write_text(
        f"""bucket                      = "{STATE_BUCKET}"
key                         = "{STATE_KEY}"
region                      = "{REGION}"
use_lockfile                = true
use_path_style              = true
access_key                  = "test"
secret_key                  = "test"
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
skip_region_validation      = true
endpoints = {{ s3 = "{moto.url}", sts = "{moto.url}" }}
""",
        encoding="utf-8",
    )
    variables = {
        "environment": ENVIRONMENT,
        "aws_region": REGION,
        "job_image_tag": IMAGE_TAG,
        "helper_image_tag": IMAGE_TAG,
        **network,
        "database_cidr_blocks": ["203.0.113.10/32", "203.0.113.11/32"],
        "database_ports": [12691],
        "helper_database_cidr_blocks": ["203.0.113.12/32"],
        "github_repository": "example/hestia-sync",
        "state_bucket_name": STATE_BUCKET,
        "state_key": STATE_KEY,
        # moto never runs tasks, so the service would never become steady.
        "helper_wait_for_steady_state": False,
        "secret_recovery_window_days": 0,
    }
    (workdir / "moto.tfvars.json").write_text(json.dumps(variables), encoding="utf-8")


@pytest.fixture(scope="module")
def deployed(moto: Moto, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The configuration applied to moto; yields the outputs, and destroys everything afterwards."""
    workdir = copy_configuration(tmp_path_factory.mktemp("apply") / "terraform")
    network = _prepare_account(moto)
    _write_test_files(workdir, moto, network)
    init = run_terraform(["init", "-backend-config=moto.s3.tfbackend", "-lockfile=readonly"], workdir, timeout=180)
    assert init.returncode == 0, describe(init)
    apply = run_terraform(["apply", "-auto-approve", "-var-file=moto.tfvars.json"], workdir, timeout=400)
    try:
        assert apply.returncode == 0, describe(apply)
        outputs = run_terraform(["output", "-json"], workdir, timeout=120)
        assert outputs.returncode == 0, describe(outputs)
        yield {
            "outputs": {k: v["value"] for k, v in json.loads(outputs.stdout).items()},
            "network": network,
            "workdir": workdir,
        }
    finally:
        destroy = run_terraform(["destroy", "-auto-approve", "-var-file=moto.tfvars.json"], workdir, timeout=400)
        (workdir / "destroy.log").write_text(describe(destroy), encoding="utf-8")


def test_state_lives_in_the_s3_backend(moto: Moto, deployed: dict[str, Any]) -> None:
    keys = [o["Key"] for o in moto.client("s3").list_objects_v2(Bucket=STATE_BUCKET).get("Contents", [])]
    assert STATE_KEY in keys
    assert f"{STATE_KEY}.tflock" not in keys, "the lock must be released after apply"


def test_schedule_starts_the_job_task_every_ten_minutes_with_bounded_retries(
    moto: Moto, deployed: dict[str, Any]
) -> None:
    schedule = moto.client("scheduler").get_schedule(Name=deployed["outputs"]["schedule_name"])
    assert schedule["ScheduleExpression"] == "rate(10 minutes)"
    assert schedule["State"] == "ENABLED"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = schedule["Target"]
    assert target["Arn"] == deployed["outputs"]["cluster_arn"]
    assert target["EcsParameters"]["TaskDefinitionArn"] == deployed["outputs"]["job_task_definition_arn"]
    assert target["EcsParameters"]["LaunchType"] == "FARGATE"
    network = target["EcsParameters"]["NetworkConfiguration"]["awsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    assert sorted(network["Subnets"]) == sorted(deployed["network"]["private_subnet_ids"])
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 300, "MaximumRetryAttempts": 2}
    assert target["DeadLetterConfig"]["Arn"].endswith(f":{NAME}-job-dlq")


def test_job_task_definition_takes_its_secrets_from_secrets_manager(moto: Moto, deployed: dict[str, Any]) -> None:
    definition = moto.client("ecs").describe_task_definition(
        taskDefinition=deployed["outputs"]["job_task_definition_arn"]
    )["taskDefinition"]
    assert definition["requiresCompatibilities"] == ["FARGATE"]
    assert definition["networkMode"] == "awsvpc"
    (container,) = definition["containerDefinitions"]
    assert container["image"] == f"{deployed['outputs']['job_repository_url']}:{IMAGE_TAG}"
    secrets = moto.client("secretsmanager")
    by_name = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert set(by_name) == {"URI_BANCO_1", "URI_BANCO_2", "HELPER_API_TOKEN"}
    for name, arn in by_name.items():
        assert secrets.describe_secret(SecretId=arn)["Name"] == f"hestia-sync/{ENVIRONMENT}/{name}"
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert environment["HELPER_API_URL"] == f"http://helper.{NAME}.internal:5000"
    assert not set(environment) & set(by_name)
    assert container["readonlyRootFilesystem"] is True
    assert container["logConfiguration"]["options"]["awslogs-group"] == f"/hestia-sync/{ENVIRONMENT}/job"


def test_secrets_exist_without_any_value(moto: Moto, deployed: dict[str, Any]) -> None:
    secrets = moto.client("secretsmanager")
    for name in deployed["outputs"]["secret_names"].values():
        described = secrets.describe_secret(SecretId=name)
        assert not described.get("VersionIdsToStages"), f"{name} must have no value: it is set out of band"


def test_helper_service_runs_two_private_tasks_registered_in_cloud_map(moto: Moto, deployed: dict[str, Any]) -> None:
    (service,) = moto.client("ecs").describe_services(
        cluster=deployed["outputs"]["cluster_name"], services=[deployed["outputs"]["helper_service_name"]]
    )["services"]
    assert service["desiredCount"] == 2
    assert service["launchType"] == "FARGATE"
    network = service["networkConfiguration"]["awsvpcConfiguration"]
    assert network["assignPublicIp"] == "DISABLED"
    (registry,) = service["serviceRegistries"]
    discovery = moto.client("servicediscovery")
    registered = discovery.get_service(Id=registry["registryArn"].rsplit("/", 1)[1])["Service"]
    assert registered["Name"] == "helper"
    namespace_id = registered.get("NamespaceId") or registered["DnsConfig"]["NamespaceId"]
    namespace = discovery.get_namespace(Id=namespace_id)["Namespace"]
    assert namespace["Name"] == f"{NAME}.internal"
    assert namespace["Type"] == "DNS_PRIVATE"
    ec2 = moto.client("ec2")
    (helper_group,) = network["securityGroups"]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [helper_group]}])
    ingress = [r for r in rules["SecurityGroupRules"] if not r["IsEgress"]]
    job_group = json.loads(deployed["outputs"]["job_network_configuration"])["awsvpcConfiguration"]["securityGroups"]
    assert [(r["FromPort"], r["ReferencedGroupInfo"]["GroupId"]) for r in ingress] == [(5000, job_group[0])]
    assert all("CidrIpv4" not in r for r in ingress)


def test_roles_grant_what_the_tasks_and_the_schedule_need(moto: Moto, deployed: dict[str, Any]) -> None:
    iam = moto.client("iam")
    execution = iam.get_role_policy(
        RoleName=f"{NAME}-task-execution", PolicyName="pull-images-read-secrets-write-logs"
    )["PolicyDocument"]
    secret_statement = next(s for s in execution["Statement"] if s.get("Sid") == "ReadTheTaskSecrets")
    assert len(secret_statement["Resource"]) == 5
    for role in (f"{NAME}-job-task", f"{NAME}-helper-task"):
        assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []
        assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    scheduler = iam.get_role_policy(RoleName=f"{NAME}-job-scheduler", PolicyName="run-the-job-task")["PolicyDocument"]
    run_task = next(s for s in scheduler["Statement"] if s.get("Sid") == "RunTheJobTaskOnTheCluster")
    assert run_task["Resource"].endswith(f":task-definition/{NAME}-job:*")
    deploy = iam.get_role(RoleName=f"github-deploy-{NAME}")["Role"]
    assert deploy["Arn"] == deployed["outputs"]["deploy_role_arn"]
    trust = deploy["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    (statement,) = trust["Statement"]
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        f"repo:example/hestia-sync:environment:{ENVIRONMENT}"
    )


def test_alarms_notify_the_topic_and_the_dashboard_exists(moto: Moto, deployed: dict[str, Any]) -> None:
    alarms = moto.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{NAME}-")["MetricAlarms"]
    assert len(alarms) == 7
    topic = deployed["outputs"]["alarm_topic_arn"]
    assert all(a["AlarmActions"] == [topic] and a["OKActions"] == [topic] for a in alarms)
    no_success = next(a for a in alarms if a["AlarmName"] == f"{NAME}-no-successful-run")
    assert no_success["Period"] * no_success["EvaluationPeriods"] == 1800
    assert no_success["TreatMissingData"] == "breaching"
    logs = moto.client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=f"/hestia-sync/{ENVIRONMENT}/")["logGroups"]
    assert {g["logGroupName"]: g.get("retentionInDays") for g in groups} == {
        f"/hestia-sync/{ENVIRONMENT}/job": 365,
        f"/hestia-sync/{ENVIRONMENT}/helper": 365,
    }
    filters = logs.describe_metric_filters(logGroupName=f"/hestia-sync/{ENVIRONMENT}/job")["metricFilters"]
    assert any('$.status = "failed"' in f["filterPattern"] for f in filters)
    dashboard = moto.client("cloudwatch").get_dashboard(DashboardName=NAME)
    assert len(json.loads(dashboard["DashboardBody"])["widgets"]) == 9


def test_destroy_leaves_nothing_behind(moto: Moto, deployed: dict[str, Any]) -> None:
    workdir: Path = deployed["workdir"]
    destroy = run_terraform(["destroy", "-auto-approve", "-var-file=moto.tfvars.json"], workdir, timeout=400)
    assert destroy.returncode == 0, describe(destroy)
    assert moto.client("scheduler").list_schedules()["Schedules"] == []
    ecs = moto.client("ecs")
    clusters = ecs.describe_clusters(clusters=[NAME])["clusters"]
    assert all(c["status"] == "INACTIVE" for c in clusters)
    assert ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"] == []
    iam = moto.client("iam")
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []
    assert iam.list_policies(Scope="Local")["Policies"] == []
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    assert moto.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert moto.client("cloudwatch").list_dashboards()["DashboardEntries"] == []
    assert moto.client("logs").describe_log_groups()["logGroups"] == []
    assert moto.client("secretsmanager").list_secrets()["SecretList"] == []
    assert moto.client("ecr").describe_repositories()["repositories"] == []
    assert moto.client("sqs").list_queues().get("QueueUrls", []) == []
    assert moto.client("sns").list_topics()["Topics"] == []
    assert moto.client("servicediscovery").list_namespaces()["Namespaces"] == []
    groups = moto.client("ec2").describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [deployed["network"]["vpc_id"]]}]
    )["SecurityGroups"]
    assert [g["GroupName"] for g in groups] == ["default"]
    kms = moto.client("kms")
    states = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] for k in kms.list_keys()["Keys"]]
    assert set(states) <= {"PendingDeletion"}, "a destroyed KMS key waits out its deletion window"
