"""The Cloudflare account against `platform:cloudflare`: the zone (name, account, plan),
the subscriptions (the Load Balancing and Traffic Steering add-ons), and what the account
already holds beside this stack's own (pools, endpoints, monitors, the zone's load
balancers) against the quotas.

API: https://developers.cloudflare.com/api/ (Zones "Zone Details"; Accounts
"Subscriptions"; Load Balancers "List Pools", "List Monitors", "List Load Balancers").
Reading them needs Zone Read and the load-balancing permissions the deploy token already
has (README "Credentials"), and Billing Read for the subscriptions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from infra.entitlements.quotas import Limit, cloudflare_account, cloudflare_limits
from infra.rules.account_quotas import usage
from platform_cli.preflight.findings import Context, Finding, compare
from platform_cli.preflight.http import ApiError, get_json

CLOUD = "cloudflare"
TOKEN = "CLOUDFLARE_API_TOKEN"
_TYPES = "cloudflare:index/"


def _results(ctx: Context, path: str, headers: dict[str, str]) -> Any:
    return get_json(f"{ctx.endpoints.cloudflare}{path}", headers)["result"]


def check(ctx: Context) -> Iterator[Finding]:
    token = ctx.environ.get(TOKEN)
    if not token:
        yield Finding("unchecked", CLOUD, "account", f"{TOKEN} is not set where preflight runs")
        return
    headers = {"Authorization": f"Bearer {token}"}
    stated = ctx.config.cloudflare
    try:
        zone = _results(ctx, f"/zones/{stated.zone_id}", headers)
        yield compare(CLOUD, "zone name", stated.zone_name or ctx.config.domain, zone.get("name"))
        yield compare(
            CLOUD, "zone's account", stated.account_id, (zone.get("account") or {}).get("id")
        )
        yield compare(
            CLOUD,
            "zone plan (platform:cloudflare.plan)",
            stated.plan,
            (zone.get("plan") or {}).get("legacy_id"),
        )
    except (ApiError, KeyError, TypeError) as err:
        yield Finding("unchecked", CLOUD, "zone", f"the API call failed: {err}")
    try:
        # Listing subscriptions needs Billing Read, which deploying does not.
        subscriptions = _results(ctx, f"/accounts/{stated.account_id}/subscriptions", headers)
        yield from _add_ons(ctx, subscriptions)
    except (ApiError, KeyError, TypeError) as err:
        yield Finding("unchecked", CLOUD, "add-ons", f"the API call failed: {err}")
    try:
        yield from _holdings(ctx, headers)
    except (ApiError, KeyError, TypeError) as err:
        yield Finding("unchecked", CLOUD, "holdings", f"the API call failed: {err}")


def _bought(subscriptions: list[dict[str, Any]], product: str) -> bool:
    """Whether a subscription's rate plan is the product (matched by its public name)."""
    return any(
        product in str((s.get("rate_plan") or {}).get("public_name", "")).lower()
        for s in subscriptions
    )


def _add_ons(ctx: Context, subscriptions: list[dict[str, Any]]) -> Iterator[Finding]:
    add_ons = ctx.config.cloudflare.add_ons
    yield compare(
        CLOUD,
        "Load Balancing add-on (platform:cloudflare.addOns.loadBalancing.enabled)",
        add_ons.load_balancing.enabled,
        _bought(subscriptions, "load balancing"),
    )
    if ctx.config.cloudflare.plan != "enterprise":
        yield compare(
            CLOUD,
            "Traffic Steering add-on (platform:cloudflare.addOns.trafficSteering)",
            add_ons.traffic_steering,
            _bought(subscriptions, "traffic steering"),
        )


def _holdings(ctx: Context, headers: dict[str, str]) -> Iterator[Finding]:
    """What the account holds that is not this stack's, plus what this stack plans."""
    stated = ctx.config.cloudflare
    account = f"/accounts/{stated.account_id}/load_balancers"
    pools = _results(ctx, f"{account}/pools", headers)
    monitors = _results(ctx, f"{account}/monitors", headers)
    balancers = _results(ctx, f"/zones/{stated.zone_id}/load_balancers", headers)
    ours = {
        "pools": ctx.planned_names(f"{_TYPES}loadBalancerPool:LoadBalancerPool"),
        "monitors": ctx.planned_names(
            f"{_TYPES}loadBalancerMonitor:LoadBalancerMonitor", "description"
        ),
        "load balancers": ctx.planned_names(f"{_TYPES}loadBalancer:LoadBalancer"),
    }
    others = {
        "pools": [p for p in pools if p.get("name") not in ours["pools"]],
        "monitors": [m for m in monitors if m.get("description") not in ours["monitors"]],
        "load balancers": [b for b in balancers if b.get("name") not in ours["load balancers"]],
    }
    held = {kind: len(found) for kind, found in others.items()}
    held["endpoints"] = sum(len(p.get("origins") or []) for p in others["pools"])
    planned = {
        k: len(v) for k, v in usage(ctx.plan).get(cloudflare_account(ctx.config), {}).items()
    }
    limits = cloudflare_limits(ctx.config)
    for kind in ("load balancers", "pools", "endpoints", "monitors"):
        yield _fits(kind, held[kind], planned.get(kind, 0), limits[kind])


def _fits(kind: str, held: int, planned: int, limit: Limit) -> Finding:
    total = held + planned
    where = "in the zone" if kind == "load balancers" else "in the account"
    detail = (
        f"{held} {where} besides this stack's, and this stack's {planned}: {total} of {limit.value}"
    )
    if total > limit.value:
        return Finding("mismatch", CLOUD, kind, f"{detail}, over {limit.field} ({limit.source})")
    return Finding("ok", CLOUD, kind, detail)
