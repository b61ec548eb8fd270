"""Database backups in the prod plan: schedule and retention from config, storage only the
jobs can write to and nobody else through them, and the alert on a failed backup."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.backups.alerts import backup_rules
from infra.catalog import CIVO_DB_VERSIONS
from infra.pod_security import ENFORCE
from infra.versions import POSTGRES_CLIENT_MAJOR
from tests.planview import PlanView


def test_prod_backs_up_every_app_database_on_the_configured_schedule(prod: PlanView) -> None:
    (job,) = [r for r in prod.of_type("batch/v1:CronJob") if r.name == "mgmt-backup-blog"]
    spec = job.inputs["spec"]
    assert (spec["schedule"], spec["timeZone"], spec["concurrencyPolicy"]) == (
        "17 2 * * *",
        "Etc/UTC",
        "Forbid",
    )
    assert job.inputs["metadata"]["namespace"] == "database-backups"
    (retention,) = prod.of_type("s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    (rule,) = retention.inputs["rules"]
    assert (rule["status"], rule["expiration"]["days"]) == ("Enabled", 30)
    (bucket,) = prod.of_type("s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == "prod-database-backups-123456789012"
    assert bucket.protect and bucket.inputs["forceDestroy"] is False
    (private,) = prod.of_type("s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(private.inputs[k] for k in ("blockPublicAcls", "restrictPublicBuckets"))


def test_the_jobs_key_only_puts_dumps_below_the_apps_prefixes(prod: PlanView) -> None:
    (policy,) = [
        r for r in prod.of_type("iam/userPolicy:UserPolicy") if r.name == "database-backups-writer"
    ]
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Action"] == ["s3:PutObject", "s3:AbortMultipartUpload"]
    assert statement["Resource"] == ["arn:aws:s3:::prod-database-backups-123456789012/blog/*"]


def test_the_job_pod_is_restricted_and_uses_only_the_apps_login(prod: PlanView) -> None:
    (namespace,) = [
        r
        for r in prod.of_type("core/v1:Namespace")
        if r.inputs["metadata"]["name"] == "database-backups"
    ]
    assert namespace.inputs["metadata"]["labels"][ENFORCE] == "restricted"
    (job,) = [r for r in prod.of_type("batch/v1:CronJob") if r.name == "mgmt-backup-blog"]
    pod = job.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in [*pod["initContainers"], *pod["containers"]]:
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert "@sha256:" in container["image"] or container["image"].rsplit(":", 1)[1][0].isdigit()
    (dump,) = pod["initContainers"]
    assert dump["envFrom"] == [{"secretRef": {"name": "blog-database"}}]
    secrets = {
        r.revealed_inputs["metadata"]["name"]: r.revealed_inputs["stringData"]
        for r in prod.of_type("core/v1:Secret")
        if r.revealed_inputs["metadata"].get("namespace") == "database-backups"
    }
    assert set(secrets) == {"blog-database", "backup-writer"}
    assert secrets["blog-database"]["PGUSER"] == "blog"
    assert secrets["blog-database"]["PGSSLMODE"] == "require"


def test_the_jobs_reach_the_database_s3_and_dns_and_nothing_reaches_them(
    prod: PlanView,
) -> None:
    (policy,) = [
        r
        for r in prod.of_type("networking.k8s.io/v1:NetworkPolicy")
        if r.inputs["metadata"]["namespace"] == "database-backups"
    ]
    spec = policy.revealed_inputs["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in spec
    host = next(r for r in prod.of_type("civo:index/database:Database")).outputs["endpoint"]
    to_database, to_s3, to_dns = spec["egress"]
    assert to_database["to"] == [{"ipBlock": {"cidr": f"{host}/32"}}]
    assert to_database["ports"] == [{"protocol": "TCP", "port": 5432}]
    assert to_s3["ports"] == [{"protocol": "TCP", "port": 443}]
    assert "10.0.0.0/8" in to_s3["to"][0]["ipBlock"]["except"]
    assert {p["port"] for p in to_dns["ports"]} == {53}
    # The database's firewall admits the management cluster, where the jobs run.
    (firewall,) = [
        r for r in prod.of_type("civo:index/firewall:Firewall") if r.name == "shared-firewall"
    ]
    mgmt = next(r for r in prod.of_type("KubernetesCluster") if r.name == "mgmt")
    (clients,) = firewall.revealed_inputs["ingressRules"]
    assert f"{mgmt.outputs['masterIp']}/32" in clients["cidrs"]


def test_the_alert_on_a_failed_backup_is_in_its_own_group(prod: PlanView) -> None:
    (rule,) = [
        r
        for r in prod.of_type("monitoring.coreos.com/v1:PrometheusRule")
        if r.inputs["metadata"]["name"] == "database-backup-alerts"
    ]
    (group,) = rule.inputs["spec"]["groups"]
    assert group["name"] == "database-backups"
    alerts = {r["alert"]: r for r in group["rules"]}
    assert set(alerts) == {
        "DatabaseBackupFailed",
        "DatabaseBackupNotRunning",
        "DatabaseBackupMissing",
    }
    assert 'cronjob="blog"' in alerts["DatabaseBackupMissing"]["expr"]


def test_the_backup_rules_load_in_prometheus(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must check the alert rules: apt-get install prometheus")
        pytest.skip("promtool is not installed: apt-get install prometheus")
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": backup_rules(["blog", "shop"])}))
    done = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "SUCCESS: 4 rules found" in output and "inconsistency" not in output, output


def test_the_client_dumps_every_version_civo_offers() -> None:
    assert all(int(v) <= POSTGRES_CLIENT_MAJOR for v in CIVO_DB_VERSIONS["postgresql"])


def test_the_estimate_names_the_backup_storage_as_unknown() -> None:
    from platform_cli.cost import estimate  # noqa: PLC0415
    from platform_cli.plan import read_valid  # noqa: PLC0415
    from platform_cli.runner import PROJECT_DIR  # noqa: PLC0415

    found = estimate(read_valid(PROJECT_DIR / "Pulumi.prod.yaml")[1])
    (line,) = [line for line in found.lines if line.what == "S3 backup storage"]
    assert line.usd is None and line in found.unknown
    assert line.note == "1 app database dumped on '17 2 * * *', each dump kept 30 days"
    assert line.price.source == "https://aws.amazon.com/s3/pricing/"


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        (
            lambda c: c["platform:database"].update(backups={"schedule": "daily"}),
            "error: platform:database.backups.schedule: 'daily' is not a cron schedule",
        ),
        (
            lambda c: c["platform:database"].update(backups={"retentionDays": 0}),
            "platform:database.backups.retentionDays",
        ),
        (
            lambda c: c.update({"platform:environment": "e" * 34}),
            "platform:database.backups: the backup bucket's name",
        ),
    ],
)
def test_bad_backup_settings_are_refused_naming_the_field(
    plan_errors: Callable[..., tuple[int, list[str]]],
    edit: Callable[[dict[str, Any]], None],
    error: str,
) -> None:
    code, lines = plan_errors(edit, stack="prod")
    assert code == 2
    assert any(error in line for line in lines), lines


@pytest.fixture(scope="module")
def rotated(tmp_path_factory: pytest.TempPathFactory) -> PlanView:
    """prod with the blog's password rotated once: the jobs move to the alternate login."""
    from platform_cli.plan import plan_stack_file  # noqa: PLC0415
    from tests.conftest import stack_document  # noqa: PLC0415

    document = stack_document("prod")
    document["config"]["platform:database"]["rotations"] = {"blog": 1}
    path = tmp_path_factory.mktemp("rotated") / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return PlanView(plan_stack_file(path)[1])


@pytest.mark.parametrize(
    ("stack", "role"), [("prod", "shared-blog-role"), ("rotated", "shared-blog-alternate-role")]
)
def test_a_jobs_login_reaches_its_secret_only_after_the_database_accepts_it(
    stack: str, role: str, request: pytest.FixtureRequest
) -> None:
    """A rotation renews the password of the login the app moves to; were the job's Secret
    written before that role's new password, a run in between would be refused. The Secret
    waits for the same role and database as the app's AWS secret does."""
    plan: PlanView = request.getfixturevalue(stack)
    (secret,) = [
        r
        for r in plan.of_type("core/v1:Secret")
        if r.revealed_inputs["metadata"]
        == {"name": "blog-database", "namespace": "database-backups"}
    ]
    user = secret.revealed_inputs["stringData"]["PGUSER"]
    (login,) = [r for r in plan.of_type("postgresql:index/role:Role") if r.name == role]
    assert login.inputs["name"] == user
    (database,) = [
        r
        for r in plan.of_type("postgresql:index/database:Database")
        if r.name == "shared-blog-database"
    ]
    assert {login.urn, database.urn} <= set(secret.dependencies), secret.dependencies


def test_each_job_container_states_what_it_needs_and_a_memory_ceiling(prod: PlanView) -> None:
    """Without requests the scheduler places a dump anywhere and it is first to be
    evicted; without a memory limit a runaway dump can starve the management cluster's
    Argo CD and Prometheus on the same node."""
    (job,) = [r for r in prod.of_type("batch/v1:CronJob") if r.name == "mgmt-backup-blog"]
    pod = job.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    for container in [*pod["initContainers"], *pod["containers"]]:
        resources = container.get("resources", {})
        assert set(resources.get("requests", {})) == {"cpu", "memory"}, container["name"]
        assert set(resources.get("limits", {})) == {"memory"}, container["name"]


def test_the_buckets_settings_go_only_with_the_bucket(prod: PlanView) -> None:
    """Deleting a bucket that holds dumps fails (`force_destroy` is false); the public-
    access block and the lifecycle rule, deleted first as its dependants, would be gone
    already, leaving the dumps in a bucket open to a public policy and kept for ever. Both
    go with the bucket instead (AWS deletes a bucket's settings with it), so a failed
    delete leaves the bucket as it was."""
    bucket = prod.one("aws:s3/bucket:Bucket", "database-backups-bucket")
    for type_token, name in [
        (
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "database-backups-bucket-private",
        ),
        (
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "database-backups-bucket-retention",
        ),
    ]:
        assert prod.one(type_token, name).deleted_with == bucket.urn, name
