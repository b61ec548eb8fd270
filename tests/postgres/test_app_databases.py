"""The shared database's promises to its apps, on a real PostgreSQL server.

The program's Role, Database, Grant and GrantRole resources, taken from the plan, are
applied with the SQL the pinned provider issues (tests/postgres/provider.py), by an
admin exactly as privileged as Civo's `civo` user.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from platform_cli.plan import plan_stack_file
from tests.conftest import stack_document
from tests.planview import PlanView
from tests.postgres.server import Login, PostgresServer
from tests.postgres.stack import (
    CIVO_ADMIN_ATTRIBUTES,
    DatabaseStack,
    admin_login,
    app_login,
)

APPS = ("blog", "shop")


def plan_with_apps(directory: Path, apps: tuple[str, ...]) -> PlanView:
    """dev, with each of `apps` a database app placed like the blog."""
    document = stack_document("dev")
    config = document["config"]
    blog = next(a for a in config["platform:apps"] if a["name"] == "blog")
    for app in apps:
        if app != "blog":
            config["platform:apps"].append(
                {**blog, "name": app, "service": {"name": app, "port": 80}}
            )
    path = directory / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return PlanView(plan_stack_file(path)[1])


@pytest.fixture(scope="module")
def two_apps(tmp_path_factory: pytest.TempPathFactory) -> PlanView:
    return plan_with_apps(tmp_path_factory.mktemp("two-apps"), APPS)


@pytest.fixture
def deployed(postgres: PostgresServer, two_apps: PlanView) -> DatabaseStack:
    """The first `up` of a stack with two database apps."""
    postgres.create_login(admin_login(two_apps), CIVO_ADMIN_ATTRIBUTES)
    stack = DatabaseStack(two_apps, postgres)
    stack.create()
    return stack


@contextlib.contextmanager
def session(server: PostgresServer, login: Login, database: str) -> Iterator[Any]:
    connection = server.connect(login, database)
    try:
        yield connection
    finally:
        connection.close()


def test_the_server_is_a_real_postgresql_with_a_civo_like_admin(deployed: DatabaseStack) -> None:
    server = deployed.server
    assert int(server.version.split(".")[0]) >= 15
    admin = admin_login(deployed.plan)
    with session(server, admin, "postgres") as connection:
        attributes = connection.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s",
            (admin.user,),
        ).fetchone()
    assert attributes == (False, True, True)


def test_each_app_connects_to_its_own_database_and_no_other(deployed: DatabaseStack) -> None:
    server = deployed.server
    for app in APPS:
        login, database = app_login(deployed.plan, app)
        with session(server, login, database) as connection:
            assert connection.execute("SELECT current_database()").fetchone() == (app,)
        for other in set(APPS) - {app}:
            with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
                server.connect(login, other)


def test_a_second_up_finds_what_the_first_wrote(deployed: DatabaseStack) -> None:
    """Every resource reads back as the program asks for it: no update on the next `up`."""
    assert deployed.drift() == {}


def test_the_resize_runbook_dumps_drops_and_restores_an_app_database(
    deployed: DatabaseStack,
) -> None:
    """docs/runbooks/resize-database.md: dump with the app's credentials (the admin
    cannot even connect to an app's database), let the admin's provider drop it and
    create the new one, restore with the app's credentials."""
    server, plan = deployed.server, deployed.plan
    login, database = app_login(plan, "blog")
    with session(server, login, database) as app:
        app.execute("CREATE TABLE posts (id int PRIMARY KEY, title text)")
        app.execute("INSERT INTO posts VALUES (1, 'kept')")
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        server.connect(admin_login(plan), database)
    dump = server.scratch("dumps") / "blog.dump"
    server.run("pg_dump", "--format=custom", "--dbname", database, "--file", str(dump), login=login)
    blog = [r for r in deployed.resources if r.name.startswith("shared-blog-")]
    deployed.delete(blog)
    deployed.create(blog)
    server.run(
        "pg_restore",
        "--no-owner",
        "--role",
        login.user,
        "--dbname",
        database,
        str(dump),
        login=login,
    )
    with session(server, login, database) as app:
        assert app.execute("SELECT title FROM posts").fetchall() == [("kept",)]


def test_an_app_removed_and_added_back_with_a_live_session(
    deployed: DatabaseStack, stack_plans: dict[str, PlanView]
) -> None:
    server = deployed.server
    without_shop = {r.name for r in stack_plans["dev"].resources}
    shop = [r for r in deployed.resources if r.name not in without_shop]
    assert {r.name for r in shop} >= {"shared-shop-role", "shared-shop-database"}
    login, database = app_login(deployed.plan, "shop")
    live = server.connect(login, database)
    try:
        deployed.delete(shop)
        with pytest.raises(psycopg.OperationalError):
            live.execute("SELECT 1")
    finally:
        live.close()
    with session(server, admin_login(deployed.plan), "postgres") as admin:
        left = admin.execute(
            "SELECT (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'shop%%'), "
            "(SELECT count(*) FROM pg_database WHERE datname = 'shop')"
        ).fetchone()
    assert left == (0, 0)
    deployed.create(shop)
    with session(server, login, database) as connection:
        assert connection.execute("SELECT current_user").fetchone() == (login.user,)
    assert deployed.drift() == {}
