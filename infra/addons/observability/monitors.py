"""PodMonitors for the add-ons the platform's alerts read, by pod port number (the
Prometheus Operator's PodMonitor `portNumber`), so nothing depends on the charts' own
monitor toggles; and one per relay on the hub, for the hop from relay to hub."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from infra.addons import argocd, cert_manager, external_dns, external_secrets
from infra.addons.base import AddonContext

NAMESPACE = "monitoring"
MONITORING_API = "monitoring.coreos.com/v1"

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


# The operator's labels on a PrometheusAgent's pods (prometheus-operator v0.93.0
# pkg/prometheus/agent/operator.go `applicationNameLabelValue`, pkg/prometheus/common.go
# `PrometheusNameLabelName`); Prometheus serves its metrics on 9090 (`MakeContainerPorts`).
AGENT_POD_LABELS = {"app.kubernetes.io/name": "prometheus-agent"}
AGENT_NAME_LABEL = "operator.prometheus.io/name"
AGENT_PORT = 9090


def relay_monitor(
    ctx: AddonContext, relay: str, cluster: str, after: Sequence[pulumi.Resource]
) -> pulumi.Resource:
    """The hub scrapes a relay's remote-write series (a relay answers the agent once the
    samples are in its own WAL, so only these show the hop to the hub) and files them
    under the cluster the relay serves. Only those series: the rest describe a Prometheus
    on mgmt. Its `up` keeps the hub's cluster, or a silent cluster would never be absent."""
    return ctx.custom_resource(
        f"podmonitor-{relay}",
        MONITORING_API,
        "PodMonitor",
        relay,
        namespace=NAMESPACE,
        spec={
            "namespaceSelector": {"matchNames": [NAMESPACE]},
            "selector": {"matchLabels": {**AGENT_POD_LABELS, AGENT_NAME_LABEL: relay}},
            "podMetricsEndpoints": [
                {
                    "portNumber": AGENT_PORT,
                    "path": "/metrics",
                    "metricRelabelings": [
                        {
                            "action": "keep",
                            "sourceLabels": ["__name__"],
                            "regex": "prometheus_remote_storage_.+",
                        },
                        {"action": "replace", "targetLabel": "cluster", "replacement": cluster},
                    ],
                }
            ],
        },
        depends_on=after,
    )
