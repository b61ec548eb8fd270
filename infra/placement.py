"""Where each app runs, computed once per program run from the same label selector Argo
CD uses.

The ApplicationSet, the load-balancer pools, the database firewall, the ExternalSecrets
and the dependency URLs all read one ``Placement``, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from infra.config import AppConfig, ClusterConfig, LabelSelector, PlatformConfig


def cluster_labels(config: PlatformConfig, cluster: ClusterConfig) -> dict[str, str]:
    """The labels on a cluster's Argo CD registration: the platform's, then the user's."""
    return {
        "environment": config.environment,
        "cluster": cluster.name,
        "region": cluster.region,
        "provider": cluster.provider,
        "role": "workload",
        **cluster.labels,
    }


def application_selector(config: PlatformConfig, app: AppConfig) -> LabelSelector:
    """The selector Argo CD gets: the app's, confined to this environment's workload
    clusters (the clusters generator would otherwise also match the management cluster).
    Keys the app sets itself win, so Python and Argo CD still agree."""
    return app.placement.model_copy(
        update={
            "match_labels": {
                "environment": config.environment,
                "role": "workload",
                **app.placement.match_labels,
            }
        }
    )


def _placed_clusters(config: PlatformConfig, app: AppConfig) -> tuple[str, ...]:
    selector = application_selector(config, app)
    return tuple(
        sorted(
            c.name for c in config.enabled_clusters if selector.matches(cluster_labels(config, c))
        )
    )


def _database_apps(config: PlatformConfig) -> tuple[str, ...]:
    return tuple(sorted(app.name for app in config.apps if app.database))


@dataclass(frozen=True)
class Placement:
    """The result of placing every app of one config."""

    # app name -> names of the enabled clusters its selector matches, sorted.
    clusters_of: Mapping[str, tuple[str, ...]]
    # Apps that get their own database, logins and credentials: those that say so.
    database_apps: tuple[str, ...]
    # Clusters whose egress the database firewall admits: where those apps run.
    database_clients: tuple[str, ...]
    # Clusters a proxied load balancer fronts, whose origins are locked down to Cloudflare.
    fronted: frozenset[str]

    @classmethod
    def of(cls, config: PlatformConfig) -> Placement:
        clusters_of = {app.name: _placed_clusters(config, app) for app in config.apps}
        database_apps = _database_apps(config)
        clients = tuple(sorted({c for app in database_apps for c in clusters_of[app]}))
        fronted = (
            frozenset(c for app in config.apps if app.public for c in clusters_of[app.name])
            if config.load_balancing.origin_lockdown
            else frozenset()
        )
        return cls(clusters_of, database_apps, clients, fronted)

    def __getitem__(self, app: str) -> list[str]:
        return list(self.clusters_of[app])
