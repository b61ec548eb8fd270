"""The cloud load balancers in front of the traffic controllers admit what the node
firewalls admit: Cloudflare, the admin CIDRs and the clusters' stated egress on fronted
clusters, the admin CIDRs (by default) on the management cluster, whose load balancer
also admits the workload clusters' egress on 443 for their Prometheus agents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra import edge
from infra.rules import violations
from platform_cli.mocks import CLOUDFLARE_IPV4, mock_ip
from tests.planview import PlanView

ADMIN = ["203.0.113.0/24", "198.51.100.16/28"]
# chicago's `egressCidrs` in Pulumi.prod.yaml: locked-down clusters admit every cluster's
# stated egress, for dependency calls.
STATED_EGRESS = ["198.51.100.64/32"]
CIVO_FIREWALL_ID = "kubernetes.civo.com/firewall-id"
VULTR_RULES = "service.beta.kubernetes.io/vultr-loadbalancer-firewall-rules"
# Every prod workload cluster runs a public app, so a proxied load balancer fronts each.
FRONTED_CIVO = ["frankfurt", "london", "newyork"]


def service_annotations(plan: PlanView, cluster: str) -> dict[str, str]:
    proxy = plan.one("gateway.envoyproxy.io/v1alpha1:EnvoyProxy", f"{cluster}-envoyproxy")
    service = proxy.revealed_inputs["spec"]["provider"]["kubernetes"]["envoyService"]
    assert service["type"] == "LoadBalancer"
    annotations: dict[str, str] = service["annotations"]
    return annotations


def lb_firewall_rules(plan: PlanView, cluster: str) -> dict[str, list[str]]:
    firewall = plan.one("civo:index/firewall:Firewall", f"{cluster}-lb-firewall")
    assert firewall.inputs["createDefaultRules"] is False
    return {r["label"]: r["cidrs"] for r in firewall.inputs["ingressRules"]}


@pytest.mark.parametrize("cluster", FRONTED_CIVO)
def test_civo_load_balancer_admits_only_cloudflare_and_admins(prod: PlanView, cluster: str) -> None:
    annotations = service_annotations(prod, cluster)
    assert annotations["platform/exposure"] == "cloudflare"
    proxy = prod.one("gateway.envoyproxy.io/v1alpha1:EnvoyProxy", f"{cluster}-envoyproxy")
    firewall = prod.one("civo:index/firewall:Firewall", f"{cluster}-lb-firewall")
    # The firewall-id annotation is that firewall's id.
    assert annotations[CIVO_FIREWALL_ID]
    assert proxy.property_dependencies["spec"] == [firewall.urn]
    assert lb_firewall_rules(prod, cluster) == {
        "http": ADMIN + STATED_EGRESS + CLOUDFLARE_IPV4,
        "https": ADMIN + STATED_EGRESS + CLOUDFLARE_IPV4,
    }


def test_vultr_load_balancer_admits_only_cloudflare_and_admins(prod: PlanView) -> None:
    annotations = service_annotations(prod, "chicago")
    assert annotations["platform/exposure"] == "cloudflare"
    assert annotations[VULTR_RULES] == (
        "cloudflare,80;cloudflare,443;"
        "203.0.113.0/24,80;203.0.113.0/24,443;198.51.100.16/28,80;198.51.100.16/28,443;"
        "198.51.100.64/32,80;198.51.100.64/32,443"
    )
    assert annotations["service.beta.kubernetes.io/vultr-loadbalancer-vpc"] == "true"


@pytest.mark.parametrize("cluster", [*FRONTED_CIVO, "chicago", "mgmt"])
def test_the_gateway_class_uses_the_envoy_proxy(prod: PlanView, cluster: str) -> None:
    gateway_class = prod.one("gateway.networking.k8s.io/v1:GatewayClass", f"{cluster}-gatewayclass")
    assert gateway_class.inputs["spec"]["parametersRef"] == {
        "group": "gateway.envoyproxy.io",
        "kind": "EnvoyProxy",
        "name": "platform",
        "namespace": "envoy-gateway-system",
    }
    proxy = prod.one("gateway.envoyproxy.io/v1alpha1:EnvoyProxy", f"{cluster}-envoyproxy")
    assert proxy.inputs["metadata"] == {"name": "platform", "namespace": "envoy-gateway-system"}
    assert proxy.urn in gateway_class.dependencies


def test_argocd_admits_only_admins_by_default(prod: PlanView) -> None:
    annotations = service_annotations(prod, "mgmt")
    assert annotations["platform/exposure"] == "admin"
    # The metrics agents write through the hub's own load balancer, never Argo CD's.
    assert lb_firewall_rules(prod, "mgmt") == {"http": ADMIN, "https": ADMIN}
    metrics = prod.one("civo:index/firewall:Firewall", "mgmt-metrics-lb-firewall").inputs
    assert {r["label"]: r["cidrs"] for r in metrics["ingressRules"]} == {
        "https-only": sorted([*(f"{mock_ip('civo', c)}/32" for c in FRONTED_CIVO), *STATED_EGRESS])
    }
    nodes = prod.one("civo:index/firewall:Firewall", "mgmt-firewall").inputs["ingressRules"]
    assert {r["portRange"]: r["cidrs"] for r in nodes if r["portRange"] != "6443"} == {
        "80": ADMIN,
        "443": ADMIN,
    }


def test_the_hubs_writers_wait_for_their_clusters_and_not_the_other_way(
    prod: PlanView,
) -> None:
    """Workload clusters wait for the management cluster's egress; the hub's load balancer
    firewall waits for theirs, and the management cluster never waits for it."""
    lb_firewall = prod.one("civo:index/firewall:Firewall", "mgmt-metrics-lb-firewall")
    workload = {
        prod.one("civo:index/kubernetesCluster:KubernetesCluster", c).urn for c in FRONTED_CIVO
    }
    assert workload <= set(lb_firewall.property_dependencies["ingressRules"])
    mgmt = prod.one("civo:index/kubernetesCluster:KubernetesCluster", "mgmt")
    assert lb_firewall.urn not in mgmt.dependencies


def test_without_observability_the_hub_admits_no_writers(
    plan_config: Callable[..., PlanView],
) -> None:
    def off(config: dict[str, Any]) -> None:
        config["platform:observability"] = False

    plan = plan_config("prod", off)
    assert lb_firewall_rules(plan, "mgmt") == {"http": ADMIN, "https": ADMIN}
    assert not [r for r in plan.of_type(":Firewall") if r.name == "mgmt-metrics-lb-firewall"]


def test_argocd_exposure_is_a_choice(plan_config: Callable[..., PlanView]) -> None:
    def webhooks(config: dict[str, Any]) -> None:
        config["platform:argocd"] = {"allowedCidrs": ["192.0.2.0/24"]}

    def public(config: dict[str, Any]) -> None:
        config["platform:argocd"] = {"exposure": "public"}

    widened = plan_config("prod", webhooks)
    assert lb_firewall_rules(widened, "mgmt")["https"] == [*ADMIN, "192.0.2.0/24"]
    opened = plan_config("prod", public)
    assert service_annotations(opened, "mgmt")["platform/exposure"] == "public"
    # Everyone includes the agents: no separate rule for them.
    assert lb_firewall_rules(opened, "mgmt") == {"http": ["0.0.0.0/0"], "https": ["0.0.0.0/0"]}


def test_public_exposure_takes_no_extra_cidrs(
    plan_errors: Callable[..., tuple[int, list[str]]],
) -> None:
    def both(config: dict[str, Any]) -> None:
        config["platform:argocd"] = {"exposure": "public", "allowedCidrs": ["192.0.2.0/24"]}

    code, errors = plan_errors(both)
    assert code == 2
    assert (
        "error: platform:argocd.allowedCidrs: only used with exposure 'admin'; "
        "'public' admits everyone" in errors
    )


def test_ingress_nginx_service_carries_the_firewall(ingress_nginx_plan: PlanView) -> None:
    releases = ingress_nginx_plan.releases()
    for name, inputs in releases.items():
        if not name.endswith("-ingress-nginx"):
            continue
        service = inputs["values"]["controller"]["service"]
        assert service["type"] == "LoadBalancer"
        assert service["annotations"]["platform/exposure"] in {"cloudflare", "admin", "public"}
        assert CIVO_FIREWALL_ID in service["annotations"]
    assert any(name.endswith("-ingress-nginx") for name in releases)
    broken = [
        (r.name, message)
        for r in ingress_nginx_plan.resources
        for rail, message in violations(r.type, r.revealed_inputs, r.protect)
        if rail == "restricted-load-balancers"
    ]
    assert broken == []


def test_a_vultr_load_balancer_is_never_given_an_empty_firewall() -> None:
    """Vultr's controller reads an empty firewall-rules annotation as no firewall
    (vultr-cloud-controller-manager v0.18.0 buildFirewallRules): open to everyone. The
    annotation is refused before it can be written, on every path that builds one."""
    assert edge.vultr_firewall_rules([], False, ["192.0.2.1/32"]) == "192.0.2.1/32,443"
    with pytest.raises(ValueError, match="at least one source"):
        edge.vultr_firewall_rules([], False)
    with pytest.raises(ValueError, match="at least one source"):
        edge.vultr_firewall_rules([], False, [])
