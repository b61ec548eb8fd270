"""OpenCost on a cluster: cost per namespace and workload, measured after `up`.

It reads usage from the platform's Prometheus (the management cluster's, queried in the
cluster on the hub and through the authenticated gateway route from workload clusters),
filtered to its own cluster by the `cluster` label every series carries, and prices
nodes with the same price data as the estimate before `up` (``infra.prices``). Its own
metrics are scraped by the cluster's Prometheus and written to the hub like the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from infra.addons.base import AddonContext

NAMESPACE = "opencost"
RELEASE = "opencost"
# The chart's default keys in its Prometheus credentials Secret (values.yaml
# `opencost.prometheus.username_key` / `password_key`).
USERNAME_KEY = "DB_BASIC_AUTH_USERNAME"
PASSWORD_KEY = "DB_BASIC_AUTH_PW"
CREDENTIALS_SECRET = "opencost-prometheus"
# OpenCost reads the hub's password from its Secret once, at start (opencost-2.5.17
# templates/deployment.yaml: `DB_BASIC_AUTH_PW` from `secretKeyRef`), and the chart hashes
# only what it renders itself. A checksum of the password on the pod template rolls the
# pods when the password is replaced.
CREDENTIALS_CHECKSUM = "platform/metrics-credentials-sha256"
# Pod Security `restricted` for both containers. The images run as user 1001 (opencost
# Dockerfile.cross `USER 1001`; opencost-ui v1.120.1 Dockerfile `USER 1001`, whose
# entrypoint rewrites files under /var/www, so neither root filesystem is read-only).
RESTRICTED_CONTAINER: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def credentials_checksum(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


@dataclass(frozen=True)
class PrometheusSource:
    """In-cluster Service (the hub) or an external URL with basic auth (a workload cluster)."""

    service: str | None = None
    namespace: str | None = None
    port: int | None = None
    url: str | None = None
    username: str | None = None
    password: pulumi.Input[str] | None = None


def values(
    cluster: str, source: PrometheusSource, cost_model: Mapping[str, Any] | None
) -> dict[str, Any]:
    prometheus: dict[str, Any]
    if source.url is None:
        prometheus = {
            "internal": {
                "enabled": True,
                "serviceName": source.service,
                "namespaceName": source.namespace,
                "port": source.port,
            },
        }
    else:
        prometheus = {
            "internal": {"enabled": False},
            "external": {"enabled": True, "url": source.url},
            "existingSecretName": CREDENTIALS_SECRET,
        }
    opencost: dict[str, Any] = {
        "exporter": {
            "securityContext": RESTRICTED_CONTAINER,
            "defaultClusterId": cluster,
            # One Prometheus holds every cluster: read only this cluster's series, by the
            # `cluster` external label (OpenCost's own default label is `cluster_id`).
            "extraEnv": {
                "PROM_CLUSTER_ID_LABEL": "cluster",
                "CURRENT_CLUSTER_ID_FILTER_ENABLED": "true",
            },
        },
        "ui": {"securityContext": RESTRICTED_CONTAINER},
        "prometheus": prometheus,
        "metrics": {"serviceMonitor": {"enabled": True}},
    }
    if cost_model is not None:
        opencost["customPricing"] = {
            "enabled": True,
            "provider": "custom",
            "costModel": dict(cost_model),
        }
    pod: dict[str, Any] = {"podSecurityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}
    if source.password is not None:
        pod["podAnnotations"] = {
            CREDENTIALS_CHECKSUM: pulumi.Output.from_input(source.password).apply(
                credentials_checksum
            )
        }
    return {**pod, "opencost": opencost}


class OpenCost:
    def __init__(
        self,
        ctx: AddonContext,
        source: PrometheusSource,
        cost_model: Mapping[str, Any] | None,
        depends_on: Sequence[pulumi.Resource],
    ) -> None:
        namespace = ctx.namespace(NAMESPACE)
        after = list(depends_on)
        if source.url is not None:
            after.append(
                ctx.secret(
                    CREDENTIALS_SECRET,
                    namespace,
                    {USERNAME_KEY: source.username or "", PASSWORD_KEY: source.password or ""},
                )
            )
        # The ServiceMonitor it creates needs the CRD the cluster's Prometheus release brings.
        # Reading a remote hub, it starts only once the hub answers over TLS with basic
        # auth (OpenCost's Prometheus data source retries, then exits), which on a first
        # `up` may be after Helm's wait: the release then converges instead of rolling back.
        self.release = ctx.release(
            "opencost",
            namespace,
            values(ctx.cluster, source, cost_model),
            depends_on=after,
            release_name=RELEASE,
            wait=source.url is None,
        )
