"""What the Cloudflare plan and add-ons allow: the defaults work on the least plan the
README names (a Free zone with the Load Balancing add-on), and every load-balancer
setting the account cannot have is refused at plan time, naming the setting and the
limit's source (infra/entitlements/cloudflare.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from platform_cli.mocks import mock_id
from tests.planview import PlanView

PlanErrors = Callable[..., tuple[int, list[str]]]
SOURCE = "https://developers.cloudflare.com/load-balancing/"


def cloudflare(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        config["platform:cloudflare"] = {**config["platform:cloudflare"], **fields}

    return edit


def balancing(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        config["platform:loadBalancing"] = fields

    return edit


def both(*edits: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        for one in edits:
            one(config)

    return edit


def app_balancing(app: str, **fields: Any) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        found = next(a for a in config["platform:apps"] if a["name"] == app)
        found["loadBalancing"] = fields

    return edit


FREE_TRAFFIC_STEERING = cloudflare(plan="free", addOns={"trafficSteering": True})


# --- the defaults work on a Free zone (edge.md A1-A3) ----------------------------------


def test_prod_plans_on_the_least_plan_the_readme_names(
    plan_errors: PlanErrors,
) -> None:
    code, lines = plan_errors(cloudflare(plan="free"), stack="prod")
    assert code == 0
    assert [line for line in lines if line.startswith("error:")] == []


def test_every_pool_names_its_check_regions_within_the_add_on(prod: PlanView) -> None:
    """Null check_regions means every data centre: Enterprise only (edge.md A1)."""
    pools = prod.of_type(":LoadBalancerPool")
    assert pools
    for pool in pools:
        assert len(pool.inputs.get("checkRegions") or []) == 1, pool.name


def test_default_monitor_interval_is_the_free_and_pro_minimum(prod: PlanView) -> None:
    """Free and Pro zones allow 60 s at least (edge.md A2)."""
    for monitor in prod.of_type(":LoadBalancerMonitor"):
        assert monitor.inputs["interval"] == 60, monitor.name


def test_default_steering_needs_no_add_on(prod: PlanView) -> None:
    """Only 'off' and 'random' come without Traffic Steering (edge.md A3)."""
    for balancer in prod.of_type("cloudflare:index/loadBalancer:LoadBalancer"):
        assert balancer.inputs["steeringPolicy"] == "random", balancer.name


# --- what the plan refuses, naming the setting --------------------------------------------


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            both(cloudflare(plan="free"), balancing(steeringPolicy="dynamic_latency")),
            "error: platform:loadBalancing.steeringPolicy: 'dynamic_latency' needs the "
            "Traffic Steering add-on (cloudflare.addOns.trafficSteering); without it only "
            "'off' and 'random' are allowed (https://developers.cloudflare.com/load-balancing/"
            "understand-basics/traffic-steering/steering-policies/standard-options/)",
        ),
        (
            both(cloudflare(plan="pro"), balancing(monitor={"interval": 30})),
            "error: platform:loadBalancing.monitor.interval: 30 s is below the 60 s a 'pro' "
            "zone allows (cloudflare.plan; "
            "https://developers.cloudflare.com/load-balancing/monitors/create-monitor/)",
        ),
        (
            both(cloudflare(plan="business"), app_balancing("weather", monitor={"interval": 10})),
            "error: platform:apps[2](weather).loadBalancing.monitor.interval: 10 s is below "
            "the 15 s a 'business' zone allows (cloudflare.plan; "
            "https://developers.cloudflare.com/load-balancing/monitors/create-monitor/)",
        ),
        (
            app_balancing("blog", steeringPolicy="geo"),
            "error: platform:apps[1](blog).loadBalancing.steeringPolicy: 'geo' needs the "
            "Traffic Steering add-on (cloudflare.addOns.trafficSteering); without it only "
            "'off' and 'random' are allowed (https://developers.cloudflare.com/load-balancing/"
            "understand-basics/traffic-steering/steering-policies/standard-options/)",
        ),
        (
            both(FREE_TRAFFIC_STEERING, balancing(steeringPolicy="dynamic_latency")),
            "error: platform:loadBalancing.steeringPolicy: 'dynamic_latency' steers on latency "
            "measured from the pools' check regions ['ENAM'], but 'hello-world' runs in "
            "['ENAM', 'WEU']: visitors near WEU would get failover order. Probe from all 2 "
            "(cloudflare.addOns.loadBalancing.checkRegions, loadBalancing.checkRegions) or "
            "choose another policy (https://developers.cloudflare.com/load-balancing/"
            "understand-basics/traffic-steering/steering-policies/dynamic-steering/)",
        ),
        (
            balancing(checkRegions=["ALL_REGIONS"]),
            "error: platform:loadBalancing.checkRegions: ALL_REGIONS is Enterprise only "
            "(cloudflare.plan is 'free'); list the regions to probe from "
            "(https://developers.cloudflare.com/load-balancing/monitors/#health-monitor-regions; "
            "cloudflare/cloudflare-docs#31421)",
        ),
        (
            balancing(checkRegions=["WEU", "ENAM"]),
            "error: platform:loadBalancing.checkRegions: 2 regions, more than the 1 the add-on "
            "covers (cloudflare.addOns.loadBalancing.checkRegions; "
            "https://developers.cloudflare.com/load-balancing/monitors/#health-monitor-regions; "
            "cloudflare/cloudflare-docs#31421)",
        ),
        (
            cloudflare(addOns={"loadBalancing": {"checkRegions": 9}}),
            "error: platform:cloudflare.addOns.loadBalancing.checkRegions: 9 is more than the 8 "
            "regions a non-Enterprise account may buy "
            "(https://developers.cloudflare.com/load-balancing/monitors/#health-monitor-regions; "
            "cloudflare/cloudflare-docs#31421)",
        ),
        (
            cloudflare(addOns={"loadBalancing": {"pools": 25}}),
            "error: platform:cloudflare.addOns.loadBalancing.pools: 25 is more than the 20 a "
            "non-Enterprise account may have "
            "(https://developers.cloudflare.com/load-balancing/reference/limitations/)",
        ),
        (
            app_balancing("blog", sessionAffinity="header"),
            "error: platform:apps[1](blog).loadBalancing.sessionAffinityHeaders: sessionAffinity "
            "'header' needs the header to key sessions on (terraform-provider-cloudflare "
            "v5.22.0 internal/services/load_balancer/schema.go L509-512)",
        ),
        (
            app_balancing(
                "blog", sessionAffinity="header", sessionAffinityHeaders=["x-user", "x-org"]
            ),
            "error: platform:apps[1](blog).loadBalancing.sessionAffinityHeaders: 2 headers, more "
            "than the 1 a 'free' plan allows (terraform-provider-cloudflare v5.22.0 "
            "internal/services/load_balancer/schema.go L509-512)",
        ),
        (
            app_balancing("blog", sessionAffinityHeaders=["x-user"]),
            "error: platform:apps[1](blog).loadBalancing.sessionAffinityHeaders: only used with "
            "sessionAffinity: header",
        ),
        (
            cloudflare(addOns={"loadBalancing": {"enabled": False}}),
            "error: platform:apps[0](hello-world).public: a public app needs the account's Load "
            "Balancing add-on, and cloudflare.addOns.loadBalancing.enabled is false",
        ),
        (
            balancing(planLimits={"maxOrigins": 20}),
            "error: platform:loadBalancing.planLimits: unknown key; state the zone's plan in "
            "platform:cloudflare.plan (it sets the shortest monitor interval) and the Load "
            "Balancing add-on in platform:cloudflare.addOns.loadBalancing (endpoints, pools, "
            "checkRegions)",
        ),
    ],
    ids=[
        "dynamic steering on free",
        "interval on pro",
        "app interval on business",
        "geo without add-on",
        "dynamic steering with one region",
        "all regions off enterprise",
        "more regions than bought",
        "more regions than self-serve",
        "more pools than non-enterprise",
        "header affinity without headers",
        "two affinity headers off enterprise",
        "headers without header affinity",
        "no load balancing add-on",
        "retired planLimits",
    ],
)
def test_a_setting_the_account_does_not_allow_is_refused(
    edit: Callable[[dict[str, Any]], None], expected: str, plan_errors: PlanErrors
) -> None:
    code, errors = plan_errors(edit, stack="prod")
    assert code == 2
    assert expected in errors, errors


# --- what the add-ons buy, sent as checked ------------------------------------------------


def test_dynamic_steering_probes_from_every_region_its_clusters_are_in(
    plan_config: Callable[..., PlanView],
) -> None:
    plan = plan_config(
        "prod",
        both(
            cloudflare(addOns={"trafficSteering": True, "loadBalancing": {"checkRegions": 2}}),
            balancing(steeringPolicy="dynamic_latency"),
        ),
    )
    pool = plan.one(":LoadBalancerPool", "hello-world-global-london").inputs
    assert pool["checkRegions"] == ["ENAM", "WEU"]
    blog = plan.one(":LoadBalancerPool", "blog-global-london").inputs
    assert blog["checkRegions"] == ["WEU"]


def test_geo_steering_gets_region_pools_and_proximity_gets_coordinates(
    plan_config: Callable[..., PlanView],
) -> None:
    plan = plan_config(
        "prod",
        both(
            FREE_TRAFFIC_STEERING,
            app_balancing("hello-world", steeringPolicy="geo"),
            app_balancing("blog", steeringPolicy="proximity"),
        ),
    )
    pools = {r.name: r for r in plan.of_type(":LoadBalancerPool")}
    # The offline cloud gives each pool an id derived from its name.
    name_of = {
        mock_id(r.type, r.name): r.name.removeprefix("hello-world-global-") for r in pools.values()
    }
    geo = plan.one("cloudflare:index/loadBalancer:LoadBalancer", "hello-world-global-lb").inputs
    assert {region: [name_of[i] for i in ids] for region, ids in geo["regionPools"].items()} == {
        "ENAM": ["chicago", "newyork"],
        "WEU": ["frankfurt", "london"],
    }
    london = pools["blog-global-london"].inputs
    assert (london["latitude"], london["longitude"]) == (51.51, -0.13)
    assert "latitude" not in pools["hello-world-global-london"].inputs


def test_header_affinity_sends_its_header(plan_config: Callable[..., PlanView]) -> None:
    plan = plan_config(
        "dev", app_balancing("blog", sessionAffinity="header", sessionAffinityHeaders=["x-user"])
    )
    lb = plan.one("cloudflare:index/loadBalancer:LoadBalancer", "blog-global-lb").inputs
    assert lb["sessionAffinity"] == "header"
    assert lb["sessionAffinityAttributes"] == {"headers": ["x-user"]}
