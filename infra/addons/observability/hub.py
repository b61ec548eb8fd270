"""The metrics hub on the management cluster: Prometheus (with the remote-write receiver
on), Alertmanager, Grafana and the platform's alerts.

Grafana is served at grafana.<domain> like Argo CD, with an admin password Pulumi
generates. The agents remote-write over HTTPS to prometheus-mgmt.<domain>, a route on the
management cluster's gateway that an Envoy Gateway SecurityPolicy guards with basic auth
(the Prometheus CRD's `web` has no basic-auth users, so the gateway enforces it). The
policy exists before the route it guards, so the route never serves without it. No
metrics port is exposed any other way: every Service stays ClusterIP.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_random as random

from infra import naming
from infra.addons.base import AddonContext, Namespace
from infra.addons.observability.alertmanager import CONFIG_KEY, SECRET, config_yaml
from infra.addons.observability.chart_values import NODE_EXPORTER_NAMESPACE, hub_values
from infra.addons.observability.monitors import (
    ADDON_METRICS,
    ARGOCD_METRICS,
    MONITORING_API,
    NAMESPACE,
    addon_monitors,
)
from infra.addons.observability.rules import RUNBOOK_ANCHOR, platform_rules
from infra.addons.traffic import GATEWAY_API, Route, TrafficController
from infra.config import AlertingConfig, ObservabilityConfig

NODE_EXPORTER_REASON = (
    "prometheus-node-exporter needs hostNetwork, hostPID and hostPath to read the node"
)
RELEASE = "kube-prometheus-stack"
# Names the chart derives from the release name (kube-prometheus-stack 88.5.3:
# `<fullname>-prometheus` on port 9090; the grafana subchart's
# `<release>-grafana` on 80).
PROMETHEUS_SERVICE = f"{RELEASE}-prometheus"
PROMETHEUS_PORT = 9090
GRAFANA_SERVICE = f"{RELEASE}-grafana"
GRAFANA_PORT = 80
GRAFANA_ADMIN_SECRET = "grafana-admin"
REMOTE_WRITE_USER = "remote-write"
REMOTE_WRITE_SECRET = "remote-write-auth"
REMOTE_WRITE_PATH = "/api/v1/write"
ENVOY_GATEWAY_API = "gateway.envoyproxy.io/v1alpha1"
# OpenCost's Prometheus client waits 120 s (PROMETHEUS_QUERY_TIMEOUT); Envoy's default
# route timeout is 15 s (envoyproxy/gateway v1.9.0 internal/xds/translator/route.go).
HUB_REQUEST_TIMEOUT = "180s"


def node_exporter_namespace(ctx: AddonContext) -> Namespace:
    return ctx.namespace(NODE_EXPORTER_NAMESPACE, "privileged", NODE_EXPORTER_REASON)


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
    # What must exist before a workload cluster's OpenCost queries the hub: the route and
    # the policy guarding it (and through the gateway, the load balancer and its firewall).
    reachable: Sequence[pulumi.Resource]


@dataclass(frozen=True)
class HubSettings:
    """What the hub needs from the stack's config."""

    sizing: ObservabilityConfig
    # None: the chart's own Alertmanager config, which routes every alert nowhere.
    alerting: AlertingConfig | None
    # Every cluster whose silence is an alert, `mgmt` included.
    clusters: Sequence[str]
    # The README's alert runbooks on the project's git host, when the stack names it.
    runbook_url: str | None = None


def runbook_url(repository: str | None, branch: str) -> str | None:
    return naming.readme_url(repository, branch, RUNBOOK_ANCHOR) if repository else None


class MetricsHub:
    """Prometheus, Alertmanager, Grafana and the platform's alerts, on the mgmt cluster."""

    def __init__(
        self,
        ctx: AddonContext,
        traffic: TrafficController,
        settings: HubSettings,
        cert_manager: pulumi.Resource,
    ) -> None:
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
        before_release: list[pulumi.Resource] = [admin, cert_manager]
        if settings.alerting is not None:
            before_release.append(
                ctx.secret(
                    SECRET,
                    namespace,
                    {CONFIG_KEY: pulumi.Output.secret(config_yaml(settings.alerting))},
                )
            )
        self.release = ctx.release(
            RELEASE,
            namespace,
            hub_values(ctx.cluster, settings.sizing, SECRET if settings.alerting else None),
            depends_on=[*before_release, *node_exporter_namespace(ctx).after],
            release_name=RELEASE,
        )
        traffic.route(
            ctx,
            Route("grafana", NAMESPACE, self.grafana_host, GRAFANA_SERVICE, GRAFANA_PORT),
            [self.release],
        )
        policy = self._basic_auth(ctx, namespace, traffic)
        write_route = traffic.route(
            ctx,
            Route(
                "prometheus",
                NAMESPACE,
                write_host,
                PROMETHEUS_SERVICE,
                PROMETHEUS_PORT,
                request_timeout=HUB_REQUEST_TIMEOUT,
            ),
            [self.release, policy],
        )
        addon_monitors(ctx, (*ADDON_METRICS, ARGOCD_METRICS), self.release)
        # The chart brings the PrometheusRule CRD: rules wait for it.
        ctx.custom_resource(
            "platform-alerts",
            MONITORING_API,
            "PrometheusRule",
            "platform-alerts",
            namespace=NAMESPACE,
            spec={"groups": platform_rules(settings.clusters, settings.runbook_url)},
            depends_on=[self.release],
        )
        self.grafana_url = naming.https_url(self.grafana_host)
        self.target = MetricsTarget(
            url=naming.https_url(write_host) + REMOTE_WRITE_PATH,
            query_url=naming.https_url(write_host),
            username=REMOTE_WRITE_USER,
            password=self.write_password.result,
            reachable=[write_route, policy],
        )

    def _basic_auth(
        self, ctx: AddonContext, namespace: Namespace, traffic: TrafficController
    ) -> pulumi.Resource:
        """The policy guarding the write route; Envoy Gateway holds a policy whose target
        does not exist yet until the route appears, so it can come first."""
        users = ctx.secret(
            "remote-write-users",
            namespace,
            {
                ".htpasswd": self.write_password.result.apply(
                    lambda p: htpasswd_sha(REMOTE_WRITE_USER, p)
                )
            },
        )
        return ctx.custom_resource(
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
            # The gateway's release brings the SecurityPolicy CRD.
            depends_on=[users, traffic.installed],
        )


def _password(ctx: AddonContext, name: str) -> random.RandomPassword:
    return random.RandomPassword(
        ctx.name(name),
        length=32,
        special=True,
        override_special="-_.~",
        opts=pulumi.ResourceOptions(parent=ctx.parent),
    )
