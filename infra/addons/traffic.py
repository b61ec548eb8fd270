"""The cluster's front door, whichever controller serves it.

Both controllers terminate TLS with the cluster's one wildcard certificate and send
plain HTTP to services; callers ask for a route and get an HTTPRoute or an Ingress.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import pulumi

from infra import naming
from infra.addons.base import AddonContext

GATEWAY_API = "gateway.networking.k8s.io/v1"
GATEWAY_NAME = "platform"
HTTPS_LISTENER = "https"
HTTP_LISTENER = "http"
PROXIED_ANNOTATION = "external-dns.alpha.kubernetes.io/cloudflare-proxied"


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
    def installed(self) -> pulumi.Resource:
        """The controller's release: once it exists, so do the route CRDs it brings."""
        ...

    def route(
        self, ctx: AddonContext, route: Route, depends_on: list[pulumi.Resource]
    ) -> pulumi.CustomResource: ...


def wildcard_secret_name(ctx: AddonContext) -> str:
    return naming.wildcard_certificate_secret(ctx.cluster)
