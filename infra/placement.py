"""Where each app runs, computed once from the same label selector Argo CD uses.

The ApplicationSet, the load-balancer pools, the database firewall and the
ExternalSecrets all read this one result, so they cannot disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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


def placed_clusters(config: PlatformConfig, app: AppConfig) -> list[str]:
    """Names of the enabled clusters the app's selector matches, sorted for stable output."""
    selector = application_selector(config, app)
    return sorted(
        c.name for c in config.enabled_clusters if selector.matches(cluster_labels(config, c))
    )


def placement(config: PlatformConfig) -> dict[str, list[str]]:
    return {app.name: placed_clusters(config, app) for app in config.apps}


def database_apps(config: PlatformConfig) -> list[str]:
    """Apps that get their own database role: those that say so, plus the database's list."""
    names = {app.name for app in config.apps if app.database}
    if config.database is not None:
        names.update(config.database.apps)
    return sorted(names)


def clusters_using_database(config: PlatformConfig) -> list[str]:
    """Clusters whose egress the database firewall admits: where its apps run.

    An app named only under `database.apps`, with no app definition to place it, may run
    anywhere, so it admits every enabled cluster.
    """
    where = placement(config)
    users = set(database_apps(config))
    if users - where.keys():
        return sorted(c.name for c in config.enabled_clusters)
    return sorted({cluster for app in users for cluster in where[app]})


def fronted_clusters(config: PlatformConfig) -> set[str]:
    """Clusters a proxied load balancer fronts, whose origins are locked down to Cloudflare."""
    if not config.load_balancing.origin_lockdown:
        return set()
    return {c for app in config.apps if app.public for c in placed_clusters(config, app)}


def _duplicates(names: list[str]) -> set[str]:
    return {name for name, count in Counter(names).items() if count > 1}


def _cycle_from(start: str, edges: Mapping[str, list[str]]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt in edges.get(node, []):
            if nxt == start:
                return [*path, start]
            if nxt not in path:
                stack.append((nxt, [*path, nxt]))
    return None


def cross_check_problems(config: PlatformConfig) -> Iterator[tuple[str, str]]:
    """Problems that relate one part of the config to another, each with its field path."""
    cluster_names = [c.name for c in config.clusters]
    enabled = {c.name for c in config.enabled_clusters}
    for name in _duplicates(cluster_names):
        for i in [i for i, n in enumerate(cluster_names) if n == name][1:]:
            yield f"clusters[{i}].name", f"duplicate cluster name {name!r}"

    existing = config.mgmt_cluster.provider == "existing"
    if existing and config.mgmt_kubeconfig is None:
        yield (
            "mgmtKubeconfig",
            "required when mgmtCluster.provider is 'existing' "
            "(pulumi config set --secret platform:mgmtKubeconfig < kubeconfig.yaml)",
        )
    if not existing and config.mgmt_kubeconfig is not None:
        yield "mgmtKubeconfig", "only used when mgmtCluster.provider is 'existing'; remove it"
    if existing and enabled and not config.mgmt_cluster.egress_cidrs:
        yield (
            "mgmtCluster.egressCidrs",
            "required with workload clusters: their Kubernetes APIs admit only adminCidrs "
            "and these, so Argo CD could not reach them",
        )

    for key in ("drain", "loadBalancing.regionPreference"):
        names = config.drain if key == "drain" else config.load_balancing.region_preference
        for i, name in enumerate(names):
            if name not in enabled:
                yield f"{key}[{i}]", f"{name!r} is not an enabled cluster"

    yield from _app_problems(config, enabled)


def _app_problems(config: PlatformConfig, enabled: set[str]) -> Iterator[tuple[str, str]]:
    app_names = [a.name for a in config.apps]
    known = set(app_names)
    for name in _duplicates(app_names):
        for i in [i for i, n in enumerate(app_names) if n == name][1:]:
            yield f"apps[{i}].name", f"duplicate app name {name!r}"

    edges = {a.name: a.depends_on for a in config.apps}
    for i, app in enumerate(config.apps):
        where = f"apps[{i}]"
        for j, dep in enumerate(app.depends_on):
            if dep not in known:
                yield f"{where}.dependsOn[{j}]", f"unknown app {dep!r}"
        cycle = _cycle_from(app.name, edges)
        if cycle:
            yield f"{where}.dependsOn", "dependency cycle " + " -> ".join(cycle)
        if not placed_clusters(config, app):
            yield f"{where}.placement", f"matches no enabled cluster (enabled: {sorted(enabled)})"
        if app.database and config.database is None:
            yield f"{where}.database", "needs the shared database, but platform:database is not set"
    yield from _shared_namespaces(config)
    if config.database is not None and config.apps:
        for i, name in enumerate(config.database.apps):
            if name not in known:
                yield f"database.apps[{i}]", f"unknown app {name!r}"
    yield from _plan_limit_problems(config)
    yield from _drain_problems(config)


def _drain_problems(config: PlatformConfig) -> Iterator[tuple[str, str]]:
    drained = set(config.drain)
    for app in config.apps:
        placed = placed_clusters(config, app)
        if app.public and placed and drained >= set(placed):
            yield "drain", f"drains every cluster of public app {app.name!r} ({', '.join(placed)})"


def _plan_limit_problems(config: PlatformConfig) -> Iterator[tuple[str, str]]:
    """Cloudflare rejects these at `pulumi up`; say so at plan time, naming the field."""
    limits = config.load_balancing.plan_limits
    minimum = limits.min_monitor_interval
    monitors = [("loadBalancing.monitor", config.load_balancing.monitor)] + [
        (f"apps[{i}].loadBalancing.monitor", app.load_balancing.monitor)
        for i, app in enumerate(config.apps)
        if app.load_balancing.monitor is not None
    ]
    for path, monitor in monitors:
        if monitor is not None and monitor.interval < minimum:
            yield (
                f"{path}.interval",
                f"{monitor.interval}s is below the plan's minimum of {minimum}s "
                "(loadBalancing.planLimits.minMonitorInterval)",
            )
    for i, app in enumerate(config.apps):
        origins = len(placed_clusters(config, app))
        if app.public and origins > limits.max_origins:
            yield (
                f"apps[{i}].placement",
                f"places the app on {origins} clusters, more origins than the plan's "
                f"{limits.max_origins} (loadBalancing.planLimits.maxOrigins)",
            )


def _shared_namespaces(config: PlatformConfig) -> Iterator[tuple[str, str]]:
    """Two apps in one namespace on one cluster would each claim that namespace."""
    owner: dict[tuple[str, str], str] = {}
    for i, app in enumerate(config.apps):
        for cluster in placed_clusters(config, app):
            key = (cluster, app.target_namespace)
            if owner.get(key, app.name) != app.name:
                yield (
                    f"apps[{i}].namespace",
                    f"namespace {app.target_namespace!r} on cluster {cluster!r} "
                    f"already belongs to app {owner[key]!r}",
                )
            else:
                owner[key] = app.name
