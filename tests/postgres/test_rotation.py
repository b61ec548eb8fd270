"""Rotating an app's database password, on a real PostgreSQL server.

Each rotation is a plan of the real program (`platform:database.rotations`); what the
`up` changes on the database is applied with the provider's SQL, and the new credentials
reach the app when the ExternalSecret syncs them. At every step the password the app
holds must be one the database accepts.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from infra.addons.reloader import RESTARTS_WORKLOADS
from infra.addons.reloader import values as reloader_values
from platform_cli.plan import plan_stack_file
from platform_cli.runner import Registration
from tests.conftest import stack_document
from tests.planview import PlanView
from tests.postgres.provider import ROLE, SUPPORTED
from tests.postgres.server import Login, PostgresServer
from tests.postgres.stack import CIVO_ADMIN_ATTRIBUTES, DatabaseStack, admin_login, app_login

APP = "blog"
ROTATIONS = (0, 1, 2, 3)


@pytest.fixture(scope="module")
def rotations(tmp_path_factory: pytest.TempPathFactory) -> dict[int, PlanView]:
    """dev after 0, 1, 2 and 3 rotations of the blog's password."""
    plans = {}
    for count in ROTATIONS:
        document = stack_document("dev")
        document["config"]["platform:database"]["rotations"] = {APP: count}
        path: Path = tmp_path_factory.mktemp(f"rotation-{count}") / "Pulumi.dev.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        plans[count] = PlanView(plan_stack_file(path)[1])
    return plans


@pytest.fixture(scope="module")
def without_database(tmp_path_factory: pytest.TempPathFactory) -> PlanView:
    """dev with the blog no longer a database app: what removing its database plans."""
    document = stack_document("dev")
    config = document["config"]
    next(a for a in config["platform:apps"] if a["name"] == APP)["database"] = False
    config["platform:database"].pop("rotations", None)
    path: Path = tmp_path_factory.mktemp("without-database") / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return PlanView(plan_stack_file(path)[1])


def accepts(server: PostgresServer, login: Login, database: str) -> bool:
    try:
        with contextlib.closing(server.connect(login, database)):
            return True
    except psycopg.OperationalError as refused:
        assert "password authentication failed" in str(refused)
        return False


def changed_roles(before: PlanView, after: PlanView) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The Roles whose inputs the rotation changes, before and after, in the order `up`
    updates them."""
    old = {r.name: r.revealed_inputs for r in before.of_type(ROLE)}
    changed = [
        (old[r.name], r.revealed_inputs)
        for r in after.of_type(ROLE)
        if r.revealed_inputs != old[r.name]
    ]
    for previous, inputs in changed:
        assert {k for k in inputs if inputs[k] != previous[k]} == {"password"}
    return changed


@contextlib.contextmanager
def stack_at(postgres: PostgresServer, plans: dict[int, PlanView]) -> Iterator[DatabaseStack]:
    postgres.create_login(admin_login(plans[0]), CIVO_ADMIN_ATTRIBUTES)
    first = DatabaseStack(plans[0], postgres)
    first.create()
    yield first


def rotate(postgres: PostgresServer, before: PlanView, after: PlanView) -> DatabaseStack:
    """The database side of the `up` that rotates: the Role updates, as the provider runs
    them. A rotation changes one Role: the login the app moves to gets a new password."""
    admin = DatabaseStack(after, postgres)
    for previous, inputs in changed_roles(before, after):
        provider = admin.provider_of(after.one(ROLE, role_resource(after, inputs["name"])))
        provider.update_role(previous, inputs)
    return admin


def test_a_rotation_keeps_the_app_connected_and_retires_a_password_a_rotation_later(
    postgres: PostgresServer, rotations: dict[int, PlanView]
) -> None:
    with stack_at(postgres, rotations):
        held = app_login(rotations[0], APP)  # what the app's pods read from their Secret
        issued = [held]
        for count in ROTATIONS[1:]:
            admin = rotate(postgres, rotations[count - 1], rotations[count])
            assert accepts(postgres, *held), f"rotation {count} cut the app off"
            new = app_login(rotations[count], APP)
            assert new[0] != held[0], "a rotation moves the app to its other login"
            assert accepts(postgres, *new), "credentials published before the database took them"
            # Delivered: the ExternalSecret syncs and Reloader restarts the workload.
            held = new
            issued.append(new)
            assert admin.drift() == {}
            # The credentials from two rotations back are the only ones retired now.
            for age, credentials in enumerate(reversed(issued)):
                assert accepts(postgres, *credentials) == (age < 2), (count, age)


def role_resource(plan: PlanView, role: str) -> str:
    (resource,) = [r.name for r in plan.of_type(ROLE) if r.revealed_inputs["name"] == role]
    return resource


def test_the_alternate_login_works_as_the_owner(
    postgres: PostgresServer, rotations: dict[int, PlanView]
) -> None:
    with stack_at(postgres, rotations):
        login, database = app_login(rotations[0], APP)
        owner = DatabaseStack(rotations[0], postgres)
        alternate = next(
            r for r in owner.resources if r.type == ROLE and r.name.endswith("alternate-role")
        )
        alternate_login = Login(
            alternate.revealed_inputs["name"], alternate.revealed_inputs["password"]
        )
        with contextlib.closing(postgres.connect(alternate_login, database)) as session:
            session.execute("CREATE TABLE posts (id int)")
        with contextlib.closing(postgres.connect(login, database)) as session:
            row = session.execute(
                "SELECT tableowner FROM pg_tables WHERE tablename = 'posts'"
            ).fetchone()
            assert row == (login.user,)
            session.execute("DROP TABLE posts")


def test_a_rotation_reaches_the_running_app(rotations: dict[int, PlanView]) -> None:
    """In the plan: the new credentials wait for the login they name, the ExternalSecret
    asks for exactly the AWS version this `up` wrote (`uuid/<versionId>`: ESO v2.9.0
    providers/v1/aws/secretsmanager/secretsmanager.go constructSecretValue reads it by
    VersionId, not AWSCURRENT), so its spec changes with them and ESO syncs at once
    (pkg/controllers/externalsecret/externalsecret_controller.go shouldRefresh: a new
    generation), and the Secret it writes is one Reloader watches, on every cluster the
    app runs on."""
    before, after = rotations[0], rotations[1]
    version = after.one(
        "secretsmanager/secretVersion:SecretVersion", f"shared-{APP}-credentials-value"
    )
    assert after.one(ROLE, f"shared-{APP}-alternate-role").urn in version.dependencies
    assert json.loads(version.revealed_inputs["secretString"])["username"] == f"{APP}_alt"
    externals = [
        r
        for r in after.of_type("external-secrets.io/v1:ExternalSecret")
        if r.name.endswith(f"-{APP}-db-secret")
    ]
    assert externals
    for external in externals:
        old = before.one("external-secrets.io/v1:ExternalSecret", external.name)
        ((_, source),) = external.inputs["spec"]["dataFrom"][0].items()
        ((_, old_source),) = old.inputs["spec"]["dataFrom"][0].items()
        assert source["version"].startswith("uuid/"), source
        assert source["version"] != old_source["version"]
        assert version.urn in external.property_dependencies["spec"]
        target = external.inputs["spec"]["target"]
        assert target["template"]["metadata"]["labels"] == RESTARTS_WORKLOADS
        cluster = external.name.removesuffix(f"-{APP}-db-secret")
        release = after.one("helm.sh/v3:Release", f"{cluster}-reloader").inputs
        selector = reloader_values()["reloader"]["resourceLabelSelector"]
        assert release["values"]["reloader"]["resourceLabelSelector"] == selector
        assert release["values"]["reloader"]["autoReloadAll"] is True
        assert all(f"{k}={v}" in selector for k, v in RESTARTS_WORKLOADS.items())


ROLE_STATEMENT = ("CREATE ROLE", "ALTER ROLE", "GRANT", "REVOKE")


def test_a_rotation_runs_the_providers_role_statements_and_keeps_the_alternate_acting_as_owner(
    postgres: PostgresServer, rotations: dict[int, PlanView]
) -> None:
    """The alternate login's create and its first rotation, as the pinned provider runs
    them (resource_postgresql_role.go Create :347-369, Update :679-748): the update takes
    the membership away and gives it back, and sets the search path, on every update. A
    session the app holds on that login still acts as the owner afterwards."""
    before, after = rotations[0], rotations[1]
    postgres.create_login(admin_login(before), CIVO_ADMIN_ATTRIBUTES)
    stack = DatabaseStack(before, postgres)
    stack.create([r for r in stack.resources if not r.name.endswith("alternate-role")])
    resource = before.one(ROLE, f"shared-{APP}-alternate-role")
    old, new = resource.revealed_inputs, after.one(ROLE, resource.name).revealed_inputs
    provider = stack.provider_of(resource)
    provider.create_role(old)
    created = [s for s in provider.executed if s.startswith(ROLE_STATEMENT)]
    alternate = Login(old["name"], old["password"])
    live = postgres.connect(alternate, APP)
    try:
        provider.executed.clear()
        provider.update_role(old, new)
        updated = [s for s in provider.executed if s.startswith(ROLE_STATEMENT)]
        assert live.execute("SELECT current_user").fetchone() == (APP,)
        live.execute("CREATE TABLE kept (id int)")
    finally:
        live.close()
    expected_create = [
        f'CREATE ROLE "{APP}_alt" WITH ENCRYPTED PASSWORD',  # :347
        f'GRANT "{APP}" TO "{APP}_alt"',  # :353 grantRoles
        f'ALTER ROLE "{APP}_alt" SET search_path TO DEFAULT',  # :357 alterSearchPath
        f'ALTER ROLE "{APP}_alt" SET ROLE TO "{APP}"',  # :369 setAssumeRole
    ]
    expected_update = [
        f'ALTER ROLE "{APP}_alt" PASSWORD',  # :687 setRolePassword
        f'REVOKE "{APP}" FROM "{APP}_alt"',  # :728 revokeRoles
        f'GRANT "{APP}" TO "{APP}_alt"',  # :732 grantRoles
        f'ALTER ROLE "{APP}_alt" SET search_path TO DEFAULT',  # :736 alterSearchPath
    ]
    for sent, expected in ((created, expected_create), (updated, expected_update)):
        assert [s[: len(e)] for s, e in zip(sent, expected, strict=False)] == expected, sent
        assert len(sent) == len(expected), sent
    assert accepts(postgres, Login(new["name"], new["password"]), APP)
    assert DatabaseStack(after, postgres).drift() == {}


def removed(plan: PlanView, without: PlanView) -> list[Registration]:
    """The postgresql resources `up` deletes when the plan becomes ``without``, in the
    order they were created (DatabaseStack.delete takes them in reverse)."""
    kept = {r.urn for r in without.resources}
    return [r for r in plan.resources if r.type in SUPPORTED and r.urn not in kept]


def test_removing_an_app_that_logs_in_as_its_alternate_stops_up_with_its_database_closed(
    postgres: PostgresServer, rotations: dict[int, PlanView], without_database: PlanView
) -> None:
    """After an odd number of rotations the app's pods log in as `<app>_alt`. The Database
    delete borrows only the owner's rights (resource_postgresql_database.go:254), closes
    the database (:629-633, committed on its own) and then fails to end the `_alt`
    sessions (:639-642): Civo's admin holds ADMIN on that login but does not inherit it,
    and PostgreSQL 16+ lets only a role with its privileges terminate its backends. No
    order of the deletes helps: the login's own delete, first here, drops it with its
    sessions still open, and they stay as unkillable as before."""
    with stack_at(postgres, rotations):
        rotate(postgres, rotations[0], rotations[1])
        login, database = app_login(rotations[1], APP)
        assert login.user == f"{APP}_alt"
        pod = postgres.connect(login, database)
        try:
            # The plan registers the login and the database in no fixed order, and `up`
            # deletes them in parallel: the login's delete is put first here, so the test
            # shows the worse case on every run (the other order fails at the same step).
            deletes = sorted(
                removed(rotations[1], without_database),
                key=lambda r: r.type == ROLE and r.revealed_inputs["name"] == f"{APP}_alt",
            )
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as failed:
                DatabaseStack(rotations[1], postgres).delete(deletes)
            assert "permission denied to terminate process" in str(failed.value)
            assert (
                postgres.execute(
                    postgres.bootstrap, f"SELECT 1 FROM pg_roles WHERE rolname = '{APP}_alt'"
                )
                == []
            )
            # The app's existing session lives on; nothing can open a new one.
            assert pod.execute("SELECT current_user").fetchone() == (APP,)
        finally:
            pod.close()
        (allowed,) = postgres.execute(
            postgres.bootstrap, f"SELECT datallowconn FROM pg_database WHERE datname = '{APP}'"
        )
        assert allowed == (False,)
        owner = rotations[1].one(ROLE, f"shared-{APP}-role").revealed_inputs
        with pytest.raises(psycopg.OperationalError, match="not currently accepting connections"):
            postgres.connect(Login(owner["name"], owner["password"]), APP)


def test_an_app_rotated_back_to_its_owner_login_is_removed_with_its_pods_connected(
    postgres: PostgresServer, rotations: dict[int, PlanView], without_database: PlanView
) -> None:
    """What `platform diff` asks for before removing such an app: one more rotation, which
    moves the app to its owner login, and the restart. Then the delete ends the owner's
    sessions (the admin borrows the owner's rights for it) and drops everything."""
    with stack_at(postgres, rotations):
        rotate(postgres, rotations[0], rotations[1])
        alternate = postgres.connect(*app_login(rotations[1], APP))
        rotate(postgres, rotations[1], rotations[2])
        alternate.close()  # Reloader restarted the pods on the owner login
        login, database = app_login(rotations[2], APP)
        assert login.user == APP
        pod = postgres.connect(login, database)
        try:
            DatabaseStack(rotations[2], postgres).delete(removed(rotations[2], without_database))
            with pytest.raises(psycopg.OperationalError):
                pod.execute("SELECT 1")
        finally:
            pod.close()
        left = postgres.execute(
            postgres.bootstrap,
            f"SELECT (SELECT count(*) FROM pg_roles WHERE rolname LIKE '{APP}%'), "
            f"(SELECT count(*) FROM pg_database WHERE datname = '{APP}')",
        )
        assert left == [(0, 0)]
