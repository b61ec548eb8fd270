"""Cluster backends: one interface, one module per cloud.

A component asks for "a cluster" with ``create_cluster`` and gets a ``ClusterHandle``;
nothing outside this package knows which cloud it is on.
"""

from infra.clusters.base import ClusterHandle, ClusterRequest, create_cluster

__all__ = ["ClusterHandle", "ClusterRequest", "create_cluster"]
