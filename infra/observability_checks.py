"""Checks of the observability and alerting config against the rest of the stack: alerts
reach someone, routes name receivers and clusters that exist and can all be reached, and
the hub's components fit on a management node."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from infra import naming
from infra.config import AlertingConfig, ExistingClusterSpec, PlatformConfig, mebibytes
from infra.config_paths import did_you_mean
from infra.prices import NODE_SHAPES


def observability_problems(config: PlatformConfig) -> Iterator[tuple[str, str]]:
    if config.cost_enabled and not config.observability_enabled:
        yield "cost", "OpenCost reads and feeds the platform's Prometheus: set observability too"
    if not config.observability_enabled:
        return
    if config.traffic_controller != "envoy-gateway":
        yield (
            "observability",
            "the metrics write endpoint is guarded by an Envoy Gateway SecurityPolicy; "
            "needs trafficController: envoy-gateway",
        )
    if config.alerting is None and config.is_production:
        yield (
            "alerting",
            "required in production with observability: without receivers every alert, "
            "the Watchdog included, goes nowhere",
        )
    if config.alerting is not None:
        # A disabled cluster may stay in a route: it raises nothing while disabled.
        clusters = [naming.MGMT_CLUSTER, *(c.name for c in config.clusters)]
        yield from (("alerting." + p, m) for p, m in _alerting_problems(config.alerting, clusters))
    yield from _sizing_problems(config)


def _alerting_problems(alerting: AlertingConfig, clusters: list[str]) -> Iterator[tuple[str, str]]:
    names = [r.name for r in alerting.receivers]
    for name, count in Counter(names).items():
        if count > 1:
            yield (
                f"receivers[{len(names) - 1 - names[::-1].index(name)}].name",
                (f"duplicate receiver {name!r}"),
            )
    known = set(names)
    if alerting.default_receiver not in known:
        yield "defaultReceiver", _unknown_receiver(alerting.default_receiver, names)
    catch_all = None
    for i, route in enumerate(alerting.routes):
        if route.receiver not in known:
            yield f"routes[{i}].receiver", _unknown_receiver(route.receiver, names)
        for j, cluster in enumerate(route.clusters):
            if cluster not in clusters:
                yield (
                    f"routes[{i}].clusters[{j}]",
                    f"{cluster!r} is not a cluster" + did_you_mean(cluster, clusters),
                )
        if catch_all is not None:
            yield (
                f"routes[{i}]",
                f"never reached: routes[{catch_all}] takes every alert (give it severity or "
                "clusters, or `continue: true`)",
            )
        elif route.catches_all:
            catch_all = i


def _unknown_receiver(name: str, names: list[str]) -> str:
    return f"no receiver named {name!r}" + did_you_mean(name, names)


def _sizing_problems(config: PlatformConfig) -> Iterator[tuple[str, str]]:
    """Each component's memory limit must fit on one management node."""
    mgmt = config.mgmt_cluster
    if isinstance(mgmt, ExistingClusterSpec):
        return
    shape = NODE_SHAPES.get(mgmt.node_size)
    if shape is None:
        return
    node_mib = shape[1] * 1024
    sizing = config.hub_sizing
    for component in ("prometheus", "grafana", "alertmanager"):
        limit = getattr(sizing, component).limits.memory
        if limit is not None and mebibytes(limit) >= node_mib:
            yield (
                f"observability.{component}.limits.memory",
                f"{limit} does not fit on a management node ({mgmt.node_size}: {shape[1]} GiB); "
                "lower it or choose a larger mgmtCluster.nodeSize",
            )
