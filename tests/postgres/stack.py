"""A plan's PostgreSQL side, applied to a real server as `pulumi up` would apply it.

The resources, their inputs and the provider each one uses come from the plan (the
offline run of the real program), never from a copy in the test: a change to the program
changes what runs here. Resources are created in registration order, which respects
every dependency, and deleted in the reverse order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from platform_cli.runner import Registration
from tests.planview import PlanView
from tests.postgres.provider import DATABASE, GRANT, GRANT_ROLE, ROLE, SUPPORTED, Provider
from tests.postgres.server import Login, PostgresServer

PROVIDER = "pulumi:providers:postgresql"
# Civo's admin: its own role, not a superuser, allowed to create roles and databases
# (review data.md, civo/docs migrate-from-14-to-17.md; shared_database.py `superuser=False`).
CIVO_ADMIN_ATTRIBUTES = ("NOSUPERUSER", "CREATEDB", "CREATEROLE")


def admin_login(plan: PlanView) -> Login:
    """The admin the program's postgresql provider logs in as (Civo's `username` and
    `password` outputs, as the plan hands them over)."""
    (provider,) = [r for r in plan.of_type(PROVIDER) if r.inputs.get("username") == "civo"]
    return Login(provider.revealed_inputs["username"], provider.revealed_inputs["password"])


def app_credentials(plan: PlanView, app: str) -> dict[str, Any]:
    """What the app receives: the JSON document its AWS secret holds."""
    (version,) = [
        r
        for r in plan.of_type("secretsmanager/secretVersion:SecretVersion")
        if r.name.endswith(f"-{app}-credentials-value")
    ]
    credentials: dict[str, Any] = json.loads(version.revealed_inputs["secretString"])
    return credentials


def app_login(plan: PlanView, app: str) -> tuple[Login, str]:
    credentials = app_credentials(plan, app)
    return Login(credentials["username"], credentials["password"]), credentials["database"]


class DatabaseStack:
    """The postgresql resources of one plan, on one server."""

    def __init__(self, plan: PlanView, server: PostgresServer) -> None:
        self.plan = plan
        self.server = server
        self.resources = [r for r in plan.resources if r.type in SUPPORTED]
        providers = {r.urn: r for r in plan.of_type(PROVIDER)}
        self._providers = providers

    def provider_of(self, resource: Registration) -> Provider:
        assert resource.provider, f"{resource.name} has no explicit provider"
        config = self._providers[resource.provider.rsplit("::", 1)[0]].revealed_inputs
        return Provider(
            self.server, Login(config["username"], config["password"]), config["database"]
        )

    def named(self, names: Iterable[str]) -> list[Registration]:
        wanted = set(names)
        return [r for r in self.resources if r.name in wanted]

    def _run(self, verb: str, resource: Registration) -> None:
        provider = self.provider_of(resource)
        kind = {ROLE: "role", DATABASE: "database", GRANT: "grant", GRANT_ROLE: "grant_role"}
        operation: Callable[[Mapping[str, Any]], Any] = getattr(
            provider, f"{verb}_{kind[resource.type]}"
        )
        operation(resource.revealed_inputs)

    def create(self, resources: Iterable[Registration] | None = None) -> None:
        for resource in self.resources if resources is None else resources:
            self._run("create", resource)

    def delete(self, resources: Iterable[Registration]) -> None:
        for resource in reversed(list(resources)):
            self._run("delete", resource)

    def drift(self) -> dict[str, dict[str, tuple[Any, Any]]]:
        """What a refresh would find different from the program's inputs, by resource:
        {name: {attribute: (wanted, read)}}. Empty means a second `up` changes nothing."""
        found: dict[str, dict[str, tuple[Any, Any]]] = {}
        for resource in self.resources:
            provider = self.provider_of(resource)
            inputs = resource.revealed_inputs
            read: dict[str, Any]
            if resource.type == ROLE:
                read = provider.read_role(inputs["name"])
                wanted = {
                    "name": inputs["name"],
                    "login": bool(inputs.get("login")),
                    "roles": sorted(inputs.get("roles") or []),
                    "assumeRole": inputs.get("assumeRole", ""),
                }
            elif resource.type == DATABASE:
                read = provider.read_database(inputs["name"])
                wanted = {"name": inputs["name"], "owner": inputs["owner"]}
            elif resource.type == GRANT:
                read = provider.read_grant(inputs)
                wanted = {**inputs, "privileges": sorted(inputs["privileges"])}
            else:
                read = provider.read_grant_role(inputs)
                wanted = {
                    "role": inputs["role"],
                    "grantRole": inputs["grantRole"],
                    "withAdminOption": bool(inputs.get("withAdminOption")),
                }
            changed = {
                key: (value, read.get(key))
                for key, value in wanted.items()
                if read.get(key) != value
            }
            if changed:
                found[resource.name] = changed
        return found
