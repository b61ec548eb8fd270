"""Credentials by need: each cluster's identity, secret store and Argo CD account reach
what the apps placed on it need, and nothing reaches the database's admin credentials."""

from __future__ import annotations

import base64
import fnmatch
import json
from collections.abc import Callable
from typing import Any

import pytest

from platform_cli.diff import diff_runs
from tests.planview import PlanView

ARN = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:"
ADMIN = "platform/prod/shared/admin"
# Where prod places its one database app (blog: geo europe).
PROD_SECRETS = {
    "london": ["platform/prod/shared/blog"],
    "frankfurt": ["platform/prod/shared/blog"],
    "newyork": [],
    "chicago": [],
}
PROD_NAMESPACES = {
    "london": ["blog", "dashboard", "hello-world", "weather"],
    "frankfurt": ["blog", "dashboard", "hello-world", "temperature"],
    "newyork": ["hello-world", "traffic"],
    "chicago": ["hello-world"],
}


def statements(plan: PlanView, cluster: str) -> list[dict[str, Any]]:
    policy = plan.one("aws:iam/userPolicy:UserPolicy", f"{cluster}-secret-reader")
    found: list[dict[str, Any]] = json.loads(policy.inputs["policy"])["Statement"]
    return found


def readable(plan: PlanView, cluster: str, secret_arn: str, tags: dict[str, str]) -> bool:
    """IAM's answer for GetSecretValue on a secret with these tags: an explicit Deny wins,
    else an Allow whose resource matches and whose tag condition holds."""

    def matches(statement: dict[str, Any]) -> bool:
        resources = statement["Resource"]
        resources = [resources] if isinstance(resources, str) else resources
        return any(fnmatch.fnmatchcase(secret_arn, r) for r in resources)

    def holds(statement: dict[str, Any]) -> bool:
        equals = statement.get("Condition", {}).pop("StringEquals", {})
        assert not statement.get("Condition"), "a condition this evaluator does not know"
        return all(
            tags.get(key.removeprefix("secretsmanager:ResourceTag/")) == value
            for key, value in equals.items()
        )

    found = statements(plan, cluster)
    if any(s["Effect"] == "Deny" and matches(s) for s in found):
        return False
    return any(s["Effect"] == "Allow" and matches(s) and holds(s) for s in found)


def secrets(plan: PlanView) -> dict[str, dict[str, str]]:
    """Every secret the plan creates, by path, with its tags."""
    return {
        r.inputs["name"]: r.inputs["tags"] for r in plan.of_type("aws:secretsmanager/secret:Secret")
    }


def readable_paths(plan: PlanView, cluster: str) -> list[str]:
    return sorted(
        path
        for path, tags in secrets(plan).items()
        if readable(plan, cluster, f"{ARN}{path}-AbCdEf", tags)
    )


@pytest.mark.parametrize("cluster", sorted(PROD_SECRETS))
def test_each_identity_reads_only_its_placed_apps_secrets(prod: PlanView, cluster: str) -> None:
    assert readable_paths(prod, cluster) == PROD_SECRETS[cluster]
    for s in statements(prod, cluster):
        if s["Effect"] == "Allow":
            assert s["Action"] == [
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
            ]


def test_no_identity_can_read_the_admin_credentials(prod: PlanView) -> None:
    # The admin secret's real ARN, with the six characters Secrets Manager appends.
    admin_arn = f"{ARN}{ADMIN}-AbCdEf"
    identities = [
        p.name
        for p in prod.of_type("aws:iam/userPolicy:UserPolicy")
        if p.name != "database-backups-writer"  # S3 only: tests/plans/test_backups.py
    ]
    assert len(identities) == len(PROD_SECRETS) + 1  # and the management cluster's
    tags = secrets(prod)
    for name in identities:
        cluster = name.removesuffix("-secret-reader")
        assert not readable(prod, cluster, admin_arn, tags[ADMIN]), cluster
        # Not even were the admin secret ever tagged for the cluster: the denial wins.
        tagged = {**tags[ADMIN], f"platform-reader-{cluster}": "read"}
        assert not readable(prod, cluster, admin_arn, tagged), cluster
    # Another cluster's app secret is out of reach, and so is any untagged secret.
    blog = tags["platform/prod/shared/blog"]
    assert readable(prod, "london", f"{ARN}platform/prod/shared/blog-AbCdEf", blog)
    assert not readable(prod, "newyork", f"{ARN}platform/prod/shared/blog-AbCdEf", blog)
    assert not readable(prod, "london", f"{ARN}platform/prod/shared/blog-extra-AbCdEf", {})
    # Nor another environment's secret, whatever its tags.
    assert not readable(prod, "london", f"{ARN}platform/dev/shared/blog-AbCdEf", blog)


@pytest.mark.parametrize("cluster", sorted(PROD_SECRETS))
def test_secret_store_admits_only_database_app_namespaces(prod: PlanView, cluster: str) -> None:
    store = prod.one("ClusterSecretStore", f"{cluster}-cluster-secret-store")
    expected = ["blog"] if PROD_SECRETS[cluster] else ["external-secrets"]
    assert store.inputs["spec"]["conditions"] == [{"namespaces": expected}]


def test_apps_may_not_create_what_reaches_a_platform_credential(prod: PlanView) -> None:
    spec = prod.one("argoproj.io/v1alpha1:AppProject", "mgmt-appproject-prod").inputs["spec"]
    forbidden = {(k["group"], k["kind"]) for k in spec["namespaceResourceBlacklist"]}
    assert {
        ("external-secrets.io", "*"),
        ("generators.external-secrets.io", "*"),
        ("cert-manager.io", "*"),
        ("networking.k8s.io", "NetworkPolicy"),
    } <= forbidden
    assert spec["clusterResourceWhitelist"] == []


def test_moving_a_database_app_updates_access_in_place(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    def move_blog(config: dict[str, Any]) -> None:
        blog = next(a for a in config["platform:apps"] if a["name"] == "blog")
        blog["placement"] = {"matchLabels": {"cluster": "newyork"}}

    moved = plan_config("prod", move_blog)
    changes = diff_runs(prod.run, moved.run)
    assert [c.resource.name for c in changes if c.kind == "replace"] == []
    updates = {c.resource.name for c in changes if c.kind == "update"}
    # The secret is retagged; no identity's policy changes.
    assert "shared-blog-credentials" in updates
    assert not any(name.endswith("-secret-reader") for name in updates)
    for cluster in ("london", "frankfurt", "newyork"):
        assert f"{cluster}-cluster-secret-store" in updates
        assert f"{cluster}-argocd-cluster" in updates
    assert readable_paths(moved, "newyork") == ["platform/prod/shared/blog"]
    assert readable_paths(moved, "london") == []


def test_no_credential_is_plaintext_in_inputs_or_outputs(prod: PlanView) -> None:
    # What the mocks answer for every credential, in the forms they take.
    markers = ["mock-password-", "mock-secret-", "mock-value-", "mock-token-"]
    markers += ["placeholder-secret-for-", "current-context", "$2a$10$"]
    markers += [base64.b64encode(m.encode()).decode()[:12] for m in ("mock-token-", "apiVersion")]
    recorded = json.dumps(
        [[r.inputs, r.outputs] for r in prod.resources]
        + [prod.run.stack_outputs, prod.run.component_outputs]
    )
    assert [m for m in markers if m in recorded] == []
    database = prod.one("civo:index/database:Database", "shared")
    assert database.outputs["password"] == "[secret]"
