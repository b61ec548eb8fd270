"""The hub's doors, on a gateway of its own (`metrics`, with its own load balancer, which
admits only the workload clusters' egress): Argo CD and Grafana stay behind the
admin-only one.

Each workload cluster remote-writes to its own path on prometheus-mgmt.<domain>,
`/clusters/<cluster>/api/v1/write`, guarded by basic auth with a credential only that
cluster holds (the Prometheus CRD's `web` has no basic-auth users, so an Envoy Gateway
SecurityPolicy enforces it). The path leads to a relay of that cluster's own (a
PrometheusAgent receiving remote writes) that sets `cluster=<name>` on every series
before writing to the hub: no cluster can write another's series. Reading (OpenCost on
workload clusters) has a route and a credential of its own, over the query, label,
series, metadata and status paths only: never the write path or Prometheus's `/-/quit`
and `/-/reload`. Every policy exists before the route it guards, and every route waits
longer than Envoy's default 15 s.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from infra import naming
from infra.addons.base import AddonContext, Namespace
from infra.addons.observability.chart_values import PROMETHEUS_PORT, PROMETHEUS_SERVICE
from infra.addons.observability.monitors import AGENT_NAME_LABEL, NAMESPACE, relay_monitor
from infra.addons.traffic import GATEWAY_API, Route, TrafficController

REMOTE_WRITE_PATH = "/api/v1/write"
READER = "reader"
# Prometheus v3.14.0 web/api/v1/api.go: the read-only API. Gateway API path prefixes match
# whole segments, so `/api/v1/query` does not cover `/api/v1/query_range`.
READ_PATHS = (
    "/api/v1/query",
    "/api/v1/query_range",
    "/api/v1/labels",
    "/api/v1/label",
    "/api/v1/series",
    "/api/v1/metadata",
    "/api/v1/status",
)
# The hub's gateway of its own, and its load balancer (ClusterRequest.dedicated_load_balancers).
METRICS_GATEWAY = "metrics"
MONITORING_ALPHA_API = "monitoring.coreos.com/v1alpha1"
ENVOY_GATEWAY_API = "gateway.envoyproxy.io/v1alpha1"
# OpenCost's Prometheus client waits 120 s (PROMETHEUS_QUERY_TIMEOUT), and a remote write
# retries a batch it could not send in time; Envoy's default route timeout is 15 s
# (envoyproxy/gateway v1.9.0 internal/xds/translator/route.go).
HUB_REQUEST_TIMEOUT = "180s"


def htpasswd_sha(user: str, password: str) -> str:
    """An htpasswd line in the one scheme Envoy Gateway's basicAuth accepts, {SHA}."""
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return f"{user}:{{SHA}}{digest}\n"


def generated_password(ctx: AddonContext, name: str) -> random.RandomPassword:
    return random.RandomPassword(
        ctx.name(name),
        length=32,
        special=True,
        override_special="-_.~",
        opts=pulumi.ResourceOptions(parent=ctx.parent),
    )


def write_path(cluster: str) -> str:
    return f"/clusters/{cluster}{REMOTE_WRITE_PATH}"


@dataclass(frozen=True)
class ClusterWrite:
    """Where one workload cluster writes, as whom."""

    url: str
    username: str
    password: pulumi.Output[str]


@dataclass(frozen=True)
class GuardedRoute:
    route: pulumi.Resource
    policy: pulumi.Resource


def relay_spec(cluster: str) -> dict[str, Any]:
    """A PrometheusAgent (prometheus-operator v0.93 CRD) that receives one cluster's
    remote writes and forwards them to the hub with `cluster` set to that cluster, whatever
    the writer put there. It scrapes nothing (no selectors), and adds no labels of its own
    (the operator's `prometheus` and `prometheus_replica` external labels are off)."""
    return {
        "replicas": 1,
        "enableRemoteWriteReceiver": True,
        "prometheusExternalLabelName": "",
        "replicaExternalLabelName": "",
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "runAsGroup": 2000,
            "fsGroup": 2000,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "remoteWrite": [
            {
                "url": naming.service_url(PROMETHEUS_SERVICE, NAMESPACE, PROMETHEUS_PORT)
                + REMOTE_WRITE_PATH,
                "writeRelabelConfigs": [
                    {"action": "replace", "targetLabel": "cluster", "replacement": cluster}
                ],
            }
        ],
    }


def cluster_write_path(
    ctx: AddonContext,
    traffic: TrafficController,
    namespace: Namespace,
    *,
    host: str,
    cluster: str,
    release: pulumi.Resource,
) -> ClusterWrite:
    """One workload cluster's relay, its Service, and the guarded path to it."""
    relay = f"relay-{cluster}"
    agent = ctx.custom_resource(
        relay,
        MONITORING_ALPHA_API,
        "PrometheusAgent",
        relay,
        namespace=NAMESPACE,
        spec=relay_spec(cluster),
        depends_on=[release],
    )
    relay_monitor(ctx, relay, cluster, [release, agent])
    service = k8s.core.v1.Service(
        ctx.name("service", relay),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=relay, namespace=NAMESPACE),
        spec=k8s.core.v1.ServiceSpecArgs(
            # The operator labels each agent's pods with its name.
            selector={AGENT_NAME_LABEL: relay},
            ports=[k8s.core.v1.ServicePortArgs(name="web", port=PROMETHEUS_PORT)],
        ),
        opts=ctx.opts(depends_on=[*namespace.after, agent]),
    )
    password = generated_password(ctx, f"metrics-write-password-{cluster}")
    guarded_route(
        ctx,
        traffic,
        namespace,
        route=Route(
            f"prometheus-write-{cluster}",
            NAMESPACE,
            host,
            relay,
            PROMETHEUS_PORT,
            gateway=METRICS_GATEWAY,
            exact_path=write_path(cluster),
            rewrite=REMOTE_WRITE_PATH,
            request_timeout=HUB_REQUEST_TIMEOUT,
        ),
        user=cluster,
        password=password,
        backend=service,
    )
    return ClusterWrite(
        url=naming.https_url(host) + write_path(cluster), username=cluster, password=password.result
    )


def read_route(
    ctx: AddonContext,
    traffic: TrafficController,
    namespace: Namespace,
    *,
    host: str,
    password: random.RandomPassword,
    release: pulumi.Resource,
) -> GuardedRoute:
    """The hub's read-only API, for OpenCost on workload clusters."""
    return guarded_route(
        ctx,
        traffic,
        namespace,
        route=Route(
            "prometheus-read",
            NAMESPACE,
            host,
            PROMETHEUS_SERVICE,
            PROMETHEUS_PORT,
            gateway=METRICS_GATEWAY,
            paths=READ_PATHS,
            request_timeout=HUB_REQUEST_TIMEOUT,
        ),
        user=READER,
        password=password,
        backend=release,
    )


def guarded_route(
    ctx: AddonContext,
    traffic: TrafficController,
    namespace: Namespace,
    *,
    route: Route,
    user: str,
    password: random.RandomPassword,
    backend: pulumi.Resource,
) -> GuardedRoute:
    """A route whose basic-auth SecurityPolicy exists before it: on create and on removal
    there is no moment the route serves without it. Envoy Gateway holds a policy whose
    target does not exist yet until the route appears, so it can come first."""
    users = ctx.secret(
        f"{route.name}-users",
        namespace,
        {".htpasswd": password.result.apply(lambda p: htpasswd_sha(user, p))},
    )
    policy = ctx.custom_resource(
        f"{route.name}-basic-auth",
        ENVOY_GATEWAY_API,
        "SecurityPolicy",
        f"{route.name}-basic-auth",
        namespace=NAMESPACE,
        spec={
            "targetRefs": [
                {"group": GATEWAY_API.split("/")[0], "kind": "HTTPRoute", "name": route.name}
            ],
            "basicAuth": {"users": {"name": f"{route.name}-users"}},
        },
        # The gateway's release brings the SecurityPolicy CRD.
        depends_on=[users, backend, traffic.installed],
    )
    return GuardedRoute(traffic.route(ctx, route, [backend, policy]), policy)
