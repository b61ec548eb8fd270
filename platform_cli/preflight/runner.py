"""Where preflight runs from against `platform:adminCidrs`: `pulumi up` and `refresh`
must reach every Kubernetes API and the database, which admit only those. The address
comes from ipify (`GET /?format=json` answers `{"ip": "..."}`, https://www.ipify.org/);
run preflight where `pulumi up` runs."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from platform_cli.preflight.findings import Context, Finding
from platform_cli.preflight.http import ApiError, get_json

CLOUD = "runner"


def check(ctx: Context) -> Iterator[Finding]:
    try:
        address = ipaddress.ip_address(
            get_json(f"{ctx.endpoints.runner_address}/?format=json", {})["ip"]
        )
    except (ApiError, KeyError, TypeError, ValueError) as err:
        yield Finding("unchecked", CLOUD, "address", f"could not learn it: {err}")
        return
    admitted = [c for c in ctx.config.admin_cidrs if address in ipaddress.ip_network(c)]
    if admitted:
        yield Finding("ok", CLOUD, "address", f"{address} is in adminCidrs ({admitted[0]})")
    else:
        yield Finding(
            "mismatch",
            CLOUD,
            "address",
            f"{address} is in none of platform:adminCidrs {list(ctx.config.admin_cidrs)}: "
            "`pulumi up` from here cannot reach the Kubernetes APIs or the database",
        )
