"""Who might reach an endpoint, and the addresses each of them stands for.

An address-based rule (a firewall, a load balancer's firewall, a route's client-CIDR
policy) admits a source when every address the source may come from lies inside what it
admits: `adminCidrs` inside an admitted /24 counts, half of them does not.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infra.config import PlatformConfig

INTERNET = "internet"
CLOUDFLARE_CUSTOMERS = "any Cloudflare customer"
ZONE = "this zone's Cloudflare"
ADMIN = "adminCidrs"
RUNNER = "the runner"
EVERYWHERE = ("0.0.0.0/0", "::/0")
# The Vultr load balancer's and firewall rule's own name for Cloudflare's ranges.
VULTR_CLOUDFLARE = "cloudflare"
CLOUDFLARE_RANGES_LOOKUP = "cloudflare:index/getIpRanges:getIpRanges"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def pods(owner: str) -> str:
    """The source name of a cluster's or an app's pods."""
    return f"{owner} pods"


def _networks(cidrs: Iterable[str]) -> list[Network]:
    found = []
    for cidr in cidrs:
        try:
            found.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            continue
    return found


def within(inner: Iterable[str], outer: Iterable[str]) -> bool:
    """Every address of ``inner`` (non-empty) lies inside ``outer``."""
    wanted, admitted = _networks(inner), _networks(outer)
    return bool(wanted) and all(
        any(n.version == a.version and n.subnet_of(a) for a in admitted)  # type: ignore[arg-type]
        for n in wanted
    )


@dataclass(frozen=True)
class Sources:
    """Every source of one stack, each with the CIDRs it comes from."""

    admin: tuple[str, ...]
    cloudflare: tuple[str, ...]
    # Where `pulumi up` runs from: the delivery path's runners (`platform:delivery`
    # egressCidrs), or, for a stack run by hand, a person inside `adminCidrs`.
    runner: tuple[str, ...]
    # cluster -> its egress CIDRs (what every pod on it leaves from).
    egress: Mapping[str, tuple[str, ...]]
    # app -> the clusters it runs on.
    apps: Mapping[str, tuple[str, ...]]
    workload_clusters: tuple[str, ...] = field(default=())

    @classmethod
    def of(
        cls,
        config: PlatformConfig,
        clusters_of: Mapping[str, Sequence[str]],
        stack_outputs: Mapping[str, Any],
        lookups: Sequence[tuple[str, Any]],
    ) -> Sources:
        egress = stack_outputs.get("egressCidrs") or {}
        ranges: list[str] = []
        for token, answer in lookups:
            if token == CLOUDFLARE_RANGES_LOOKUP:
                ranges += answer if isinstance(answer, list) else [answer]
        delivery = config.delivery
        return cls(
            admin=tuple(config.admin_cidrs),
            cloudflare=tuple(dict.fromkeys(str(r) for r in ranges)),
            runner=tuple(delivery.egress_cidrs if delivery else config.admin_cidrs),
            egress={name: tuple(str(c) for c in cidrs) for name, cidrs in egress.items()},
            apps={app: tuple(where) for app, where in clusters_of.items()},
            workload_clusters=tuple(c.name for c in config.enabled_clusters),
        )

    @property
    def names(self) -> list[str]:
        """Every source, widest first: the matrix's column order."""
        clusters = [c for c in self.egress if c not in self.workload_clusters]
        return [
            INTERNET,
            CLOUDFLARE_CUSTOMERS,
            ZONE,
            ADMIN,
            RUNNER,
            *(pods(c) for c in [*clusters, *self.workload_clusters]),
            *(pods(a) for a in self.apps),
        ]

    def cluster_of_pods(self, source: str) -> list[str]:
        """The clusters a pod source runs on."""
        owner = source.removesuffix(" pods")
        if owner in self.apps:
            return list(self.apps[owner])
        return [owner] if owner in self.egress else []

    def admitted_by(self, cidrs: Iterable[str]) -> set[str]:
        """The sources an address rule admits, from its CIDRs (Vultr's `cloudflare`
        standing for Cloudflare's ranges)."""
        listed = list(cidrs)
        if any(c in EVERYWHERE for c in listed):
            return set(self.names)
        networks = [c for c in listed if c != VULTR_CLOUDFLARE]
        found: set[str] = set()
        if VULTR_CLOUDFLARE in listed or within(self.cloudflare, networks):
            found |= {CLOUDFLARE_CUSTOMERS, ZONE}
        if within(self.admin, networks):
            found.add(ADMIN)
        if within(self.runner, networks):
            found.add(RUNNER)
        for cluster, egress in self.egress.items():
            if within(egress, networks):
                found.add(pods(cluster))
        return found | self.apps_on(found)

    def apps_on(self, found: set[str]) -> set[str]:
        """The apps with pods on a cluster whose pods are in ``found``: an app reaches
        what some of its pods reach."""
        return {pods(a) for a, where in self.apps.items() if any(pods(c) in found for c in where)}
