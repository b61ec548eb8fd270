"""Observability (kube-prometheus-stack): one Prometheus, Alertmanager and Grafana on the
management cluster (``hub``), a Prometheus agent on every workload cluster writing to it
(``agent``), the platform's alerts (``rules``) and where they go (``alertmanager``)."""

from infra.addons.observability.agent import MetricsAgent
from infra.addons.observability.hub import (
    PROMETHEUS_PORT,
    PROMETHEUS_SERVICE,
    HubSettings,
    MetricsHub,
    MetricsTarget,
    htpasswd_sha,
    runbook_url,
)
from infra.addons.observability.monitors import NAMESPACE

__all__ = [
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
