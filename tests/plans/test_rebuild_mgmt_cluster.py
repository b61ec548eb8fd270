"""Rebuilding the management cluster (docs/runbooks/rebuild-management-cluster.md): what
`up` recreates, what it keeps, and that the new cluster gets the same sealing keys.

A new management cluster is planned as prod with `mgmtCluster` on another cloud: a new
cluster resource, so a new kubeconfig and a replaced Kubernetes provider, as after the
old cluster is lost and `pulumi refresh` has dropped it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.addons.sealed_secrets import keys_digest
from platform_cli.diff import Change, diff_runs
from platform_cli.runner import PROJECT_DIR
from tests.planview import PlanView

SEALING_KEY = "kubernetes:core/v1:Secret"


def rebuilt(config: dict[str, Any]) -> None:
    config["platform:mgmtCluster"] = {
        "provider": "vultr",
        "region": "ewr",
        "nodeSize": "vc2-4c-8gb",
        "nodeCount": 3,
        "kubernetesVersion": "v1.33.0+1",
    }


@pytest.fixture(scope="module")
def after(prod: PlanView, tmp_path_factory: pytest.TempPathFactory) -> PlanView:
    import yaml  # noqa: PLC0415

    from platform_cli.plan import plan_stack_file  # noqa: PLC0415
    from tests.conftest import stack_document  # noqa: PLC0415

    document = stack_document("prod")
    rebuilt(document["config"])
    path = tmp_path_factory.mktemp("rebuild") / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return PlanView(plan_stack_file(path)[1])


@pytest.fixture(scope="module")
def changes(prod: PlanView, after: PlanView) -> list[Change]:
    return diff_runs(prod.run, after.run)


def _by_kind(changes: list[Change]) -> Callable[[str], set[tuple[str, str]]]:
    return lambda kind: {(c.resource.type, c.resource.name) for c in changes if c.kind == kind}


def sealing_secrets(plan: PlanView) -> dict[str, dict[str, str]]:
    return {
        r.name: r.revealed_inputs["stringData"]
        for r in plan.of_type(SEALING_KEY)
        if (r.revealed_inputs.get("metadata") or {})
        .get("labels", {})
        .get("sealedsecrets.bitnami.com/sealed-secrets-key")
        == "active"
    }


def test_the_new_cluster_gets_the_same_sealing_key(
    prod: PlanView, after: PlanView, changes: list[Change]
) -> None:
    kinds = _by_kind(changes)
    # The keys are the stack's: untouched by the rebuild.
    keys = {
        (r.type, r.name)
        for r in prod.resources
        if r.type.startswith("tls:") and r.name.startswith("sealing-key-")
    }
    assert keys == {
        ("tls:index/privateKey:PrivateKey", "sealing-key-1"),
        ("tls:index/selfSignedCert:SelfSignedCert", "sealing-key-1"),
    }
    assert not keys & {(c.resource.type, c.resource.name) for c in changes}
    # The key Secret is created anew on the new cluster, holding the very same key.
    assert (SEALING_KEY, "mgmt-sealing-key-1") in kinds("replace")
    old, new = sealing_secrets(prod), sealing_secrets(after)
    assert new["mgmt-sealing-key-1"] == old["mgmt-sealing-key-1"]
    assert new["mgmt-sealing-key-1"]["tls.key"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    # Every cluster holds that one key, so a SealedSecret decrypts wherever it is placed.
    assert {tuple(sorted(v.items())) for v in new.values()} == {
        tuple(sorted(new["mgmt-sealing-key-1"].items()))
    }
    assert len(new) == 1 + len(prod.components("platform:index:WorkloadCluster"))


def test_the_controller_starts_after_its_keys_and_never_renews_them(after: PlanView) -> None:
    release = after.one(":Release", "mgmt-sealed-secrets")
    (secret,) = [r for r in after.of_type(SEALING_KEY) if r.name == "mgmt-sealing-key-1"]
    assert secret.urn in release.dependencies
    values = release.inputs["values"]
    assert values["keyrenewperiod"] == "0"
    # The pods carry a digest of the keys they must load, so a change of key restarts them.
    (certificate,) = [
        r
        for r in after.of_type("tls:index/selfSignedCert:SelfSignedCert")
        if r.name == "sealing-key-1"
    ]
    assert values["podAnnotations"] == {
        "platform/sealing-keys-sha256": keys_digest([("1", certificate.outputs["certPem"])])
    }


def test_what_a_rebuild_recreates_and_what_it_keeps(prod: PlanView, changes: list[Change]) -> None:
    kinds = _by_kind(changes)
    recreated = kinds("replace")
    # On the new cluster: Argo CD and every registration, the ApplicationSets, the hub,
    # and the backup jobs.
    for expected in [
        ("kubernetes:helm.sh/v3:Release", "mgmt-argo-cd"),
        ("kubernetes:argoproj.io/v1alpha1:ApplicationSet", "blog-applicationset"),
        ("kubernetes:helm.sh/v3:Release", "mgmt-kube-prometheus-stack"),
        ("kubernetes:batch/v1:CronJob", "mgmt-backup-blog"),
        ("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "mgmt-database-backup-alerts"),
    ]:
        assert expected in recreated, expected
    # The registrations: each workload cluster's Secret in Argo CD's namespace. The
    # workload side (argocd-manager, its token) stays, so the same token registers again.
    assert (SEALING_KEY, "london-argocd-cluster") in recreated
    touched = {(c.resource.type, c.resource.name) for c in changes}
    # Kept: the generated passwords (Argo CD's, Grafana's, the agents', OpenCost's), the
    # database and its credentials, the backup bucket, the sealing keys, every workload
    # cluster.
    for kept in [
        ("random:index/randomPassword:RandomPassword", "mgmt-argocd-admin-password"),
        ("random:index/randomPassword:RandomPassword", "mgmt-grafana-admin-password"),
        ("random:index/randomPassword:RandomPassword", "mgmt-metrics-write-password-london"),
        ("random:index/randomPassword:RandomPassword", "mgmt-metrics-read-password"),
        ("civo:index/database:Database", "shared"),
        ("aws:s3/bucket:Bucket", "database-backups-bucket"),
        ("civo:index/kubernetesCluster:KubernetesCluster", "london"),
    ]:
        # ...each of them one the plan has: a renamed resource would pass unseen.
        assert kept in {(r.type, r.name) for r in prod.resources}, kept
        assert kept not in touched, kept
    assert (SEALING_KEY, "london-argocd-manager-token") not in touched
    # Of the workload clusters only the registrations move: their firewalls admit the new
    # cluster's egress in place.
    assert {n for _t, n in recreated if n.startswith(("london-", "frankfurt-"))} == {
        "london-argocd-cluster",
        "frankfurt-argocd-cluster",
    }


def test_a_new_certificate_under_the_same_key_name_restarts_every_controller(
    prod: PlanView, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The controller reads its keys at start-up and, even with --watch-for-secrets, only
    registers key Secrets that are added (bitnami-labs/sealed-secrets v0.36.6
    pkg/controller/controller.go watchKeySecrets: an AddFunc, no UpdateFunc). A certificate
    that changes under the same name (a renewal, a key replaced in the state) updates the
    Secret in place, so the pods must roll with it."""
    from platform_cli import mocks  # noqa: PLC0415
    from platform_cli.plan import plan_stack_file  # noqa: PLC0415

    cert = ("tls:index/selfSignedCert:SelfSignedCert", "certPem")
    issued = mocks.ANSWERS[cert]
    monkeypatch.setitem(mocks.ANSWERS, cert, lambda name, inputs: issued(f"{name}-renewed", inputs))
    renewed = PlanView(plan_stack_file(PROJECT_DIR / "Pulumi.prod.yaml")[1])
    changed = {
        (c.resource.type, c.resource.name): c.paths
        for c in diff_runs(prod.run, renewed.run)
        if c.kind == "update"
    }
    # The key Secrets change in place (same names), on every cluster...
    assert (SEALING_KEY, "mgmt-sealing-key-1") in changed
    # ...and so does each controller's pod template, which makes the Deployment roll.
    releases = {
        r.name for r in prod.of_type("helm.sh/v3:Release") if r.name.endswith("-sealed-secrets")
    }
    assert len(releases) == 1 + len(prod.components("platform:index:WorkloadCluster"))
    for release in releases:
        assert any(
            p.startswith("values.podAnnotations")
            for p in changed.get(("kubernetes:helm.sh/v3:Release", release), [])
        ), (release, changed.get(("kubernetes:helm.sh/v3:Release", release)))


RUNBOOK = PROJECT_DIR / "docs" / "runbooks" / "rebuild-management-cluster.md"


def _row(first_cell: str) -> str:
    (row,) = [
        line for line in RUNBOOK.read_text().splitlines() if line.startswith(f"| {first_cell}")
    ]
    return row


def test_the_runbook_says_the_clusters_credentials_are_kept_as_the_plan_keeps_them(
    prod: PlanView, changes: list[Change]
) -> None:
    touched = {(c.resource.type, c.resource.name) for c in changes}
    for kept in [
        ("aws:iam/accessKey:AccessKey", "mgmt-secret-reader"),
        ("cloudflare:index/apiToken:ApiToken", "mgmt-dns-token"),
    ]:
        assert kept in {(r.type, r.name) for r in prod.resources}, kept
        assert kept not in touched, kept
    row = _row("the management cluster's AWS key and DNS token")
    assert "**kept**" in row and "installed again" in row, row


def test_the_runbook_says_no_backup_alert_fires_while_the_hub_is_gone(prod: PlanView) -> None:
    """The backup alerts are evaluated by the management cluster's own Prometheus: with the
    cluster gone there is nothing to fire `DatabaseBackupMissing`."""
    (rule,) = [
        r
        for r in prod.of_type("monitoring.coreos.com/v1:PrometheusRule")
        if r.inputs["metadata"]["name"] == "database-backup-alerts"
    ]
    assert rule.name.startswith("mgmt-")
    row = _row("backups")
    assert "fires meanwhile" not in row and "no alert" in row, row
