"""The Prometheus agent on a workload cluster: scrapes its own cluster and writes every
series, labelled `cluster=<name>`, to the hub."""

from __future__ import annotations

import pulumi

from infra.addons.base import AddonContext
from infra.addons.observability.chart_values import agent_values
from infra.addons.observability.hub import (
    RELEASE,
    REMOTE_WRITE_SECRET,
    MetricsTarget,
    node_exporter_namespace,
)
from infra.addons.observability.monitors import ADDON_METRICS, NAMESPACE, addon_monitors


class MetricsAgent:
    def __init__(
        self, ctx: AddonContext, target: MetricsTarget, cert_manager: pulumi.Resource
    ) -> None:
        namespace = ctx.namespace(NAMESPACE)
        credentials = ctx.secret(
            REMOTE_WRITE_SECRET,
            namespace,
            {"username": target.username, "password": target.password},
        )
        self.release = ctx.release(
            RELEASE,
            namespace,
            agent_values(ctx.cluster, target.url, REMOTE_WRITE_SECRET),
            depends_on=[credentials, cert_manager, *node_exporter_namespace(ctx).after],
            release_name=RELEASE,
        )
        addon_monitors(ctx, ADDON_METRICS, self.release)
