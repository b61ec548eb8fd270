"""ingress-nginx: the opt-in alternative traffic controller.

Retired upstream in March 2026 (no further security fixes); config selecting it gets a
warning. It serves Ingress objects, terminating TLS with the wildcard certificate set
as the controller's default, so an Ingress names its host and no Secret of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from infra.addons.base import AddonContext
from infra.addons.traffic import (
    CLOUDFLARE_CLIENT_HEADER,
    ORIGIN_PULL_CA_SECRET,
    ClientPolicy,
    Route,
    origin_pull_ca_secret,
    wildcard_secret_name,
)
from infra.rules.edge_rules import AUTH_TLS_SECRET, CROSS_NAMESPACE

NAMESPACE = "ingress-nginx"
INGRESS_CLASS = "nginx"


# Annotations of controller v1.15.1 (docs/user-guide/nginx-configuration/annotations.md).
CLIENT_CA = AUTH_TLS_SECRET
VERIFY_CLIENT = "nginx.ingress.kubernetes.io/auth-tls-verify-client"
ALLOWED_SOURCES = "nginx.ingress.kubernetes.io/whitelist-source-range"


def controller_config(policy: ClientPolicy) -> dict[str, str]:
    """The controller's ConfigMap: read the PROXY header where the load balancer sends one; behind
    Cloudflare, take the client's address from `CF-Connecting-IP`, and let the apps'
    Ingresses name the client CA kept in this namespace (otherwise the controller
    refuses it and every host answers 403: the rule `nginx-reads-its-client-ca`). Only
    the platform writes Ingresses: the apps' AppProject refuses the kind
    (infra.addons.argocd), so no tenant can point an annotation at another namespace."""
    config = {"use-proxy-protocol": "true"} if policy.proxy_protocol else {}
    if policy.behind_cloudflare:
        config |= {
            "use-forwarded-headers": "true",
            "forwarded-for-header": CLOUDFLARE_CLIENT_HEADER,
            CROSS_NAMESPACE: "true",
        }
    return config


def values(
    certificate: str,
    service_annotations: pulumi.Input[Mapping[str, str]],
    policy: ClientPolicy | None = None,
) -> dict[str, Any]:
    return {
        "controller": {
            "ingressClassResource": {"name": INGRESS_CLASS, "default": True},
            "extraArgs": {"default-ssl-certificate": f"{NAMESPACE}/{certificate}"},
            "config": controller_config(policy or ClientPolicy()),
            "service": {
                "type": "LoadBalancer",
                "externalTrafficPolicy": "Local",
                # The cloud's load-balancer firewall (infra.edge); the chart's
                # `loadBalancerSourceRanges` is ignored by both clouds' controllers.
                "annotations": service_annotations,
            },
        }
    }


class IngressNginx:
    kind: Literal["ingress-nginx"] = "ingress-nginx"
    certificate_namespace = NAMESPACE
    proxy_namespace = NAMESPACE

    def __init__(
        self,
        ctx: AddonContext,
        service_annotations: pulumi.Input[Mapping[str, str]],
        client_policy: ClientPolicy | None = None,
    ) -> None:
        self.certificate_secret = wildcard_secret_name(ctx)
        self.client_policy = client_policy or ClientPolicy()
        namespace = ctx.namespace(NAMESPACE)
        self.ca = origin_pull_ca_secret(ctx, namespace, self.client_policy)
        self.release = ctx.release(
            "ingress-nginx",
            namespace,
            values(self.certificate_secret, service_annotations, self.client_policy),
        )
        self.installed: pulumi.Resource = self.release

    def annotations(self, route: Route) -> pulumi.Input[dict[str, str]] | None:
        marks = dict(route.annotations or {})
        if self.client_policy.behind_cloudflare:
            marks |= {CLIENT_CA: f"{NAMESPACE}/{ORIGIN_PULL_CA_SECRET}", VERIFY_CLIENT: "on"}
        if route.allowed_cidrs is not None:
            return pulumi.Output.all(route.allowed_cidrs).apply(
                lambda parts: {**marks, ALLOWED_SOURCES: ",".join(str(c) for c in parts[0])}
            )
        return marks or None

    def route(
        self, ctx: AddonContext, route: Route, depends_on: list[pulumi.Resource]
    ) -> k8s.networking.v1.Ingress:
        return k8s.networking.v1.Ingress(
            ctx.name("ingress", route.name),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=route.name, namespace=route.namespace, annotations=self.annotations(route)
            ),
            spec=k8s.networking.v1.IngressSpecArgs(
                ingress_class_name=INGRESS_CLASS,
                # TLS without a secretName: the controller's default (wildcard) certificate.
                tls=[k8s.networking.v1.IngressTLSArgs(hosts=[route.hostname])],
                rules=[
                    k8s.networking.v1.IngressRuleArgs(
                        host=route.hostname,
                        http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                            paths=[
                                k8s.networking.v1.HTTPIngressPathArgs(
                                    path="/",
                                    path_type="Prefix",
                                    backend=k8s.networking.v1.IngressBackendArgs(
                                        service=k8s.networking.v1.IngressServiceBackendArgs(
                                            name=route.service,
                                            port=k8s.networking.v1.ServiceBackendPortArgs(
                                                number=route.port
                                            ),
                                        )
                                    ),
                                )
                            ]
                        ),
                    )
                ],
            ),
            opts=ctx.opts(depends_on=[self.release, *([self.ca] if self.ca else []), *depends_on]),
        )
