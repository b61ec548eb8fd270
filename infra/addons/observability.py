"""Observability (kube-prometheus-stack): one Prometheus, Alertmanager and Grafana on the
management cluster; a Prometheus agent on every workload cluster writing to it.

Grafana is served at grafana.<domain> like Argo CD, with an admin password Pulumi
generates. The agents remote-write over HTTPS to prometheus.<mgmt cluster domain>, a
route on the management cluster's gateway that an Envoy Gateway SecurityPolicy guards
with basic auth (the Prometheus CRD's `web` has no basic-auth users, so the gateway
enforces it). No metrics port is exposed any other way: every Service stays ClusterIP.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import pulumi
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
REMOTE_WRITE_USER = "remote-write"
REMOTE_WRITE_SECRET = "remote-write-auth"
REMOTE_WRITE_PATH = "/api/v1/write"
MONITORING_API = "monitoring.coreos.com/v1"
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


@dataclass(frozen=True)
class MetricsTarget:
    """Where workload clusters write their metrics, and the credentials to do it."""

    url: str
    # The same host's query API, for OpenCost on workload clusters (same credentials).
    query_url: str
    username: str
    password: pulumi.Output[str]
    # Cluster-wide objects that other add-ons' ServiceMonitors need (the CRDs).
    ready: pulumi.Resource


class MetricsHub:
    """Prometheus, Alertmanager, Grafana and the platform's alerts, on the mgmt cluster."""

    def __init__(self, ctx: AddonContext, traffic: TrafficController) -> None:
        namespace = ctx.namespace(NAMESPACE)
        self.grafana_host = naming.grafana_host(ctx.domain)
        write_host = naming.metrics_write_host(ctx.cluster, ctx.domain)
        self.admin_password = _password(ctx, "grafana-admin-password")
        self.write_password = _password(ctx, "metrics-write-password")
        admin = ctx.secret(
            GRAFANA_ADMIN_SECRET,
            namespace,
            {"admin-user": "admin", "admin-password": self.admin_password.result},
        )
        users = ctx.secret(
            "remote-write-users",
            namespace,
            {
                ".htpasswd": self.write_password.result.apply(
                    lambda p: htpasswd_sha(REMOTE_WRITE_USER, p)
                )
            },
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
        write_route = traffic.route(
            ctx,
            Route("prometheus", NAMESPACE, write_host, PROMETHEUS_SERVICE, PROMETHEUS_PORT),
            [self.release],
        )
        ctx.custom_resource(
            "prometheus-basic-auth",
            ENVOY_GATEWAY_API,
            "SecurityPolicy",
            "prometheus-basic-auth",
            namespace=NAMESPACE,
            spec={
                "targetRefs": [
                    {"group": GATEWAY_API.split("/")[0], "kind": "HTTPRoute", "name": "prometheus"}
                ],
                "basicAuth": {"users": {"name": "remote-write-users"}},
            },
            depends_on=[write_route, users],
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
            url=naming.https_url(write_host) + REMOTE_WRITE_PATH,
            query_url=naming.https_url(write_host),
            username=REMOTE_WRITE_USER,
            password=self.write_password.result,
            ready=self.release,
        )


class MetricsAgent:
    """A Prometheus agent: scrapes its own cluster and writes everything to the hub."""

    def __init__(self, ctx: AddonContext, target: MetricsTarget) -> None:
        namespace: Namespace = ctx.namespace(NAMESPACE)
        credentials = ctx.secret(
            REMOTE_WRITE_SECRET,
            namespace,
            {"username": target.username, "password": target.password},
        )
        self.release = ctx.release(
            "kube-prometheus-stack",
            namespace,
            agent_values(ctx.cluster, target.url),
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
