"""Limits of names and values that AWS, PostgreSQL, Kubernetes and Civo enforce: each
broken by a config and refused at plan time naming the field, the limit and its source
(infra/limits/); and the cluster identity's policy that stays within IAM's size quota
whatever the app count."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from infra.limits import aws
from platform_cli import mocks
from tests.planview import PlanView

PlanErrors = Callable[..., tuple[int, list[str]]]
Edit = Callable[[dict[str, Any]], None]


def cluster(index: int, **fields: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        config["platform:clusters"][index].update(fields)

    return edit


def app(which: str, **fields: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        next(a for a in config["platform:apps"] if a["name"] == which).update(fields)

    return edit


def database(**fields: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        config["platform:database"].update(fields)

    return edit


def database_app_named(name: str) -> Edit:
    """blog renamed, so its role and database take the name."""
    return app("blog", name=name)


LONG_CLUSTER = "a" * 45  # the review's 45-character cluster name


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            cluster(0, name=LONG_CLUSTER),
            f"error: platform:clusters[0]({LONG_CLUSTER}).name: the cluster's IAM user name "
            f"'platform-dev-{LONG_CLUSTER}-secret-reader' is 72 characters, more than the 64 "
            "IAM allows (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html); "
            "shorten the cluster or environment name",
        ),
        *(
            (
                database_app_named(name),
                f"error: platform:apps[1]({name}).name: {reason}; its role and database would be "
                "refused at `pulumi up`: rename the app",
            )
            for name, reason in (
                ("public", "PostgreSQL reserves the role name 'public' (gram.y RoleSpec)"),
                ("none", "PostgreSQL reserves the role name 'none' (gram.y RoleSpec)"),
                (
                    "civo",
                    "'civo' is the database admin's own role on Civo (civo/docs getting-started)",
                ),
                ("postgres", "every PostgreSQL cluster already has a database 'postgres' (initdb)"),
                (
                    "template1",
                    "every PostgreSQL cluster already has a database 'template1' (initdb)",
                ),
            )
        ),
        (
            cluster(0, labels={"Geo Area": "europe"}),
            "error: platform:clusters[0](london).labels: label key 'Geo Area': the name must be "
            "alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric "
            "character, at most 63 (apimachinery IsQualifiedName); rename it, as in 'geo-area'",
        ),
        (
            cluster(0, labels={"geo": "west europe"}),
            "error: platform:clusters[0](london).labels: label value 'west europe' must be empty "
            "or alphanumeric characters, '-', '_' or '.', starting and ending with an "
            "alphanumeric character, at most 63 (apimachinery IsValidLabelValue); change it, as "
            "in 'west-europe'",
        ),
        (
            app("weather", placement={"matchExpressions": [{"key": "geo", "operator": "NotIn"}]}),
            "error: platform:apps[2](weather).placement.matchExpressions[0].values: NotIn needs "
            "at least one value (apimachinery NewRequirement); list the values, or use "
            "DoesNotExist",
        ),
        (
            app(
                "weather",
                placement={
                    "matchExpressions": [
                        {"key": "tier", "operator": "Exists", "values": ["standard"]}
                    ]
                },
            ),
            "error: platform:apps[2](weather).placement.matchExpressions[0].values: Exists takes "
            "no values (apimachinery NewRequirement); remove the values, or use In",
        ),
        (
            app("weather", placement={"matchLabels": {"example.com/": "x"}}),
            "error: platform:apps[2](weather).placement.matchLabels: label key 'example.com/': "
            "the name must be alphanumeric characters, '-', '_' or '.', starting and ending with "
            "an alphanumeric character, at most 63 (apimachinery IsQualifiedName); name it after "
            "the '/'",
        ),
        *(
            (
                cluster(0, labels={"geo": "europe", key: value}),
                f"error: platform:clusters[0](london).labels.{key}: Argo CD reserves the "
                "'argocd.argoproj.io/' labels of a cluster Secret (argo-cd "
                "common/common.go: secret-type, auto-label-cluster-info, kubernetes-version); "
                "this one would overwrite what Argo CD finds the cluster by or sets on it: "
                "choose a key of your own",
            )
            for key, value in (
                ("argocd.argoproj.io/secret-type", "repository"),
                ("argocd.argoproj.io/kubernetes-version", "1.30"),
            )
        ),
        (
            database(nodes=2),
            "error: platform:database.nodes: Civo runs a database on 1, 3 or 5 nodes, not 2 "
            "(civo/docs database/getting-started.md: 2 or 4 additional nodes)",
        ),
    ],
    ids=[
        "iam user name",
        "role public",
        "role none",
        "admin role civo",
        "database postgres",
        "database template1",
        "label key",
        "label value",
        "NotIn without values",
        "Exists with values",
        "label key prefix",
        "argo cd secret-type label",
        "argo cd kubernetes-version label",
        "database nodes",
    ],
)
def test_a_name_or_value_over_its_limit_is_refused(
    edit: Edit, expected: str, plan_errors: PlanErrors
) -> None:
    code, errors = plan_errors(edit)
    assert code == 2
    assert expected in errors, errors


def test_a_database_app_on_more_clusters_than_a_secret_has_tags_is_refused(
    plan_errors: PlanErrors,
) -> None:
    def fifty_clusters(config: dict[str, Any]) -> None:
        template = config["platform:clusters"][0]
        config["platform:clusters"] = [
            {**template, "name": f"c{i}", "labels": {"geo": "europe"}} for i in range(49)
        ]
        config["platform:apps"] = [a for a in config["platform:apps"] if a["name"] == "blog"]

    code, errors = plan_errors(fifty_clusters)
    assert code == 2
    assert (
        "error: platform:apps[0](blog).placement: places the database app on 49 clusters: its "
        "secret would carry 51 tags (one per reading cluster), more than the 50 Secrets Manager "
        "allows (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_TagResource.html)"
    ) in errors, errors


def test_the_secret_reader_policy_stays_within_iam_quota_at_any_app_count(
    plan_config: Callable[..., PlanView],
) -> None:
    """data.md §3: one ARN per app passed 2,048 characters at about 20 apps on a cluster."""

    def forty_database_apps(config: dict[str, Any]) -> None:
        blog = next(a for a in config["platform:apps"] if a["name"] == "blog")
        config["platform:apps"] = [
            {**blog, "name": f"database-app-{i:02d}", "public": False} for i in range(40)
        ]

    plan = plan_config("dev", forty_database_apps)
    for policy in plan.of_type("aws:iam/userPolicy:UserPolicy"):
        size = aws.policy_size(policy.inputs["policy"])
        assert size <= aws.IAM_USER_INLINE_POLICY_MAX, (policy.name, size)
    secret = plan.one(":secretsmanager/secret:Secret", "shared-database-app-07-credentials")
    assert secret.inputs["tags"]["platform-reader-london"] == "read"


def test_an_existing_database_plans_whatever_versions_civo_offers_now(
    plan_config: Callable[..., PlanView], monkeypatch: pytest.MonkeyPatch
) -> None:
    """data.md §7: Civo withdrew "17" for new databases; the running one keeps running, and
    an `up` of the stack must not stop at a version check."""
    monkeypatch.setitem(
        mocks.ANSWERS,
        ("civo:index/getDatabaseVersion:getDatabaseVersion", "versions"),
        lambda _n, _a: [{"engine": "PostgreSQL", "version": "18", "default": True}],
    )
    plan = plan_config("dev")
    assert plan.one("civo:index/database:Database", "shared").inputs["version"] == "17"
    assert json.dumps(plan.run.reads, default=str).count("getDatabaseVersion") == 0
