"""argocd-manager holds exactly what app syncs need: named kinds, in app namespaces only."""

from __future__ import annotations

import json

import pytest

from tests.plans.test_least_privilege import PROD_NAMESPACES
from tests.planview import PlanView

RBAC = "rbac.authorization.k8s.io/v1"
# Subresources and verbs that hand out more than the kinds they sit on: a shell in any
# pod, a token for any ServiceAccount, or RBAC beyond what the holder has.
ESCALATING = {"pods/exec", "pods/attach", "pods/portforward", "serviceaccounts/token"}
ESCALATING_VERBS = {"escalate", "bind", "impersonate", "*"}


def roles_of(plan: PlanView, cluster: str) -> dict[str, dict[str, object]]:
    return {
        r.inputs["metadata"]["namespace"]: r.inputs
        for r in plan.of_type(f"{RBAC}:Role")
        if r.name.startswith(f"{cluster}-argocd-manager-")
    }


def test_no_cluster_wide_grant_to_argocd_manager(prod: PlanView) -> None:
    cluster_wide = prod.of_type(f"{RBAC}:ClusterRole") + prod.of_type(f"{RBAC}:ClusterRoleBinding")
    assert [r.name for r in cluster_wide] == []


@pytest.mark.parametrize("cluster", sorted(PROD_NAMESPACES))
def test_a_role_in_each_app_namespace_and_nowhere_else(prod: PlanView, cluster: str) -> None:
    roles = roles_of(prod, cluster)
    assert sorted(roles) == PROD_NAMESPACES[cluster]
    bindings = [
        r.inputs
        for r in prod.of_type(f"{RBAC}:RoleBinding")
        if r.name.startswith(f"{cluster}-argocd-manager-")
    ]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == PROD_NAMESPACES[cluster]
    for binding in bindings:
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "argocd-manager",
        }
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "argocd-manager", "namespace": "kube-system"}
        ]


@pytest.mark.parametrize("cluster", sorted(PROD_NAMESPACES))
def test_rules_name_every_group_kind_and_verb(prod: PlanView, cluster: str) -> None:
    roles = roles_of(prod, cluster)
    assert roles
    for namespace, role in roles.items():
        rules = role["rules"]
        assert isinstance(rules, list) and rules
        for rule in rules:
            for key in ("apiGroups", "resources", "verbs"):
                assert "*" not in rule[key], f"{namespace}: wildcard {key} in {rule}"
            assert not set(rule["resources"]) & ESCALATING, rule
            assert not set(rule["verbs"]) & ESCALATING_VERBS, rule
            assert "nonResourceURLs" not in rule
        groups = {g for rule in rules for g in rule["apiGroups"]}
        assert not groups & {"external-secrets.io", "cert-manager.io", "apiextensions.k8s.io"}
        writable = {
            (g, res)
            for rule in rules
            if "create" in rule["verbs"]
            for g in rule["apiGroups"]
            for res in rule["resources"]
        }
        # App charts that ship their own Role and RoleBinding can sync.
        rbac = "rbac.authorization.k8s.io"
        assert {(rbac, "roles"), (rbac, "rolebindings")} <= writable
        assert ("networking.k8s.io", "networkpolicies") not in writable


@pytest.mark.parametrize("cluster", sorted(PROD_NAMESPACES))
def test_argocd_watches_only_the_app_namespaces(prod: PlanView, cluster: str) -> None:
    data = prod.one("core/v1:Secret", f"{cluster}-argocd-cluster").revealed_inputs["stringData"]
    assert data["namespaces"].split(",") == PROD_NAMESPACES[cluster]
    assert data["clusterResources"] == "false"
    assert set(json.loads(data["config"])) == {"bearerToken", "tlsClientConfig"}


def test_argocd_leaves_out_kinds_it_may_not_list(prod: PlanView) -> None:
    values = prod.one("helm.sh/v3:Release", "mgmt-argo-cd").revealed_inputs["values"]
    assert values["configs"]["cm"]["resource.respectRBAC"] == "normal"
