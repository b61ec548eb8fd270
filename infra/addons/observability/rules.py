"""The platform's alerts, as PrometheusRule groups the hub's Prometheus evaluates over
every cluster's series. Every series there names its cluster (`cluster`: remote-written
ones by the agents' external label, the hub's own by its default scrape class), so every
alert does too, and Alertmanager routes on it. Argo CD's series are scraped on mgmt but
describe other clusters: its alerts take `cluster` from the cluster they are about.

Each alert has a runbook line in the README ("Alerts and runbooks"), which its
`runbook_url` links to. `tests/engines/alert_rules_test.yaml` runs every rule in
Prometheus's own engine (`promtool test rules`), firing and staying quiet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from infra import naming

RUNBOOK_ANCHOR = "alerts-and-runbooks"
# How long a series may be missing before its cluster counts as silent.
SILENT_FOR = "10m"


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    wait: str
    severity: str
    summary: str


def _each_cluster_absent(selector: str, clusters: Sequence[str]) -> str:
    """`absent()` per cluster: it returns the `cluster` of its matcher, and, unlike a
    comparison with an hour ago, also catches a cluster that never reported."""
    # Sorted: the order clusters are listed in config changes no rule.
    return " or ".join(f'absent({selector}{{cluster="{c}"}})' for c in sorted(clusters))


# How Argo CD names the cluster it runs in (argo-cd v3.4.4
# pkg/apis/application/v1alpha1/application_defaults.go `KubernetesInternalAPIServerAddr`;
# its cluster `name` is `in-cluster`): the management cluster.
ARGOCD_IN_CLUSTER = "https://kubernetes.default.svc"


def _argocd_clusters(address: str) -> str:
    """One series per cluster Argo CD manages: its API address as `address` and the
    platform's name for it as `cluster` (the cluster Secrets carry the platform's names,
    Argo CD's own cluster is the hub's). argocd_cluster_info{server, k8s_version, name}
    is 1 (argo-cd v3.4.4 controller/metrics/clustercollector.go)."""
    named = 'label_replace(argocd_cluster_info, "cluster", "$1", "name", "(.+)")'
    here = f'label_replace({named}, "cluster", "{naming.MGMT_CLUSTER}", "server", "{ARGOCD_IN_CLUSTER}")'
    if address != "server":
        here = f'label_replace({here}, "{address}", "$1", "server", "(.+)")'
    return f"max by ({address}, cluster) ({here})"


def _at_destination(expr: str) -> str:
    """`expr` over Argo CD's app series (scraped on mgmt, so `cluster="mgmt"`) with
    `cluster` set to the app's destination, by its `dest_server`. An app whose destination
    Argo CD does not list keeps the cluster Argo CD runs in."""
    clusters = _argocd_clusters("dest_server")
    return (
        f"({expr}) * on (dest_server) group_left (cluster) {clusters}"
        f" or (({expr}) unless on (dest_server) {clusters})"
    )


def alerts(clusters: Sequence[str]) -> tuple[Alert, ...]:
    """Every alert, for a platform of these clusters (`mgmt` included).

    Metrics, at the pinned versions: kube-state-metrics `kube_node_status_condition`;
    Prometheus v3.14 `prometheus_remote_storage_*` (storage/remote/queue_manager.go);
    Argo CD v3.4.4 `argocd_cluster_connection_status`, `argocd_cluster_info`,
    `argocd_app_info`, `argocd_app_sync_total` (controller/metrics); cert-manager v1.21.1
    `certmanager_certificate_*`; External Secrets 2.9.0 `externalsecret_status_condition`;
    external-dns v0.21.0 `external_dns_controller_last_sync_timestamp_seconds`
    (controller/metrics.go: set after each successful sync, 0 until the first).
    """
    sync_failures = 'argocd_app_sync_total{phase=~"Error|Failed"}'
    return (
        Alert(
            "ClusterNotReporting",
            _each_cluster_absent("up", clusters),
            SILENT_FOR,
            "critical",
            "Cluster {{ $labels.cluster }} has sent no metrics for 10 minutes: its agent, "
            "its remote write or the cluster itself is down",
        ),
        Alert(
            "RemoteWriteFailing",
            "rate(prometheus_remote_storage_samples_failed_total[5m]) > 0"
            " or (prometheus_remote_storage_queue_highest_timestamp_seconds"
            " - prometheus_remote_storage_queue_highest_sent_timestamp_seconds > 120)",
            "15m",
            "warning",
            # Two hops carry a cluster's series: its agent to the hub's public write path
            # (a relay on mgmt answers), the relay to the hub's Prometheus; `url` says which.
            # A hop that fails completely stops every series behind it: ClusterNotReporting.
            "Remote write of {{ $labels.cluster }}'s series to {{ $labels.url }} fails, "
            "or is more than 2 minutes behind",
        ),
        Alert(
            "ArgoCDClusterUnreachable",
            # The controller runs on mgmt; the cluster it cannot reach is the one at `server`.
            "argocd_cluster_connection_status * on (server) group_left (cluster) "
            + _argocd_clusters("server")
            + " == 0",
            SILENT_FOR,
            "critical",
            "Argo CD cannot reach cluster {{ $labels.cluster }} ({{ $labels.server }})",
        ),
        Alert(
            "ArgoCDAppDegraded",
            _at_destination('argocd_app_info{health_status="Degraded"} == 1'),
            "15m",
            "critical",
            "Argo CD app {{ $labels.name }} is degraded",
        ),
        Alert(
            "ArgoCDAppOutOfSync",
            _at_destination('argocd_app_info{sync_status="OutOfSync"} == 1'),
            "30m",
            "warning",
            "Argo CD app {{ $labels.name }} has been out of sync for 30 minutes",
        ),
        Alert(
            "ArgoCDSyncFailed",
            # A counter's first increment is invisible to increase(); a series that did
            # not exist 15 minutes ago is that first failure.
            _at_destination(
                f"increase({sync_failures}[15m]) > 0"
                f" or ({sync_failures} unless {sync_failures} offset 15m)"
            ),
            "0m",
            "warning",
            "A sync of Argo CD app {{ $labels.name }} ended {{ $labels.phase }}",
        ),
        Alert(
            "CertificateExpiringSoon",
            # An unissued certificate exports 0 (cert-manager pkg/metrics
            # certificates_test.go); CertificateNotReady covers it.
            "certmanager_certificate_expiration_timestamp_seconds - time() < 14 * 24 * 3600"
            " and certmanager_certificate_expiration_timestamp_seconds > 0",
            "1h",
            "warning",
            "Certificate {{ $labels.name }} on {{ $labels.cluster }} expires within 14 days",
        ),
        Alert(
            "CertificateNotReady",
            'certmanager_certificate_ready_status{condition=~"False|Unknown"} == 1',
            "30m",
            "critical",
            "Certificate {{ $labels.name }} on {{ $labels.cluster }} is not ready: issuance "
            "or renewal is failing",
        ),
        Alert(
            "ExternalSecretSyncFailing",
            'externalsecret_status_condition{condition="Ready", status="False"} == 1',
            "15m",
            "critical",
            "ExternalSecret {{ $labels.name }} on {{ $labels.cluster }} cannot sync",
        ),
        Alert(
            "ExternalDnsNotSyncing",
            # A non-retryable Cloudflare error (a 403) exits the process before any scrape,
            # so no error counter ever moves; its last successful sync stops instead, and a
            # crash-looping pod's series vanish.
            "time() - max by (cluster) (external_dns_controller_last_sync_timestamp_seconds)"
            " > 600 or "
            + _each_cluster_absent("external_dns_controller_last_sync_timestamp_seconds", clusters),
            "5m",
            "warning",
            "external-dns on {{ $labels.cluster }} has not synced its records with "
            "Cloudflare for 10 minutes",
        ),
        Alert(
            "NodeNotReady",
            'kube_node_status_condition{condition="Ready", status="true"} == 0',
            "10m",
            "critical",
            "Node {{ $labels.node }} on {{ $labels.cluster }} is not ready",
        ),
    )


def platform_rules(clusters: Sequence[str], runbook_url: str | None) -> list[dict[str, Any]]:
    """The PrometheusRule groups; `runbook_url` is the README section's address, when the
    stack names its repository (`platform:delivery.repository`)."""
    links = {"runbook_url": runbook_url} if runbook_url else {}
    return [
        {
            "name": "platform",
            "rules": [
                {
                    "alert": alert.name,
                    "expr": alert.expr,
                    "for": alert.wait,
                    "labels": {"severity": alert.severity},
                    "annotations": {"summary": alert.summary, **links},
                }
                for alert in alerts(clusters)
            ],
        }
    ]
