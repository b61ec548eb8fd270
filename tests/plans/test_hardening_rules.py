"""The hardening rules: each catches the object it exists for, and every rule in the pack
has a violating fixture somewhere in the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.rules import GUARDRAILS, violations
from tests.plans import test_policies

ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
VULTR_RULES = "service.beta.kubernetes.io/vultr-loadbalancer-firewall-rules"

REAL_WORLD_FIXTURES = Path(__file__).parents[1] / "rules" / "fixtures"


def envoy_proxy(annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "spec": {
            "provider": {
                "type": "Kubernetes",
                "kubernetes": {"envoyService": {"annotations": annotations}},
            }
        }
    }


# The argocd-manager ClusterRole the platform used to create.
OLD_MANAGER_ROLE = {
    "rules": [
        {"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": [""], "resources": ["*"], "verbs": ["create", "update", "patch", "delete"]},
    ]
}
# The secret-reader policy every cluster used to get.
OLD_READER_POLICY = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": "arn:aws:secretsmanager:eu-west-2:1:secret:platform/prod/*",
            }
        ]
    }
)

FIXTURES: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "fronted envoy without firewall",
        ENVOY_PROXY,
        envoy_proxy({"platform/exposure": "cloudflare"}),
        "restricted-load-balancers",
    ),
    (
        "vultr firewall open to all",
        "kubernetes:core/v1:Service",
        {
            "metadata": {
                "annotations": {
                    "platform/exposure": "cloudflare",
                    VULTR_RULES: "cloudflare,443;0.0.0.0/0,443",
                }
            },
            "spec": {"type": "LoadBalancer"},
        },
        "restricted-load-balancers",
    ),
    (
        "ingress-nginx without exposure",
        "kubernetes:helm.sh/v3:Release",
        {"chart": "ingress-nginx", "values": {"controller": {"service": {}}}},
        "restricted-load-balancers",
    ),
    (
        "wildcard manager role",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        OLD_MANAGER_ROLE,
        "no-wildcard-rbac",
    ),
    (
        "exec grant",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        {"rules": [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]},
        "no-escalating-grants",
    ),
    (
        "store for every namespace",
        "kubernetes:external-secrets.io/v1:ClusterSecretStore",
        {"spec": {"provider": {}}},
        "scoped-secret-stores",
    ),
    (
        "unanchored namespace regex",
        "kubernetes:external-secrets.io/v1:ClusterSecretStore",
        {"spec": {"conditions": [{"namespaceRegexes": ["blog"]}]}},
        "scoped-secret-stores",
    ),
    (
        "prefix secret policy",
        "aws:iam/userPolicy:UserPolicy",
        {"policy": OLD_READER_POLICY},
        "exact-secret-access",
    ),
    (
        "namespace without level",
        "kubernetes:core/v1:Namespace",
        {"metadata": {"name": "blog", "labels": {}}},
        "pod-security-labels",
    ),
    (
        "privileged without reason",
        "kubernetes:core/v1:Namespace",
        {"metadata": {"name": "x", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}},
        "pod-security-labels",
    ),
    (
        "project allowing external secrets",
        "kubernetes:argoproj.io/v1alpha1:AppProject",
        {"spec": {"namespaceResourceBlacklist": [{"group": "", "kind": "ResourceQuota"}]}},
        "apps-cannot-reach-credentials",
    ),
]
# The earlier rules' fixtures live in test_policies; only this one needs `protect` off.
UNPROTECTED = ("civo:index/database:Database", "protected-databases", {"name": "prod-shared"})


@pytest.mark.parametrize(
    ("resource_type", "props", "rule"),
    [f[1:] for f in FIXTURES],
    ids=[f[0] for f in FIXTURES],
)
def test_each_hardening_rule_catches_its_case(
    resource_type: str, props: dict[str, Any], rule: str
) -> None:
    assert rule in [name for name, _ in violations(resource_type, props, protect=True)]


def test_the_pack_has_twelve_rules_each_with_a_violating_fixture() -> None:
    (earlier,) = [
        mark
        for mark in test_policies.test_each_guardrail_catches_its_case.pytestmark
        if mark.name == "parametrize"
    ]
    # The real-world rules' fixtures are programs in tests/rules/fixtures, one per rule.
    real_world = {p.stem.replace("_", "-") for p in REAL_WORLD_FIXTURES.glob("*.py")}
    covered = {expected[0] for _, _, expected in earlier.args[1]} | {f[3] for f in FIXTURES}
    covered |= real_world
    unprotected = [name for name, _ in violations(UNPROTECTED[0], UNPROTECTED[2], protect=False)]
    if UNPROTECTED[1] in unprotected:
        covered.add(UNPROTECTED[1])
    names = [rail.name for rail in GUARDRAILS]
    assert len(names) >= 12 and len(set(names)) == len(names)
    assert set(names) <= covered
    # Advisory only where a stated reason allows it: dev databases may be deleted.
    assert {r.name for r in GUARDRAILS if r.enforcement == "advisory"} == {"protected-databases"}


def test_what_the_platform_now_writes_passes() -> None:
    restricted = envoy_proxy(
        {"platform/exposure": "admin", VULTR_RULES: "203.0.113.0/24,80;203.0.113.0/24,443"}
    )
    assert violations(ENVOY_PROXY, restricted, protect=True) == []
    closed_default: dict[str, Any] = {
        "spec": {"namespaceResourceWhitelist": [], "destinations": []}
    }
    assert violations("kubernetes:argoproj.io/v1alpha1:AppProject", closed_default, True) == []
