"""The CrossGuard guardrails: the shipped stacks pass, and each guardrail catches its case."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.rules import violations
from tests.planview import PlanView


def test_the_shipped_stacks_break_no_mandatory_guardrail(stack_plan: PlanView) -> None:
    found = [
        (r.name, rail, message)
        for r in stack_plan.resources
        for rail, message in violations(r.type, r.revealed_inputs, r.protect)
        if rail != "protected-databases"
    ]
    assert found == []


def test_only_an_unprotected_production_database_is_flagged(
    stack_plans: dict[str, PlanView],
) -> None:
    """Dev's database is meant to be deletable: a warning there names nothing to change."""

    def flagged(plan: PlanView, protect: bool | None = None) -> list[str]:
        database = plan.one("civo:index/database:Database", "shared")
        protected = database.protect if protect is None else protect
        return [rail for rail, _ in violations(database.type, database.revealed_inputs, protected)]

    assert flagged(stack_plans["prod"]) == []
    assert flagged(stack_plans["dev"]) == []
    assert flagged(stack_plans["prod"], protect=False) == ["protected-databases"]


@pytest.mark.parametrize(
    ("resource_type", "props", "expected"),
    [
        (
            "civo:index/firewall:Firewall",
            {
                "ingressRules": [
                    {"label": "kubernetes-api", "portRange": "6443", "cidrs": ["0.0.0.0/0"]}
                ]
            },
            ("no-open-admin-ports", "rule 'kubernetes-api' opens port 6443 to the internet"),
        ),
        (
            "vultr:index/firewallRule:FirewallRule",
            {"port": "5432", "subnet": "0.0.0.0", "subnetSize": 0},
            ("no-open-admin-ports", "rule opens port 5432 to the internet"),
        ),
        (
            "kubernetes:helm.sh/v3:Release",
            {"chart": "traefik", "version": "30.0.0"},
            ("pinned-charts", "chart 'traefik' is not one of the platform's pinned charts"),
        ),
        (
            "kubernetes:core/v1:Secret",
            {
                "metadata": {"labels": {"argocd.argoproj.io/secret-type": "cluster"}},
                "stringData": {
                    "config": json.dumps({"tlsClientConfig": {"certData": "x", "keyData": "y"}})
                },
            },
            ("bearer-token-registrations", "an Argo CD cluster must not carry client certificates"),
        ),
        (
            "kubernetes:argoproj.io/v1alpha1:AppProject",
            {"spec": {"sourceRepos": ["*"], "destinations": []}},
            ("closed-app-projects", "an AppProject must list its source repositories, not '*'"),
        ),
    ],
    ids=["open api", "open database", "unpinned chart", "client certs", "wide-open project"],
)
def test_each_guardrail_catches_its_case(
    resource_type: str, props: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert expected in violations(resource_type, props, protect=True)


def test_web_ports_may_be_open_and_cloudflare_rules_are_not_open() -> None:
    assert (
        violations(
            "civo:index/firewall:Firewall",
            {"ingressRules": [{"portRange": "443", "cidrs": ["0.0.0.0/0"]}]},
            True,
        )
        == []
    )
    cloudflare = {"port": "6443", "subnet": "0.0.0.0", "subnetSize": 0, "source": "cloudflare"}
    assert violations("vultr:index/firewallRule:FirewallRule", cloudflare, True) == []
