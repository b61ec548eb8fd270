"""kube-prometheus-stack 88.5.3 values: the hub's and the agents'. Every key is checked
against the chart's values.yaml by the fidelity tests."""

from __future__ import annotations

from typing import Any

from infra.config import ComponentSizing, ObservabilityConfig, ResourceAmounts

RELEASE = "kube-prometheus-stack"
# Names the chart derives from the release name (kube-prometheus-stack 88.5.3:
# `<fullname>-prometheus` on port 9090).
PROMETHEUS_SERVICE = f"{RELEASE}-prometheus"
PROMETHEUS_PORT = 9090
GRAFANA_ADMIN_SECRET = "grafana-admin"
# node-exporter reads the host (hostNetwork, hostPID, hostPath): Pod Security lets it run
# only in a privileged namespace, so it gets one of its own and `monitoring` stays
# restricted (values `prometheus-node-exporter.namespaceOverride`).
NODE_EXPORTER_NAMESPACE = "node-exporter"
# k3s runs the control plane inside one process with no separate endpoints to scrape, and
# neither Civo nor Vultr exposes the managed control plane's.
_UNSCRAPEABLE = ("kubeControllerManager", "kubeScheduler", "kubeProxy", "kubeEtcd")
# What Pod Security's `restricted` asks of a container, for charts that leave it out.
RESTRICTED_CONTAINER: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
# How much of the hub's volume Prometheus may fill before it drops the oldest blocks: the
# rest is headroom for compaction and the write-ahead log.
RETENTION_SHARE = 0.85


def _common() -> dict[str, Any]:
    return {
        "crds": {"enabled": True},
        "prometheus-node-exporter": {
            "namespaceOverride": NODE_EXPORTER_NAMESPACE,
            # The subchart's own default (`readOnlyRootFilesystem: true`, values.yaml of
            # prometheus-node-exporter 4.56.1) plus what it leaves out.
            "containerSecurityContext": {"readOnlyRootFilesystem": True, **RESTRICTED_CONTAINER},
        },
        # The operator's admission webhook gets its serving certificate from cert-manager
        # (the chart's Issuer and Certificate, CA injected by cainjector), instead of
        # hook Jobs whose ClusterRole may patch every webhook configuration. Without the
        # Jobs the chart renders `failurePolicy: Fail`, and on install the operator is not
        # serving yet when Helm creates the chart's PrometheusRules: `Ignore` on install,
        # `Fail` on every upgrade (rule monitoring-webhook-open-on-install).
        "prometheusOperator": {
            "admissionWebhooks": {
                "certManager": {"enabled": True},
                "patch": {"enabled": False},
                "failurePolicy": "IgnoreOnInstallOnly",
            }
        },
        **{component: {"enabled": False} for component in _UNSCRAPEABLE},
    }


def _selectors() -> dict[str, Any]:
    # Pick up every ServiceMonitor, PodMonitor and rule, not only the release's own.
    return {
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
    }


def _resources(sizing: ComponentSizing) -> dict[str, Any]:
    def amounts(given: ResourceAmounts) -> dict[str, str]:
        return given.model_dump(exclude_none=True)

    return {"requests": amounts(sizing.requests), "limits": amounts(sizing.limits)}


def _claim(size: str) -> dict[str, Any]:
    """A volume claim on the cluster's default storage class."""
    return {
        "volumeClaimTemplate": {
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
        }
    }


def retention_size(storage: str) -> str:
    """Prometheus's `retentionSize` for a volume of `storage` (whole Gi)."""
    return f"{int(int(storage.removesuffix('Gi')) * RETENTION_SHARE)}GB"


def hub_values(
    cluster: str, sizing: ObservabilityConfig, alertmanager_config_secret: str | None
) -> dict[str, Any]:
    """The hub's values; with ``alertmanager_config_secret`` Alertmanager reads its
    configuration from that Secret (infra.addons.observability.alertmanager)."""
    prometheus, grafana, alertmanager = sizing.prometheus, sizing.grafana, sizing.alertmanager
    return {
        **_common(),
        "alertmanager": {
            "enabled": True,
            "alertmanagerSpec": {
                **(
                    {"useExistingSecret": True, "configSecret": alertmanager_config_secret}
                    if alertmanager_config_secret
                    else {}
                ),
                "storage": _claim(alertmanager.storage),
                "resources": _resources(alertmanager),
            },
        },
        "grafana": {
            "enabled": True,
            "admin": {
                "existingSecret": GRAFANA_ADMIN_SECRET,
                "userKey": "admin-user",
                "passwordKey": "admin-password",
            },
            # Served through the cluster's gateway, like Argo CD.
            "ingress": {"enabled": False},
            # Every Kubernetes dashboard shows its `cluster` selector (the chart hides it
            # otherwise: templates/grafana/dashboards-1.14/*.yaml `hide: 2`).
            "sidecar": {"dashboards": {"multicluster": {"global": {"enabled": True}}}},
            "persistence": {"enabled": True, "type": "pvc", "size": grafana.storage},
            # A ReadWriteOnce volume cannot be mounted by the new pod while the old one
            # holds it: replace the pod instead of rolling it.
            "deploymentStrategy": {"type": "Recreate"},
            # The chart's chown init container runs as root; fsGroup 472 (the chart's pod
            # securityContext) already gives Grafana its volume, and `monitoring` stays
            # restricted.
            "initChownData": {"enabled": False},
            "resources": _resources(grafana),
        },
        "prometheus": {
            "prometheusSpec": {
                **_selectors(),
                "ruleSelectorNilUsesHelmValues": False,
                "enableRemoteWriteReceiver": True,
                # Added only when the hub talks to other systems (alerts, remote storage),
                # never stored with its own series (prometheus docs, `external_labels`):
                "externalLabels": {"cluster": cluster},
                # ...so every target the hub scrapes gets the label too (prometheus-operator
                # v0.93.0 pkg/prometheus/promcfg.go: a default scrape class's relabelings
                # apply to every ServiceMonitor, PodMonitor, Probe and ScrapeConfig).
                "scrapeClasses": [
                    {
                        "name": "cluster",
                        "default": True,
                        "relabelings": [
                            {"action": "replace", "targetLabel": "cluster", "replacement": cluster}
                        ],
                    }
                ],
                "retention": prometheus.retention,
                "retentionSize": retention_size(prometheus.storage),
                "storageSpec": _claim(prometheus.storage),
                "resources": _resources(prometheus),
            }
        },
    }


def agent_values(cluster: str, write_url: str, credentials_secret: str) -> dict[str, Any]:
    secret = {"name": credentials_secret}
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
