"""The cluster's front door, whichever controller serves it.

Both controllers terminate TLS with the cluster's one wildcard certificate and send
plain HTTP to services; callers ask for a route and get an HTTPRoute or an Ingress.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import pulumi
import pulumi_kubernetes as k8s

from infra import naming
from infra.addons.base import AddonContext, Namespace

GATEWAY_API = "gateway.networking.k8s.io/v1"
GATEWAY_NAME = "platform"
HTTPS_LISTENER = "https"
HTTP_LISTENER = "http"
PROXIED_ANNOTATION = "external-dns.alpha.kubernetes.io/cloudflare-proxied"
# external-dns skips a route whose controller annotation is anything but "dns-controller"
# (kubernetes-sigs/external-dns v0.21.0 source/annotations/processors.go
# IsControllerMismatch, called in source/gateway.go L295 and source/ingress.go L152).
CONTROLLER_ANNOTATION = "external-dns.alpha.kubernetes.io/controller"
LOAD_BALANCER_OWNED = "cloudflare-load-balancer"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


# Cloudflare sets it to the visitor's address on every request it proxies; a visitor's own
# value is overwritten (https://developers.cloudflare.com/fundamentals/reference/http-headers/).
CLOUDFLARE_CLIENT_HEADER = "CF-Connecting-IP"
# The Secret holding the CA of the client certificate this zone's Cloudflare presents.
ORIGIN_PULL_CA_SECRET = "cloudflare-origin-pull-ca"


@dataclass(frozen=True)
class ClientPolicy:
    """What a cluster's front door asks of whoever connects, beyond its firewall.

    ``origin_pull_ca``: every TLS client must present a certificate this CA signed: the
    one this zone's Cloudflare presents (Authenticated Origin Pulls), which no other
    Cloudflare customer has. Then only Cloudflare connects, so the client's address is
    the ``CF-Connecting-IP`` Cloudflare sets. ``proxy_protocol``: the load balancer in
    front passes the TCP peer's address on with the proxy protocol (see ``infra.edge``),
    so every connection starts with its header; the cluster's backend knows
    (``ClusterHandle.sends_proxy_protocol``)."""

    origin_pull_ca: pulumi.Input[str] | None = None
    # Resources that must exist before clients are refused (the zone presenting its cert).
    after: Sequence[pulumi.Resource] = ()
    proxy_protocol: bool = False

    @property
    def behind_cloudflare(self) -> bool:
        return self.origin_pull_ca is not None


@dataclass(frozen=True)
class Route:
    """One host served on a cluster, routed to a Service."""

    name: str
    namespace: pulumi.Input[str]
    hostname: str
    service: str
    port: int
    # Publish the host's DNS record through Cloudflare's proxy rather than DNS-only.
    proxied: bool = False
    # Only these client addresses are served (as the controller sees the client); None
    # serves everyone the front door admits.
    allowed_cidrs: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    # The gateway the route attaches to, when not the cluster's shared one.
    gateway: str = GATEWAY_NAME
    # One exact path served, rewritten to ``rewrite``; or path prefixes; by default `/`.
    exact_path: str | None = None
    rewrite: str | None = None
    paths: tuple[str, ...] = ()
    # Longer than the controller's default, for slow backends (a Gateway API duration);
    # Envoy Gateway only: the metrics hub's routes, its one user, require it.
    request_timeout: str | None = None
    # A public app's global host: its Cloudflare load balancer owns the name, so
    # external-dns must publish no record for it.
    global_host: bool = False

    @property
    def annotations(self) -> dict[str, str] | None:
        # external-dns reads these on the route itself (HTTPRoute or Ingress).
        if self.global_host:
            return {CONTROLLER_ANNOTATION: LOAD_BALANCER_OWNED}
        return {PROXIED_ANNOTATION: "true"} if self.proxied else None


def origin_pull_ca_secret(
    ctx: AddonContext, namespace: Namespace, policy: ClientPolicy
) -> k8s.core.v1.Secret | None:
    """The CA both controllers verify client certificates against, under `ca.crt`."""
    if policy.origin_pull_ca is None:
        return None
    return k8s.core.v1.Secret(
        ctx.name("secret", namespace.name, ORIGIN_PULL_CA_SECRET),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=ORIGIN_PULL_CA_SECRET, namespace=namespace.name),
        type="Opaque",
        string_data={"ca.crt": policy.origin_pull_ca},
        opts=ctx.opts(depends_on=[*namespace.after, *policy.after]),
    )


class TrafficController(Protocol):
    @property
    def kind(self) -> Literal["envoy-gateway", "ingress-nginx"]: ...

    @property
    def certificate_namespace(self) -> str:
        """Where the wildcard certificate's Secret must live for the controller to use it."""
        ...

    @property
    def certificate_secret(self) -> str: ...

    @property
    def proxy_namespace(self) -> str:
        """Where the proxies that forward to apps run: the one namespace apps admit."""
        ...

    @property
    def installed(self) -> pulumi.Resource:
        """The controller's release: once it exists, so do the route CRDs it brings."""
        ...

    def route(
        self, ctx: AddonContext, route: Route, depends_on: list[pulumi.Resource]
    ) -> pulumi.CustomResource: ...


def wildcard_secret_name(ctx: AddonContext) -> str:
    return naming.wildcard_certificate_secret(ctx.cluster)


def _namespace_peer(name: str) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        namespace_selector=k8s.meta.v1.LabelSelectorArgs(
            # Set by the API server itself, so no tenant can forge it.
            match_labels={NAMESPACE_NAME_LABEL: name}
        )
    )


def isolate_namespace(
    ctx: AddonContext, namespace: Namespace, proxies: str, callers: Sequence[str] = ()
) -> k8s.networking.v1.NetworkPolicy:
    """Default-deny ingress for every pod in ``namespace``, except from its own pods, from
    the traffic controller's proxies in ``proxies``, and from the namespaces of the apps
    handed its in-cluster URL (``callers``)."""
    return k8s.networking.v1.NetworkPolicy(
        ctx.name("isolate", namespace.name),
        metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny-ingress", namespace=namespace.name),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(),
            policy_types=["Ingress"],
            ingress=[
                k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    from_=[
                        k8s.networking.v1.NetworkPolicyPeerArgs(
                            pod_selector=k8s.meta.v1.LabelSelectorArgs()
                        ),
                        _namespace_peer(proxies),
                        *(_namespace_peer(caller) for caller in callers),
                    ]
                )
            ],
        ),
        opts=ctx.opts(depends_on=namespace.after),
    )
