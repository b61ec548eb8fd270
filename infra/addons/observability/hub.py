"""The metrics hub on the management cluster: Prometheus (with the remote-write receiver
on), Alertmanager, Grafana and the platform's alerts.

Grafana is served at grafana.<domain> like Argo CD, with an admin password Pulumi
generates. Workload clusters write and read through the hub's own gateway
(``hub_routes``): a guarded path and a relay per cluster, and a read-only route. No
metrics port is exposed any other way: every Service stays ClusterIP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from infra import naming
from infra.addons.base import AddonContext, Namespace
from infra.addons.observability.alertmanager import CONFIG_KEY, SECRET, config_yaml
from infra.addons.observability.chart_values import (
    GRAFANA_ADMIN_SECRET,
    NODE_EXPORTER_NAMESPACE,
    RELEASE,
    hub_values,
)
from infra.addons.observability.hub_routes import (
    READER,
    ClusterWrite,
    cluster_write_path,
    generated_password,
    read_route,
)
from infra.addons.observability.monitors import (
    ADDON_METRICS,
    ARGOCD_METRICS,
    MONITORING_API,
    NAMESPACE,
    addon_monitors,
)
from infra.addons.observability.rules import RUNBOOK_ANCHOR, platform_rules
from infra.addons.traffic import Route, TrafficController
from infra.config import AlertingConfig, DeliveryConfig, ObservabilityConfig

NODE_EXPORTER_REASON = (
    "prometheus-node-exporter needs hostNetwork, hostPID and hostPath to read the node"
)
# The grafana subchart's Service, `<release>-grafana` on 80 (kube-prometheus-stack 88.5.3).
GRAFANA_SERVICE = f"{RELEASE}-grafana"
GRAFANA_PORT = 80
REMOTE_WRITE_SECRET = "remote-write-auth"


def node_exporter_namespace(ctx: AddonContext) -> Namespace:
    return ctx.namespace(NODE_EXPORTER_NAMESPACE, "privileged", NODE_EXPORTER_REASON)


@dataclass(frozen=True)
class MetricsTarget:
    """Where each workload cluster writes its metrics, and how OpenCost reads them."""

    writes: Mapping[str, ClusterWrite]
    # The hub's read-only API, for OpenCost on workload clusters (its own credential).
    query_url: str
    reader: str
    reader_password: pulumi.Output[str]
    # What must exist before a workload cluster's OpenCost queries the hub: the read route
    # and the policy guarding it (and through the gateway, the load balancer and its
    # firewall).
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


def runbook_url(delivery: DeliveryConfig | None) -> str | None:
    """The README's alert runbooks in the repository the stack is delivered from, on the
    branch that is applied; None when the stack names no repository."""
    if delivery is None or delivery.repository is None:
        return None
    return naming.readme_url(delivery.repository, delivery.branch, RUNBOOK_ANCHOR)


class MetricsHub:
    """Prometheus, Alertmanager, Grafana and the platform's alerts, on the mgmt cluster;
    a relay and a guarded write path per workload cluster in ``writers``."""

    def __init__(
        self,
        ctx: AddonContext,
        traffic: TrafficController,
        settings: HubSettings,
        writers: Sequence[str],
        cert_manager: pulumi.Resource,
    ) -> None:
        namespace = ctx.namespace(NAMESPACE)
        self.grafana_host = naming.grafana_host(ctx.domain)
        self.admin_password = generated_password(ctx, "grafana-admin-password")
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
        # The hub's doors (its gateway's write and read paths) exist for the workload
        # clusters alone: with none writing there is nobody to admit, and a load
        # balancer with no source would admit everyone (infra.clusters: dedicated).
        self.target = _doors(ctx, traffic, namespace, writers, self.release) if writers else None
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


def _doors(
    ctx: AddonContext,
    traffic: TrafficController,
    namespace: Namespace,
    writers: Sequence[str],
    release: pulumi.Resource,
) -> MetricsTarget:
    """A guarded write path per writer and the read-only route, on the hub's gateway."""
    host = naming.metrics_write_host(ctx.cluster, ctx.domain)
    writes = {
        cluster: cluster_write_path(
            ctx, traffic, namespace, host=host, cluster=cluster, release=release
        )
        for cluster in writers
    }
    reader_password = generated_password(ctx, "metrics-read-password")
    read = read_route(ctx, traffic, namespace, host=host, password=reader_password, release=release)
    return MetricsTarget(
        writes=writes,
        query_url=naming.https_url(host),
        reader=READER,
        reader_password=reader_password.result,
        reachable=[read.route, read.policy],
    )
