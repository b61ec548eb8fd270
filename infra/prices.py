"""What each thing the platform creates costs a month, in US dollars: data beside the catalog.

Every price names the page it is published on (``source``), the date that page was read
(``read``) and, when it was not read there first-hand, the named copy it was read from
(``via``: a repository, path and commit, or an address), so anyone can check it again. A
price nobody could source is ``None``: the estimate lists it by name as unknown and
never guesses. None of the figures below was read first-hand: they were recorded where
the clouds' own pages could not be opened, from copies that say where and when they read
them. When you read a price on the cloud's own page or API, replace the figure, the
date, and ``via`` with "".

The cost estimate (``platform plan``/``diff``) and OpenCost's custom pricing both read
this table, so node prices estimated before `up` and measured after agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from infra import catalog


@dataclass(frozen=True)
class Price:
    """One monthly price. ``usd`` None means unknown (``source`` then says where to look)."""

    usd: float | None
    source: str
    read: str | None = None
    via: str = ""

    @property
    def known(self) -> bool:
        return self.usd is not None

    @property
    def provenance(self) -> str:
        if not self.known:
            return f"not recorded; see {self.source}"
        hand = f"second-hand, via {self.via}" if self.via else "first-hand"
        return f"{self.source}, read {self.read} ({hand})"


_CIVO_PRICING = "https://www.civo.com/pricing"
# A cost guardrail that records each figure with the page and the day it was read there:
# "civo, USD/month, https://www.civo.com/pricing, 2026-09-22" (its comment block).
_CIVO_VIA = "savak1990/vk-lab-platform scripts/lib/catalog.sh at a196e2bc"
_VULTR_PLANS = "https://api.vultr.com/v2/plans (monthly_cost)"
# A table of all 100 plans the API returned, "Last updated: 2025-12-18 13:41:11".
_VULTR_VIA = "gmartindelc/mail-server-poc terraform/PLAN_IDS.md at d095a9fc"
_AWS_SECRETS = "https://aws.amazon.com/secrets-manager/pricing/"
# A transcription of the page (read 2026-09-20) whose note says the figures were found
# verbatim in its pricing examples: $0.40 per secret per month.
_AWS_SECRETS_VIA = (
    "https://raw.githubusercontent.com/api-evangelist/amazon-secrets-manager/refs/heads/main/"
    "plans/amazon-secrets-manager-plans-pricing.yml"
)
_CLOUDFLARE_LB = "https://www.cloudflare.com/application-services/products/load-balancing/"


def _unknown(source: str) -> Price:
    return Price(None, source)


@dataclass(frozen=True)
class PriceTable:
    civo_nodes: Mapping[str, Price]
    vultr_nodes: Mapping[str, Price]
    # Per database node: a three-node database is three of these.
    civo_db_nodes: Mapping[str, Price]
    # A cloud load balancer: one per cluster, in front of its traffic controller.
    civo_load_balancer: Price
    vultr_load_balancer: Price
    # Cloudflare Load Balancing, charged per load balancer, per origin and per monitor.
    cloudflare_load_balancer: Price
    cloudflare_origin: Price
    cloudflare_monitor: Price
    # S3 Standard storage of the database backups, per GB-month: what the dumps weigh is
    # known only once they exist, so the estimate names the line and leaves it unknown.
    backup_storage: Price
    # One secret-month in AWS Secrets Manager (each replica is another secret).
    aws_secret: Price
    # One GiB-month of a block-storage volume (the metrics hub's).
    civo_volume_gib: Price
    vultr_volume_gib: Price
    currency: str = field(default="USD")

    def node(self, provider: str, size: str) -> Price:
        table = self.civo_nodes if provider == "civo" else self.vultr_nodes
        return table.get(size) or _unknown(f"no price recorded for {provider} {size}")

    def cloud_load_balancer(self, provider: str) -> Price:
        return self.civo_load_balancer if provider == "civo" else self.vultr_load_balancer

    def volume_gib(self, provider: str) -> Price:
        return self.civo_volume_gib if provider == "civo" else self.vultr_volume_gib


_CIVO_KNOWN = {
    "g4s.kube.medium": 21.73,
    "g4s.kube.large": 43.45,
    "g4m.kube.small": 78.21,
    "g4p.kube.small": 86.91,
}
_VULTR_KNOWN = {"vc2-1c-2gb": 10.0, "vc2-2c-4gb": 20.0, "vc2-4c-8gb": 40.0}

PRICES = PriceTable(
    civo_nodes={
        size: (
            Price(_CIVO_KNOWN[size], _CIVO_PRICING, "2026-09-22", _CIVO_VIA)
            if size in _CIVO_KNOWN
            else _unknown(_CIVO_PRICING)
        )
        for size in catalog.CIVO_KUBE_SIZES
    },
    vultr_nodes={
        plan: (
            Price(_VULTR_KNOWN[plan], _VULTR_PLANS, "2025-12-18", _VULTR_VIA)
            if plan in _VULTR_KNOWN
            else _unknown(_VULTR_PLANS)
        )
        for plan in catalog.VULTR_KUBE_PLANS
    },
    civo_db_nodes={size: _unknown(_CIVO_PRICING) for size in catalog.CIVO_DB_SIZES},
    civo_load_balancer=_unknown(_CIVO_PRICING),
    vultr_load_balancer=_unknown("https://www.vultr.com/pricing/#load-balancer"),
    cloudflare_load_balancer=_unknown(_CLOUDFLARE_LB),
    cloudflare_origin=_unknown(_CLOUDFLARE_LB),
    cloudflare_monitor=_unknown(_CLOUDFLARE_LB),
    backup_storage=_unknown("https://aws.amazon.com/s3/pricing/"),
    aws_secret=Price(0.40, _AWS_SECRETS, "2026-09-20", _AWS_SECRETS_VIA),
    civo_volume_gib=_unknown(_CIVO_PRICING),
    vultr_volume_gib=_unknown("https://www.vultr.com/pricing/#block-storage"),
)

# vCPUs and GiB of memory of each priced node size (the same catalogue entries as the
# prices), so OpenCost can be given per-resource prices.
NODE_SHAPES: dict[str, tuple[int, int]] = {
    "g4s.kube.medium": (2, 4),
    "g4s.kube.large": (4, 8),
    "g4m.kube.small": (2, 16),
    "g4p.kube.small": (4, 16),
    "vc2-1c-2gb": (1, 2),
    "vc2-2c-4gb": (2, 4),
    "vc2-4c-8gb": (4, 8),
}


def opencost_cost_model(
    provider: str, size: str, prices: PriceTable = PRICES
) -> dict[str, str | float] | None:
    """OpenCost custom pricing for a cluster of one node size: the node's monthly price,
    half to its vCPUs and half to its memory (per vCPU-month and per GiB-month, the units
    of the chart's `customPricing.costModel`). None when the size has no known price."""
    price, shape = prices.node(provider, size), NODE_SHAPES.get(size)
    if price.usd is None or shape is None:
        return None
    vcpus, gib = shape
    return {
        "description": f"{provider} {size} ${price.usd}/month ({price.source}, read {price.read})",
        "CPU": round(price.usd / 2 / vcpus, 6),
        "RAM": round(price.usd / 2 / gib, 6),
    }
