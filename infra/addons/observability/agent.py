"""The Prometheus agent on a workload cluster: scrapes its own cluster and writes every
series, labelled `cluster=<name>`, to its own path on the hub (whose relay sets the same
label again, whatever the agent sent)."""

from __future__ import annotations

import pulumi

from infra.addons.base import AddonContext
from infra.addons.observability.chart_values import RELEASE, agent_values
from infra.addons.observability.hub import (
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
        write = target.writes[ctx.cluster]
        credentials = ctx.secret(
            REMOTE_WRITE_SECRET,
            namespace,
            {"username": write.username, "password": write.password},
        )
        self.release = ctx.release(
            RELEASE,
            namespace,
            agent_values(ctx.cluster, write.url, REMOTE_WRITE_SECRET),
            depends_on=[credentials, cert_manager, *node_exporter_namespace(ctx).after],
            release_name=RELEASE,
        )
        addon_monitors(ctx, ADDON_METRICS, self.release)
