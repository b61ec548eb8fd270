"""Monthly cost estimate of a stack config, before `pulumi up`, from ``infra.prices``.

Counted from the validated config and its placement, the same inputs the program reads:
each cluster's nodes and the cloud load balancer in front of its traffic controller (two on
the management cluster when the metrics hub has writers: it has its own), the metrics
hub's volumes, the egress gateway a cluster's `egressCidrs` say it leaves through (which
the platform does not create), the database's nodes, the secrets in AWS Secrets Manager
(its admin's and one per database app, which holds whichever of its two logins is
active), the backup bucket's storage, and Cloudflare's load balancers, origins and
monitors (one of each per public app, one origin per cluster the app is placed on). A
price nobody could source is listed by name as unknown and left out of the total, never
guessed; what no line counts at all is named in ``NOT_COUNTED``.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass

from infra.config import PlatformConfig
from infra.prices import PRICES, Price, PriceTable
from infra.validation import ValidConfig

CLOUD_LOAD_BALANCER = "cloud load balancer"
EGRESS_GATEWAY = "egress gateway (not created by the platform)"
# What the estimate does not count at all, named so its total is read as a floor.
NOT_COUNTED = (
    "traffic and egress",
    "DNS queries",
    "API calls",
    "the alert receivers' services (PagerDuty, Slack, email, the dead man's switch)",
    "tax",
)


@dataclass(frozen=True)
class Line:
    """``quantity`` of one priced thing; (group, what) identifies it across two configs."""

    group: str
    what: str
    quantity: int
    price: Price
    note: str = ""
    # What one of `quantity` is, for the price's unit.
    unit: str = "month"

    @property
    def usd(self) -> float | None:
        return None if self.price.usd is None else self.price.usd * self.quantity

    @property
    def key(self) -> tuple[str, str]:
        return self.group, self.what


def money(usd: float) -> str:
    sign = "-" if usd < 0 else ""
    return f"{sign}${abs(usd):,.2f}"


@dataclass(frozen=True)
class Estimate:
    lines: tuple[Line, ...]

    @property
    def total(self) -> float:
        """The known part: lines of unknown price are listed apart, not counted."""
        return round(sum(line.usd for line in self.lines if line.usd is not None), 2)

    @property
    def unknown(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if line.usd is None and line.quantity)

    def render(self) -> list[str]:
        out = [f"monthly cost estimate ({PRICES.currency}, list prices before tax):"]
        groups: dict[str, list[Line]] = defaultdict(list)
        for line in self.lines:
            groups[line.group].append(line)
        for group, lines in groups.items():
            out.append(f"  {group}")
            for line in lines:
                cost = money(line.usd) if line.usd is not None else "unknown"
                note = f"  ({line.note})" if line.note else ""
                out.append(f"    {line.quantity:>3} x {line.what:<46} {cost:>12}{note}")
        out.append(f"  total: {money(self.total)} a month{self._unknown_suffix()}")
        out += ["  prices:", *(f"    {s}" for s in self.sources())]
        out.append(f"  not counted at all: {', '.join(NOT_COUNTED)}")
        return out

    def _unknown_suffix(self) -> str:
        if not self.unknown:
            return ""
        counts: dict[str, int] = defaultdict(int)
        for line in self.unknown:
            counts[line.what] += line.quantity
        things = ", ".join(f"{count} x {what}" for what, count in counts.items())
        return f", plus what these cost (price unknown): {things}"

    def sources(self) -> list[str]:
        """One line per priced thing: its figure, the page it was read from, when, and
        whether first-hand; an unknown one says where its price would be read."""
        seen: dict[tuple[str, Price], str] = {}
        for line in self.lines:
            if not line.quantity:
                continue
            price = line.price
            figure = f"{money(price.usd)} a {line.unit}" if price.usd is not None else "unknown"
            seen.setdefault((line.what, price), f"{line.what}: {figure}, {price.provenance}")
        return list(seen.values())


def _cluster_lines(
    group: str,
    provider: str,
    size: str,
    nodes: int,
    *,
    prices: PriceTable,
    note: str = "",
    load_balancers: int = 1,
) -> list[Line]:
    return [
        Line(group, f"node {size}", nodes, prices.node(provider, size), note),
        Line(group, CLOUD_LOAD_BALANCER, load_balancers, prices.cloud_load_balancer(provider)),
    ]


def _egress_gateway(group: str, egress_cidrs: list[str]) -> list[Line]:
    """A cluster that states `egressCidrs` leaves through a NAT or egress gateway of yours."""
    if not egress_cidrs:
        return []
    price = Price(None, "your NAT or egress gateway's provider")
    return [Line(group, EGRESS_GATEWAY, 1, price, ", ".join(egress_cidrs))]


def _hub_volumes(config: PlatformConfig, group: str, provider: str, prices: PriceTable) -> Line:
    sizing = config.hub_sizing
    gib = sum(
        int(c.storage.removesuffix("Gi"))
        for c in (sizing.prometheus, sizing.grafana, sizing.alertmanager)
    )
    note = "Prometheus, Grafana and Alertmanager"
    return Line(
        group, "volume GiB (metrics hub)", gib, prices.volume_gib(provider), note, "GiB-month"
    )


def _clusters(config: PlatformConfig, prices: PriceTable) -> list[Line]:
    lines: list[Line] = []
    mgmt = config.mgmt_cluster
    if mgmt.provider != "existing":
        group = f"cluster mgmt ({mgmt.provider} {mgmt.region})"
        # With workload clusters writing metrics, the hub has a load balancer of its own.
        hub = config.observability_enabled and bool(config.enabled_clusters)
        lines += _cluster_lines(
            group,
            mgmt.provider,
            mgmt.node_size,
            mgmt.node_count,
            prices=prices,
            load_balancers=2 if hub else 1,
        )
        lines += _egress_gateway(group, mgmt.egress_cidrs)
        if config.observability_enabled:
            lines.append(_hub_volumes(config, group, mgmt.provider, prices))
    for cluster in config.enabled_clusters:
        group = f"cluster {cluster.name} ({cluster.provider} {cluster.region})"
        scaling = getattr(cluster, "autoscaling", None)
        # `up` leaves a live autoscaled pool's size to the autoscaler (ignoreChanges), which
        # keeps at least minNodes: the floor, as the total is.
        nodes = scaling.min_nodes if scaling else cluster.node_count
        note = (
            f"autoscales {scaling.min_nodes}-{scaling.max_nodes}; counted at minNodes"
            if scaling
            else ""
        )
        lines += _cluster_lines(
            group, cluster.provider, cluster.node_size, nodes, prices=prices, note=note
        )
        lines += _egress_gateway(group, cluster.egress_cidrs)
    return lines


def _database(valid: ValidConfig, prices: PriceTable) -> list[Line]:
    database = valid.config.database
    if database is None:
        return []
    price = prices.civo_db_nodes.get(database.size) or Price(None, "no price recorded")
    group = f"database {database.name} (civo {database.region})"
    # Its admin's credentials and each database app's, one secret each.
    secrets = 1 + len(valid.placement.database_apps)
    return [
        Line(group, f"database node {database.size}", database.nodes, price),
        Line(group, "AWS Secrets Manager secret", secrets, prices.aws_secret, "credentials"),
    ]


def _backups(valid: ValidConfig, prices: PriceTable) -> list[Line]:
    """The backup bucket: its size is the dumps', unknown before they exist."""
    config = valid.config
    database = config.database
    if database is None or database.backups is None or not valid.placement.database_apps:
        return []
    apps = len(valid.placement.database_apps)
    note = (
        f"{apps} app database{'s' if apps > 1 else ''} dumped on "
        f"'{database.backups.schedule}', each dump kept {database.backups.retention_days} days"
    )
    group = f"database backups (aws {config.aws_region})"
    return [Line(group, "S3 backup storage", 1, prices.backup_storage, note)]


def _cloudflare(valid: ValidConfig, prices: PriceTable) -> list[Line]:
    public = [app for app in valid.config.apps if app.public]
    origins = sum(len(valid.placement[app.name]) for app in public)
    group = "cloudflare load balancing"
    return [
        Line(group, "Cloudflare load balancer", len(public), prices.cloudflare_load_balancer),
        Line(group, "Cloudflare origin", origins, prices.cloudflare_origin),
        Line(group, "Cloudflare monitor", len(public), prices.cloudflare_monitor),
    ]


def estimate(valid: ValidConfig, prices: PriceTable = PRICES) -> Estimate:
    config = valid.config
    return Estimate(
        (
            *_clusters(config, prices),
            *_database(valid, prices),
            *_backups(valid, prices),
            *(_cloudflare(valid, prices) if any(a.public for a in config.apps) else ()),
        )
    )


# The note of a line for something the edit forgets but leaves running.
LEFT_RUNNING = "left running (retainOnDelete) until deleted by hand"


def _left_running(old: ValidConfig, new: PlatformConfig, prices: PriceTable) -> list[Line]:
    """A database retained on delete that the edit renames or removes: `up` forgets the
    instance and leaves it running, so it bills on until someone deletes it by hand (its
    secrets are not retained: they go)."""
    before = old.config.database
    if before is None or not old.config.database_protection()[1]:
        return []
    if new.database is not None and new.database.name == before.name:
        return []
    return [
        dataclasses.replace(line, note=LEFT_RUNNING)
        for line in _database(old, prices)
        if line.what.startswith("database node")
    ]


def change_estimates(
    old: ValidConfig, new: ValidConfig, prices: PriceTable = PRICES
) -> tuple[Estimate, Estimate]:
    """The estimates before and after an edit, the latter with what the edit leaves
    running in the cloud though it leaves the stack."""
    after = estimate(new, prices)
    kept = _left_running(old, new.config, prices)
    return estimate(old, prices), Estimate((*after.lines, *kept))


def change_lines(old: Estimate, new: Estimate) -> list[str]:
    """What an edit does to the monthly estimate: the total and each line that moves."""
    before = {line.key: line for line in old.lines}
    after = {line.key: line for line in new.lines}
    delta = round(new.total - old.total, 2)
    sign = "+" if delta >= 0 else ""
    out = [
        f"monthly cost: {money(old.total)} -> {money(new.total)} "
        f"({sign}{money(delta)} a month, known prices)"
    ]
    for key in [*before, *(k for k in after if k not in before)]:
        was, now = before.get(key), after.get(key)
        count_was, count_now = (was.quantity if was else 0), (now.quantity if now else 0)
        line = now or was
        assert line is not None
        usd = line.price.usd
        if now is not None and now.note == LEFT_RUNNING:
            cost = "unknown price" if usd is None else f"{money(usd * count_now)} a month"
            out.append(f"  {line.group}: {line.what} {count_now}, {LEFT_RUNNING} ({cost})")
            continue
        if count_was == count_now:
            continue
        cost = (
            "unknown price"
            if usd is None
            else f"{'+' if count_now > count_was else ''}{money(usd * (count_now - count_was))}"
        )
        out.append(f"  {line.group}: {line.what} {count_was} -> {count_now} ({cost})")
    return out
