"""Which cluster a planned resource belongs to, read from the component parent chain,
the Kubernetes provider it uses and its type; never from its name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from platform_cli.runner import Registration

CLUSTER_COMPONENTS = ("platform:index:MgmtCluster", "platform:index:WorkloadCluster")
# What is on no cluster: the account-level resources. Not a name a cluster can have (a
# DNS label), and headed so that no cluster's heading (`cluster <name>`) can match it.
GLOBAL = "(global)"
GLOBAL_HEADING = "global (on no cluster)"
ByUrn = Mapping[str, Registration]


class Located(Protocol):
    """A diff line with the cluster it belongs to (``platform_cli.diff.Change``), as the
    lifecycle checks and the exposure warnings read it."""

    @property
    def kind(self) -> str: ...
    @property
    def resource(self) -> Registration: ...
    @property
    def cluster(self) -> str: ...


def outermost_component(resource: Registration, by_urn: ByUrn) -> Registration | None:
    top: Registration | None = None
    current: Registration | None = resource
    while current is not None:
        if not current.custom:
            top = current
        current = by_urn.get(current.parent) if current.parent else None
    return top


def _cluster_above(resource: Registration | None, by_urn: ByUrn) -> str | None:
    current = resource
    while current is not None:
        if current.type in CLUSTER_COMPONENTS:
            return current.name
        current = by_urn.get(current.parent) if current.parent else None
    return None


def host_cluster(resource: Registration, by_urn: ByUrn) -> str | None:
    """The cluster a Kubernetes object is created on: its provider's cluster component."""
    return _cluster_above(by_urn.get((resource.provider or "").rsplit("::", 1)[0]), by_urn)


def _pool_cluster(resource: Registration) -> str | None:
    """A load-balancer pool belongs to the cluster its origins name."""
    if resource.type != "cloudflare:index/loadBalancerPool:LoadBalancerPool":
        return None
    names = {o.get("name") for o in resource.revealed_inputs.get("origins") or []}
    return str(names.pop()) if len(names) == 1 else None


def cluster_of(resource: Registration, by_urn: ByUrn) -> str:
    """The cluster a resource belongs to: the cluster component above it, else the
    cluster its Kubernetes provider creates it on (an app's objects, the ApplicationSets
    on the management cluster), else the cluster a load-balancer pool fronts. Anything
    else is account-level: ``GLOBAL``."""
    return (
        _cluster_above(resource, by_urn)
        or host_cluster(resource, by_urn)
        or _pool_cluster(resource)
        or GLOBAL
    )


def heading(cluster: str) -> str:
    """How a diff heads one cluster's changes, or the account-level ones (first)."""
    return GLOBAL_HEADING if cluster == GLOBAL else f"cluster {cluster}"
