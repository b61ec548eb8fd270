"""The Cloudflare account against `platform:cloudflare`: the zone (name, account, plan),
the subscriptions (the Load Balancing and Traffic Steering add-ons), and what the account
already holds beside this stack's own (pools, endpoints, monitors, and the load
balancers of every zone in the account) against the quotas.

API: https://developers.cloudflare.com/api/ (Zones "Zone Details", "List Zones"; Accounts
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


def _account_zones(ctx: Context, headers: dict[str, str]) -> list[str]:
    """The ids of every zone in the account: "List Zones" filtered by `account.id`, page
    by page (`result_info.total_pages`)."""
    ids: list[str] = []
    page = 1
    while True:
        answer = get_json(
            f"{ctx.endpoints.cloudflare}/zones?account.id={ctx.config.cloudflare.account_id}"
            f"&per_page=50&page={page}",
            headers,
        )
        ids += [str(zone["id"]) for zone in answer["result"]]
        if page >= int((answer.get("result_info") or {}).get("total_pages") or 1):
            return ids
        page += 1


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


def _rate_plans(subscriptions: list[dict[str, Any]]) -> list[str]:
    return [str((s.get("rate_plan") or {}).get("public_name", "")) for s in subscriptions]


def _names_load_balancing(subscriptions: list[dict[str, Any]]) -> bool:
    """Whether a subscription's rate plan (its `id` or `public_name`, the fields "List
    Subscriptions" documents) names Load Balancing."""
    return any(
        "load balancing"
        in f"{plan.get('id', '')} {plan.get('public_name', '')}".lower().replace("_", " ")
        for plan in ((s.get("rate_plan") or {}) for s in subscriptions)
    )


def _add_ons(ctx: Context, subscriptions: list[dict[str, Any]]) -> Iterator[Finding]:
    """The add-ons, as far as the documented answer can tell: "List Subscriptions"
    (GET /accounts/{id}/subscriptions) documents `rate_plan.{id, public_name, scope}` and
    shows only a zone plan in its example; no documented answer shows the Load Balancing
    add-on's rate plan, nor Traffic Steering (sold as an option of Load Balancing:
    cloudflare-docs load-balancing/get-started/enable-load-balancing.mdx, "Choose your
    plan options"), nor the endpoints or regions bought. So an add-on that is not found is
    "cannot verify", never a mismatch."""
    add_ons = ctx.config.cloudflare.add_ons
    subject = "Load Balancing add-on (platform:cloudflare.addOns.loadBalancing.enabled)"
    stated = add_ons.load_balancing.enabled
    if _names_load_balancing(subscriptions):
        yield Finding(
            "ok" if stated else "warning",
            CLOUD,
            subject,
            f"the config states {stated}; a subscription names it ({_rate_plans(subscriptions)})",
        )
    else:
        yield Finding(
            "warning",
            CLOUD,
            subject,
            f"the config states {stated}; no subscription's rate plan names it (rate plans: "
            f"{_rate_plans(subscriptions)}), and Cloudflare documents none that would: "
            "cannot verify, check the dashboard (Load Balancing)",
        )
    if ctx.config.cloudflare.plan != "enterprise":
        yield Finding(
            "warning",
            CLOUD,
            "Traffic Steering add-on (platform:cloudflare.addOns.trafficSteering)",
            f"the config states {add_ons.traffic_steering}; the subscriptions API documents "
            "no field for it: cannot verify, check the dashboard (Load Balancing, plan options)",
        )


def _holdings(ctx: Context, headers: dict[str, str]) -> Iterator[Finding]:
    """What the account holds that is not this stack's, plus what this stack plans."""
    stated = ctx.config.cloudflare
    account = f"/accounts/{stated.account_id}/load_balancers"
    pools = _results(ctx, f"{account}/pools", headers)
    monitors = _results(ctx, f"{account}/monitors", headers)
    # Load balancers belong to zones, but the quota rule (infra/rules/account_quotas.py)
    # counts them per account, as the add-on is bought per account: Cloudflare's
    # Limitations page gives "Load balancers 20" without saying per account or per zone,
    # and counting per account is the reading that never passes a per-zone quota either.
    balancers = [
        balancer
        for zone in _account_zones(ctx, headers)
        for balancer in _results(ctx, f"/zones/{zone}/load_balancers", headers)
    ]
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
    detail = (
        f"{held} in the account besides this stack's, and this stack's {planned}: "
        f"{total} of {limit.value}"
    )
    if total > limit.value:
        return Finding("mismatch", CLOUD, kind, f"{detail}, over {limit.field} ({limit.source})")
    return Finding("ok", CLOUD, kind, detail)
