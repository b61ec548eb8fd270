"""GlobalLoadBalancer: pools from placement, fallback and affinity, the global host on
every origin, drain, and origin lockdown on the cluster firewalls. What the account's
plan allows: tests/plans/test_entitlements.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from platform_cli import main
from platform_cli.mocks import CLOUDFLARE_IPV4, mock_id
from tests.plans.test_shared_database import civo_egress
from tests.planview import PlanView

PUBLIC = {
    "hello-world": ["london", "frankfurt", "chicago", "newyork"],
    "blog": ["frankfurt", "london"],
    "weather": ["london"],
    "dashboard": ["frankfurt", "london"],
}


def balancer(plan: PlanView, app: str) -> dict[str, Any]:
    inputs: dict[str, Any] = plan.one(
        "cloudflare:index/loadBalancer:LoadBalancer", f"{app}-global-lb"
    ).inputs
    return inputs


def pools_of(plan: PlanView, app: str) -> dict[str, dict[str, Any]]:
    return {
        r.name.removeprefix(f"{app}-global-"): r.inputs
        for r in plan.of_type(":LoadBalancerPool")
        if r.name.startswith(f"{app}-global-")
    }


@pytest.mark.parametrize("app", sorted(PUBLIC))
def test_every_public_app_has_a_proxied_balancer_with_a_pool_per_cluster(
    prod: PlanView, app: str
) -> None:
    lb = balancer(prod, app)
    assert lb["name"] == f"{app}.example.com"
    assert lb["proxied"] is True
    assert lb["adaptiveRouting"] == {"failoverAcrossPools": True}
    assert lb["steeringPolicy"] == "random"
    pools = pools_of(prod, app)
    assert sorted(pools) == sorted(PUBLIC[app])
    assert lb["fallbackPool"] in lb["defaultPools"]
    assert len(lb["defaultPools"]) == len(pools)
    for cluster, pool in pools.items():
        (origin,) = pool["origins"]
        assert origin["address"] == f"{app}-{cluster}.example.com"
        assert origin["enabled"] is True
        assert pool["name"] == f"prod-{app}-{cluster}"
    monitor = prod.one(":LoadBalancerMonitor", f"{app}-global-monitor").inputs
    assert monitor["type"] == "https" and monitor["port"] == 443


def routes_for(plan: PlanView, host: str) -> dict[str, dict[str, Any]]:
    """Each cluster's HTTPRoute serving ``host``, by cluster."""
    return {
        route.name.split("-route-")[0]: route.inputs
        for route in plan.of_type("gateway.networking.k8s.io/v1:HTTPRoute")
        if host in route.inputs["spec"].get("hostnames", [])
    }


@pytest.mark.parametrize("app", sorted(PUBLIC))
def test_visitors_keep_the_global_host_and_each_cluster_is_probed_under_its_own(
    prod: PlanView, app: str
) -> None:
    """edge.md B1: an origin's Host override is sent on visitors' requests too, so the
    HTTPS redirect (and any absolute URL the app builds) took visitors to the per-cluster
    name, which the origin lockdown keeps them from."""
    for cluster, pool in pools_of(prod, app).items():
        (origin,) = pool["origins"]
        assert "header" not in origin, f"{cluster}: visitors would get another Host"
    monitor = prod.one(":LoadBalancerMonitor", f"{app}-global-monitor").inputs
    # Without a Host anywhere, Cloudflare probes each origin with its address as Host.
    assert "header" not in monitor
    # Every placed cluster serves the global host, which the load balancer owns in DNS...
    serving = routes_for(prod, f"{app}.example.com")
    assert sorted(serving) == sorted(PUBLIC[app])
    for route in serving.values():
        assert route["metadata"]["annotations"] == {
            "external-dns.alpha.kubernetes.io/controller": "cloudflare-load-balancer"
        }
        assert route["spec"]["parentRefs"][0]["sectionName"] == "https"
    # ...and still its per-cluster name, which the health checks ask for, in DNS.
    for cluster in PUBLIC[app]:
        (probed,) = routes_for(prod, f"{app}-{cluster}.example.com").values()
        assert "annotations" not in probed["metadata"]


def test_private_apps_have_no_balancer(prod: PlanView) -> None:
    names = {r.name for r in prod.of_type("cloudflare:index/loadBalancer:LoadBalancer")}
    assert names == {f"{app}-global-lb" for app in PUBLIC}


def test_affinity_is_cookie_for_database_apps_and_none_otherwise(prod: PlanView) -> None:
    assert balancer(prod, "blog")["sessionAffinity"] == "cookie"
    for app in ("hello-world", "weather", "dashboard"):
        assert balancer(prod, app)["sessionAffinity"] == "none"


def test_default_pools_follow_region_preference(plan_config: Callable[..., PlanView]) -> None:
    def prefer(config: dict[str, Any]) -> None:
        config["platform:loadBalancing"] = {"regionPreference": ["newyork", "chicago"]}

    plan = plan_config("prod", prefer)
    # The offline cloud gives each pool an id derived from its name.
    pool_by_id = {mock_id(r.type, r.name): r.name for r in plan.of_type(":LoadBalancerPool")}
    lb = balancer(plan, "hello-world")
    ordered = [pool_by_id[i].removeprefix("hello-world-global-") for i in lb["defaultPools"]]
    assert ordered == ["newyork", "chicago", "frankfurt", "london"]
    assert lb["fallbackPool"] == lb["defaultPools"][0]


def test_drain_disables_origins_and_never_falls_back_to_a_drained_pool(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    """Frankfurt is blog's and dashboard's first pool by name, so their fallback: drained,
    the fallback moves to the next pool, or a load balancer whose pools all look down
    would send its visitors to the one cluster taken out on purpose."""

    def drain_frankfurt(config: dict[str, Any]) -> None:
        config["platform:drain"] = ["frankfurt"]

    drained = plan_config("prod", drain_frankfurt)
    before = {r.urn: r for r in prod.resources}
    after = {r.urn: r for r in drained.resources}
    assert set(before) == set(after)
    changed = {
        before[u].name: (before[u].inputs, after[u].inputs)
        for u in before
        if before[u].inputs != after[u].inputs
    }
    pools = {f"{app}-global-frankfurt" for app in PUBLIC if "frankfurt" in PUBLIC[app]}
    fallbacks = {"blog-global-lb", "dashboard-global-lb"}
    assert set(changed) == pools | fallbacks
    for name in pools:
        old, new = changed[name]
        assert {**old, "origins": None} == {**new, "origins": None}
        assert [o["enabled"] for o in new["origins"]] == [False]
    pool_by_id = {mock_id(r.type, r.name): r.name for r in drained.of_type(":LoadBalancerPool")}
    for name in fallbacks:
        old, new = changed[name]
        assert {**old, "fallbackPool": None} == {**new, "fallbackPool": None}
        assert pool_by_id[new["fallbackPool"]].endswith("-london")
    for app, clusters in PUBLIC.items():
        fallback = pool_by_id[balancer(drained, app)["fallbackPool"]]
        assert not fallback.endswith("-frankfurt") or clusters == ["frankfurt"], app


def test_detection_time_is_printed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["plan", "--stack", "prod", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "load balancers, worst-case failure detection:" in out
    assert "  blog.example.com: 75 s = interval 60 s + (retries 2 + 1) x timeout 5 s" in out


def web_cidrs(plan: PlanView, cluster: str) -> list[str]:
    rules = plan.one("civo:index/firewall:Firewall", f"{cluster}-firewall").inputs["ingressRules"]
    (https,) = [r for r in rules if r["label"] == "https"]
    cidrs: list[str] = https["cidrs"]
    return cidrs


def test_fronted_civo_clusters_admit_web_only_from_cloudflare_and_admins(prod: PlanView) -> None:
    for cluster in ("london", "frankfurt", "newyork"):
        cidrs = web_cidrs(prod, cluster)
        assert "0.0.0.0/0" not in cidrs
        assert set(CLOUDFLARE_IPV4) <= set(cidrs)
        assert {"203.0.113.0/24", "198.51.100.16/28"} <= set(cidrs)


def test_fronted_vultr_cluster_has_no_open_web_rule(prod: PlanView) -> None:
    web = [
        r.inputs
        for r in prod.of_type("vultr:index/firewallRule:FirewallRule")
        if r.name.startswith("chicago-") and r.inputs["port"] in {"80", "443"}
    ]
    assert web
    for rule in web:
        open_to_all = rule["subnetSize"] == 0 and rule.get("source") != "cloudflare"
        assert not open_to_all, rule
    assert {(r["port"], r["ipType"]) for r in web if r.get("source") == "cloudflare"} == {
        ("80", "v4"),
        ("80", "v6"),
        ("443", "v4"),
        ("443", "v6"),
    }


def test_private_apps_are_reached_across_clusters_through_cloudflare(prod: PlanView) -> None:
    # dashboard (london, frankfurt) calls private temperature and traffic at their
    # per-cluster hosts; those records are proxied, so locked-down origins admit the calls.
    for route in prod.of_type("gateway.networking.k8s.io/v1:HTTPRoute"):
        app = route.name.split("-route-")[-1]
        annotations = route.inputs["metadata"].get("annotations", {})
        proxied = annotations.get("external-dns.alpha.kubernetes.io/cloudflare-proxied")
        if app in {"temperature", "traffic"}:
            assert proxied == "true", route.name
        elif app in PUBLIC:
            assert proxied is None, f"{route.name} is a load-balancer origin: DNS-only"
    london = civo_egress("london")
    assert all(london not in web_cidrs(prod, c) for c in ("frankfurt", "newyork"))


def test_without_lockdown_origins_are_open(plan_config: Callable[..., PlanView]) -> None:
    def no_lockdown(config: dict[str, Any]) -> None:
        config["platform:loadBalancing"] = {"originLockdown": False}

    plan = plan_config("dev", no_lockdown)
    assert web_cidrs(plan, "london") == ["0.0.0.0/0"]


def _set_lb(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        config["platform:loadBalancing"] = fields

    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda c: c.update({"platform:drain": ["london", "frankfurt"]}),
            [
                "error: platform:drain: drains every cluster of public app 'blog' (frankfurt, london)",
                "error: platform:drain: drains every cluster of public app 'dashboard' (frankfurt, london)",
                "error: platform:drain: drains every cluster of public app 'hello-world' (frankfurt, london)",
                "error: platform:drain: drains every cluster of public app 'weather' (london)",
            ],
        ),
        (
            lambda c: c.update({"platform:drain": ["paris"]}),
            ["error: platform:drain[0]: 'paris' is not an enabled cluster"],
        ),
        (
            _set_lb(steeringPolicy="fastest"),
            [
                "error: platform:loadBalancing.steeringPolicy: Input should be 'off', 'geo', 'random', 'dynamic_latency', 'proximity', 'least_outstanding_requests' or 'least_connections'"
            ],
        ),
    ],
    ids=[
        "drain everything",
        "drain unknown",
        "bad steering",
    ],
)
def test_load_balancing_mistakes_exit_2(
    edit: Callable[[dict[str, Any]], None],
    expected: list[str],
    plan_errors: Callable[..., tuple[int, list[str]]],
) -> None:
    assert plan_errors(edit) == (2, expected)
