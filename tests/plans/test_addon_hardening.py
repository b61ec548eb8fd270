"""The add-ons' own hardening, read from the plan: every container the platform's values
govern runs without privilege escalation, with all capabilities dropped and the runtime's
seccomp profile; credentials reach pods as files, not environment variables; and no chart
hook holds a ClusterRole that can rewrite webhook configurations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.planview import PlanView

CLUSTERS = ("mgmt", "london", "frankfurt", "newyork", "chicago")
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def release_values(plan: PlanView, name: str) -> dict[str, Any]:
    values: dict[str, Any] = plan.one(":Release", name).revealed_inputs["values"]
    return values


def meets_restricted(context: dict[str, Any]) -> bool:
    return all(context.get(key) == value for key, value in RESTRICTED.items())


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_opencost_runs_restricted_in_a_restricted_namespace(prod: PlanView, cluster: str) -> None:
    opencost = release_values(prod, f"{cluster}-opencost")["opencost"]
    for container in ("exporter", "ui"):
        context = opencost[container].get("securityContext", {})
        assert meets_restricted(context) and context.get("runAsNonRoot") is True, container
    namespace = prod.one("core/v1:Namespace", f"{cluster}-ns-opencost").inputs["metadata"]
    assert namespace["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_node_exporter_and_sealed_secrets_drop_everything_they_do_not_need(
    prod: PlanView, cluster: str
) -> None:
    kps = release_values(prod, f"{cluster}-kube-prometheus-stack")
    node_exporter = kps["prometheus-node-exporter"].get("containerSecurityContext", {})
    assert meets_restricted(node_exporter), node_exporter
    # The chart's own default, kept when the block is replaced.
    assert node_exporter.get("readOnlyRootFilesystem") is True
    sealed = release_values(prod, f"{cluster}-sealed-secrets").get("containerSecurityContext", {})
    assert meets_restricted(sealed), sealed


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_external_dns_reads_the_cloudflare_token_from_a_file(prod: PlanView, cluster: str) -> None:
    values = release_values(prod, f"{cluster}-external-dns")
    (token,) = [e for e in values["env"] if e["name"] == "CF_API_TOKEN"]
    assert "valueFrom" not in token
    path = token["value"].removeprefix("file:")
    assert path != token["value"]
    (mount,) = [m for m in values["extraVolumeMounts"] if path.startswith(m["mountPath"] + "/")]
    assert mount["readOnly"] is True
    (volume,) = [v for v in values["extraVolumes"] if v["name"] == mount["name"]]
    assert volume["secret"]["secretName"] == "cloudflare-dns-token"


def _monitoring_webhooks(prod: PlanView, cluster: str) -> dict[str, Any]:
    values = release_values(prod, f"{cluster}-kube-prometheus-stack")
    webhooks: dict[str, Any] = values["prometheusOperator"]["admissionWebhooks"]
    return webhooks


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_monitoring_webhook_certificates_come_from_cert_manager(
    prod: PlanView, cluster: str
) -> None:
    webhooks = _monitoring_webhooks(prod, cluster)
    assert webhooks["certManager"]["enabled"] is True
    assert webhooks["patch"]["enabled"] is False
    release = prod.one(":Release", f"{cluster}-kube-prometheus-stack")
    cert_manager = prod.one(":Release", f"{cluster}-cert-manager")
    assert cert_manager.urn in release.dependencies


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_monitoring_webhook_lets_the_first_install_create_its_rules(
    prod: PlanView, cluster: str
) -> None:
    # Without patch Jobs the chart renders `Fail` unless told otherwise; on install the
    # operator is not serving yet, so the release's own PrometheusRules would be refused.
    assert _monitoring_webhooks(prod, cluster).get("failurePolicy") == "IgnoreOnInstallOnly"
