"""What a plan says about admission, read from its resources by type and inputs.

Every reader takes the planned resources only (``resources.json`` holds the same), so
the model also runs on a plan written by older code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infra import edge
from infra.addons.traffic import PROXIED_ANNOTATION
from infra.rules.plan_rules import dig
from platform_cli.grouping import cluster_of
from platform_cli.runner import Registration

FIREWALL = "civo:index/firewall:Firewall"
VULTR_RULE = "vultr:index/firewallRule:FirewallRule"
VULTR_CLUSTER = "vultr:index/kubernetes:Kubernetes"
CIVO_CLUSTER = "civo:index/kubernetesCluster:KubernetesCluster"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
GATEWAY_CLASS = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
CLIENT_TRAFFIC_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"
SECURITY_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"
SECRET = "kubernetes:core/v1:Secret"
RELEASE = "kubernetes:helm.sh/v3:Release"
ADMISSION_BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
ADMISSION_POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
CF_LOAD_BALANCER = "cloudflare:index/loadBalancer:LoadBalancer"
CF_POOL = "cloudflare:index/loadBalancerPool:LoadBalancerPool"
CF_MONITOR = "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor"
CF_AOP_CERTIFICATE = (
    "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate"
)
CF_AOP_SETTINGS = (
    "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings"
)
WEB_PORTS = ("80", "443")


def meta(r: Registration) -> dict[str, Any]:
    found = r.revealed_inputs.get("metadata")
    return found if isinstance(found, dict) else {}


@dataclass
class Plan:
    """One plan's resources, indexed the ways the model asks."""

    resources: Sequence[Registration]
    by_urn: dict[str, Registration] = field(init=False)

    def __post_init__(self) -> None:
        self.by_urn = {r.urn: r for r in self.resources}

    def of_type(self, *types: str) -> list[Registration]:
        return [r for r in self.resources if r.type in types]

    def cluster(self, r: Registration) -> str:
        return cluster_of(r, self.by_urn)

    def on(self, cluster: str, *types: str) -> Iterator[Registration]:
        return (r for r in self.of_type(*types) if self.cluster(r) == cluster)

    def named(
        self, cluster: str, typ: str, name: str, namespace: str | None
    ) -> Registration | None:
        for r in self.on(cluster, typ):
            m = meta(r)
            if m.get("name") == name and (namespace is None or m.get("namespace") == namespace):
                return r
        return None

    def feeding(self, r: Registration, prop: str, typ: str) -> list[Registration]:
        """Resources of ``typ`` whose outputs feed input ``prop`` of ``r``."""
        urns = r.property_dependencies.get(prop, [])
        return [self.by_urn[u] for u in urns if u in self.by_urn and self.by_urn[u].type == typ]


def civo_rules(firewall: Registration) -> dict[str, list[str]]:
    """port -> CIDRs admitted, from a Civo firewall's ingress rules."""
    ports: dict[str, list[str]] = {}
    for rule in firewall.revealed_inputs.get("ingressRules") or []:
        if rule.get("action", "allow") == "allow":
            cidrs = edge.civo_rule_sources(rule.get("cidrs"))
            ports.setdefault(str(rule.get("portRange")), []).extend(cidrs)
    return ports


def vultr_rules(plan: Plan, cluster: str) -> dict[str, list[str]]:
    """port -> CIDRs admitted by a VKE cluster's firewall group (its node rules)."""
    ports: dict[str, list[str]] = {}
    for rule in plan.on(cluster, VULTR_RULE):
        inputs = rule.revealed_inputs
        source = (
            inputs.get("source") or f"{inputs.get('subnet')}/{int(inputs.get('subnetSize', 0))}"
        )
        ports.setdefault(str(inputs.get("port")), []).append(source)
    return ports


def annotation_rules(annotations: Mapping[str, str]) -> dict[str, list[str]] | None:
    """port -> sources of a Vultr firewall-rules annotation; None without one, or with
    an empty one (no firewall either way)."""
    rules = annotations.get(edge.VULTR_FIREWALL_RULES)
    if not rules:
        return None
    ports: dict[str, list[str]] = {}
    for entry in rules.split(";"):
        if "," in entry:
            source, port = entry.split(",", 1)
            ports.setdefault(port, []).append(source)
    return ports


def load_balancer_rules(
    plan: Plan, owner: Registration, prop: str, annotations: Mapping[str, str]
) -> dict[str, list[str]] | None:
    """port -> sources the cloud load balancer of a Service with ``annotations`` admits;
    None when it has no firewall (Civo's default firewall and a Vultr load balancer
    without rules both admit everyone)."""
    if edge.CIVO_FIREWALL_ID in annotations:
        firewalls = plan.feeding(owner, prop, FIREWALL)
        return civo_rules(firewalls[0]) if firewalls else None
    return annotation_rules(annotations)


def proxied_records(plan: Plan) -> set[str]:
    """Names published proxied: external-dns gives their records Cloudflare's addresses,
    so anyone reaches them through this zone's Cloudflare."""
    hosts: set[str] = set()
    for r in plan.of_type(HTTP_ROUTE, INGRESS):
        if (meta(r).get("annotations") or {}).get(PROXIED_ANNOTATION) == "true":
            hosts.update(route_hosts(r))
    return hosts


def route_hosts(r: Registration) -> list[str]:
    spec = r.revealed_inputs.get("spec") or {}
    if r.type == INGRESS:
        return [str(rule.get("host")) for rule in spec.get("rules") or []]
    return [str(h) for h in spec.get("hostnames") or []]


def route_paths(r: Registration) -> list[str]:
    spec = r.revealed_inputs.get("spec") or {}
    paths = [
        str(dig(match, "path", "value"))
        for rule in spec.get("rules") or []
        for match in rule.get("matches") or [{"path": {"value": "/"}}]
    ]
    return paths or ["/"]


def zone_authenticates(plan: Plan) -> bool:
    """This zone presents its own client certificate to origins: zone-level
    Authenticated Origin Pulls on, with a certificate the stack uploaded (Cloudflare's
    shared certificate would prove only "some Cloudflare zone")."""
    settings = [s for s in plan.of_type(CF_AOP_SETTINGS) if s.revealed_inputs.get("enabled")]
    return bool(settings and plan.of_type(CF_AOP_CERTIFICATE))
