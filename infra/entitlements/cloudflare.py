"""What a Cloudflare zone's plan and the account's add-ons allow its load balancers.

``problems`` names every load-balancer setting the account cannot have. The program
sends what ``check_regions``, ``region_pools`` and ``coordinates`` derive, so what it
sends is what was checked here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from infra import catalog
from infra.config import AppConfig, CloudflarePlan, PlatformConfig
from infra.placement import Placement

# The shortest monitor interval a zone's plan allows. "Minimum time in seconds is 60
# (Pro), 15 (Business), and 10 (Enterprise)" (MONITOR_INTERVAL_SOURCE). Load Balancing
# is an add-on for any plan (https://developers.cloudflare.com/load-balancing/get-started/quickstart/);
# a Free zone gets no shorter interval than a Pro one. The API's refusal:
# `interval is not in range [60, 3600]` (cloudflare/terraform-provider-cloudflare#133).
MIN_MONITOR_INTERVAL: Mapping[CloudflarePlan, int] = {
    "free": 60,
    "pro": 60,
    "business": 15,
    "enterprise": 10,
}
MONITOR_INTERVAL_SOURCE = (
    "https://developers.cloudflare.com/load-balancing/monitors/create-monitor/"
)

# Load balancers, pools and endpoints a non-Enterprise account may have, each 20;
# monitors 1.5 times the pools on every plan.
NON_ENTERPRISE_QUOTA = 20
MONITORS_PER_POOL = 1.5
LIMITATIONS_SOURCE = "https://developers.cloudflare.com/load-balancing/reference/limitations/"

# Health-monitor regions. A pool without `check_regions` is probed from every data
# centre ("Null means every Cloudflare data center": terraform-provider-cloudflare
# v5.22.0 internal/services/load_balancer_pool/schema.go L132-156), which only Enterprise
# may; the API refuses it otherwise ("Probing from every data centre is not allowed with
# this subscription", cloudflare/cloudflare-go#162). Self-serve accounts probe from one
# region and may buy up to 8 of the 13; "All Regions" is Enterprise only too.
SELF_SERVE_MAX_CHECK_REGIONS = 8
ALL_REGIONS = "ALL_REGIONS"
CHECK_REGIONS_SOURCE = (
    "https://developers.cloudflare.com/load-balancing/monitors/#health-monitor-regions; "
    "cloudflare/cloudflare-docs#31421"
)

# "Off - Failover" and "Random" are "the only steering policies available to
# non-Enterprise customers who have not purchased Traffic steering".
STANDARD_STEERING = frozenset({"off", "random"})
STEERING_SOURCE = (
    "https://developers.cloudflare.com/load-balancing/understand-basics/traffic-steering/"
    "steering-policies/standard-options/"
)
# Dynamic steering: "If there is no current RTT data for your pool in a region ...
# Cloudflare directs traffic to the pools in failover order"; RTT comes from the health
# probes, so a pool must be probed from every region whose visitors it should win.
DYNAMIC_STEERING_SOURCE = (
    "https://developers.cloudflare.com/load-balancing/understand-basics/traffic-steering/"
    "steering-policies/dynamic-steering/"
)

# Header session affinity: "At least one HTTP header name must be provided", and "The
# default max number of HTTP header names ... 5 for Enterprise, 1 for all other plans"
# (terraform-provider-cloudflare v5.22.0 internal/services/load_balancer/schema.go L509-512).
AFFINITY_HEADERS_SOURCE = (
    "terraform-provider-cloudflare v5.22.0 internal/services/load_balancer/schema.go L509-512"
)


def is_enterprise(config: PlatformConfig) -> bool:
    return config.cloudflare.plan == "enterprise"


def _site(config: PlatformConfig, cluster: str) -> catalog.Site:
    region = next(c.region for c in config.enabled_clusters if c.name == cluster)
    return catalog.SITES[region]


def check_regions(config: PlatformConfig, clusters: Sequence[str]) -> list[str]:
    """Where the pools of an app on ``clusters`` (most preferred first) are probed from:
    as configured; else every region on Enterprise; else the clusters' own regions, as
    many as the add-on allows."""
    if config.load_balancing.check_regions is not None:
        return list(config.load_balancing.check_regions)
    if is_enterprise(config):
        return [ALL_REGIONS]
    regions = list(dict.fromkeys(_site(config, c).cloudflare_region for c in clusters))
    return regions[: config.cloudflare.add_ons.load_balancing.check_regions]


def region_pools(config: PlatformConfig, clusters: Sequence[str]) -> dict[str, list[str]]:
    """Geo steering: each Cloudflare region the clusters are in, to those clusters."""
    pools: dict[str, list[str]] = {}
    for cluster in clusters:
        pools.setdefault(_site(config, cluster).cloudflare_region, []).append(cluster)
    return pools


def coordinates(config: PlatformConfig, cluster: str) -> tuple[float, float]:
    """Proximity steering: where the cluster's region is."""
    site = _site(config, cluster)
    return site.latitude, site.longitude


Problems = Iterator[tuple[str, str]]


def problems(config: PlatformConfig, placement: Placement) -> Problems:
    """Every load-balancer setting the zone's plan or the account's add-ons refuse,
    each with the field to change."""
    public = [(i, app) for i, app in enumerate(config.apps) if app.public]
    yield from _subscription_problems(config)
    if not public:
        return
    if not config.cloudflare.add_ons.load_balancing.enabled:
        for i, _ in public:
            yield (
                f"apps[{i}].public",
                "a public app needs the account's Load Balancing add-on, and "
                "cloudflare.addOns.loadBalancing.enabled is false",
            )
        return
    found: dict[str, str] = {}
    for i, app in public:
        clusters = placement[app.name]
        for path, message in (
            *_interval_problems(config, i, app),
            *_steering_problems(config, i, app, clusters),
            *_affinity_problems(config, i, app),
        ):
            found.setdefault(path, message)
    yield from found.items()


def _subscription_problems(config: PlatformConfig) -> Problems:
    add_on = config.cloudflare.add_ons.load_balancing
    if not is_enterprise(config):
        for key, value in (
            ("endpoints", add_on.endpoints),
            ("pools", add_on.pools),
            ("loadBalancers", add_on.load_balancers),
        ):
            if value > NON_ENTERPRISE_QUOTA:
                yield (
                    f"cloudflare.addOns.loadBalancing.{key}",
                    f"{value} is more than the {NON_ENTERPRISE_QUOTA} a non-Enterprise account "
                    f"may have ({LIMITATIONS_SOURCE})",
                )
        if add_on.check_regions > SELF_SERVE_MAX_CHECK_REGIONS:
            yield (
                "cloudflare.addOns.loadBalancing.checkRegions",
                f"{add_on.check_regions} is more than the {SELF_SERVE_MAX_CHECK_REGIONS} "
                f"regions a non-Enterprise account may buy ({CHECK_REGIONS_SOURCE})",
            )
    stated = config.load_balancing.check_regions
    if stated is None:
        return
    if not is_enterprise(config) and ALL_REGIONS in stated:
        yield (
            "loadBalancing.checkRegions",
            f"{ALL_REGIONS} is Enterprise only (cloudflare.plan is "
            f"{config.cloudflare.plan!r}); list the regions to probe from ({CHECK_REGIONS_SOURCE})",
        )
    elif not is_enterprise(config) and len(stated) > add_on.check_regions:
        yield (
            "loadBalancing.checkRegions",
            f"{len(stated)} regions, more than the {add_on.check_regions} the add-on covers "
            f"(cloudflare.addOns.loadBalancing.checkRegions; {CHECK_REGIONS_SOURCE})",
        )
    elif not stated:
        yield (
            "loadBalancing.checkRegions",
            "empty: a pool without regions is probed from every data centre, which only "
            f"Enterprise allows ({CHECK_REGIONS_SOURCE}); leave it unset or list regions",
        )


def _interval_problems(config: PlatformConfig, i: int, app: AppConfig) -> Problems:
    monitor = config.monitor_for(app)
    minimum = MIN_MONITOR_INTERVAL[config.cloudflare.plan]
    if monitor.interval < minimum:
        own = app.load_balancing.monitor is not None
        path = f"apps[{i}].loadBalancing.monitor" if own else "loadBalancing.monitor"
        yield (
            f"{path}.interval",
            f"{monitor.interval} s is below the {minimum} s a {config.cloudflare.plan!r} zone "
            f"allows (cloudflare.plan; {MONITOR_INTERVAL_SOURCE})",
        )


def _steering_problems(
    config: PlatformConfig, i: int, app: AppConfig, clusters: Sequence[str]
) -> Problems:
    policy = config.steering_for(app)
    own = app.load_balancing.steering_policy is not None
    path = f"apps[{i}].loadBalancing.steeringPolicy" if own else "loadBalancing.steeringPolicy"
    entitled = config.cloudflare.add_ons.traffic_steering or is_enterprise(config)
    if policy not in STANDARD_STEERING and not entitled:
        yield (
            path,
            f"{policy!r} needs the Traffic Steering add-on (cloudflare.addOns.trafficSteering); "
            f"without it only 'off' and 'random' are allowed ({STEERING_SOURCE})",
        )
        return
    if policy == "dynamic_latency":
        probed = check_regions(config, clusters)
        wanted = list(dict.fromkeys(_site(config, c).cloudflare_region for c in clusters))
        missing = [r for r in wanted if r not in probed]
        if ALL_REGIONS not in probed and missing:
            yield (
                path,
                f"'dynamic_latency' steers on latency measured from the pools' check regions "
                f"{probed}, but {app.name!r} runs in {wanted}: visitors near "
                f"{', '.join(missing)} would get failover order. Probe from all "
                f"{len(wanted)} (cloudflare.addOns.loadBalancing.checkRegions, "
                f"loadBalancing.checkRegions) or choose another policy ({DYNAMIC_STEERING_SOURCE})",
            )


def _affinity_problems(config: PlatformConfig, i: int, app: AppConfig) -> Problems:
    headers = app.load_balancing.session_affinity_headers
    path = f"apps[{i}].loadBalancing.sessionAffinityHeaders"
    if config.affinity_for(app) != "header":
        if headers:
            yield path, "only used with sessionAffinity: header"
        return
    most = 5 if is_enterprise(config) else 1
    if not headers:
        yield (
            path,
            f"sessionAffinity 'header' needs the header to key sessions on ({AFFINITY_HEADERS_SOURCE})",
        )
    elif len(headers) > most:
        yield (
            path,
            f"{len(headers)} headers, more than the {most} a {config.cloudflare.plan!r} "
            f"plan allows ({AFFINITY_HEADERS_SOURCE})",
        )
