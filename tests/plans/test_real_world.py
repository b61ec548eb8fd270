"""What only a real cloud would reveal: each test pins one behaviour of a controller, a
provider or a cloud that an offline shape check cannot see (see the README's rule list)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.credentials import cluster_identity
from platform_cli import mocks
from platform_cli.mocks import mock_id, mock_ip
from tests.planview import PlanView


def test_default_app_project_is_patched_not_created(stack_plan: PlanView) -> None:
    # argocd-server has created `default` before the release is ready: a create fails.
    created = [
        r
        for r in stack_plan.of_type(":AppProject")
        if (r.inputs.get("metadata") or {}).get("name") == "default"
    ]
    assert created == []
    patch = stack_plan.one("argoproj.io/v1alpha1:AppProjectPatch", "mgmt-appproject-default")
    metadata = patch.inputs["metadata"]
    assert metadata["name"] == "default"
    assert metadata["annotations"] == {"pulumi.com/patchForce": "true"}


def test_external_dns_selects_its_zone_by_id(stack_plan: PlanView) -> None:
    zone_id = {
        "dev": "fedcba9876543210fedcba9876543210",
        "prod": "00112233445566778899aabbccddeeff",
    }
    releases = [r for r in stack_plan.of_type("helm.sh/v3:Release") if r.name.endswith("-dns")]
    assert releases
    for release in releases:
        values = release.inputs["values"]
        assert values["extraArgs"] == {"zone-id-filter": zone_id[stack_plan.stack]}, release.name
        assert values["domainFilters"], release.name


def test_kubernetes_providers_keep_unreachable_clusters_in_state(stack_plan: PlanView) -> None:
    providers = stack_plan.of_type("pulumi:providers:kubernetes")
    assert providers
    assert all(not p.inputs.get("deleteUnreachable") for p in providers)


def test_cert_manager_enables_gateway_api_only_with_its_crds(
    stack_plans: dict[str, PlanView], ingress_nginx_plan: PlanView
) -> None:
    def config(plan: PlanView) -> dict[str, Any]:
        release = plan.one("helm.sh/v3:Release", "mgmt-cert-manager")
        result: dict[str, Any] = release.inputs["values"]["config"]
        return result

    assert config(stack_plans["dev"])["gatewayAPI"] == {"enabled": True}
    assert "gatewayAPI" not in config(ingress_nginx_plan)


def test_applications_leave_namespaces_to_pulumi(stack_plan: PlanView) -> None:
    for appset in stack_plan.of_type("argoproj.io/v1alpha1:ApplicationSet"):
        sync = appset.inputs["spec"]["template"]["spec"]["syncPolicy"]
        assert "CreateNamespace=true" not in (sync.get("syncOptions") or []), appset.name


def test_dns_token_permission_groups_are_matched_by_name_and_scope(prod: PlanView) -> None:
    token = prod.one("cloudflare:index/apiToken:ApiToken", "london-dns-token")
    groups = token.inputs["policies"][0]["permissionGroups"]
    assert len(groups) == 2 and all(len(g["id"]) == 32 for g in groups)
    zone = "com.cloudflare.api.account.zone"
    results = [
        type("Group", (), {"id": f"id-{n}-{s}", "name": n, "scopes": [s]})()
        for n, s in [*mocks.PERMISSION_GROUPS, ("DNS Write", "com.cloudflare.api.account")]
    ]
    pick = cluster_identity._single_group
    assert pick("DNS Write", zone)(results) == f"id-DNS Write-{zone}"
    with pytest.raises(RuntimeError, match="no API token permission groups named 'DNS%20Write'"):
        pick("DNS%20Write", zone)(results)


def test_zone_ssl_mode_is_managed_and_flexible_is_refused(
    stack_plan: PlanView, plan_errors: Callable[..., tuple[int, list[str]]]
) -> None:
    setting = stack_plan.one("cloudflare:index/zoneSetting:ZoneSetting", "zone-ssl-mode")
    assert setting.inputs["settingId"] == "ssl" and setting.inputs["value"] == "strict"

    def flexible(config: dict[str, Any]) -> None:
        config["platform:cloudflare"]["sslMode"] = "flexible"

    code, lines = plan_errors(flexible)
    assert code == 2
    assert any(line.startswith("error: platform:cloudflare.sslMode:") for line in lines)


def test_account_scoped_names_carry_the_environment(stack_plan: PlanView) -> None:
    env = stack_plan.stack
    named = {
        "civo:index/kubernetesCluster:KubernetesCluster": "name",
        "civo:index/firewall:Firewall": "name",
        "civo:index/network:Network": "label",
        "civo:index/database:Database": "name",
        "vultr:index/kubernetes:Kubernetes": "label",
    }
    names = [r.inputs[key] for typ, key in named.items() for r in stack_plan.of_type(typ)]
    assert names
    assert all(name.startswith(f"{env}-") for name in names), names


def test_credentials_can_change_and_apps_can_come_back(prod: PlanView) -> None:
    versions = prod.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert versions
    assert not any(v.protect or v.retain_on_delete for v in versions)
    secrets = prod.of_type("aws:secretsmanager/secret:Secret")
    assert all(s.protect and not s.retain_on_delete for s in secrets)
    assert {s.inputs["recoveryWindowInDays"] for s in secrets} == {0}
    per_app = [
        *prod.of_type("postgresql:index/role:Role"),
        *prod.of_type("postgresql:index/database:Database"),
    ]
    assert per_app and not any(r.retain_on_delete for r in per_app)
    assert prod.one("civo:index/database:Database", "shared").retain_on_delete


def test_autoscaled_vultr_pools_keep_the_autoscalers_size(prod: PlanView) -> None:
    chicago = prod.one("vultr:index/kubernetes:Kubernetes", "chicago")
    assert chicago.ignore_changes == ["nodePools.nodeQuantity"]
    # Its nodes come and go, so none is looked up: only its stated egress is admitted.
    hub = prod.one("civo:index/firewall:Firewall", "mgmt-metrics-lb-firewall").inputs[
        "ingressRules"
    ]
    writers = next(r["cidrs"] for r in hub if r["label"] == "https-only")
    nodes = {f"{mock_ip('node', mock_id('vultr-node', f'chicago-{i}'))}/32" for i in range(6)}
    assert "198.51.100.64/32" in writers and not nodes & set(writers)


def test_autoscaled_database_clients_must_state_their_egress(
    plan_errors: Callable[..., tuple[int, list[str]]],
) -> None:
    def blog_in_chicago(config: dict[str, Any]) -> None:
        config["platform:observability"] = False
        for cluster in config["platform:clusters"]:
            cluster.pop("egressCidrs", None)
        for app in config["platform:apps"]:
            if app["name"] == "blog":
                app["placement"] = {"matchLabels": {"cluster": "chicago"}}

    code, lines = plan_errors(blog_in_chicago, stack="prod")
    assert code == 2
    assert any(
        line.startswith(
            "error: platform:clusters[3](chicago).egressCidrs: required with autoscaling"
        )
        for line in lines
    ), lines


@pytest.mark.parametrize("argocd_exposure", ["admin", "public"])
def test_autoscaled_clusters_writing_to_the_hub_must_state_their_egress(
    plan_errors: Callable[..., tuple[int, list[str]]], argocd_exposure: str
) -> None:
    """The hub's own load balancer admits its writers' egress only, whoever reaches Argo
    CD: with Argo CD public, an unstated egress is still refused at the hub."""

    def unstated(config: dict[str, Any]) -> None:
        config["platform:argocd"] = {"exposure": argocd_exposure}
        for cluster in config["platform:clusters"]:
            cluster.pop("egressCidrs", None)

    code, lines = plan_errors(unstated, stack="prod")
    assert code == 2
    assert any(
        line.startswith(
            "error: platform:clusters[3](chicago).egressCidrs: required with autoscaling: "
            "the workload APIs, the database or the metrics hub admit this cluster's egress"
        )
        for line in lines
    ), lines


def test_civo_egress_is_the_control_plane_address(stack_plans: dict[str, PlanView]) -> None:
    """Civo workers have no public address; pods leave through the control plane, so
    the management cluster's three nodes are one address on each workload API."""
    prod = stack_plans["prod"]
    firewall = prod.one("civo:index/firewall:Firewall", "london-firewall")
    api = next(r for r in firewall.inputs["ingressRules"] if r["label"] == "kubernetes-api")
    assert api["cidrs"] == ["203.0.113.0/24", "198.51.100.16/28", f"{mock_ip('civo', 'mgmt')}/32"]


def test_proxied_hosts_are_one_label_below_the_zone(stack_plan: PlanView) -> None:
    zone = {"dev": "example.net", "prod": "example.com"}[stack_plan.stack]
    proxied = [
        host
        for r in stack_plan.of_type("gateway.networking.k8s.io/v1:HTTPRoute")
        if (r.inputs["metadata"].get("annotations") or {}).get(
            "external-dns.alpha.kubernetes.io/cloudflare-proxied"
        )
        == "true"
        for host in r.inputs["spec"]["hostnames"]
    ]
    proxied += [
        lb.inputs["name"] for lb in stack_plan.of_type("cloudflare:index/loadBalancer:LoadBalancer")
    ]
    assert proxied
    assert all(host.endswith(f".{zone}") and "." not in host[: -len(zone) - 1] for host in proxied)


def test_the_domain_must_be_the_zone_apex(
    plan_errors: Callable[..., tuple[int, list[str]]],
) -> None:
    def shared_zone(config: dict[str, Any]) -> None:
        config["platform:cloudflare"]["zoneName"] = "example.com"

    code, lines = plan_errors(shared_zone)
    assert code == 2
    assert any(line.startswith("error: platform:domain: 'example.net' is not") for line in lines)


def test_flattened_host_names_may_not_collide(
    plan_errors: Callable[..., tuple[int, list[str]]],
) -> None:
    def weather_london(config: dict[str, Any]) -> None:
        # `weather` on london is weather-london.<domain>: a public app of that name collides.
        app = dict(config["platform:apps"][0], name="weather-london", placement={})
        config["platform:apps"].append(app)

    code, lines = plan_errors(weather_london)
    assert code == 2
    assert any("host name 'weather-london.example.net' is already" in line for line in lines)


def test_each_cluster_asks_lets_encrypt_for_its_own_set_of_names(prod: PlanView) -> None:
    sets = [tuple(sorted(c.inputs["spec"]["dnsNames"])) for c in prod.of_type(":Certificate")]
    assert len(sets) == len(set(sets)) > 1
