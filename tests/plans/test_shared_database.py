"""SharedDatabase: firewall, secrets, one role per app, protection, and removal."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from platform_cli.mocks import mock_ip
from tests.planview import PlanView

DATABASE = "platform:index:SharedDatabase"


def test_prod_has_a_protected_firewalled_database(prod: PlanView) -> None:
    (component,) = prod.components(DATABASE)
    database = prod.one("civo:index/database:Database", "shared")
    assert database.parent == component.urn
    assert database.protect is True and database.retain_on_delete is True
    assert database.inputs["engine"] == "PostgreSQL"
    assert database.inputs["version"] == "17"
    assert database.property_dependencies["firewallId"] == [
        prod.one("civo:index/firewall:Firewall", "shared-firewall").urn
    ]


def test_dev_database_is_not_protected(stack_plans: dict[str, PlanView]) -> None:
    database = stack_plans["dev"].one("civo:index/database:Database", "shared")
    assert database.protect is False and database.retain_on_delete is False


def test_firewall_admits_exactly_the_clients_on_the_database_port(prod: PlanView) -> None:
    firewall = prod.one("civo:index/firewall:Firewall", "shared-firewall").inputs
    assert firewall["createDefaultRules"] is False
    (rule,) = firewall["ingressRules"]
    assert rule["portRange"] == "5432" and rule["protocol"] == "tcp"
    cidrs = rule["cidrs"]
    assert "0.0.0.0/0" not in cidrs
    assert cidrs[:2] == ["203.0.113.0/24", "198.51.100.16/28"]  # adminCidrs
    # The blog is the only database app; it runs in Europe, so only those clusters connect,
    # each from its one egress address, and the management cluster, where backups run.
    expected = {civo_egress(cluster) for cluster in ("london", "frankfurt", "mgmt")}
    assert set(cidrs[2:]) == expected and len(cidrs) == 2 + len(expected)


def civo_egress(cluster: str) -> str:
    """The offline plan's address for a Civo cluster's control plane, which all its pods'
    traffic leaves through."""
    return f"{mock_ip('civo', cluster)}/32"


def test_credentials_are_in_aws_and_secret(prod: PlanView) -> None:
    secrets = {s.inputs["name"]: s for s in prod.of_type("secretsmanager/secret:Secret")}
    assert set(secrets) == {"platform/prod/shared/admin", "platform/prod/shared/blog"}
    assert all(s.protect for s in secrets.values())
    for version in prod.of_type("secretsmanager/secretVersion:SecretVersion"):
        assert version.inputs["secretString"] == "[secret]"
    admin = json.loads(
        prod.one(
            "secretsmanager/secretVersion:SecretVersion", "shared-admin-credentials-value"
        ).revealed_inputs["secretString"]
    )
    assert set(admin) == {"username", "password", "host", "port", "database", "url"}
    assert admin["url"].startswith("postgresql://") and admin["url"].endswith("?sslmode=require")
    assert "mock-password-" not in prod.inputs_text()


def test_each_app_role_reaches_only_its_own_database(prod: PlanView) -> None:
    role = prod.one("postgresql:index/role:Role", "shared-blog-role").inputs
    assert role["name"] == "blog" and role["login"] is True
    assert (
        not role.get("superuser") and not role.get("createDatabase") and not role.get("createRole")
    )
    assert role["password"] == "[secret]"
    database = prod.one("postgresql:index/database:Database", "shared-blog-database").inputs
    assert database == {**database, "name": "blog", "owner": "blog"}
    revoke = prod.one("postgresql:index/grant:Grant", "shared-blog-revoke-public").inputs
    assert revoke == {
        **revoke,
        "database": "blog",
        "role": "public",
        "objectType": "database",
        "privileges": [],
    }
    app = json.loads(
        prod.one(
            "secretsmanager/secretVersion:SecretVersion", "shared-blog-credentials-value"
        ).revealed_inputs["secretString"]
    )
    assert app["username"] == "blog" and app["database"] == "blog"
    assert (
        app["password"]
        != json.loads(
            prod.one(
                "secretsmanager/secretVersion:SecretVersion", "shared-admin-credentials-value"
            ).revealed_inputs["secretString"]
        )["password"]
    )


def test_removing_an_app_removes_only_its_database_role_and_secret(
    plan_config: Callable[..., PlanView],
) -> None:
    def add_wiki(config: dict[str, Any]) -> None:
        blog = next(a for a in config["platform:apps"] if a["name"] == "blog")
        config["platform:apps"].append(
            {**blog, "name": "wiki", "service": {"name": "wiki", "port": 80}}
        )

    with_wiki = plan_config("dev", add_wiki)
    without = plan_config("dev")
    removed = {r.name for r in with_wiki.resources} - {r.name for r in without.resources}
    database_side = {r for r in removed if r.startswith("shared-")}
    assert database_side == {
        "shared-wiki-password",
        "shared-wiki-role",
        "shared-wiki-alternate-password",
        "shared-wiki-alternate-role",
        "shared-wiki-owner-postgresql",
        "shared-wiki-database",
        "shared-wiki-revoke-public",
        "shared-wiki-credentials",
        "shared-wiki-credentials-value",
    }
    assert {r.name for r in without.resources} <= {r.name for r in with_wiki.resources}
    assert all("wiki" in name for name in removed)
    for name in ("shared", "shared-firewall", "shared-admin-credentials"):
        kind = {
            "shared": "civo:index/database:Database",
            "shared-firewall": "civo:index/firewall:Firewall",
        }
        suffix = kind.get(name, "secretsmanager/secret:Secret")
        assert with_wiki.one(suffix, name).inputs == without.one(suffix, name).inputs


@pytest.mark.parametrize(
    ("database", "expected"),
    [
        (
            {"engine": "mysql", "version": "8.0"},
            "error: platform:database.engine: Civo has deprecated MySQL and creates no new MySQL databases; use postgresql",
        ),
        (
            {"version": "13"},
            "error: platform:database.version: Civo does not offer postgresql '13'; expected one of 17",
        ),
        (
            {"engine": "oracle"},
            "error: platform:database.engine: unknown engine 'oracle'; expected one of postgresql",
        ),
        (
            {"size": "g3.db.huge"},
            "error: platform:database.size: unknown Civo database size 'g3.db.huge'; expected one of g3.db.xsmall, g3.db.small, g3.db.medium, g3.db.large, g3.db.xlarge, g3.db.2xlarge",
        ),
        (
            {"apps": ["blog"]},
            "error: platform:database.apps: no longer supported: set `database: true` on each app that needs the database (listed: blog) and remove this key",
        ),
        (
            {"rotations": {"weather": 1}},
            "error: platform:database.rotations.weather: 'weather' is not a database app (apps with `database: true`: blog)",
        ),
    ],
    ids=[
        "deprecated engine",
        "unknown version",
        "unknown engine",
        "unknown size",
        "database.apps",
        "rotation of an app without a database",
    ],
)
def test_invalid_database_config_exits_2(
    database: dict[str, Any],
    expected: str,
    plan_errors: Callable[..., tuple[int, list[str]]],
) -> None:
    def edit(config: dict[str, Any]) -> None:
        config["platform:database"].update(database)

    assert plan_errors(edit) == (2, [expected])
