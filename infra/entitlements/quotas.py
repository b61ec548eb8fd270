"""Account-wide quotas: what one Cloudflare or Civo account may hold, whichever stacks
create it. ``infra.rules.account_quotas`` counts a plan's resources against these.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.config import PlatformConfig
from infra.entitlements.cloudflare import LIMITATIONS_SOURCE, MONITORS_PER_POOL

# Civo's quota is per account and changes only on request; `civo quota show` (API
# GET /v2/quota) lists it. civo/civogo v0.3.89 quota.go names the fields.
CIVO_QUOTA_SOURCE = "civo/civogo v0.3.89 quota.go (GET /v2/quota)"


@dataclass(frozen=True)
class Account:
    cloud: str
    name: str

    def __str__(self) -> str:
        return f"{self.cloud} account {self.name}"


@dataclass(frozen=True)
class Limit:
    value: int
    # The config key that states it, and where the figure comes from.
    field: str
    source: str


def cloudflare_account(config: PlatformConfig) -> Account:
    return Account("cloudflare", config.cloudflare.account_id)


def civo_account(config: PlatformConfig) -> Account:
    return Account("civo", config.civo_account.name)


def cloudflare_limits(config: PlatformConfig) -> dict[str, Limit]:
    add_on = config.cloudflare.add_ons.load_balancing
    key = "platform:cloudflare.addOns.loadBalancing"
    return {
        "load balancers": Limit(add_on.load_balancers, f"{key}.loadBalancers", LIMITATIONS_SOURCE),
        "pools": Limit(add_on.pools, f"{key}.pools", LIMITATIONS_SOURCE),
        "endpoints": Limit(add_on.endpoints, f"{key}.endpoints", LIMITATIONS_SOURCE),
        "monitors": Limit(
            int(add_on.pools * MONITORS_PER_POOL),
            f"{MONITORS_PER_POOL} x {key}.pools",
            LIMITATIONS_SOURCE,
        ),
    }


def civo_limits(config: PlatformConfig) -> dict[str, Limit]:
    """The quota figures the config states; those it leaves unset are not checked."""
    quota = config.civo_account.quota
    stated = {
        "instances": quota.instances,
        "networks": quota.networks,
        "firewalls": quota.firewalls,
        "load balancers": quota.load_balancers,
        "databases": quota.databases,
    }
    key = "platform:civoAccount.quota"
    fields = {
        "instances": "instances",
        "networks": "networks",
        "firewalls": "firewalls",
        "load balancers": "loadBalancers",
        "databases": "databases",
    }
    return {
        kind: Limit(value, f"{key}.{fields[kind]}", CIVO_QUOTA_SOURCE)
        for kind, value in stated.items()
        if value is not None
    }


def limits(config: PlatformConfig) -> dict[Account, dict[str, Limit]]:
    return {
        cloudflare_account(config): cloudflare_limits(config),
        civo_account(config): civo_limits(config),
    }
