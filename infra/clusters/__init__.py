"""Cluster backends: one interface, one module per cloud.

A component asks for "a cluster" with ``create_cluster`` and gets a ``ClusterHandle``;
nothing outside this package knows which cloud it is on.
"""

from __future__ import annotations

import pulumi

from infra.clusters import civo, existing, vultr
from infra.clusters.base import ClusterHandle, ClusterRequest
from infra.config import CivoClusterSpec, VultrClusterSpec

__all__ = ["ClusterHandle", "ClusterRequest", "create_cluster"]


def create_cluster(request: ClusterRequest, parent: pulumi.Resource) -> ClusterHandle:
    spec = request.spec
    if isinstance(spec, CivoClusterSpec):
        return civo.create(request, spec, parent)
    if isinstance(spec, VultrClusterSpec):
        return vultr.create(request, spec, parent)
    return existing.create(request, spec, parent)
