"""Observability on, and no workload cluster writing to the hub (none yet, or every one
disabled): the management cluster plans, with Prometheus and Grafana behind the
admin-only load balancer, and no load balancer admits a source list that is empty, which
Civo and Vultr read as "everyone"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infra import edge
from infra.addons.traffic import GATEWAY_NAME
from infra.rules import StackPlan, plan_violations
from platform_cli.exposure.command import matrix_of_run
from platform_cli.exposure.sources import INTERNET
from platform_cli.plan import plan_stack_file, read_valid
from tests.conftest import stack_document
from tests.planview import PlanView

VULTR_MGMT = {
    "provider": "vultr",
    "region": "ams",
    "nodeSize": "vc2-4c-8gb",
    "nodeCount": 3,
    "kubernetesVersion": "v1.33.0+1",
}
ADMIN = {"203.0.113.0/24", "198.51.100.16/28"}


def _without_writers(config: dict[str, Any], clusters: str) -> None:
    """prod (observability on by default) with no enabled workload cluster."""
    config.pop("platform:apps")
    config.pop("platform:database")
    if clusters == "none":
        config.pop("platform:clusters")
        # Alert routes may name only clusters the config has.
        routes = config["platform:alerting"]["routes"]
        config["platform:alerting"]["routes"] = [r for r in routes if "clusters" not in r]
    else:
        for cluster in config["platform:clusters"]:
            cluster["enabled"] = False


CASES = [("vultr", "none"), ("vultr", "disabled"), ("civo", "none")]


@pytest.fixture(scope="module", params=CASES, ids=[f"{m}-mgmt-{c}" for m, c in CASES])
def lone_hub(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, PlanView]:
    mgmt, clusters = request.param
    document = stack_document("prod")
    _without_writers(document["config"], clusters)
    if mgmt == "vultr":
        document["config"]["platform:mgmtCluster"] = VULTR_MGMT
    path = tmp_path_factory.mktemp(f"{mgmt}-{clusters}") / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(document))
    return path, PlanView(plan_stack_file(path)[1])


def test_the_hub_and_grafana_are_planned(lone_hub: tuple[Path, PlanView]) -> None:
    _, plan = lone_hub
    assert "mgmt-kube-prometheus-stack" in plan.releases()
    grafana = plan.one(":HTTPRoute", "mgmt-route-grafana").inputs["spec"]
    assert grafana["hostnames"] == ["grafana.example.com"]
    assert [p["name"] for p in grafana["parentRefs"]] == [GATEWAY_NAME]


def _load_balancer_sources(plan: PlanView, proxy: Any) -> list[str]:
    """The sources a gateway's cloud load balancer admits, as its cloud reads them."""
    annotations = proxy.inputs["spec"]["provider"]["kubernetes"]["envoyService"]["annotations"]
    if edge.VULTR_FIREWALL_RULES in annotations:
        return edge.vultr_sources(annotations[edge.VULTR_FIREWALL_RULES])
    (firewall,) = [
        r
        for r in plan.of_type("civo:index/firewall:Firewall")
        if r.urn in proxy.property_dependencies.get("spec", [])
    ]
    return [c for rule in firewall.inputs["ingressRules"] for c in rule.get("cidrs") or []]


def test_every_load_balancer_admits_a_stated_source_and_only_admins(
    lone_hub: tuple[Path, PlanView],
) -> None:
    """No hub door is opened that nobody needs: without writers there is no metrics
    gateway, and what is left admits adminCidrs only."""
    _, plan = lone_hub
    proxies = plan.of_type(":EnvoyProxy")
    assert proxies
    for proxy in proxies:
        sources = set(_load_balancer_sources(plan, proxy))
        assert sources and sources <= ADMIN, (proxy.name, sources)
    gateways = {r.inputs["metadata"]["name"] for r in plan.of_type(":Gateway")}
    assert gateways == {GATEWAY_NAME}


def test_the_plan_breaks_no_rule(lone_hub: tuple[Path, PlanView]) -> None:
    path, plan = lone_hub
    valid = read_valid(path)[1]
    errors, _ = plan_violations(StackPlan("prod", valid.config, plan.resources))
    assert errors == [], [str(e) for e in errors]


def test_the_matrix_has_no_hub_door_and_no_web_endpoint_open_to_the_internet(
    lone_hub: tuple[Path, PlanView],
) -> None:
    path, plan = lone_hub
    matrix = matrix_of_run(read_valid(path)[1], plan.run)
    names = [e.name for e in matrix.endpoints]
    assert not [n for n in names if "prometheus-mgmt" in n], names
    assert "https://grafana.example.com (origin)" in names
    # Vultr's hosted API is its own finding (the matrix says why it counts it open).
    web = [e for e in matrix.endpoints if "Kubernetes API" not in e.name]
    assert [e.name for e in web if INTERNET in e.reached_by] == []
