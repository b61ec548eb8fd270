"""external-dns: keeps Cloudflare records for the routes on one cluster, owning only the
names under that cluster's domain filter and marking them with its own TXT owner id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from infra import naming
from infra.addons.base import AddonContext

NAMESPACE = "external-dns"
TOKEN_SECRET = "cloudflare-dns-token"
TOKEN_KEY = "api-token"


def values(domain_filters: Sequence[str], owner_id: str, sources: Sequence[str]) -> dict[str, Any]:
    return {
        "provider": {"name": "cloudflare"},
        "env": [
            {
                "name": "CF_API_TOKEN",
                "valueFrom": {"secretKeyRef": {"name": TOKEN_SECRET, "key": TOKEN_KEY}},
            }
        ],
        "sources": list(sources),
        "domainFilters": list(domain_filters),
        "policy": "sync",
        "registry": "txt",
        "txtOwnerId": owner_id,
    }


class ExternalDns:
    def __init__(
        self,
        ctx: AddonContext,
        cloudflare_token: pulumi.Input[str],
        domain_filters: Sequence[str],
        sources: Sequence[str],
        depends_on: Sequence[pulumi.Resource],
    ) -> None:
        namespace = ctx.namespace(NAMESPACE)
        token = ctx.secret(TOKEN_SECRET, namespace, {TOKEN_KEY: cloudflare_token})
        owner = naming.dns_owner_id(ctx.environment, ctx.cluster)
        self.release = ctx.release(
            "external-dns",
            namespace,
            values(domain_filters, owner, sources),
            depends_on=[token, *depends_on],
        )
