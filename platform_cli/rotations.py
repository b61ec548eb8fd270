"""Edits of the database apps' logins that `pulumi up` would get wrong, refused before it.

Each database app has two logins (infra/credentials/database_logins.py); its count in
`platform:database.rotations` says which one the app uses and how often each password
was renewed. Two edits go wrong on a real server (tests/postgres/test_rotation.py):

- Any change of the count but a rise by one renews the password of the login the app
  uses now, while its workloads still hold the old one: they lose the database until
  the new value reaches them and they restart.
- Dropping an app's database while the app logs in as its alternate login (an odd
  count). The provider borrows only the owner's rights, closes the database, then fails
  to end the alternate's sessions: Civo's admin does not inherit that login, and on
  PostgreSQL 16+ only a role with its privileges may end its backends
  (cyrilgdn/terraform-provider-postgresql ff936b9 resource_postgresql_database.go:254,
  :625-645). `up` stops there, with the database refusing every new connection.
"""

from __future__ import annotations

import json
from collections.abc import Collection

from infra.credentials.database_logins import AppLogin, app_logins
from infra.stackconfig import StackFile
from platform_cli.runner import PlanRun

DATABASE = "postgresql:index/database:Database"
FIELD = "platform:database.rotations"
RUNBOOK = "docs/runbooks/rotate-credentials.md"


def rotation_counts(stack: StackFile) -> dict[str, int]:
    """`platform:database.rotations` of a stack file (already validated by its plan)."""
    database = json.loads(stack.values.get("platform:database") or "{}")
    return {app: int(count) for app, count in (database.get("rotations") or {}).items()}


def _in_use(app: str, rotation: int) -> AppLogin:
    return next(login for login in app_logins(app, rotation) if login.active)


def _app_databases(run: PlanRun) -> dict[str, str]:
    """The app database each Database resource is, by URN."""
    return {r.urn: r.revealed_inputs["name"] for r in run.registrations if r.type == DATABASE}


def login_edit_errors(
    old: StackFile, new: StackFile, old_run: PlanRun, new_run: PlanRun, replaced: Collection[str]
) -> list[str]:
    """`error:` lines for the edits above; ``replaced`` are the URNs `up` replaces."""
    before, after = rotation_counts(old), rotation_counts(new)
    kept = _app_databases(new_run)
    errors = []
    for urn, app in sorted(_app_databases(old_run).items(), key=lambda item: item[1]):
        count = before.get(app, 0)
        in_use = _in_use(app, count)
        field = "error: " + ".".join((FIELD, app))
        if urn not in kept or urn in replaced:
            if in_use.user != app:
                errors.append(
                    f"{field}: the app's database is dropped while {app} logs in as "
                    f"{in_use.user} (rotation {count}): the provider closes the database, "
                    f"then cannot end {in_use.user}'s sessions (Civo's admin does not "
                    "inherit that login), and `up` stops with the database refusing every "
                    f"connection; first set it to {count + 1} alone, run `pulumi up`, wait "
                    f"until the app's workloads restarted on {app}, then drop it ({RUNBOOK})"
                )
            continue
        renewed = {login.user: login.generation for login in app_logins(app, after.get(app, 0))}
        if renewed[in_use.user] != in_use.generation:
            now = after.get(app)
            errors.append(
                f"{field}: {count} -> {'no entry (0)' if now is None else now} renews the "
                f"password of {in_use.user}, the login {app} uses now, while its workloads "
                "still hold the old one; raise it by one per `pulumi up`: set it to "
                f"{count + 1}, and again only once the workloads restarted ({RUNBOOK})"
            )
    return errors
