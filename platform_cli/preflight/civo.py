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
# What the planned sizes use up (the /v2/sizes answer: `cpu_cores`, `ram_mb`, `disk_gb`,
# civogo instance_size.go), against the quota's fields of the same name.
NODE_CAPACITY = {"CPU cores": ("cpu_core", "cpu_cores"), "RAM (MB)": ("ram_mb", "ram_mb")}
DATABASE_CAPACITY = {
    "database CPU cores": ("database_cpu_core", "cpu_cores"),
    "database RAM (MB)": ("database_ram_mb", "ram_mb"),
    "database disk (GB)": ("database_disk_gb", "disk_gb"),
}
_CLUSTER = "civo:index/kubernetesCluster:KubernetesCluster"
_NODE_POOL = "civo:index/kubernetesNodePool:KubernetesNodePool"
_DATABASE = "civo:index/database:Database"


def _all_items(url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every item of a paginated Civo list (`{page, per_page, pages, items}`, civogo
    database.go PaginatedDatabases, kubernetes.go PaginatedKubernetesClusters), page by
    page with `page=N` (civogo instance.go ListInstances)."""
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = get_json(f"{url}{'&' if '?' in url else '?'}page={page}", headers)
        items += answer.get("items") or []
        if page >= int(answer.get("pages") or 1):
            return items
        page += 1


def _sizes_used(ctx: Context, sizes: dict[str, dict[str, Any]]) -> dict[str, int | None]:
    """What the plan's nodes and database take of each capacity quota; None where a
    planned size is not in Civo's answer."""
    used: dict[str, int | None] = dict.fromkeys([*NODE_CAPACITY, *DATABASE_CAPACITY], 0)

    def add(kinds: dict[str, tuple[str, str]], size: object, count: object) -> None:
        offered = sizes.get(str(size)) or {}
        number = int(count) if isinstance(count, int | float) else 0
        for kind, (_, field) in kinds.items():
            so_far, value = used[kind], offered.get(field)
            used[kind] = None if so_far is None or value is None else so_far + int(value) * number

    for r in ctx.plan.resources:
        inputs = r.revealed_inputs
        if r.type == _CLUSTER:
            pool = inputs.get("pools") or {}
            add(NODE_CAPACITY, pool.get("size"), pool.get("nodeCount"))
        elif r.type == _NODE_POOL:
            add(NODE_CAPACITY, inputs.get("size"), inputs.get("nodeCount"))
        elif r.type == _DATABASE:
            add(DATABASE_CAPACITY, inputs.get("size"), inputs.get("nodes"))
    return used


def _live(ctx: Context, headers: dict[str, str]) -> bool:
    """Whether any of this stack's clusters or its database already exists: if none does,
    everything the plan holds is still to be created."""
    base = ctx.endpoints.civo
    wanted: dict[str, set[str]] = {}
    for r in ctx.plan.resources:
        if r.type in (_CLUSTER, _DATABASE):
            region = str(r.revealed_inputs.get("region"))
            wanted.setdefault(region, set()).add(str(r.revealed_inputs.get("name")))
    for region, names in sorted(wanted.items()):
        for path in ("/v2/kubernetes/clusters", "/v2/databases"):
            if names & {
                i.get("name") for i in _all_items(f"{base}{path}?region={region}", headers)
            }:
                return True
    return False


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
        fresh = not _live(ctx, headers)
        stated = civo_limits(ctx.config)
        for kind, field in QUOTA_FIELDS.items():
            if kind in stated:
                yield compare(
                    CLOUD,
                    f"quota: {kind} ({stated[kind].field})",
                    stated[kind].value,
                    int(quota[f"{field}_limit"]),
                )
            yield _room(kind, quota, field, len(planned.get(kind, [])), fresh)
        region = f"?region={ctx.config.database.region}" if ctx.config.database else ""
        sizes = {
            s.get("name"): s for s in get_json(f"{ctx.endpoints.civo}/v2/sizes{region}", headers)
        }
        for kind, wanted in _sizes_used(ctx, sizes).items():
            field = {**NODE_CAPACITY, **DATABASE_CAPACITY}[kind][0]
            if wanted is None:
                yield Finding(
                    "unchecked",
                    CLOUD,
                    f"room for {kind}",
                    "a planned size is not among the sizes Civo offers",
                )
            elif wanted:
                yield _room(kind, quota, field, wanted, fresh)
        if ctx.config.database is not None:
            yield from _database(ctx, ctx.config.database, headers, sizes)
    except (ApiError, KeyError, TypeError, ValueError) as err:
        yield Finding("unchecked", CLOUD, "account", f"the API call failed: {err}")


def _room(kind: str, quota: dict[str, Any], field: str, wanted: int, fresh: bool) -> Finding:
    """Room in one quota for what this stack plans. Over it is a mismatch when nothing of
    the stack exists yet (a first `up` creates all of it); otherwise what exists is in
    the usage already, and preflight cannot tell how much."""
    limit, used = int(quota[f"{field}_limit"]), int(quota[f"{field}_usage"])
    detail = f"this stack plans {wanted}; the account uses {used} of {limit}"
    subject = f"room for {kind}"
    if wanted > limit:
        return Finding("mismatch", CLOUD, subject, f"{detail}: more than the quota")
    if used + wanted <= limit:
        return Finding("ok", CLOUD, subject, detail)
    if fresh:
        return Finding(
            "mismatch",
            CLOUD,
            subject,
            f"{detail}: none of this stack's clusters or its database exists yet, so a first "
            f"`up` needs all {wanted} and only {limit - used} are free",
        )
    return Finding(
        "warning",
        CLOUD,
        subject,
        f"{detail}: fits only if {used + wanted - limit} of them already exist",
    )


def _database(
    ctx: Context, db: DatabaseConfig, headers: dict[str, str], sizes: dict[str, Any]
) -> Iterator[Finding]:
    base, region = ctx.endpoints.civo, f"?region={db.region}"
    name = naming.database_cloud_name(ctx.config.environment, db.name)
    listed = _all_items(f"{base}/v2/databases{region}", headers)
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
    yield Finding(
        "ok" if db.size in sizes else "mismatch",
        CLOUD,
        f"database {name} size (to be created)",
        f"{db.size!r} is {'' if db.size in sizes else 'not '}among the sizes Civo offers",
    )
