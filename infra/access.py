"""What each cluster may reach, derived from the one Placement: the namespaces Argo CD
manages on it, the namespaces its secret store serves, and the AWS secrets its identity
may read. Granting by placement means moving an app moves its access with it."""

from __future__ import annotations

from dataclasses import dataclass

from infra.config import PlatformConfig
from infra.placement import Placement

# Namespaces the platform's add-ons own. No app may deploy into one: it would share the
# add-on's credentials (the AWS key, the DNS token) and its Pod Security level.
PLATFORM_NAMESPACES = frozenset(
    {
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "argocd",
        "cert-manager",
        "database-backups",
        "external-dns",
        "external-secrets",
        "envoy-gateway-system",
        "ingress-nginx",
        "kube-bench",
        "monitoring",
        "node-exporter",
        "opencost",
        "reloader",
    }
)


@dataclass(frozen=True)
class ClusterAccess:
    # Namespaces of the apps placed on the cluster: where Argo CD may write.
    app_namespaces: tuple[str, ...] = ()
    # Namespaces of the database apps among them: what the ClusterSecretStore serves.
    secret_namespaces: tuple[str, ...] = ()


def cluster_access(config: PlatformConfig, placement: Placement) -> dict[str, ClusterAccess]:
    """Every enabled workload cluster's access; the management cluster runs no apps."""
    access = {}
    for cluster in config.enabled_clusters:
        apps = [a for a in config.apps if cluster.name in placement[a.name]]
        with_db = [a for a in apps if a.database and config.database is not None]
        access[cluster.name] = ClusterAccess(
            app_namespaces=tuple(sorted({a.target_namespace for a in apps})),
            secret_namespaces=tuple(sorted({a.target_namespace for a in with_db})),
        )
    return access


def secret_readers(config: PlatformConfig, placement: Placement) -> dict[str, tuple[str, ...]]:
    """Each database app's clusters: whose identities may read its credentials (the
    secret carries a reader tag for each; naming.secret_reader_tag)."""
    return {app: tuple(placement[app]) for app in placement.database_apps}
