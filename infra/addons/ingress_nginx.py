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
from infra.addons.traffic import Route, wildcard_secret_name

NAMESPACE = "ingress-nginx"
INGRESS_CLASS = "nginx"


def values(
    certificate: str, service_annotations: pulumi.Input[Mapping[str, str]]
) -> dict[str, Any]:
    return {
        "controller": {
            "ingressClassResource": {"name": INGRESS_CLASS, "default": True},
            "extraArgs": {"default-ssl-certificate": f"{NAMESPACE}/{certificate}"},
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
        self, ctx: AddonContext, service_annotations: pulumi.Input[Mapping[str, str]]
    ) -> None:
        self.certificate_secret = wildcard_secret_name(ctx)
        namespace = ctx.namespace(NAMESPACE)
        self.release = ctx.release(
            "ingress-nginx", namespace, values(self.certificate_secret, service_annotations)
        )
        self.installed: pulumi.Resource = self.release

    def route(
        self, ctx: AddonContext, route: Route, depends_on: list[pulumi.Resource]
    ) -> k8s.networking.v1.Ingress:
        return k8s.networking.v1.Ingress(
            ctx.name("ingress", route.name),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=route.name, namespace=route.namespace, annotations=route.annotations
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
            opts=ctx.opts(depends_on=[self.release, *depends_on]),
        )
