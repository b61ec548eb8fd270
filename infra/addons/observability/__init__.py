"""Observability (kube-prometheus-stack): one Prometheus, Alertmanager and Grafana on the
management cluster (``hub``), reached through a gateway of its own (``hub_routes``), a
Prometheus agent on every workload cluster writing to it (``agent``), the platform's
alerts (``rules``) and where they go (``alertmanager``)."""

from infra.addons.observability.agent import MetricsAgent
from infra.addons.observability.chart_values import PROMETHEUS_PORT, PROMETHEUS_SERVICE
from infra.addons.observability.hub import (
    HubSettings,
    MetricsHub,
    MetricsTarget,
    runbook_url,
)
from infra.addons.observability.hub_routes import METRICS_GATEWAY, htpasswd_sha
from infra.addons.observability.monitors import NAMESPACE

__all__ = [
    "METRICS_GATEWAY",
    "NAMESPACE",
    "PROMETHEUS_PORT",
    "PROMETHEUS_SERVICE",
    "HubSettings",
    "MetricsAgent",
    "MetricsHub",
    "MetricsTarget",
    "htpasswd_sha",
    "runbook_url",
]
