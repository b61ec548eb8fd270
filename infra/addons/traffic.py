"""The cluster's front door, whichever controller serves it.

Both controllers terminate TLS with the cluster's one wildcard certificate and send
plain HTTP to services; callers ask for a route and get an HTTPRoute or an Ingress.
"""

from __future__ import annotations

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
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


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
    # Longer than the controller's default, for slow backends (a Gateway API duration);
    # Envoy Gateway only: the metrics hub, its one user, requires it.
    request_timeout: str | None = None

    @property
    def annotations(self) -> dict[str, str] | None:
        # external-dns reads this on the route itself (HTTPRoute or Ingress).
        return {PROXIED_ANNOTATION: "true"} if self.proxied else None


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


def isolate_namespace(
    ctx: AddonContext, namespace: Namespace, proxies: str
) -> k8s.networking.v1.NetworkPolicy:
    """Default-deny ingress for every pod in ``namespace``, except from its own pods and
    from the traffic controller's proxies in ``proxies``."""
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
                        k8s.networking.v1.NetworkPolicyPeerArgs(
                            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                # Set by the API server itself, so no tenant can forge it.
                                match_labels={NAMESPACE_NAME_LABEL: proxies}
                            )
                        ),
                    ]
                )
            ],
        ),
        opts=ctx.opts(depends_on=namespace.after),
    )
