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
    CLOUDFLARE_CLIENT_HEADER,
    GATEWAY_API,
    GATEWAY_NAME,
    HTTP_LISTENER,
    HTTPS_LISTENER,
    ORIGIN_PULL_CA_SECRET,
    ClientPolicy,
    Route,
    origin_pull_ca_secret,
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


def client_traffic_policy_spec(gateway: str, policy: ClientPolicy) -> dict[str, Any]:
    """Envoy Gateway v1.9.0 ClientTrafficPolicy for a whole Gateway: expect the PROXY
    header where the load balancer sends one (`proxyProtocol`, required: a connection
    without one is closed); behind Cloudflare, take the client from `CF-Connecting-IP` and require the
    zone's client certificate on the TLS listener (a gateway-wide policy's TLS settings
    apply to TLS listeners only: internal/gatewayapi/clienttrafficpolicy.go
    `buildListenerTLSParameters`). A missing CA Secret makes every route answer 500
    (`translateClientTrafficPolicyForListener`), so the policy waits for it."""
    spec: dict[str, Any] = {
        "targetRefs": [{"group": GATEWAY_API.split("/")[0], "kind": "Gateway", "name": gateway}],
    }
    if policy.proxy_protocol:
        spec["proxyProtocol"] = {}
    if policy.behind_cloudflare:
        spec["clientIPDetection"] = {"customHeader": {"name": CLOUDFLARE_CLIENT_HEADER}}
        spec["tls"] = {
            "clientValidation": {
                "caCertificateRefs": [{"kind": "Secret", "name": ORIGIN_PULL_CA_SECRET}]
            }
        }
    return spec


def route_rule(route: Route) -> dict[str, Any]:
    matches = (
        [{"path": {"type": "Exact", "value": route.exact_path}}]
        if route.exact_path
        else [{"path": {"type": "PathPrefix", "value": p}} for p in route.paths or ("/",)]
    )
    rule: dict[str, Any] = {
        "matches": matches,
        "backendRefs": [{"name": route.service, "port": route.port}],
    }
    if route.request_timeout:
        # Without it Envoy's route timeout is 15 s (envoyproxy/gateway v1.9.0
        # internal/gatewayapi/route.go sets one only from `timeouts`).
        rule["timeouts"] = {"request": route.request_timeout}
    if route.rewrite:
        rule["filters"] = [
            {
                "type": "URLRewrite",
                "urlRewrite": {
                    "path": {"type": "ReplaceFullPath", "replaceFullPath": route.rewrite}
                },
            }
        ]
    return rule


def values() -> dict[str, Any]:
    # The chart's defaults already install the CRDs; saying so keeps it visible.
    return {"crds": {"enabled": True}}


def https_route(
    ctx: AddonContext, route: Route, depends_on: list[pulumi.Resource]
) -> k8s.apiextensions.CustomResource:
    # The client-address policy comes first: a route never serves without it.
    guard = (
        [
            ctx.custom_resource(
                f"route-{route.name}-clients",
                ENVOY_PROXY_API,
                "SecurityPolicy",
                f"{route.name}-clients",
                namespace=route.namespace,
                spec={
                    "targetRefs": [
                        {
                            "group": GATEWAY_API.split("/")[0],
                            "kind": "HTTPRoute",
                            "name": route.name,
                        }
                    ],
                    "authorization": {
                        "defaultAction": "Deny",
                        "rules": [
                            {"action": "Allow", "principal": {"clientCIDRs": route.allowed_cidrs}}
                        ],
                    },
                },
                depends_on=depends_on,
            )
        ]
        if route.allowed_cidrs is not None
        else []
    )
    return ctx.custom_resource(
        f"route-{route.name}",
        GATEWAY_API,
        "HTTPRoute",
        route.name,
        namespace=route.namespace,
        annotations=route.annotations,
        spec={
            "parentRefs": [
                {"name": route.gateway, "namespace": NAMESPACE, "sectionName": HTTPS_LISTENER}
            ],
            "hostnames": [route.hostname],
            "rules": [route_rule(route)],
        },
        depends_on=[*depends_on, *guard],
    )


def https_listener(certificate_secret: str) -> dict[str, Any]:
    return {
        "name": HTTPS_LISTENER,
        "port": 443,
        "protocol": "HTTPS",
        "tls": {
            "mode": "Terminate",
            "certificateRefs": [{"kind": "Secret", "name": certificate_secret}],
        },
        "allowedRoutes": {"namespaces": {"from": "All"}},
    }


class EnvoyGateway:
    kind: Literal["envoy-gateway"] = "envoy-gateway"
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
        self.namespace = namespace
        self.release = ctx.release("gateway-helm", namespace, values(), release_name="eg")
        # Created before the class that names it, as Envoy Gateway's docs advise, so the
        # Service never exists without its firewall.
        proxy = self._envoy_proxy(ctx, "envoyproxy", ENVOY_PROXY, service_annotations)
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
            https_listener(self.certificate_secret),
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
        self.gateways = {GATEWAY_NAME: self.gateway}
        self._client_traffic_policy(ctx, GATEWAY_NAME, self.client_policy)
        # What waits for the controller needs its CRDs, which the release brings; routes
        # wait for the Gateway itself.
        self.installed: pulumi.Resource = self.release

    def _envoy_proxy(
        self,
        ctx: AddonContext,
        resource_name: str,
        name: str,
        service_annotations: pulumi.Input[Mapping[str, str]],
    ) -> k8s.apiextensions.CustomResource:
        return ctx.custom_resource(
            resource_name,
            ENVOY_PROXY_API,
            "EnvoyProxy",
            name,
            namespace=NAMESPACE,
            spec=envoy_proxy_spec(service_annotations),
            depends_on=[self.release],
        )

    def _client_traffic_policy(self, ctx: AddonContext, gateway: str, policy: ClientPolicy) -> None:
        ca = origin_pull_ca_secret(ctx, self.namespace, policy)
        ctx.custom_resource(
            f"client-traffic-{gateway}",
            ENVOY_PROXY_API,
            "ClientTrafficPolicy",
            gateway,
            namespace=NAMESPACE,
            spec=client_traffic_policy_spec(gateway, policy),
            depends_on=[self.release, *([ca] if ca else [])],
        )

    def dedicated_gateway(
        self, ctx: AddonContext, name: str, service_annotations: pulumi.Input[Mapping[str, str]]
    ) -> None:
        """A Gateway of its own, HTTPS only, with its own Envoy Service and so its own cloud
        load balancer, whose firewall admits what ``service_annotations`` say. Envoy
        Gateway v1.9.0 gives every Gateway its own Envoy deployment and Service unless
        the class merges gateways, and uses the Gateway's own EnvoyProxy
        (`infrastructure.parametersRef`) in place of the class's: the merge type defaults
        to Replace (internal/gatewayapi/envoyproxy_merge.go)."""
        proxy = self._envoy_proxy(ctx, f"envoyproxy-{name}", name, service_annotations)
        self.gateways[name] = ctx.custom_resource(
            f"gateway-{name}",
            GATEWAY_API,
            "Gateway",
            name,
            namespace=NAMESPACE,
            spec={
                "gatewayClassName": GATEWAY_CLASS,
                "infrastructure": {
                    "parametersRef": {
                        "group": "gateway.envoyproxy.io",
                        "kind": "EnvoyProxy",
                        "name": name,
                    }
                },
                "listeners": [https_listener(self.certificate_secret)],
            },
            depends_on=[proxy, self.gateway],
        )
        # The cluster's backend puts the same proxy-protocol annotation on every load
        # balancer it fronts a traffic controller with.
        self._client_traffic_policy(
            ctx, name, ClientPolicy(proxy_protocol=self.client_policy.proxy_protocol)
        )

    def route(
        self, ctx: AddonContext, route: Route, depends_on: list[pulumi.Resource]
    ) -> k8s.apiextensions.CustomResource:
        return https_route(ctx, route, [self.gateways[route.gateway], *depends_on])
