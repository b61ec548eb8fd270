"""GlobalLoadBalancer: `<app>.<domain>` spread over every cluster the app runs on.

One HTTPS monitor, one pool per placed cluster (generated from placement, never listed
by hand), and a proxied load balancer with a fallback pool and failover across pools.

Each origin's address is `<app>-<cluster>.<domain>`: the record external-dns keeps on
that cluster for the app's route, pointing at the cluster's traffic controller (the
cloud load balancer in front of Envoy Gateway on Civo and on Vultr alike). No origin
overrides the Host header: an endpoint's Host override is what Cloudflare sends on
visitors' requests too (https://developers.cloudflare.com/load-balancing/additional-options/override-http-host-headers/),
so a visitor at `<app>.<domain>` would be redirected to a per-cluster name the origin
lockdown keeps them from. Visitors' requests keep `<app>.<domain>`, which every placed
cluster serves (the app's global route). The monitor sets no Host either, so Cloudflare
probes each origin with its endpoint address as Host ("When no host header is
specified, Cloudflare uses the Endpoint Address configured on the endpoints",
https://developers.cloudflare.com/load-balancing/monitors/#host-header-prioritization):
one monitor checks each cluster under its own name, and the wildcard certificate
matches both names.

What the account's plan and add-ons allow (check regions, steering, affinity headers) is
checked in ``infra.entitlements.cloudflare``, which also derives what this sends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_cloudflare as cloudflare

from infra import naming
from infra.config import MonitorConfig, SessionAffinity, SteeringPolicy


@dataclass(frozen=True)
class GlobalLoadBalancerArgs:
    environment: str
    app: str
    domain: str
    account_id: str
    zone_id: str
    # The zone's apex: the monitor probes through it, presenting its client certificate.
    zone_name: str
    health_check_path: str
    monitor: MonitorConfig
    steering_policy: SteeringPolicy
    session_affinity: SessionAffinity
    # Placed clusters, most preferred first: the default pools keep this order.
    clusters: Sequence[str]
    # Where every pool is probed from: never unset, which means every data centre.
    check_regions: Sequence[str]
    # Clusters taken out of rotation (origin disabled); the clusters themselves are untouched.
    drained: Sequence[str] = ()
    # Geo steering: Cloudflare region -> its clusters. Proximity: cluster -> (lat, lon).
    region_pools: Mapping[str, Sequence[str]] = field(default_factory=dict)
    coordinates: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    # Header session affinity: the headers sessions are keyed on.
    session_affinity_headers: Sequence[str] = ()


def detection_seconds(monitor: MonitorConfig) -> int:
    """Worst case from an origin failing to Cloudflare marking it unhealthy."""
    return monitor.interval + (monitor.retries + 1) * monitor.timeout


def detection_formula(monitor: MonitorConfig) -> str:
    return (
        f"{detection_seconds(monitor)} s = interval {monitor.interval} s + "
        f"(retries {monitor.retries} + 1) x timeout {monitor.timeout} s"
    )


def _origin(
    cluster: str, args: GlobalLoadBalancerArgs, drained: bool
) -> cloudflare.LoadBalancerPoolOriginArgs:
    """The app on one cluster: probed under its per-cluster name, serving visitors under
    theirs (no Host override)."""
    return cloudflare.LoadBalancerPoolOriginArgs(
        name=cluster,
        address=naming.app_cluster_host(args.app, cluster, args.domain),
        enabled=not drained,
        weight=1,
    )


class GlobalLoadBalancer(pulumi.ComponentResource):
    hostname: str
    pool_ids: dict[str, pulumi.Output[str]]
    detection: str

    def __init__(
        self, name: str, args: GlobalLoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:index:GlobalLoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        monitor = cloudflare.LoadBalancerMonitor(
            f"{name}-monitor",
            account_id=args.account_id,
            description=naming.load_balancer_monitor(args.environment, args.app),
            type="https",
            method="GET",
            port=443,
            path=args.health_check_path,
            expected_codes=args.monitor.expected_codes,
            interval=args.monitor.interval,
            retries=args.monitor.retries,
            timeout=args.monitor.timeout,
            follow_redirects=False,
            allow_insecure=False,
            # "Simulate zone": the probe goes through the zone as a visitor's request
            # would, so it presents the zone's Authenticated Origin Pulls certificate,
            # which the origins require (terraform-provider-cloudflare v5.22.0
            # load_balancer_monitor/schema.go `probe_zone`).
            probe_zone=args.zone_name,
            opts=child,
        )
        pools = {
            cluster: cloudflare.LoadBalancerPool(
                f"{name}-{cluster}",
                account_id=args.account_id,
                name=naming.load_balancer_pool(args.environment, args.app, cluster),
                monitor=monitor.id,
                minimum_origins=1,
                origins=[_origin(cluster, args, drained=cluster in args.drained)],
                check_regions=list(args.check_regions),
                latitude=args.coordinates[cluster][0] if cluster in args.coordinates else None,
                longitude=args.coordinates[cluster][1] if cluster in args.coordinates else None,
                opts=child,
            )
            for cluster in args.clusters
        }
        ordered = [pools[cluster].id for cluster in args.clusters]
        self.hostname = naming.app_host(args.app, args.domain)
        cloudflare.LoadBalancer(
            f"{name}-lb",
            zone_id=args.zone_id,
            name=self.hostname,
            proxied=True,
            default_pools=ordered,
            # When every pool looks down, send traffic to the most preferred cluster that is
            # not drained: a drained pool's one origin is disabled, so falling back to it
            # would send visitors to the cluster taken out on purpose. Validation keeps one.
            fallback_pool=next(pools[c].id for c in args.clusters if c not in args.drained),
            steering_policy=args.steering_policy,
            region_pools={
                region: [pools[c].id for c in clusters]
                for region, clusters in args.region_pools.items()
            }
            or None,
            session_affinity=args.session_affinity,
            session_affinity_attributes=(
                cloudflare.LoadBalancerSessionAffinityAttributesArgs(
                    headers=list(args.session_affinity_headers)
                )
                if args.session_affinity_headers
                else None
            ),
            adaptive_routing=cloudflare.LoadBalancerAdaptiveRoutingArgs(failover_across_pools=True),
            opts=child,
        )
        self.pool_ids = {cluster: pool.id for cluster, pool in pools.items()}
        self.detection = detection_formula(args.monitor)
        self.register_outputs(
            {
                "hostname": self.hostname,
                "poolIds": self.pool_ids,
                "failureDetection": self.detection,
            }
        )
