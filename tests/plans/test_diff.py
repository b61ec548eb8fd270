"""`platform diff` and stable identities: each edit touches only what belongs to it."""

from __future__ import annotations

import contextlib
import io
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from platform_cli import main
from platform_cli.diff import Change, changed_paths, diff_runs, render_text
from platform_cli.grouping import GLOBAL
from platform_cli.runner import PlanRun
from tests.planview import PlanView, registration

NETWORK = "civo:index/network:Network"
FIREWALLS = ("firewall", "lb-firewall")


# What the metrics hub keeps for each workload cluster (infra/addons/observability.py).
HUB_PER_CLUSTER = {
    "mgmt-relay-{}",
    "mgmt-service-relay-{}",
    "mgmt-podmonitor-relay-{}",
    "mgmt-metrics-write-password-{}",
    "mgmt-secret-monitoring-prometheus-write-{}-users",
    "mgmt-prometheus-write-{}-basic-auth",
    "mgmt-route-prometheus-write-{}",
}


def names(changes: list[Change], kind: str) -> set[str]:
    return {c.resource.name for c in changes if c.kind == kind}


def clusters(config: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = config["platform:clusters"]
    return found


def app(config: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(a for a in config["platform:apps"] if a["name"] == name)
    return found


def test_adding_a_region_adds_its_resources_and_only_implied_updates(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    def add_phoenix(config: dict[str, Any]) -> None:
        clusters(config).append(
            {
                "name": "phoenix",
                "provider": "civo",
                "region": "PHX1",
                "nodeCount": 3,
                "labels": {"tier": "standard", "geo": "americas"},
            }
        )

    changes = diff_runs(prod.run, plan_config("prod", add_phoenix).run)
    assert names(changes, "replace") == set() and names(changes, "remove") == set()
    # On the hub: the new cluster's own write path, credential and relay, and nothing else.
    assert {c.resource.name for c in changes if c.kind == "add" and c.cluster == "mgmt"} == {
        n.format("phoenix") for n in HUB_PER_CLUSTER
    }
    assert {c.cluster for c in changes if c.kind == "add"} == {"phoenix", "mgmt"}
    assert "phoenix" in names(changes, "add") and "hello-world-global-phoenix" in names(
        changes, "add"
    )
    # The metrics hub's own load balancer admits the new cluster's egress, and its alerts
    # expect the new cluster to report.
    assert names(changes, "update") == {
        "hello-world-applicationset",
        "hello-world-global-lb",
        "mgmt-appproject-prod",
        "mgmt-metrics-lb-firewall",
        "mgmt-platform-alerts",
    }


def test_removing_a_region_removes_its_resources_and_only_implied_updates(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    def remove_chicago(config: dict[str, Any]) -> None:
        config["platform:clusters"] = [c for c in clusters(config) if c["name"] != "chicago"]
        # Validation refuses an alert route naming a cluster that no longer exists.
        for route in config["platform:alerting"]["routes"]:
            route["clusters"] = [c for c in route.get("clusters", []) if c != "chicago"]

    changes = diff_runs(prod.run, plan_config("prod", remove_chicago).run)
    assert names(changes, "add") == set() and names(changes, "replace") == set()
    assert {c.cluster for c in changes if c.kind == "remove"} == {"chicago", "mgmt"}
    assert {c.resource.name for c in changes if c.kind == "remove" and c.cluster == "mgmt"} == {
        n.format("chicago") for n in HUB_PER_CLUSTER
    }
    # chicago states its egress, which the hub and every locked-down cluster admitted.
    locked = {f"{c}-{f}" for c in ("london", "frankfurt", "newyork") for f in FIREWALLS}
    # hello-world's pools were probed from chicago's region (ENAM), its most preferred
    # cluster's; now from frankfurt's (WEU).
    probed = {f"hello-world-global-{c}" for c in ("frankfurt", "london", "newyork")}
    assert names(changes, "update") == {
        "hello-world-applicationset",
        "hello-world-global-lb",
        "mgmt-appproject-prod",
        "mgmt-metrics-lb-firewall",
        "mgmt-platform-alerts",
        # ...and the alert routes that named it.
        "mgmt-secret-monitoring-platform-alertmanager-config",
        *locked,
        *probed,
    }


def test_adding_an_app_touches_only_that_app_and_the_project(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    def add_news(config: dict[str, Any]) -> None:
        config["platform:apps"].append(
            {**app(config, "weather"), "name": "news", "service": {"name": "news", "port": 80}}
        )

    changes = diff_runs(prod.run, plan_config("prod", add_news).run)
    assert names(changes, "remove") == set() and names(changes, "replace") == set()
    assert all("news" in name for name in names(changes, "add"))
    assert {"news", "news-applicationset", "news-global-lb", "london-route-news"} <= names(
        changes, "add"
    )
    # Argo CD's registration of london now lists the new app's namespace.
    assert names(changes, "update") == {"mgmt-appproject-prod", "london-argocd-cluster"}


def test_moving_an_app_between_clusters(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    def move_weather(config: dict[str, Any]) -> None:
        app(config, "weather")["placement"] = {"matchLabels": {"cluster": "frankfurt"}}

    changes = diff_runs(prod.run, plan_config("prod", move_weather).run)
    assert names(changes, "replace") == set()
    namespace = {"ns-weather", "route-weather", "isolate-weather", "argocd-manager-weather"}
    namespace |= {"argocd-manager-weather-binding", "route-weather-global"}
    assert names(changes, "remove") == {f"london-{n}" for n in namespace} | {
        "weather-global-london"
    }
    assert names(changes, "add") == {f"frankfurt-{n}" for n in namespace} | {
        "weather-global-frankfurt"
    }
    # Dashboard's URL for weather changes on both of its clusters; both registrations
    # change the namespaces Argo CD may manage there.
    assert names(changes, "update") == {
        "weather-applicationset",
        "weather-global-lb",
        "dashboard-applicationset",
        "mgmt-appproject-prod",
        "london-argocd-cluster",
        "frankfurt-argocd-cluster",
    }


def test_draining_a_cluster_changes_only_origins(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    def drain(config: dict[str, Any]) -> None:
        config["platform:drain"] = ["newyork"]

    changes = diff_runs(prod.run, plan_config("prod", drain).run)
    assert [(c.kind, c.resource.name, c.paths) for c in changes] == [
        ("update", "hello-world-global-newyork", ["origins[newyork].enabled"])
    ]


def test_resizing_a_node_pool_is_an_update(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    def grow_london(config: dict[str, Any]) -> None:
        next(c for c in clusters(config) if c["name"] == "london")["nodeCount"] = 5

    changes = diff_runs(prod.run, plan_config("prod", grow_london).run)
    assert names(changes, "replace") == set()
    cluster = next(c for c in changes if c.resource.name == "london")
    assert (cluster.kind, cluster.paths) == ("update", ["pools.nodeCount"])
    assert names(changes, "add") == set() and names(changes, "remove") == set()


def test_changing_a_region_is_flagged_before_it_fails(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    def move_newyork(config: dict[str, Any]) -> None:
        next(c for c in clusters(config) if c["name"] == "newyork")["region"] = "PHX1"

    changes = {
        c.resource.name: c for c in diff_runs(prod.run, plan_config("prod", move_newyork).run)
    }
    # Civo replaces the network and the firewall that lives in it ...
    assert changes["newyork-network"].kind == "replace"
    assert changes["newyork-network"].reasons == ["region forces a new resource"]
    assert changes["newyork-firewall"].kind == "replace"
    assert changes["newyork-firewall"].reasons == ["networkId forces a new resource"]
    # ... but refuses to move a cluster to another network or region: say so up front.
    cluster = changes["newyork"]
    assert cluster.kind == "fail"
    assert "the provider rejects a change to region at `pulumi up`" in cluster.reasons
    assert "the provider rejects a change to networkId at `pulumi up`" in cluster.reasons


def test_reordering_lists_changes_nothing(
    write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def reorder(config: dict[str, Any]) -> None:
        config["platform:clusters"].reverse()
        config["platform:apps"].reverse()
        for entry in config["platform:apps"]:
            entry.get("dependsOn", []).reverse()

    new = write_config("prod", reorder, name="prod")
    old = tmp_path / "old" / "Pulumi.prod.yaml"
    old.parent.mkdir()
    old.write_text((Path(__file__).parents[2] / "Pulumi.prod.yaml").read_text())
    code = main(
        ["diff", "--config", str(new), "--against", str(old), "--markdown", str(tmp_path / "d.md")]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 to add, 0 to update, 0 to replace, 0 to remove" in out


def test_diff_against_a_git_ref_and_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    assert (
        main(["diff", "--stack", "dev", "--against", "HEAD", "--markdown", str(tmp_path / "d.md")])
        == 0
    )
    assert "**0 to add, 0 to update, 0 to replace, 0 to remove**" in (tmp_path / "d.md").read_text()
    assert main(["diff", "--stack", "dev", "--against", "no-such-ref"]) == 2
    assert capsys.readouterr().err.startswith("error: --against no-such-ref:")


def test_drain_diff_markdown_lists_the_change(
    write_config: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write_config("dev", name="dev")
    new_dir = tmp_path / "new"
    new_dir.mkdir()
    new = new_dir / "Pulumi.dev.yaml"
    new.write_text(old.read_text() + "  platform:drain: [frankfurt]\n")
    markdown = tmp_path / "pr.md"
    assert (
        main(["diff", "--config", str(new), "--against", str(old), "--markdown", str(markdown)])
        == 1
    )
    text = markdown.read_text()
    # Three pools' origins, and the three load balancers whose fallback was Frankfurt (the
    # first pool by name), now London.
    assert "0 to add, 6 to update, 0 to replace, 0 to remove" in text
    assert (
        "~ cloudflare:index/loadBalancerPool:LoadBalancerPool blog-global-frankfurt  [origins[frankfurt].enabled]"
        in text
    )
    assert "~ cloudflare:index/loadBalancer:LoadBalancer blog-global-lb  [fallbackPool]" in text


def test_a_renamed_resource_is_a_create_and_a_delete() -> None:
    old = PlanRun("s", [registration(NETWORK, "london-net", {"label": "london"})], {}, {}, [])
    new = PlanRun("s", [registration(NETWORK, "london-network", {"label": "london"})], {}, {}, [])
    added, removed = diff_runs(old, new)
    # Pulumi counts one create and one delete (the delete with the other deletes).
    assert (added.kind, removed.kind) == ("add", "remove")
    assert added.notes == ["renamed from london-net: a new URN is a new resource"]


def test_changed_paths_names_nested_fields() -> None:
    old = {"spec": {"listeners": [{"port": 80}, {"port": 443}]}, "a": 1}
    new = {"spec": {"listeners": [{"port": 80}, {"port": 8443}]}, "b": 2}
    assert list(changed_paths(old, new)) == ["a", "b", "spec.listeners[1].port"]


def test_a_refused_edit_says_so_before_the_tree_and_the_cost(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    """Read at a glance: what `up` would not do, and what to do instead, comes first."""

    def resize_database(config: dict[str, Any]) -> None:
        config["platform:database"]["size"] = "g3.db.large"

    new = write_config("prod", resize_database, name="prod")
    old = tmp_path / "old" / "Pulumi.prod.yaml"
    old.parent.mkdir()
    old.write_text((Path(__file__).parents[2] / "Pulumi.prod.yaml").read_text())
    both = io.StringIO()
    with contextlib.redirect_stdout(both), contextlib.redirect_stderr(both):
        code = main(
            [
                "diff",
                "--config",
                str(new),
                "--against",
                str(old),
                "--markdown",
                str(tmp_path / "d.md"),
            ]
        )
    lines = both.getvalue().splitlines()
    assert code == 2
    assert lines[1].startswith("error: platform:database.size: Civo cannot resize database")
    assert lines[2] == "global (on no cluster)"
    markdown = (tmp_path / "d.md").read_text()
    assert markdown.index("Civo cannot resize database") < markdown.index("order of `pulumi up`")


def test_refusals_come_first_and_no_cluster_can_take_the_global_heading() -> None:
    """A workload cluster named `global` is a cluster like any other; what is on no
    cluster (the account's resources) has a heading no cluster name can make."""
    database = registration("civo:index/database:Database", "shared", {"size": "a"}, protect=True)
    route = registration(
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "global-route-blog", {}
    )
    changes = [
        Change("update", route, "WorkloadCluster global", "global"),
        Change("remove", database, "SharedDatabase shared", GLOBAL, refused=True),
    ]
    lines = render_text(changes)
    assert lines[:6] == [
        "refused (protected): shared",
        "global (on no cluster)",
        "  SharedDatabase shared",
        "    - civo:index/database:Database shared",
        "cluster global",
        "  WorkloadCluster global",
    ]
