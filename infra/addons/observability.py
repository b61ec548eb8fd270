"""Observability (kube-prometheus-stack): one Prometheus, Alertmanager and Grafana on the
management cluster; a Prometheus agent on every workload cluster writing to it.

Grafana is served at grafana.<domain> like Argo CD, with an admin password Pulumi
generates. Each agent remote-writes over HTTPS to its own path on
prometheus-mgmt.<domain>, `/clusters/<cluster>/api/v1/write`, served by a gateway of its
own (`metrics`, with its own load balancer, which admits only the workload clusters'
egress): Argo CD and Grafana stay behind the admin-only one. An Envoy Gateway
SecurityPolicy guards each path with basic auth and a credential only that cluster holds
(the Prometheus CRD's `web` has no basic-auth users, so the gateway enforces it), and the
path leads to a relay of that cluster's own (a PrometheusAgent receiving remote writes)
that sets `cluster=<name>` on every series before writing to the hub: no cluster can
write another's series. Reading (OpenCost on workload clusters) has a route and a
credential of its own, over the query, label, series, metadata and status paths only:
never the write path or Prometheus's `/-/quit` and `/-/reload`. No metrics port is
exposed any other way: every Service stays ClusterIP.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from infra import naming
from infra.addons import argocd, cert_manager, external_dns, external_secrets
from infra.addons.base import AddonContext, Namespace
from infra.addons.observability_rules import platform_rules
from infra.addons.traffic import GATEWAY_API, Route, TrafficController

NAMESPACE = "monitoring"
# node-exporter reads the host (hostNetwork, hostPID, hostPath): Pod Security lets it run
# only in a privileged namespace, so it gets one of its own and `monitoring` stays
# restricted (kube-prometheus-stack 88.5.3 values `prometheus-node-exporter.namespaceOverride`).
NODE_EXPORTER_NAMESPACE = "node-exporter"
NODE_EXPORTER_REASON = (
    "prometheus-node-exporter needs hostNetwork, hostPID and hostPath to read the node"
)
RELEASE = "kube-prometheus-stack"
# Service names the chart derives from the release name (kube-prometheus-stack 88.5.3:
# `<fullname>-prometheus` on port 9090; the grafana subchart's `<release>-grafana` on 80).
PROMETHEUS_SERVICE = f"{RELEASE}-prometheus"
PROMETHEUS_PORT = 9090
GRAFANA_SERVICE = f"{RELEASE}-grafana"
GRAFANA_PORT = 80
GRAFANA_ADMIN_SECRET = "grafana-admin"
REMOTE_WRITE_SECRET = "remote-write-auth"
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
MONITORING_API = "monitoring.coreos.com/v1"
MONITORING_ALPHA_API = "monitoring.coreos.com/v1alpha1"
ENVOY_GATEWAY_API = "gateway.envoyproxy.io/v1alpha1"
# k3s runs the control plane inside one process with no separate endpoints to scrape.
_K3S_UNSCRAPEABLE = ("kubeControllerManager", "kubeScheduler", "kubeProxy", "kubeEtcd")


def _common() -> dict[str, Any]:
    return {
        "crds": {"enabled": True},
        "prometheus-node-exporter": {"namespaceOverride": NODE_EXPORTER_NAMESPACE},
        **{component: {"enabled": False} for component in _K3S_UNSCRAPEABLE},
    }


def _node_exporter_namespace(ctx: AddonContext) -> Namespace:
    return ctx.namespace(NODE_EXPORTER_NAMESPACE, "privileged", NODE_EXPORTER_REASON)


def _selectors() -> dict[str, Any]:
    # Pick up every ServiceMonitor, PodMonitor and rule, not only the release's own.
    return {
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
    }


def hub_values(cluster: str) -> dict[str, Any]:
    return {
        **_common(),
        "alertmanager": {"enabled": True},
        "grafana": {
            "enabled": True,
            "admin": {
                "existingSecret": GRAFANA_ADMIN_SECRET,
                "userKey": "admin-user",
                "passwordKey": "admin-password",
            },
            # Served through the cluster's gateway, like Argo CD.
            "ingress": {"enabled": False},
        },
        "prometheus": {
            "prometheusSpec": {
                **_selectors(),
                "ruleSelectorNilUsesHelmValues": False,
                "enableRemoteWriteReceiver": True,
                "externalLabels": {"cluster": cluster},
            }
        },
    }


def agent_values(cluster: str, write_url: str) -> dict[str, Any]:
    secret = {"name": REMOTE_WRITE_SECRET}
    return {
        **_common(),
        "alertmanager": {"enabled": False},
        "grafana": {"enabled": False},
        # Rules run on the management cluster, over every cluster's series.
        "defaultRules": {"create": False},
        "prometheus": {
            "agentMode": True,
            "prometheusSpec": {
                **_selectors(),
                "externalLabels": {"cluster": cluster},
                "remoteWrite": [
                    {
                        "url": write_url,
                        "basicAuth": {
                            "username": {**secret, "key": "username"},
                            "password": {**secret, "key": "password"},
                        },
                    }
                ],
            },
        },
    }


# What the platform's alerts read, scraped by pod port number (the Prometheus Operator's
# PodMonitor `portNumber`), so nothing depends on the charts' own monitor toggles.
# (namespace, app.kubernetes.io/name pod label, port): ports from each chart's values.yaml
# (external-dns `service.port` 7979, external-secrets `metrics.listen.port` 8080, argo-cd
# `controller.containerPorts.metrics` 8082); cert-manager's controller serves 9402.
ADDON_METRICS: tuple[tuple[str, str, int], ...] = (
    (cert_manager.NAMESPACE, "cert-manager", 9402),
    (external_secrets.NAMESPACE, "external-secrets", 8080),
    (external_dns.NAMESPACE, "external-dns", 7979),
)
ARGOCD_METRICS = (argocd.NAMESPACE, "argocd-application-controller", 8082)


def addon_monitors(
    ctx: AddonContext, targets: tuple[tuple[str, str, int], ...], release: pulumi.Resource
) -> None:
    """A PodMonitor per platform add-on, after the release that brings the CRD."""
    for namespace, app, port in targets:
        ctx.custom_resource(
            f"podmonitor-{app}",
            MONITORING_API,
            "PodMonitor",
            app,
            namespace=NAMESPACE,
            spec={
                "namespaceSelector": {"matchNames": [namespace]},
                "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
                "podMetricsEndpoints": [{"portNumber": port, "path": "/metrics"}],
            },
            depends_on=[release],
        )


def htpasswd_sha(user: str, password: str) -> str:
    """An htpasswd line in the one scheme Envoy Gateway's basicAuth accepts, {SHA}."""
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return f"{user}:{{SHA}}{digest}\n"


def write_path(cluster: str) -> str:
    return f"/clusters/{cluster}{REMOTE_WRITE_PATH}"


@dataclass(frozen=True)
class ClusterWrite:
    """Where one workload cluster writes, as whom."""

    url: str
    username: str
    password: pulumi.Output[str]


@dataclass(frozen=True)
class MetricsTarget:
    """Where each workload cluster writes its metrics, and how OpenCost reads them."""

    writes: Mapping[str, ClusterWrite]
    # The hub's read-only API, for OpenCost on workload clusters (its own credential).
    query_url: str
    reader: str
    reader_password: pulumi.Output[str]
    # Cluster-wide objects that other add-ons' ServiceMonitors need (the CRDs).
    ready: pulumi.Resource


class MetricsHub:
    """Prometheus, Alertmanager, Grafana and the platform's alerts, on the mgmt cluster;
    a relay and a guarded write path per workload cluster in ``writers``."""

    def __init__(
        self, ctx: AddonContext, traffic: TrafficController, writers: Sequence[str]
    ) -> None:
        namespace = ctx.namespace(NAMESPACE)
        self.grafana_host = naming.grafana_host(ctx.domain)
        write_host = naming.metrics_write_host(ctx.cluster, ctx.domain)
        self.admin_password = _password(ctx, "grafana-admin-password")
        admin = ctx.secret(
            GRAFANA_ADMIN_SECRET,
            namespace,
            {"admin-user": "admin", "admin-password": self.admin_password.result},
        )
        self.release = ctx.release(
            "kube-prometheus-stack",
            namespace,
            hub_values(ctx.cluster),
            depends_on=[admin, *_node_exporter_namespace(ctx).after],
            release_name=RELEASE,
        )
        traffic.route(
            ctx,
            Route("grafana", NAMESPACE, self.grafana_host, GRAFANA_SERVICE, GRAFANA_PORT),
            [self.release],
        )
        writes = {
            cluster: _write_path(
                ctx, traffic, namespace, host=write_host, cluster=cluster, release=self.release
            )
            for cluster in writers
        }
        self.reader_password = _password(ctx, "metrics-read-password")
        _guarded_route(
            ctx,
            traffic,
            namespace,
            route=Route(
                "prometheus-read",
                NAMESPACE,
                write_host,
                PROMETHEUS_SERVICE,
                PROMETHEUS_PORT,
                gateway=METRICS_GATEWAY,
                paths=READ_PATHS,
            ),
            user=READER,
            password=self.reader_password,
            backend=self.release,
        )
        addon_monitors(ctx, (*ADDON_METRICS, ARGOCD_METRICS), self.release)
        # The chart brings the PrometheusRule CRD: rules wait for it.
        ctx.custom_resource(
            "platform-alerts",
            MONITORING_API,
            "PrometheusRule",
            "platform-alerts",
            namespace=NAMESPACE,
            spec={"groups": platform_rules()},
            depends_on=[self.release],
        )
        self.grafana_url = naming.https_url(self.grafana_host)
        self.target = MetricsTarget(
            writes=writes,
            query_url=naming.https_url(write_host),
            reader=READER,
            reader_password=self.reader_password.result,
            ready=self.release,
        )


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


def _write_path(
    ctx: AddonContext,
    traffic: TrafficController,
    namespace: Namespace,
    *,
    host: str,
    cluster: str,
    release: pulumi.Resource,
) -> ClusterWrite:
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
    service = k8s.core.v1.Service(
        ctx.name("service", relay),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=relay, namespace=NAMESPACE),
        spec=k8s.core.v1.ServiceSpecArgs(
            # The operator labels each agent's pods with its name (v0.93.0
            # pkg/prometheus/common.go PrometheusNameLabelName).
            selector={"operator.prometheus.io/name": relay},
            ports=[k8s.core.v1.ServicePortArgs(name="web", port=PROMETHEUS_PORT)],
        ),
        opts=ctx.opts(depends_on=[*namespace.after, agent]),
    )
    password = _password(ctx, f"metrics-write-password-{cluster}")
    _guarded_route(
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
        ),
        user=cluster,
        password=password,
        backend=service,
    )
    return ClusterWrite(
        url=naming.https_url(host) + write_path(cluster), username=cluster, password=password.result
    )


def _guarded_route(
    ctx: AddonContext,
    traffic: TrafficController,
    namespace: Namespace,
    *,
    route: Route,
    user: str,
    password: random.RandomPassword,
    backend: pulumi.Resource,
) -> None:
    """A route whose basic-auth SecurityPolicy exists before it: on create and on removal
    there is no moment the route serves without it."""
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
        depends_on=[users, backend, traffic.installed],
    )
    traffic.route(ctx, route, [backend, policy])


class MetricsAgent:
    """A Prometheus agent: scrapes its own cluster and writes everything to the hub."""

    def __init__(self, ctx: AddonContext, target: MetricsTarget) -> None:
        namespace: Namespace = ctx.namespace(NAMESPACE)
        write = target.writes[ctx.cluster]
        credentials = ctx.secret(
            REMOTE_WRITE_SECRET,
            namespace,
            {"username": write.username, "password": write.password},
        )
        self.release = ctx.release(
            "kube-prometheus-stack",
            namespace,
            agent_values(ctx.cluster, write.url),
            depends_on=[credentials, *_node_exporter_namespace(ctx).after],
            release_name=RELEASE,
        )
        addon_monitors(ctx, ADDON_METRICS, self.release)


def _password(ctx: AddonContext, name: str) -> random.RandomPassword:
    return random.RandomPassword(
        ctx.name(name),
        length=32,
        special=True,
        override_special="-_.~",
        opts=pulumi.ResourceOptions(parent=ctx.parent),
    )
