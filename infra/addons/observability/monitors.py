"""PodMonitors for the add-ons the platform's alerts read, by pod port number (the
Prometheus Operator's PodMonitor `portNumber`), so nothing depends on the charts' own
monitor toggles."""

from __future__ import annotations

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
