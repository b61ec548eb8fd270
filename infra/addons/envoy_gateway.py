"""Envoy Gateway (gateway-helm): the default traffic controller, through Gateway API.

The chart installs the Gateway API CRDs but no GatewayClass; this module adds the
GatewayClass, one shared Gateway (HTTP that only redirects, HTTPS with the wildcard
certificate) and an HTTPRoute per served host, attached to the HTTPS listener only.
The GatewayClass points at an EnvoyProxy that puts the cloud's load-balancer firewall
annotations on Envoy's Service (see infra.edge).
"""

from __future__ import annotations

from collections.abc import Mapping
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
ENVOY_PROXY_API = "gateway.envoyproxy.io/v1alpha1"
ENVOY_PROXY = "platform"


def envoy_proxy_spec(service_annotations: pulumi.Input[Mapping[str, str]]) -> dict[str, Any]:
    """Envoy's Service is a LoadBalancer (the default), carrying these annotations
    (envoyproxies CRD, envoyproxy/gateway v1.9.0: spec.provider.kubernetes.envoyService)."""
    return {
        "provider": {
            "type": "Kubernetes",
            "kubernetes": {
                "envoyService": {"type": "LoadBalancer", "annotations": service_annotations}
            },
        }
    }


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
                    # Without it Envoy's route timeout is 15 s (envoyproxy/gateway v1.9.0
                    # internal/gatewayapi/route.go sets one only from `timeouts`).
                    **(
                        {"timeouts": {"request": route.request_timeout}}
                        if route.request_timeout
                        else {}
                    ),
                }
            ],
        },
        depends_on=depends_on,
    )


class EnvoyGateway:
    kind: Literal["envoy-gateway"] = "envoy-gateway"
    certificate_namespace = NAMESPACE
    proxy_namespace = NAMESPACE

    def __init__(
        self, ctx: AddonContext, service_annotations: pulumi.Input[Mapping[str, str]]
    ) -> None:
        self.certificate_secret = wildcard_secret_name(ctx)
        namespace = ctx.namespace(NAMESPACE)
        self.release = ctx.release("gateway-helm", namespace, values(), release_name="eg")
        # Created before the class that names it, as Envoy Gateway's docs advise, so the
        # Service never exists without its firewall.
        proxy = ctx.custom_resource(
            "envoyproxy",
            ENVOY_PROXY_API,
            "EnvoyProxy",
            ENVOY_PROXY,
            namespace=NAMESPACE,
            spec=envoy_proxy_spec(service_annotations),
            depends_on=[self.release],
        )
        gateway_class = ctx.custom_resource(
            "gatewayclass",
            GATEWAY_API,
            "GatewayClass",
            GATEWAY_CLASS,
            spec={
                "controllerName": CONTROLLER_NAME,
                # Without a namespace Envoy Gateway looks in `default`
                # (internal/provider/kubernetes/controller.go, v1.9.0).
                "parametersRef": {
                    "group": "gateway.envoyproxy.io",
                    "kind": "EnvoyProxy",
                    "name": ENVOY_PROXY,
                    "namespace": NAMESPACE,
                },
            },
            depends_on=[proxy],
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
