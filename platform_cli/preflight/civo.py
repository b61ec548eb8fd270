"""The Civo account against the config: its quota (`platform:civoAccount.quota`, and
room for what this stack plans), and the shared database: a live one is compared as it
runs (its version is never re-checked: Civo keeps running versions it no longer offers
for new databases); one still to be created must ask for a version and a size Civo
offers now.

API (civo/civogo v0.3.89, which terraform-provider-civo uses): GET /v2/quota
(quota.go), /v2/databases, /v2/databases/versions (database.go), /v2/sizes
(instance_size.go); `Authorization: bearer <key>`, the region as a query parameter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from infra import naming
from infra.catalog import CIVO_DB_SOFTWARE
from infra.config import DatabaseConfig
from infra.entitlements.quotas import civo_account, civo_limits
from infra.rules.account_quotas import usage
from platform_cli.preflight.findings import Context, Finding, compare
from platform_cli.preflight.http import ApiError, get_json

CLOUD = "civo"
TOKEN = "CIVO_TOKEN"
# Our quota kinds and the API's fields (`<field>_limit`, `<field>_usage`); Civo calls
# firewalls security groups.
QUOTA_FIELDS = {
    "instances": "instance_count",
    "networks": "network_count",
    "firewalls": "security_group",
    "load balancers": "loadbalancer_count",
    "databases": "database_count",
}


def check(ctx: Context) -> Iterator[Finding]:
    planned = usage(ctx.plan).get(civo_account(ctx.config), {})
    if not planned:
        return  # nothing of this stack lives on Civo
    token = ctx.environ.get(TOKEN)
    if not token:
        yield Finding("unchecked", CLOUD, "account", f"{TOKEN} is not set where preflight runs")
        return
    headers = {"Authorization": f"bearer {token}"}
    try:
        quota = get_json(f"{ctx.endpoints.civo}/v2/quota", headers)
        yield from _quota(ctx, quota, {kind: len(units) for kind, units in planned.items()})
        if ctx.config.database is not None:
            yield from _database(ctx, ctx.config.database, headers)
    except (ApiError, KeyError, TypeError) as err:
        yield Finding("unchecked", CLOUD, "account", f"the API call failed: {err}")


def _quota(ctx: Context, quota: dict[str, Any], planned: dict[str, int]) -> Iterator[Finding]:
    stated = civo_limits(ctx.config)
    for kind, field in QUOTA_FIELDS.items():
        limit, used = int(quota[f"{field}_limit"]), int(quota[f"{field}_usage"])
        if kind in stated:
            yield compare(CLOUD, f"quota: {kind} ({stated[kind].field})", stated[kind].value, limit)
        wanted = planned.get(kind, 0)
        detail = f"this stack plans {wanted}; the account uses {used} of {limit}"
        if wanted > limit:
            yield Finding("mismatch", CLOUD, f"room for {kind}", f"{detail}: more than the quota")
        elif used + wanted > limit:
            yield Finding(
                "warning",
                CLOUD,
                f"room for {kind}",
                f"{detail}: fits only if {used + wanted - limit} of them already exist",
            )
        else:
            yield Finding("ok", CLOUD, f"room for {kind}", detail)


def _database(ctx: Context, db: DatabaseConfig, headers: dict[str, str]) -> Iterator[Finding]:
    base, region = ctx.endpoints.civo, f"?region={db.region}"
    name = naming.database_cloud_name(ctx.config.environment, db.name)
    listed = get_json(f"{base}/v2/databases{region}", headers).get("items") or []
    live = next((d for d in listed if d.get("name") == name), None)
    if live is not None:
        yield Finding(
            "ok",
            CLOUD,
            f"database {name}",
            f"exists, running {live.get('software')} {live.get('software_version')}: "
            "its version is not re-checked",
        )
        yield compare(CLOUD, f"database {name} size", db.size, live.get("size"))
        yield compare(CLOUD, f"database {name} nodes", db.nodes, live.get("nodes"))
        return
    versions = get_json(f"{base}/v2/databases/versions{region}", headers)
    offered = sorted(
        str(v.get("software_version")) for v in versions.get(CIVO_DB_SOFTWARE[db.engine]) or []
    )
    yield Finding(
        "ok" if db.version in offered else "mismatch",
        CLOUD,
        f"database {name} version (to be created)",
        f"{db.version!r} asked for; Civo offers {offered}",
    )
    sizes = {s.get("name") for s in get_json(f"{base}/v2/sizes{region}", headers)}
    yield Finding(
        "ok" if db.size in sizes else "mismatch",
        CLOUD,
        f"database {name} size (to be created)",
        f"{db.size!r} is {'' if db.size in sizes else 'not '}among the sizes Civo offers",
    )
