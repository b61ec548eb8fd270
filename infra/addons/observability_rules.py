"""The platform's alerts, as PrometheusRule groups evaluated by the management cluster's
Prometheus over every cluster's series (each carries a `cluster` external label).

Each alert has a runbook line in the README ("Alerts and runbooks"); the `runbook`
annotation names that section so a page leads straight to it.
"""

from __future__ import annotations

from typing import Any

RUNBOOK = "README.md#alerts-and-runbooks"

# (alert, expression, for, severity, summary). Metric names: cert-manager's
# `certmanager_certificate_*`, External Secrets' `externalsecret_status_condition`,
# Argo CD's `argocd_app_info`, external-dns's `external_dns_*_errors_total` and
# kube-state-metrics' `kube_node_status_condition`.
ALERTS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "CertificateExpiringSoon",
        "certmanager_certificate_expiration_timestamp_seconds - time() < 14 * 24 * 3600",
        "1h",
        "warning",
        "Certificate {{ $labels.name }} on {{ $labels.cluster }} expires within 14 days",
    ),
    (
        "CertificateNotReady",
        'certmanager_certificate_ready_status{condition="False"} == 1',
        "30m",
        "critical",
        "Certificate {{ $labels.name }} on {{ $labels.cluster }} failed to issue or renew",
    ),
    (
        "ExternalSecretSyncFailing",
        'externalsecret_status_condition{condition="Ready", status="False"} == 1',
        "15m",
        "critical",
        "ExternalSecret {{ $labels.name }} on {{ $labels.cluster }} cannot sync",
    ),
    (
        "ArgoCDAppDegraded",
        'argocd_app_info{health_status="Degraded"} == 1',
        "15m",
        "critical",
        "Argo CD app {{ $labels.name }} is degraded",
    ),
    (
        "ArgoCDAppOutOfSync",
        'argocd_app_info{sync_status="OutOfSync"} == 1',
        "30m",
        "warning",
        "Argo CD app {{ $labels.name }} has been out of sync for 30 minutes",
    ),
    (
        "ExternalDnsErrors",
        "increase(external_dns_source_errors_total[15m]) > 0"
        " or increase(external_dns_registry_errors_total[15m]) > 0",
        "15m",
        "warning",
        "external-dns on {{ $labels.cluster }} fails to read routes or write records",
    ),
    (
        "NodeNotReady",
        'kube_node_status_condition{condition="Ready", status="true"} == 0',
        "10m",
        "critical",
        "Node {{ $labels.node }} on {{ $labels.cluster }} is not ready",
    ),
)


def platform_rules() -> list[dict[str, Any]]:
    return [
        {
            "name": "platform",
            "rules": [
                {
                    "alert": alert,
                    "expr": expr,
                    "for": wait,
                    "labels": {"severity": severity},
                    "annotations": {"summary": summary, "runbook_url": f"{RUNBOOK}"},
                }
                for alert, expr, wait, severity, summary in ALERTS
            ],
        }
    ]
