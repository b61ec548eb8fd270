"""The time-to-platform model: the chain it reports is a real chain, and the waits the
bench re-adds to measure "before" still exist to be re-added."""

from __future__ import annotations

import itertools
import json

import pytest

from infra.stackconfig import load
from platform_cli.bench import REMOVED_WAITS, _removed_wait_edges
from platform_cli.critical_path import critical_path
from platform_cli.latency import latency
from platform_cli.scenarios import generated
from tests.planview import PlanView


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_longest_chain_is_contiguous_and_sets_the_total(
    stack_plans: dict[str, PlanView], stack: str
) -> None:
    run = stack_plans[stack].run
    total, chain = critical_path(run)
    assert chain[0].start == 0
    assert chain[-1].finish == total
    for before, after in itertools.pairwise(chain):
        assert after.start == before.finish
        assert after.finish - after.start == latency(after.resource)


def test_an_added_wait_can_only_lengthen_the_path(stack_plans: dict[str, PlanView]) -> None:
    run = stack_plans["prod"].run
    by_name = {r.name: r for r in run.registrations}
    after, _ = critical_path(run)
    slower, chain = critical_path(
        run, {by_name["london-gateway-helm"].urn: {by_name["shared-blog-revoke-public"].urn}}
    )
    assert slower > after
    assert chain[-1].resource.name.startswith("london-")


def test_every_removed_wait_still_finds_real_resources(stack_plans: dict[str, PlanView]) -> None:
    run = stack_plans["prod"].run
    for wait in REMOVED_WAITS:
        edges = _removed_wait_edges(run, [wait])
        assert edges, wait.what
        waiting = {r.name for r in run.registrations if r.urn in edges}
        waited_for = {r.name for r in run.registrations if r.urn in set().union(*edges.values())}
        assert waiting and waited_for, wait.what


def test_removed_waits_pair_objects_on_the_same_cluster(stack_plans: dict[str, PlanView]) -> None:
    run = stack_plans["prod"].run
    by_name = {r.name: r for r in run.registrations}
    edges = _removed_wait_edges(run, [REMOVED_WAITS[0]])
    assert edges[by_name["london-cert-manager"].urn] == {by_name["london-gateway"].urn}
    assert edges[by_name["chicago-external-dns"].urn] == {by_name["chicago-gateway"].urn}
    registration = _removed_wait_edges(run, [REMOVED_WAITS[1]])
    assert registration[by_name["frankfurt-argocd-cluster"].urn] == {by_name["mgmt-argo-cd"].urn}


@pytest.mark.parametrize(("clusters", "apps"), [(1, 1), (4, 10), (100, 200)])
def test_generated_configs_are_valid_and_place_every_app(clusters: int, apps: int) -> None:
    values = {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in generated(clusters, apps)["config"].items()
        if not isinstance(value, dict) or "secure" not in value
    }
    valid = load(values)
    assert len(valid.config.clusters) == clusters and len(valid.config.apps) == apps
    assert all(valid.placement.clusters_of.values())
