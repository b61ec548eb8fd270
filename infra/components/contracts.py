"""What components hand each other: one typed value per consumer.

A component exposes a contract as an attribute (``MgmtCluster.argocd_target``,
``WorkloadCluster.app_target``) and the stack passes it along; no component reaches into
another's internals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra.addons.base import AddonContext
from infra.addons.sealed_secrets import SealingKey
from infra.addons.traffic import TrafficController
from infra.config import TrafficControllerName


@dataclass(frozen=True)
class ClusterSettings:
    """What every cluster of an environment shares."""

    environment: str
    domain: str
    acme_email: str
    aws_region: str
    cloudflare_zone_id: str
    traffic_controller: TrafficControllerName = "envoy-gateway"
    chart_versions: Mapping[str, str] | None = None
    # None mints a zone-scoped DNS token per cluster; a value is used as given.
    dns_token: pulumi.Input[str] | None = None
    # The environment's sealing keys, installed into every cluster's sealed-secrets.
    sealing_keys: Sequence[SealingKey] = ()


@dataclass(frozen=True)
class ArgoCDTarget:
    """Where workload clusters register and ApplicationSets live: Argo CD on the
    management cluster."""

    provider: k8s.Provider
    namespace: pulumi.Input[str]
    # ApplicationSets wait for Argo CD's CRDs; cluster Secrets only for its namespace, so
    # registering a cluster does not wait for Argo CD to finish installing.
    ready: pulumi.Resource
    namespace_ready: pulumi.Resource
    # Where Argo CD's traffic leaves from: what workload clusters' API firewalls admit.
    egress_cidrs: Sequence[pulumi.Input[str]]
    # The environment's AppProject: ApplicationSets wait for it, so it is created before
    # them and deleted after them (Argo CD cannot finalize an app whose project is gone).
    project: pulumi.Resource | None = None


@dataclass(frozen=True)
class AppTarget:
    """A workload cluster, as an app placed on it needs it: where to create the app's
    objects, how to route to it, and the store its database credentials come from."""

    cluster: str
    environment: str
    domain: str
    provider: k8s.Provider
    traffic: TrafficController
    secret_store: pulumi.Resource
    # The admission policy app namespaces are created after, so nothing an app syncs
    # predates it.
    admission: pulumi.Resource | None = None

    def context(self, parent: pulumi.Resource) -> AddonContext:
        """A context for objects on this cluster owned by ``parent`` (the app's component)."""
        return _context(self, parent)


@dataclass(frozen=True)
class DatabaseLogin:
    """One app's database and the login the app itself uses (its AWS secret's)."""

    database: str
    user: str
    password: pulumi.Output[str]
    # What must exist before anyone is handed this login: the role with this password,
    # and the database. The app's AWS secret waits for them; so must every other copy.
    ready: Sequence[pulumi.Resource] = ()


@dataclass(frozen=True)
class OperationsTarget:
    """The management cluster, as the platform's own jobs need it: where to run them, where
    their traffic leaves from, and the hub's rules CRD (None without observability)."""

    cluster: str
    environment: str
    domain: str
    provider: k8s.Provider
    egress_cidrs: Sequence[pulumi.Input[str]]
    alerts_ready: pulumi.Resource | None

    def context(self, parent: pulumi.Resource) -> AddonContext:
        return _context(self, parent)


def _context(target: AppTarget | OperationsTarget, parent: pulumi.Resource) -> AddonContext:
    return AddonContext(
        cluster=target.cluster,
        environment=target.environment,
        domain=target.domain,
        chart_versions={},
        provider=target.provider,
        parent=parent,
    )
