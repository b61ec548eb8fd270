"""The monthly cost estimate: each edit moves it by what the price data says, by hand.

Figures below are worked out by hand from ``infra/prices.py``: Civo g4s.kube.large
$43.45, g4s.kube.medium $21.73, Vultr vc2-4c-8gb $40.00 a node a month, and $0.40 a
secret in AWS Secrets Manager. Cloud load balancers, volumes, database nodes, egress
gateways and Cloudflare Load Balancing have no sourced price, so they count as unknown
and stay out of the total.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.prices import PRICES, Price
from platform_cli import main
from platform_cli.cost import change_estimates, change_lines, estimate
from platform_cli.plan import estimate_of, read_valid

ConfigWriter = Callable[..., Path]

# prod: mgmt and three Civo clusters at 3 x g4s.kube.large, Chicago at 3 x vc2-4c-8gb,
# two secrets (the database admin's and blog's credentials).
# 4 x 3 x 43.45 + 3 x 40.00 + 2 x 0.40 = 521.40 + 120.00 + 0.80
PROD_TOTAL = 642.20


def add_phoenix(config: dict[str, Any]) -> None:
    config["platform:clusters"].append(
        {
            "name": "phoenix",
            "provider": "civo",
            "region": "PHX1",
            "nodeCount": 3,
            "labels": {"tier": "standard", "geo": "americas"},
        }
    )


def lines_by_key(path: Path) -> dict[tuple[str, str], int]:
    return {line.key: line.quantity for line in estimate_of(path).lines}


def test_the_figures_these_tests_use_are_the_price_data() -> None:
    assert PRICES.node("civo", "g4s.kube.large").usd == 43.45
    assert PRICES.node("civo", "g4s.kube.medium").usd == 21.73
    assert PRICES.node("vultr", "vc2-4c-8gb").usd == 40.0
    assert PRICES.aws_secret.usd == 0.40


def test_prod_estimate_counts_every_cluster_and_lists_unknowns(
    write_config: ConfigWriter,
) -> None:
    prod = estimate_of(write_config("prod"))
    assert prod.total == PROD_TOTAL
    unknown = {(line.group, line.what): line.quantity for line in prod.unknown}
    # One cloud load balancer per cluster, the mgmt cluster and four workload clusters, and
    # the metrics hub's own on the mgmt cluster.
    assert sum(q for (_, what), q in unknown.items() if what == "cloud load balancer") == 6
    assert unknown[("cluster mgmt (civo LON1)", "cloud load balancer")] == 2
    assert unknown[("database shared (civo LON1)", "database node g3.db.medium")] == 3
    # The hub's volumes, 50 + 10 + 2 GiB, and the NAT gateway chicago's egressCidrs name.
    assert unknown[("cluster mgmt (civo LON1)", "volume GiB (metrics hub)")] == 62
    assert (
        unknown[("cluster chicago (vultr ord)", "egress gateway (not created by the platform)")]
        == 1
    )
    # Public apps: hello-world on 4 clusters, blog and dashboard on 2, weather on 1.
    assert unknown[("cloudflare load balancing", "Cloudflare load balancer")] == 4
    assert unknown[("cloudflare load balancing", "Cloudflare origin")] == 9
    assert unknown[("cloudflare load balancing", "Cloudflare monitor")] == 4


def test_adding_a_region_adds_its_nodes_load_balancer_and_origins(
    write_config: ConfigWriter,
) -> None:
    before = estimate_of(write_config("prod"))
    after = estimate_of(write_config("prod", add_phoenix, name="prod-phoenix"), "prod")
    # Phoenix takes the default size: 3 x 21.73.
    assert round(after.total - before.total, 2) == 65.19
    change = change_lines(before, after)
    assert change[0] == "monthly cost: $642.20 -> $707.39 (+$65.19 a month, known prices)"
    assert "  cluster phoenix (civo PHX1): node g4s.kube.medium 0 -> 3 (+$65.19)" in change
    assert "  cluster phoenix (civo PHX1): cloud load balancer 0 -> 1 (unknown price)" in change
    # hello-world is placed everywhere, so Phoenix is one more origin of its load balancer.
    assert "  cloudflare load balancing: Cloudflare origin 9 -> 10 (unknown price)" in change


def test_resizing_a_pool_changes_its_nodes_only(write_config: ConfigWriter) -> None:
    def grow_london(config: dict[str, Any]) -> None:
        config["platform:clusters"][0]["nodeCount"] = 5

    def shrink_london(config: dict[str, Any]) -> None:
        config["platform:clusters"][0]["nodeSize"] = "g4s.kube.medium"

    base = estimate_of(write_config("prod"))
    grown = estimate_of(write_config("prod", grow_london, name="grown"), "prod")
    shrunk = estimate_of(write_config("prod", shrink_london, name="shrunk"), "prod")
    assert round(grown.total - base.total, 2) == 86.90  # 2 x 43.45
    assert round(shrunk.total - base.total, 2) == -65.16  # 3 x (21.73 - 43.45)
    assert change_lines(base, shrunk)[1:] == [
        "  cluster london (civo LON1): node g4s.kube.large 3 -> 0 (-$130.35)",
        "  cluster london (civo LON1): node g4s.kube.medium 0 -> 3 (+$65.19)",
    ]


def _add_public_app(config: dict[str, Any]) -> None:
    config["platform:apps"].append(
        {
            "name": "shop",
            "source": {"repoUrl": "https://github.com/example-org/platform-apps.git"},
            "placement": {"matchLabels": {"geo": "europe"}},
            "service": {"name": "shop", "port": 8080},
            "public": True,
        }
    )


def test_an_autoscaled_pool_costs_what_the_autoscaler_keeps(write_config: ConfigWriter) -> None:
    """`up` leaves a live autoscaled pool's size to the autoscaler (ignoreChanges on the
    node count), so a nodeCount edit moves no cost; the floor it keeps, minNodes, does."""

    def more_nodes(config: dict[str, Any]) -> None:
        config["platform:clusters"][3]["nodeCount"] = 5

    def higher_floor(config: dict[str, Any]) -> None:
        config["platform:clusters"][3]["autoscaling"]["minNodes"] = 4
        config["platform:clusters"][3]["nodeCount"] = 4

    base = estimate_of(write_config("prod"))
    more = estimate_of(write_config("prod", more_nodes, name="more"), "prod")
    floor = estimate_of(write_config("prod", higher_floor, name="floor"), "prod")
    assert change_lines(base, more) == [
        "monthly cost: $642.20 -> $642.20 (+$0.00 a month, known prices)"
    ]
    assert change_lines(base, floor)[1:] == [
        "  cluster chicago (vultr ord): node vc2-4c-8gb 3 -> 4 (+$40.00)"
    ]


def test_a_renamed_retained_database_costs_on_until_deleted_by_hand(
    write_config: ConfigWriter,
) -> None:
    """prod's database is retained on delete: moving to a new one (resize-database)
    forgets the old instance and leaves it running, so it is not costed as gone."""

    def move(config: dict[str, Any]) -> None:
        config["platform:database"].update(name="shared2", size="g3.db.large")

    for stack, kept in (("prod", True), ("dev", False)):
        old = read_valid(write_config(stack))[1]
        new = read_valid(write_config(stack, move, name=f"{stack}-moved"), stack)[1]
        lines = change_lines(*change_estimates(old, new))
        nodes = 3 if stack == "prod" else 1
        assert (
            f"  database shared2 (civo LON1): database node g3.db.large 0 -> {nodes} "
            "(unknown price)"
        ) in lines
        gone = f"  database shared (civo LON1): database node g3.db.{'medium' if kept else 'small'}"
        if kept:
            assert (
                f"{gone} {nodes}, left running (retainOnDelete) until deleted by hand "
                "(unknown price)"
            ) in lines, lines
        else:
            assert f"{gone} {nodes} -> 0 (unknown price)" in lines, lines


def test_adding_a_public_app_adds_a_load_balancer_a_monitor_and_an_origin_per_cluster(
    write_config: ConfigWriter,
) -> None:
    old = read_valid(write_config("prod"))[1]
    new = read_valid(write_config("prod", _add_public_app, name="shop"), "prod")[1]
    # Cloudflare's prices are unknown in the data: the total stays, the unknowns grow.
    assert estimate(new).total == estimate(old).total == PROD_TOTAL
    assert change_lines(estimate(old), estimate(new))[1:] == [
        "  cloudflare load balancing: Cloudflare load balancer 4 -> 5 (unknown price)",
        "  cloudflare load balancing: Cloudflare origin 9 -> 11 (unknown price)",
        "  cloudflare load balancing: Cloudflare monitor 4 -> 5 (unknown price)",
    ]
    # With Cloudflare priced (test figures, not Cloudflare's), the change is
    # 1 load balancer x 5.00 + 2 origins (London, Frankfurt) x 2.50 + 1 monitor x 1.00.
    priced = dataclasses.replace(
        PRICES,
        cloudflare_load_balancer=Price(5.0, "test"),
        cloudflare_origin=Price(2.5, "test"),
        cloudflare_monitor=Price(1.0, "test"),
    )
    assert round(estimate(new, priced).total - estimate(old, priced).total, 2) == 11.0


def test_a_disabled_cluster_costs_nothing(
    write_config: ConfigWriter,
) -> None:
    def disable_chicago(config: dict[str, Any]) -> None:
        config["platform:clusters"][3]["enabled"] = False

    keys = lines_by_key(write_config("prod", disable_chicago, name="nochicago"))
    assert not any(group.startswith("cluster chicago") for group, _ in keys)
    # Chicago's nodes and its egress gateway go; the secrets stay.
    assert estimate_of(write_config("prod", disable_chicago, name="x"), "prod").total == 522.20


def test_plan_prints_the_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--stack", "prod"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "monthly cost estimate (USD, list prices before tax):" in out
    assert (
        "  total: $642.20 a month, plus what these cost (price unknown): 6 x cloud load "
        "balancer, 62 x volume GiB (metrics hub), 1 x egress gateway (not created by the "
        "platform), 3 x database node g3.db.medium, 1 x S3 backup storage, "
        "4 x Cloudflare load balancer, "
        "9 x Cloudflare origin, 4 x Cloudflare monitor"
    ) in out
    assert "      3 x node g4s.kube.large" in "\n".join(out)


def test_every_price_names_its_page_date_and_copy_and_every_unknown_is_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """D3, D4: each figure says where it was read and when, and through which named copy;
    Civo's unknown load balancer and database prices are not hidden behind its node
    prices' page; what nothing counts is named."""
    assert main(["plan", "--stack", "prod"]) == 0
    out = capsys.readouterr().out.splitlines()
    prices = out[out.index("  prices:") + 1 :]
    for line in (
        "node g4s.kube.large: $43.45 a month, https://www.civo.com/pricing, read 2026-09-22 "
        "(second-hand, via savak1990/vk-lab-platform scripts/lib/catalog.sh at a196e2bc)",
        "node vc2-4c-8gb: $40.00 a month, https://api.vultr.com/v2/plans (monthly_cost), read "
        "2025-12-18 (second-hand, via gmartindelc/mail-server-poc terraform/PLAN_IDS.md at d095a9fc)",
        "AWS Secrets Manager secret: $0.40 a month, https://aws.amazon.com/secrets-manager/pricing/, "
        "read 2026-09-20 (second-hand, via https://raw.githubusercontent.com/api-evangelist/"
        "amazon-secrets-manager/refs/heads/main/plans/amazon-secrets-manager-plans-pricing.yml)",
        "cloud load balancer: unknown, not recorded; see https://www.civo.com/pricing",
        "database node g3.db.medium: unknown, not recorded; see https://www.civo.com/pricing",
        "egress gateway (not created by the platform): unknown, not recorded; see your NAT or "
        "egress gateway's provider",
    ):
        assert f"    {line}" in prices, line
    assert any(line.startswith("  not counted at all: traffic and egress, DNS") for line in out)


def test_diff_of_adding_a_region_prints_the_added_monthly_cost(
    write_config: ConfigWriter, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # dev (smaller, faster to plan twice): mgmt, London and Frankfurt at 2 x g4s.kube.medium,
    # 6 x 21.73 = 130.38, and two secrets, 0.80; Phoenix adds 3 x 21.73 = 65.19.
    old = write_config("dev", name="dev-old")
    new_dir = tmp_path / "new"
    new_dir.mkdir()
    new = write_config("dev", add_phoenix).rename(new_dir / "Pulumi.dev.yaml")
    markdown = tmp_path / "d.md"
    assert (
        main(["diff", "--config", str(new), "--against", str(old), "--markdown", str(markdown)])
        == 1
    )
    out = capsys.readouterr().out.splitlines()
    assert "monthly cost: $131.18 -> $196.37 (+$65.19 a month, known prices)" in out
    assert "  cluster phoenix (civo PHX1): node g4s.kube.medium 0 -> 3 (+$65.19)" in out
