"""GlobalLoadBalancer: `<app>.<domain>` spread over every cluster the app runs on.

One HTTPS monitor, one pool per placed cluster (generated from placement, never listed
by hand), and a proxied load balancer with a fallback pool and failover across pools.

Each origin's address is `<app>-<cluster>.<domain>`: the record external-dns keeps on
that cluster for the app's route, pointing at the cluster's traffic controller (the
cloud load balancer in front of Envoy Gateway on Civo and on Vultr alike). The origin
sends that name as its Host header, and Cloudflare's monitor uses an origin's Host
header when it probes that origin, so one monitor checks each cluster under its own
name and the wildcard certificate matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
    # Clusters taken out of rotation (origin disabled); the clusters themselves are untouched.
    drained: Sequence[str] = ()


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
    """The app's host on one cluster, probed and reached under its own name."""
    host = naming.app_cluster_host(args.app, cluster, args.domain)
    return cloudflare.LoadBalancerPoolOriginArgs(
        name=cluster,
        address=host,
        enabled=not drained,
        weight=1,
        header=cloudflare.LoadBalancerPoolOriginHeaderArgs(hosts=[host]),
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
            session_affinity=args.session_affinity,
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
