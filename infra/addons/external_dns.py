"""external-dns: keeps Cloudflare records for the routes on one cluster, owning only the
names under that cluster's domain filter and marking them with its own TXT owner id.

The zone is chosen by id, not by the domain filter: external-dns v0.21.0's Cloudflare
provider keeps a zone only if ``domainFilter.Match(zone.Name)``
(kubernetes-sigs/external-dns v0.21.0 provider/cloudflare/cloudflare.go, ``Zones``), and
``endpoint/domain_filter.go`` ``matchFilter`` rejects the parent zone ``example.com`` for
the filter ``london.example.com``. With ``--zone-id-filter`` the zone is fetched by id and
the domain filter only scopes the records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from infra import naming
from infra.addons.base import AddonContext

NAMESPACE = "external-dns"
TOKEN_SECRET = "cloudflare-dns-token"
TOKEN_KEY = "api-token"
# The token reaches the pod as a file, not an environment variable: v0.21.0 reads
# `CF_API_TOKEN=file:<path>` (provider/cloudflare/cloudflare.go, NewCloudFlareProvider).
TOKEN_DIR = "/etc/cloudflare"


def values(
    domain_filters: Sequence[str], owner_id: str, sources: Sequence[str], zone_id: str
) -> dict[str, Any]:
    return {
        "provider": {"name": "cloudflare"},
        "env": [{"name": "CF_API_TOKEN", "value": f"file:{TOKEN_DIR}/{TOKEN_KEY}"}],
        "extraVolumes": [
            {"name": "cloudflare-token", "secret": {"secretName": TOKEN_SECRET}},
        ],
        "extraVolumeMounts": [
            {"name": "cloudflare-token", "mountPath": TOKEN_DIR, "readOnly": True},
        ],
        "sources": list(sources),
        "domainFilters": list(domain_filters),
        "policy": "sync",
        "registry": "txt",
        "txtOwnerId": owner_id,
        # The chart has no zone-id key; a map entry becomes `--zone-id-filter=<id>`
        # (external-dns-helm-chart-1.21.1 charts/external-dns/templates/deployment.yaml).
        "extraArgs": {"zone-id-filter": zone_id},
    }


class ExternalDns:
    def __init__(
        self,
        ctx: AddonContext,
        *,
        cloudflare_token: pulumi.Input[str],
        zone_id: str,
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
            values(domain_filters, owner, sources, zone_id),
            depends_on=[token, *depends_on],
        )
