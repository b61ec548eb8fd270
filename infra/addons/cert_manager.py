"""cert-manager: Let's Encrypt ClusterIssuers solving DNS-01 through Cloudflare, and the
cluster's one wildcard certificate (one per cluster, not per namespace, to stay far from
Let's Encrypt's rate limits)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.addons.base import AddonContext

NAMESPACE = "cert-manager"
API_VERSION = "cert-manager.io/v1"
TOKEN_SECRET = "cloudflare-dns-token"
TOKEN_KEY = "api-token"
ISSUERS = {
    "letsencrypt-prod": "https://acme-v02.api.letsencrypt.org/directory",
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
}
DEFAULT_ISSUER = "letsencrypt-prod"


def values(gateway_api: bool) -> dict[str, Any]:
    """``gateway_api`` only where the Gateway API CRDs are installed: cert-manager v1.21.1
    exits at start when `gatewayAPI.enabled` is set and `gateway.networking.k8s.io/v1`
    is not served (cert-manager/cert-manager v1.21.1 pkg/controller/context.go), and the
    atomic release then rolls back."""
    config: dict[str, Any] = {
        "apiVersion": "controller.config.cert-manager.io/v1alpha1",
        "kind": "ControllerConfiguration",
    }
    if gateway_api:
        config["gatewayAPI"] = {"enabled": True}
    return {
        "crds": {"enabled": True, "keep": True},
        # The chart renders `config` as the controller's ControllerConfiguration.
        "config": config,
        # Check DNS-01 propagation against public resolvers, not the cluster's own DNS.
        "dns01RecursiveNameservers": "1.1.1.1:53,8.8.8.8:53",
        "dns01RecursiveNameserversOnly": True,
    }


class CertManager:
    def __init__(
        self,
        ctx: AddonContext,
        cloudflare_token: pulumi.Input[str],
        acme_email: str,
        depends_on: Sequence[pulumi.Resource],
        gateway_api: bool,
    ) -> None:
        namespace = ctx.namespace(NAMESPACE)
        token = ctx.secret(TOKEN_SECRET, namespace, {TOKEN_KEY: cloudflare_token})
        # With Gateway API support, `depends_on` must hold the release that brings its CRDs.
        self.release = ctx.release(
            "cert-manager", namespace, values(gateway_api), depends_on=depends_on
        )
        self.issuers = [
            ctx.custom_resource(
                f"issuer-{name}",
                API_VERSION,
                "ClusterIssuer",
                name,
                spec={
                    "acme": {
                        "server": server,
                        "email": acme_email,
                        "privateKeySecretRef": {"name": f"{name}-account-key"},
                        "solvers": [
                            {
                                "selector": {"dnsZones": [ctx.domain]},
                                "dns01": {
                                    "cloudflare": {
                                        "apiTokenSecretRef": {
                                            "name": TOKEN_SECRET,
                                            "key": TOKEN_KEY,
                                        }
                                    }
                                },
                            }
                        ],
                    }
                },
                depends_on=[self.release, token],
            )
            for name, server in ISSUERS.items()
        ]

    def certificate(
        self,
        ctx: AddonContext,
        secret_name: str,
        namespace: str,
        dns_names: list[str],
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> k8s.apiextensions.CustomResource:
        return ctx.custom_resource(
            "wildcard-certificate",
            API_VERSION,
            "Certificate",
            secret_name,
            namespace=namespace,
            spec={
                "secretName": secret_name,
                "dnsNames": dns_names,
                "issuerRef": {"kind": "ClusterIssuer", "name": DEFAULT_ISSUER},
                "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            },
            depends_on=[*self.issuers, *depends_on],
        )
