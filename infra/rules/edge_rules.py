"""Rules for the path from a cloud load balancer to the traffic controller."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from infra.edge import VULTR_FIREWALL_RULES, proxy_protocol_enabled
from infra.rules.base import Guardrail, Props
from infra.rules.hardening import load_balancer_annotations
from infra.rules.plan_rules import Findings, PlannedResource, PlanRule, StackPlan, dig

ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
GATEWAY_CLASS = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass"
CLIENT_TRAFFIC_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"
AOP_SETTINGS = "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings"
MONITOR = "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
CIVO_FIREWALL = "civo:index/firewall:Firewall"
CIVO_FIREWALL_RULE = "civo:index/firewallRule:FirewallRule"
RULE = "proxy-protocol-both-ends"
PROBE_RULE = "monitors-probe-through-the-zone"
NGINX_CA_RULE = "nginx-reads-its-client-ca"
# ingress-nginx controller v1.15.1: the Secret (`namespace/name`) holding the CA that
# client certificates must chain to, and the ConfigMap key that lets an annotation name
# a Secret outside the Ingress's namespace (internal/ingress/controller/config/config.go
# L97-100, default false at L766).
AUTH_TLS_SECRET = "nginx.ingress.kubernetes.io/auth-tls-secret"
CROSS_NAMESPACE = "allow-cross-namespace-resources"


def _name(r: PlannedResource) -> Any:
    return dig(r.revealed_inputs, "metadata", "name")


def _gateways_of(plan: StackPlan, proxy: PlannedResource) -> list[PlannedResource]:
    """The Gateways an EnvoyProxy configures: its own (`infrastructure.parametersRef`), or
    every Gateway of a class that names it and has none of its own."""
    same = [r for r in plan.resources if r.provider == proxy.provider]
    classes = {
        _name(c)
        for c in same
        if c.type == GATEWAY_CLASS
        and dig(c.revealed_inputs, "spec", "parametersRef", "name") == _name(proxy)
    }
    found = []
    for gateway in (g for g in same if g.type == GATEWAY):
        spec = gateway.revealed_inputs.get("spec") or {}
        own = dig(spec, "infrastructure", "parametersRef", "name")
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
            dig(
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
        controller = dig(release.revealed_inputs, "values", "controller") or {}
        if release.revealed_inputs.get("chart") != "ingress-nginx":
            continue
        sends = proxy_protocol_enabled(dig(controller, "service", "annotations") or {})
        expects = dig(controller, "config", "use-proxy-protocol") == "true"
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


def auth_tls_refusal(ingress_namespace: str, secret: str, config: Mapping[str, Any]) -> str | None:
    """Why ingress-nginx v1.15.1 refuses an Ingress's auth-tls secret, or None. A refused
    one makes the whole server (every path of the host) `return 403;`
    (internal/ingress/annotations/authtls/main.go L157-167, annotations.go L200-215,
    controller.go L762-764, nginx.tmpl L929-931)."""
    parts = secret.split("/")
    if len(parts) != 2:
        # k8s.ParseNameNS: anything but exactly `namespace/name` is an error.
        return f"{AUTH_TLS_SECRET} {secret!r} is not `namespace/name`"
    namespace = parts[0] or ingress_namespace
    if namespace != ingress_namespace and config.get(CROSS_NAMESPACE) != "true":
        return (
            f"{AUTH_TLS_SECRET} names {secret!r}, outside the Ingress's namespace "
            f"{ingress_namespace!r}, and the controller's config does not set "
            f'{CROSS_NAMESPACE}: "true" (default false)'
        )
    return None


def _nginx_config(plan: StackPlan, ingress: PlannedResource) -> Mapping[str, Any]:
    """The ConfigMap settings of the ingress-nginx release on the Ingress's cluster."""
    for release in plan.of_type(RELEASE):
        if (
            release.provider == ingress.provider
            and release.revealed_inputs.get("chart") == "ingress-nginx"
        ):
            return dig(release.revealed_inputs, "values", "controller", "config") or {}
    return {}


def _nginx_reads_its_client_ca(plan: StackPlan) -> Findings:
    for ingress in plan.of_type(INGRESS):
        metadata = ingress.revealed_inputs.get("metadata") or {}
        secret = (metadata.get("annotations") or {}).get(AUTH_TLS_SECRET)
        if secret is None:
            continue
        namespace = str(metadata.get("namespace") or "default")
        problem = auth_tls_refusal(namespace, str(secret), _nginx_config(plan, ingress))
        if problem:
            yield ingress.name, f"{problem}: every request to its host answers 403"


def _no_source(value: Any) -> bool:
    """A source list that is absent or empty; a value still unknown (a string in the
    offline plan, an error CrossGuard handles) is not judged."""
    if value is None:
        return True
    return isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 0


def _no_empty_firewall_sources(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    if resource_type == CIVO_FIREWALL:
        rules = [r for r in props.get("ingressRules") or [] if isinstance(r, Mapping)]
    elif resource_type == CIVO_FIREWALL_RULE and props.get("direction", "ingress") == "ingress":
        rules = [props]
    else:
        rules = []
    for rule in rules:
        if rule.get("action", "allow") == "allow" and _no_source(rule.get("cidrs")):
            label = rule.get("label") or rule.get("portRange") or rule.get("startPort")
            yield (
                f"ingress rule {label!r} lists no CIDRs: Civo applies it to 0.0.0.0/0, "
                "everyone; leave the rule out instead"
            )
    annotations = load_balancer_annotations(resource_type, props)
    if annotations is not None and annotations.get(VULTR_FIREWALL_RULES) == "":
        yield (
            f"an empty {VULTR_FIREWALL_RULES} annotation gives the Vultr load balancer no "
            "firewall, open to everyone; list its sources, or leave the load balancer out"
        )


RULES = [
    Guardrail(
        "no-empty-firewall-sources",
        "No firewall rule or load-balancer firewall is built from an empty source list, "
        "which both clouds read as everyone: Civo applies a rule without CIDRs to 0.0.0.0/0 "
        "(https://www.civo.com/api/firewall, `cidr`; terraform-provider-civo "
        "civo/firewall/resource_firewall_rule.go), and Vultr's controller turns an empty "
        "firewall-rules annotation into a load balancer without firewall rules "
        "(vultr/vultr-cloud-controller-manager v0.18.0 vultr/loadbalancers.go "
        "buildFirewallRules), which admits all traffic "
        "(https://docs.vultr.com/vultr-load-balancer-feature-reference, Firewall Rules).",
        "mandatory",
        _no_empty_firewall_sources,
    ),
]


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
    PlanRule(
        NGINX_CA_RULE,
        "An Ingress's client CA (auth-tls-secret) is one ingress-nginx may read: in the "
        "Ingress's namespace, or the controller allows cross-namespace resources. "
        "Otherwise the controller denies the location and serves its host `return 403;`.",
        "kubernetes/ingress-nginx controller-v1.15.1 internal/ingress/annotations/authtls/"
        "main.go L157-167, internal/ingress/controller/config/config.go L97-100 and L766, "
        "internal/ingress/annotations/annotations.go L200-215, internal/ingress/controller/"
        "controller.go L762-764, rootfs/etc/nginx/template/nginx.tmpl L929-931",
        _nginx_reads_its_client_ca,
    ),
]
