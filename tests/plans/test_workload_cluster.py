"""WorkloadCluster on both clouds: registration, identity, DNS scope, and disabling."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.plans.test_diff import HUB_PER_CLUSTER
from tests.planview import PlanView

WORKLOAD = "platform:index:WorkloadCluster"
PROD_CLUSTERS = {
    "london": ("LON1", "civo", {"tier": "standard", "geo": "europe"}),
    "frankfurt": ("FRA1", "civo", {"tier": "standard", "geo": "europe"}),
    "newyork": ("NYC1", "civo", {"tier": "standard", "geo": "americas"}),
    "chicago": ("ord", "vultr", {"tier": "standard", "geo": "americas"}),
}


def test_one_component_per_enabled_cluster(prod: PlanView) -> None:
    assert sorted(c.name for c in prod.components(WORKLOAD)) == sorted(PROD_CLUSTERS)


@pytest.mark.parametrize("cluster", sorted(PROD_CLUSTERS))
def test_registration_secret_shape_and_labels(prod: PlanView, cluster: str) -> None:
    region, provider, labels = PROD_CLUSTERS[cluster]
    secret = prod.one("core/v1:Secret", f"{cluster}-argocd-cluster")
    assert secret.provider is not None and "mgmt-k8s" in secret.provider
    metadata = secret.inputs["metadata"]
    assert metadata["namespace"] == "argocd"
    assert metadata["labels"] == {
        "argocd.argoproj.io/secret-type": "cluster",
        "environment": "prod",
        "cluster": cluster,
        "region": region,
        "provider": provider,
        "role": "workload",
        **labels,
    }
    assert secret.inputs["stringData"] == "[secret]"
    data = secret.revealed_inputs["stringData"]
    assert data["name"] == cluster
    assert data["server"].startswith("https://") and data["server"].endswith(":6443")
    config = json.loads(data["config"])
    assert set(config) == {"bearerToken", "tlsClientConfig"}
    assert set(config["tlsClientConfig"]) == {"insecure", "caData"}
    assert config["tlsClientConfig"]["insecure"] is False


@pytest.mark.parametrize("cluster", sorted(PROD_CLUSTERS))
def test_argocd_manager_is_scoped(prod: PlanView, cluster: str) -> None:
    account = prod.one("core/v1:ServiceAccount", f"{cluster}-argocd-manager")
    assert account.inputs["metadata"]["name"] == "argocd-manager"
    # Its permissions: tests/plans/test_argocd_manager.py.
    token = prod.one("core/v1:Secret", f"{cluster}-argocd-manager-token")
    assert token.inputs["type"] == "kubernetes.io/service-account-token"
    assert token.inputs["metadata"]["annotations"] == {
        "kubernetes.io/service-account.name": "argocd-manager"
    }


def policy_of(plan: PlanView, cluster: str) -> dict[str, Any]:
    policy = plan.one("aws:iam/userPolicy:UserPolicy", f"{cluster}-secret-reader")
    document: dict[str, Any] = json.loads(policy.inputs["policy"])
    return document


@pytest.mark.parametrize("cluster", sorted(PROD_CLUSTERS))
def test_each_cluster_has_its_own_least_privilege_identity(prod: PlanView, cluster: str) -> None:
    user = prod.one("aws:iam/user:User", f"{cluster}-secret-reader")
    assert user.inputs["name"] == f"platform-prod-{cluster}-secret-reader"
    # What it may read: tests/plans/test_least_privilege.py.
    assert policy_of(prod, cluster)["Statement"][-1]["Effect"] == "Deny"


def test_no_access_key_is_shared(prod: PlanView) -> None:
    keys = prod.of_type("aws:iam/accessKey:AccessKey")
    users = [k.property_dependencies.get("user", []) for k in keys]
    # The management cluster's, and the backup jobs' (tests/plans/test_backups.py).
    assert len(keys) == len(PROD_CLUSTERS) + 2
    assert len({tuple(u) for u in users}) == len(keys)


@pytest.mark.parametrize("cluster", sorted(PROD_CLUSTERS))
def test_certificate_is_the_clusters_own_and_dns_stays_in_the_domain(
    prod: PlanView, cluster: str
) -> None:
    certificate = prod.one("cert-manager.io/v1:Certificate", f"{cluster}-wildcard-certificate")
    # Host names are one label deep; the cluster's own name makes the set of names unique.
    assert certificate.inputs["spec"]["dnsNames"] == ["*.example.com", f"{cluster}.example.com"]
    assert certificate.inputs["metadata"]["namespace"] == "envoy-gateway-system"
    assert len([c for c in prod.of_type(":Certificate") if c.name.startswith(f"{cluster}-")]) == 1
    dns = prod.one("helm.sh/v3:Release", f"{cluster}-external-dns").revealed_inputs["values"]
    assert dns["domainFilters"] == ["example.com"]
    assert dns["txtOwnerId"] == f"prod-{cluster}"
    assert dns["policy"] == "sync" and dns["sources"] == ["gateway-httproute"]


@pytest.mark.parametrize("cluster", sorted(PROD_CLUSTERS))
def test_dns_token_is_zone_scoped(prod: PlanView, cluster: str) -> None:
    token = prod.one("cloudflare:index/apiToken:ApiToken", f"{cluster}-dns-token")
    (policy,) = token.inputs["policies"]
    assert json.loads(policy["resources"]) == {
        "com.cloudflare.api.account.zone.00112233445566778899aabbccddeeff": "*"
    }


def test_api_admits_admin_cidrs_and_the_management_cluster(prod: PlanView) -> None:
    # A Civo management cluster's egress is its control plane's one address.
    mgmt_egress = 1
    firewall = prod.one("civo:index/firewall:Firewall", "london-firewall")
    api = next(r for r in firewall.inputs["ingressRules"] if r["label"] == "kubernetes-api")
    assert api["cidrs"][:2] == ["203.0.113.0/24", "198.51.100.16/28"]
    assert len(api["cidrs"]) == 2 + mgmt_egress
    assert all(c.endswith("/32") for c in api["cidrs"][2:])
    vultr_api = [
        r
        for r in prod.of_type("vultr:index/firewallRule:FirewallRule")
        if r.inputs["port"] == "6443"
    ]
    assert len(vultr_api) == 2 + mgmt_egress


def test_no_credential_in_plaintext(prod: PlanView) -> None:
    text = prod.inputs_text()
    for marker in ("mock-token-", "mock-secret-", "mock-value-", "mock-password-"):
        assert marker not in text


def database_rules(plan: PlanView) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = plan.one(
        "civo:index/firewall:Firewall", "shared-firewall"
    ).inputs["ingressRules"]
    return rules


def _cluster_urns(plan: PlanView, name: str) -> set[str]:
    (component,) = [c for c in plan.components(WORKLOAD) if c.name == name]
    return {component.urn} | {r.urn for r in plan.below(component)}


def test_disabling_a_cluster_removes_exactly_its_resources(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    def disable_chicago(config: dict[str, Any]) -> None:
        for cluster in config["platform:clusters"]:
            if cluster["name"] == "chicago":
                cluster["enabled"] = False

    disabled = plan_config("prod", disable_chicago)
    before = {r.urn: r for r in prod.resources}
    after = {r.urn: r for r in disabled.resources}
    assert set(after) <= set(before)
    # The cluster, and what apps had on it (hello-world runs everywhere).
    apps_there = {
        r.urn for r in prod.resources if r.name.startswith("chicago-") and "AppDeployment" in r.urn
    }
    pool = prod.one(":LoadBalancerPool", "hello-world-global-chicago").urn
    assert apps_there
    # and its write path, credential and relay on the metrics hub.
    hub = {
        r.urn for r in prod.resources if r.name in {n.format("chicago") for n in HUB_PER_CLUSTER}
    }
    assert len(hub) == len(HUB_PER_CLUSTER)
    assert set(before) - set(after) == _cluster_urns(prod, "chicago") | apps_there | {pool} | hub
    changed = sorted(after[urn].name for urn in after if after[urn].inputs != before[urn].inputs)
    # The updates it implies: Argo CD stops targeting it, the load balancer drops its pool
    # (and the other pools, probed from chicago's region, now from frankfurt's), its
    # stated egress leaves the hub's and the locked-down clusters' firewalls, and the hub's
    # alerts stop expecting it to report.
    locked = [f"{c}-{f}" for c in ("frankfurt", "london") for f in ("firewall", "lb-firewall")]
    probed = [f"hello-world-global-{c}" for c in ("frankfurt", "london", "newyork")]
    assert changed == sorted(
        [
            *locked,
            *probed,
            "hello-world-applicationset",
            "hello-world-global-lb",
            "mgmt-appproject-prod",
            "mgmt-metrics-lb-firewall",
            "mgmt-platform-alerts",
            "newyork-firewall",
            "newyork-lb-firewall",
        ]
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda c: c["platform:clusters"].append(dict(c["platform:clusters"][0])),
            ["error: platform:clusters[2](london).name: duplicate cluster name 'london'"],
        ),
        (
            lambda c: c["platform:clusters"][0]["labels"].update(region="eu"),
            [
                "error: platform:clusters[0](london).labels: label keys ['region'] are reserved; the platform sets them itself"
            ],
        ),
        (
            lambda c: c["platform:clusters"][1].update(name="Frankfurt_1"),
            [
                "error: platform:clusters[1](Frankfurt_1).name: 'Frankfurt_1' is not a DNS label (lowercase letters, digits and '-', starting with a letter, at most 63 characters)"
            ],
        ),
    ],
    ids=["duplicate name", "reserved label", "bad name"],
)
def test_cluster_config_mistakes(
    edit: Callable[[dict[str, Any]], None],
    expected: list[str],
    plan_errors: Callable[..., tuple[int, list[str]]],
) -> None:
    assert plan_errors(edit) == (2, expected)
