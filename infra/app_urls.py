"""The URL an app uses for each of its dependencies, on each cluster it runs on.

The rule, per cluster C where app A runs and dependency D of A:

1. D runs on C too: its in-cluster Service, ``http://<service>.<namespace>.svc.cluster.local:<port>``
   (no hairpin through the internet, no TLS hop).
2. Otherwise, D is public: its global hostname, ``https://<D>.<domain>``, so the load
   balancer picks a healthy cluster.
3. Otherwise: the per-cluster hostname of a cluster where D runs,
   ``https://<D>-<cluster>.<domain>``, choosing the first cluster in
   ``loadBalancing.regionPreference`` order, then by name.

(The host names themselves come from ``infra.naming``.)
"""

from __future__ import annotations

from collections.abc import Sequence

from infra import naming
from infra.config import AppConfig, PlatformConfig
from infra.placement import Placement


def preference_order(config: PlatformConfig, clusters: Sequence[str]) -> list[str]:
    """Clusters ordered by `loadBalancing.regionPreference`, the rest by name."""
    preferred = config.load_balancing.region_preference
    rank = {name: i for i, name in enumerate(preferred)}
    return sorted(clusters, key=lambda name: (rank.get(name, len(preferred)), name))


def dependency_urls(
    config: PlatformConfig, placement: Placement, app: AppConfig
) -> dict[str, dict[str, str]]:
    """cluster -> dependency name -> URL, for every cluster the app is placed on."""
    apps = {a.name: a for a in config.apps}
    urls: dict[str, dict[str, str]] = {}
    for cluster in placement[app.name]:
        urls[cluster] = {}
        for name in app.depends_on:
            dependency = apps[name]
            if cluster in placement[name]:
                url = naming.service_url(
                    dependency.service.name, dependency.target_namespace, dependency.service.port
                )
            elif dependency.public:
                url = naming.https_url(naming.app_host(name, config.domain))
            else:
                remote = preference_order(config, placement[name])[0]
                url = naming.https_url(naming.app_cluster_host(name, remote, config.domain))
            urls[cluster][name] = url
    return urls


def same_cluster_callers(
    config: PlatformConfig, placement: Placement, app: AppConfig
) -> dict[str, list[str]]:
    """cluster -> namespaces of the apps that call ``app`` by its in-cluster URL there
    (rule 1): what the app's namespace must admit besides its own pods."""
    callers: dict[str, list[str]] = {}
    for cluster in placement[app.name]:
        callers[cluster] = sorted(
            {
                caller.target_namespace
                for caller in config.apps
                if app.name in caller.depends_on
                and cluster in placement[caller.name]
                and caller.target_namespace != app.target_namespace
            }
        )
    return callers
