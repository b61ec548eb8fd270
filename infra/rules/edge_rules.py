"""Rules for the path from a cloud load balancer to the traffic controller."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.edge import proxy_protocol_enabled
from infra.rules.plan_rules import Findings, PlannedResource, PlanRule, StackPlan

ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
GATEWAY_CLASS = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass"
CLIENT_TRAFFIC_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"
AOP_SETTINGS = "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings"
MONITOR = "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor"
RULE = "proxy-protocol-both-ends"
PROBE_RULE = "monitors-probe-through-the-zone"


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _name(r: PlannedResource) -> Any:
    return _get(r.revealed_inputs, "metadata", "name")


def _gateways_of(plan: StackPlan, proxy: PlannedResource) -> list[PlannedResource]:
    """The Gateways an EnvoyProxy configures: its own (`infrastructure.parametersRef`), or
    every Gateway of a class that names it and has none of its own."""
    same = [r for r in plan.resources if r.provider == proxy.provider]
    classes = {
        _name(c)
        for c in same
        if c.type == GATEWAY_CLASS
        and _get(c.revealed_inputs, "spec", "parametersRef", "name") == _name(proxy)
    }
    found = []
    for gateway in (g for g in same if g.type == GATEWAY):
        spec = gateway.revealed_inputs.get("spec") or {}
        own = _get(spec, "infrastructure", "parametersRef", "name")
        if own == _name(proxy) or (own is None and spec.get("gatewayClassName") in classes):
            found.append(gateway)
    return found


def _expects(plan: StackPlan, gateway: PlannedResource) -> bool:
    for policy in plan.of_type(CLIENT_TRAFFIC_POLICY):
        spec = policy.revealed_inputs.get("spec") or {}
        targets = spec.get("targetRefs") or []
        if policy.provider == gateway.provider and any(
            t.get("kind") == "Gateway" and t.get("name") == _name(gateway) for t in targets
        ):
            return "proxyProtocol" in spec or spec.get("enableProxyProtocol") is True
    return False


def _mismatch(sends: bool, expects: bool) -> str | None:
    if sends and not expects:
        return (
            "its load balancer sends PROXY headers and the proxy behind it does not read "
            "them: every request arrives with a header it cannot parse"
        )
    if expects and not sends:
        return (
            "the proxy requires a PROXY header its load balancer does not send: every "
            "connection is closed"
        )
    return None


def _proxy_protocol_both_ends(plan: StackPlan) -> Findings:
    for proxy in plan.of_type(ENVOY_PROXY):
        annotations: Mapping[str, str] = (
            _get(
                proxy.revealed_inputs,
                "spec",
                "provider",
                "kubernetes",
                "envoyService",
                "annotations",
            )
            or {}
        )
        for gateway in _gateways_of(plan, proxy):
            problem = _mismatch(proxy_protocol_enabled(annotations), _expects(plan, gateway))
            if problem:
                yield proxy.name, f"Gateway {_name(gateway)}: {problem}"
    for release in plan.of_type(RELEASE):
        controller = _get(release.revealed_inputs, "values", "controller") or {}
        if release.revealed_inputs.get("chart") != "ingress-nginx":
            continue
        sends = proxy_protocol_enabled(_get(controller, "service", "annotations") or {})
        expects = _get(controller, "config", "use-proxy-protocol") == "true"
        problem = _mismatch(sends, expects)
        if problem:
            yield release.name, problem


def _monitors_probe_through_the_zone(plan: StackPlan) -> Findings:
    """With zone-level Authenticated Origin Pulls on, origins refuse a client without the
    zone's certificate: a monitor must probe as a request of the zone (`probe_zone`)."""
    if not any(s.revealed_inputs.get("enabled") for s in plan.of_type(AOP_SETTINGS)):
        return
    for monitor in plan.of_type(MONITOR):
        inputs = monitor.revealed_inputs
        if inputs.get("type") in ("http", "https") and not inputs.get("probeZone"):
            yield (
                monitor.name,
                "origins require this zone's client certificate (Authenticated Origin "
                "Pulls), and a monitor without probe_zone does not probe as the zone: "
                "every pool would look down",
            )


PLAN_RULES = [
    PlanRule(
        RULE,
        "A load balancer that sends the PROXY protocol fronts a proxy that expects it, and "
        "only such a one. Civo's controller keeps sending it after the annotation is "
        "removed, so Envoy must keep expecting it.",
        "civo/civo-cloud-controller-manager v0.1.9 README, cloud-controller-manager/civo/"
        "loadbalancer.go (enable_proxy_protocol, omitted when empty: civogo v0.3.96 "
        "loadbalancer.go); vultr/vultr-cloud-controller-manager v0.18.0 vultr/loadbalancers.go "
        "getProxyProtocol; envoyproxy/gateway v1.9.0 ClientTrafficPolicy proxyProtocol",
        _proxy_protocol_both_ends,
    ),
    PlanRule(
        PROBE_RULE,
        "With zone-level Authenticated Origin Pulls on, every HTTP(S) monitor probes through "
        "the zone (probe_zone), so it reaches origins that require the zone's certificate.",
        "cloudflare/terraform-provider-cloudflare v5.22.0 internal/services/"
        "load_balancer_monitor/schema.go probe_zone; https://developers.cloudflare.com/"
        "load-balancing/monitors/create-monitor/ (Simulate Zone)",
        _monitors_probe_through_the_zone,
    ),
]
