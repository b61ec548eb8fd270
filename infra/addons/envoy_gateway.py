"""Envoy Gateway (gateway-helm): the default traffic controller, through Gateway API.

The chart installs the Gateway API CRDs but no GatewayClass; this module adds the
GatewayClass, one shared Gateway (HTTP that only redirects, HTTPS with the wildcard
certificate) and an HTTPRoute per served host, attached to the HTTPS listener only.
"""

from __future__ import annotations

from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from infra.addons.base import AddonContext
from infra.addons.traffic import (
    GATEWAY_API,
    GATEWAY_NAME,
    HTTP_LISTENER,
    HTTPS_LISTENER,
    Route,
    wildcard_secret_name,
)

NAMESPACE = "envoy-gateway-system"
GATEWAY_CLASS = "envoy-gateway"
CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"


def values() -> dict[str, Any]:
    # The chart's defaults already install the CRDs; saying so keeps it visible.
    return {"crds": {"enabled": True}}


def https_route(
    ctx: AddonContext, route: Route, depends_on: list[pulumi.Resource]
) -> k8s.apiextensions.CustomResource:
    return ctx.custom_resource(
        f"route-{route.name}",
        GATEWAY_API,
        "HTTPRoute",
        route.name,
        namespace=route.namespace,
        annotations=route.annotations,
        spec={
            "parentRefs": [
                {"name": GATEWAY_NAME, "namespace": NAMESPACE, "sectionName": HTTPS_LISTENER}
            ],
            "hostnames": [route.hostname],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [{"name": route.service, "port": route.port}],
                }
            ],
        },
        depends_on=depends_on,
    )


class EnvoyGateway:
    kind: Literal["envoy-gateway"] = "envoy-gateway"
    certificate_namespace = NAMESPACE

    def __init__(self, ctx: AddonContext) -> None:
        self.certificate_secret = wildcard_secret_name(ctx)
        namespace = ctx.namespace(NAMESPACE)
        self.release = ctx.release("gateway-helm", namespace, values(), release_name="eg")
        gateway_class = ctx.custom_resource(
            "gatewayclass",
            GATEWAY_API,
            "GatewayClass",
            GATEWAY_CLASS,
            spec={"controllerName": CONTROLLER_NAME},
            depends_on=[self.release],
        )
        listeners: list[dict[str, Any]] = [
            {
                "name": HTTP_LISTENER,
                "port": 80,
                "protocol": "HTTP",
                # Only the redirect below attaches here: nothing is served over plain HTTP.
                "allowedRoutes": {"namespaces": {"from": "Same"}},
            },
            {
                "name": HTTPS_LISTENER,
                "port": 443,
                "protocol": "HTTPS",
                "tls": {
                    "mode": "Terminate",
                    "certificateRefs": [{"kind": "Secret", "name": self.certificate_secret}],
                },
                "allowedRoutes": {"namespaces": {"from": "All"}},
            },
        ]
        self.gateway = ctx.custom_resource(
            "gateway",
            GATEWAY_API,
            "Gateway",
            GATEWAY_NAME,
            namespace=NAMESPACE,
            spec={"gatewayClassName": GATEWAY_CLASS, "listeners": listeners},
            depends_on=[gateway_class],
        )
        ctx.custom_resource(
            "https-redirect",
            GATEWAY_API,
            "HTTPRoute",
            "https-redirect",
            namespace=NAMESPACE,
            spec={
                "parentRefs": [{"name": GATEWAY_NAME, "sectionName": HTTP_LISTENER}],
                "rules": [
                    {
                        "filters": [
                            {
                                "type": "RequestRedirect",
                                "requestRedirect": {"scheme": "https", "statusCode": 301},
                            }
                        ]
                    }
                ],
            },
            depends_on=[self.gateway],
        )
        # What waits for the controller needs its CRDs, which the release brings; routes
        # wait for the Gateway itself.
        self.installed: pulumi.Resource = self.release

    def route(
        self, ctx: AddonContext, route: Route, depends_on: list[pulumi.Resource]
    ) -> k8s.apiextensions.CustomResource:
        return https_route(ctx, route, [self.gateway, *depends_on])
