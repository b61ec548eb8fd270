"""The URL an app uses for each of its dependencies, on each cluster it runs on.

The rule, per cluster C where app A runs and dependency D of A:

1. D runs on C too: its in-cluster Service, ``http://<service>.<namespace>.svc.cluster.local:<port>``
   (no hairpin through the internet, no TLS hop).
2. Otherwise, D is public: its global hostname, ``https://<D>.<domain>``, so the load
   balancer picks a healthy cluster.
3. Otherwise: the per-cluster hostname of a cluster where D runs,
   ``https://<D>.<cluster>.<domain>``, choosing the first cluster in
   ``loadBalancing.regionPreference`` order, then by name.
"""

from __future__ import annotations

from infra.config import AppConfig, PlatformConfig
from infra.placement import placement


def preference_order(config: PlatformConfig, clusters: list[str]) -> list[str]:
    """Clusters ordered by `loadBalancing.regionPreference`, the rest by name."""
    preferred = config.load_balancing.region_preference
    rank = {name: i for i, name in enumerate(preferred)}
    return sorted(clusters, key=lambda name: (rank.get(name, len(preferred)), name))


def in_cluster_url(app: AppConfig) -> str:
    return f"http://{app.service.name}.{app.target_namespace}.svc.cluster.local:{app.service.port}"


def dependency_urls(config: PlatformConfig, app: AppConfig) -> dict[str, dict[str, str]]:
    """cluster -> dependency name -> URL, for every cluster the app is placed on."""
    where = placement(config)
    apps = {a.name: a for a in config.apps}
    urls: dict[str, dict[str, str]] = {}
    for cluster in where[app.name]:
        urls[cluster] = {}
        for name in app.depends_on:
            dependency = apps[name]
            if cluster in where[name]:
                url = in_cluster_url(dependency)
            elif dependency.public:
                url = f"https://{name}.{config.domain}"
            else:
                remote = preference_order(config, where[name])[0]
                url = f"https://{name}.{remote}.{config.domain}"
            urls[cluster][name] = url
    return urls
