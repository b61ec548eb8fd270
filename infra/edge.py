"""The cloud load balancer in front of a cluster's traffic controller, and who may reach it.

Node firewalls do not guard this path: each cloud's controller gives a `LoadBalancer`
Service a load balancer of its own, with a public address, forwarding to the nodes'
NodePorts. Neither Civo's nor Vultr's controller reads `loadBalancerSourceRanges`; each
restricts its load balancer only through a Service annotation, which the cluster backend
fills in and the traffic controller puts on its Service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

# Sources that admit everyone.
INTERNET = frozenset({"0.0.0.0/0", "::/0"})

# civo/civo-cloud-controller-manager v0.1.9, cloud-controller-manager/civo/loadbalancer.go:
# the ID of an existing Civo firewall. Without it Civo attaches its default, open one.
CIVO_FIREWALL_ID = "kubernetes.civo.com/firewall-id"
# vultr/vultr-cloud-controller-manager v0.18.0, docs/load-balancers.md: `source,port`
# pairs joined by `;`, the source a CIDR or the literal `cloudflare`. Without it the
# load balancer has no firewall rules at all.
VULTR_FIREWALL_RULES = "service.beta.kubernetes.io/vultr-loadbalancer-firewall-rules"
VULTR_FIREWALL_RULES_CONFIGMAP = "service.beta.kubernetes.io/vultr-loadbalancer-firewall-rules-cm"
# Forward to the nodes over the cluster's VPC, not their public addresses.
VULTR_VPC = "service.beta.kubernetes.io/vultr-loadbalancer-vpc"
FIREWALL_ANNOTATIONS = (CIVO_FIREWALL_ID, VULTR_FIREWALL_RULES, VULTR_FIREWALL_RULES_CONFIGMAP)
# The load balancer prepends a PROXY protocol header carrying the client's address, which
# it otherwise replaces with its own. civo-cloud-controller-manager v0.1.9 README and
# loadbalancer.go (`send-proxy` or `send-proxy-v2`; the Service then gets only a hostname,
# `<id>.lb.civo.com`, no IP, in its status); vultr-cloud-controller-manager v0.18.0
# vultr/loadbalancers.go `getProxyProtocol` ("true"; absent sends false, turning it off).
CIVO_PROXY_PROTOCOL = "kubernetes.civo.com/loadbalancer-enable-proxy-protocol"
CIVO_PROXY_PROTOCOL_V2 = "send-proxy-v2"
VULTR_PROXY_PROTOCOL = "service.beta.kubernetes.io/vultr-loadbalancer-proxy-protocol"

# What the platform means a load balancer to admit, stated on it so a rule can check it.
EXPOSURE = "platform/exposure"
Exposure = Literal["cloudflare", "admin", "clusters", "public", "unmanaged"]
# cloudflare: fronted by a proxied Cloudflare load balancer; Cloudflare and admin CIDRs.
# admin: the admin CIDRs (and any the config adds) only.
# clusters: the platform's own clusters' egress only (the metrics hub's writers), on 443.
# public: the whole internet, on purpose.
# unmanaged: an `existing` cluster, whose load balancers the platform does not own.
RESTRICTED: frozenset[Exposure] = frozenset({"cloudflare", "admin", "clusters"})
WEB_PORTS = (80, 443)
CLOUDFLARE = "cloudflare"


def vultr_firewall_rules(
    cidrs: Sequence[str], cloudflare: bool, https_only: Sequence[str] = ()
) -> str:
    """The firewall-rules annotation: every source on 80 and 443, and `https_only` on 443
    only. No spaces: the controller splits on `;` and `,` and parses what is left as it
    is."""
    sources = [*([CLOUDFLARE] if cloudflare else []), *dict.fromkeys(cidrs)]
    rules = [f"{source},{port}" for source in sources for port in WEB_PORTS]
    rules += [f"{source},443" for source in https_only]
    if not rules:
        raise ValueError(
            "a Vultr load balancer needs at least one source: an empty firewall-rules "
            "annotation gives it no firewall, open to everyone"
        )
    return ";".join(rules)


def proxy_protocol(cloud: str) -> dict[str, str]:
    """The annotation that makes a cloud's load balancer send PROXY headers. On Civo,
    removing it later leaves the load balancer sending them (the update omits an empty
    `enable_proxy_protocol`: civogo v0.3.96 `LoadBalancerUpdateConfig`), so Envoy must keep
    expecting them; the `proxy-protocol-both-ends` rule holds the two together."""
    if cloud == "civo":
        return {CIVO_PROXY_PROTOCOL: CIVO_PROXY_PROTOCOL_V2}
    if cloud == "vultr":
        return {VULTR_PROXY_PROTOCOL: "true"}
    return {}


def proxy_protocol_enabled(annotations: Mapping[str, str]) -> bool:
    """The cloud load balancer of a Service with these annotations sends PROXY headers."""
    return (
        annotations.get(CIVO_PROXY_PROTOCOL) in ("send-proxy", CIVO_PROXY_PROTOCOL_V2)
        or annotations.get(VULTR_PROXY_PROTOCOL) == "true"
    )


def vultr_sources(rules: str) -> list[str]:
    """The sources of a firewall-rules annotation."""
    return [entry.split(",", 1)[0] for entry in rules.split(";") if entry]


# An empty source list is not "nobody" on either cloud. Civo's API: a firewall rule's
# `cidr` "defaults to being globally applied, i.e. 0.0.0.0/0" (https://www.civo.com/api/
# firewall; terraform-provider-civo civo_firewall_rule). Vultr's controller turns an empty
# firewall-rules annotation into a load balancer with no firewall rules
# (vultr-cloud-controller-manager v0.18.0 vultr/loadbalancers.go buildFirewallRules), and
# a Vultr load balancer without rules admits everyone (docs.vultr.com, Load Balancer
# feature reference: firewall rules are optional, added "to restrict" traffic).
EMPTY_MEANS_EVERYONE = ["0.0.0.0/0"]


def civo_rule_sources(cidrs: Sequence[str] | None) -> list[str]:
    """The CIDRs a Civo firewall rule admits, as Civo reads them."""
    return list(cidrs or []) or EMPTY_MEANS_EVERYONE
