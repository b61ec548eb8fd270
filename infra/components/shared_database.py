"""SharedDatabase: one Civo managed database behind its own firewall, admin credentials
in AWS Secrets Manager, and one database and role per app that uses it. No app ever
receives the admin credentials."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import pulumi
import pulumi_civo as civo
import pulumi_postgresql as postgresql
import pulumi_random as random

from infra import naming
from infra.catalog import CIVO_DB_SOFTWARE
from infra.clusters.base import FirewallSource
from infra.components.contracts import DatabaseLogin
from infra.config import DatabaseConfig
from infra.credentials.database_logins import AppLogin, app_logins
from infra.credentials.secrets_manager import JsonSecret, json_secret
from infra.outputs import secret
from infra.runbooks import RESIZE_DATABASE

PORTS = {"postgresql": 5432}
ADMIN_DATABASE = "postgres"


@dataclass(frozen=True)
class SharedDatabaseArgs:
    environment: str
    database: DatabaseConfig
    # Apps that get their own database and role, each with the clusters that read its
    # credentials (infra.access.secret_readers).
    apps: Mapping[str, Sequence[str]]
    # Who may connect: the egress of clusters running those apps, and the admin CIDRs.
    clients: Sequence[FirewallSource]
    protect: bool
    retain_on_delete: bool


def connection_url(user: str, password: str, host: str, port: int, database: str) -> str:
    return (
        f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/"
        f"{database}?sslmode=require"
    )


def size_applied(wanted: str) -> Callable[[str], str]:
    """Fails the run when Civo reports another size than config asks for.

    terraform-provider-civo v1.1.4 never sends `size` on update (civogo v0.3.89
    UpdateDatabaseRequest has name, nodes, firewall_id and region only) and then reads the
    real size back, so after an `up` that "changed" it the output still holds the old one.
    Failing here turns that silent no-op into an error that says what to do instead.
    """

    def check(actual: str) -> str:
        if actual and actual != wanted:
            raise RuntimeError(
                f"platform:database.size: Civo still runs this database as {actual}, not "
                f"{wanted}: it cannot resize a database in place; see {RESIZE_DATABASE}"
            )
        return actual

    return check


class SharedDatabase(pulumi.ComponentResource):
    host: pulumi.Output[str]
    port: pulumi.Output[int]
    size: pulumi.Output[str]
    admin_secret_path: str
    app_secret_paths: dict[str, str]
    # The version id of each app's credentials: it changes whenever they do.
    app_secret_versions: dict[str, pulumi.Output[str]]
    # Each app's login in use, for its backups.
    app_logins: dict[str, DatabaseLogin]

    def __init__(
        self, name: str, args: SharedDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:index:SharedDatabase", name, None, opts)
        db = args.database
        child = pulumi.ResourceOptions(parent=self)
        # The database instance is kept (protect, retainOnDelete) as configured, and so
        # is what it sits in, its network and firewall: Civo refuses to delete a network
        # a database still uses, and a protected replacement is refused before either is
        # touched. What is rebuilt from it (secrets, roles, app databases) is only
        # protected: retained, it would stay behind when an app is removed, and
        # re-adding the app would fail on "already exists".
        keep = pulumi.ResourceOptions(
            parent=self, protect=args.protect, retain_on_delete=args.retain_on_delete
        )
        guard = pulumi.ResourceOptions(parent=self, protect=args.protect)
        cloud_network = naming.database_network(args.environment, name)
        network = civo.Network(f"{name}-network", label=cloud_network, region=db.region, opts=keep)
        firewall = civo.Firewall(
            f"{name}-firewall",
            name=cloud_network,
            region=db.region,
            network_id=network.id,
            create_default_rules=False,
            ingress_rules=[
                civo.FirewallIngressRuleArgs(
                    action="allow",
                    protocol="tcp",
                    port_range=str(PORTS[db.engine]),
                    cidrs=[c.cidr for c in args.clients],
                    label="database-clients",
                )
            ],
            egress_rules=[
                civo.FirewallEgressRuleArgs(
                    action="allow", protocol="tcp", port_range="1-65535", cidrs=["0.0.0.0/0"]
                )
            ],
            opts=keep,
        )
        # The version is checked where it matters, at creation: against the catalog at plan
        # time, and against Civo's offer by `platform preflight` while the database does
        # not exist yet. Never on an `up` of a live one: Civo withdraws versions for new
        # databases while existing ones keep running, and the provider never sends the
        # version on update (terraform-provider-civo v1.1.4 resource_database.go L217-234).
        instance = civo.Database(
            name,
            name=naming.database_cloud_name(args.environment, name),
            engine=CIVO_DB_SOFTWARE[db.engine],
            version=db.version,
            size=db.size,
            nodes=db.nodes,
            region=db.region,
            network_id=network.id,
            firewall_id=firewall.id,
            # pulumi-civo does not mark the password secret (terraform-provider-civo's
            # schema lacks `Sensitive`); without this it is plaintext in the state.
            opts=pulumi.ResourceOptions.merge(
                keep, pulumi.ResourceOptions(additional_secret_outputs=["password"])
            ),
        )
        admin_password = secret(instance.password)
        # Civo's API reports 0 as the database's top-level port (infra.providers.outputs).
        port = instance.port.apply(lambda reported: reported or PORTS[db.engine])
        self.admin_secret_path = naming.admin_secret_path(args.environment, name)
        json_secret(
            f"{name}-admin-credentials",
            self.admin_secret_path,
            {
                "username": instance.username,
                "password": admin_password,
                "host": instance.endpoint,
                "port": port,
                "database": ADMIN_DATABASE,
                "url": pulumi.Output.all(
                    instance.username, admin_password, instance.endpoint, port
                ).apply(lambda a: connection_url(a[0], a[1], a[2], a[3], ADMIN_DATABASE)),
            },
            environment=args.environment,
            opts=guard,
        )
        admin = postgresql.Provider(
            f"{name}-postgresql",
            host=instance.endpoint,
            port=port,
            username=instance.username,
            password=admin_password,
            database=ADMIN_DATABASE,
            sslmode="require",
            superuser=False,
            opts=child,
        )
        credentials = {
            app: self._app_database(
                name, app, instance=instance, port=port, admin=admin, args=args, guard=guard
            )
            for app in args.apps
        }
        self.app_secret_paths = {
            app: naming.app_secret_path(args.environment, name, app) for app in args.apps
        }
        self.app_secret_versions = {app: c.version_id for app, (c, _) in credentials.items()}
        self.app_logins = {app: login for app, (_, login) in credentials.items()}
        self.host = instance.endpoint
        self.port = port
        self.size = instance.size.apply(size_applied(db.size))
        self.register_outputs(
            {
                "host": self.host,
                "port": self.port,
                "size": self.size,
                "adminSecretPath": self.admin_secret_path,
                "appSecretPaths": self.app_secret_paths,
            }
        )

    def _app_database(
        self,
        name: str,
        app: str,
        *,
        instance: civo.Database,
        port: pulumi.Output[int],
        admin: postgresql.Provider,
        args: SharedDatabaseArgs,
        guard: pulumi.ResourceOptions,
    ) -> tuple[JsonSecret, DatabaseLogin]:
        """The app's own database, owned by a role named after it, and its two logins; the
        credentials of the one in use, and only those, go to AWS."""
        # Inside the instance: when it leaves the stack (retained or deleted) they go with
        # it, with no DROP of their own, and when it is replaced they are created afresh
        # on the new server (pulumi/pulumi step_generator.go L2909-2916, step.go L663).
        inside = pulumi.ResourceOptions(provider=admin, deleted_with=instance)
        on_db = pulumi.ResourceOptions.merge(guard, inside)
        rotation = args.database.rotations.get(app, 0)
        logins = app_logins(app, rotation)
        owner_password = _password(f"{name}-{app}-password", logins[0], self)
        owner = postgresql.Role(
            f"{name}-{app}-role", name=app, login=True, password=owner_password.result, opts=on_db
        )
        database = postgresql.Database(
            f"{name}-{app}-database", name=app, owner=owner.name, opts=on_db
        )
        # New databases let PUBLIC connect; revoking it leaves the owner as the only way in.
        # The revoke runs as the owner: the provider runs a database Grant as its own user
        # without borrowing the owner's rights (cyrilgdn/terraform-provider-postgresql
        # ff936b9 resource_postgresql_grant.go:190, getRolesToGrant :800-809), and Civo's
        # admin is no superuser and, on PostgreSQL 16+, does not inherit the roles it
        # creates: as the admin, PostgreSQL only warns "no privileges could be revoked",
        # and the provider reads back [CONNECT, TEMPORARY] on every later `up` (upstream
        # #133). A GrantRole of the app to the admin is no way out: on 16+ the provider
        # reads the role's first membership row (resource_postgresql_grant_role.go:127-156),
        # which is CREATE ROLE's own, with ADMIN, so it would replace itself on every `up`.
        as_owner = postgresql.Provider(
            f"{name}-{app}-owner-postgresql",
            host=instance.endpoint,
            port=port,
            username=owner.name,
            password=secret(owner_password.result),
            database=app,
            sslmode="require",
            superuser=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[database]),
        )
        postgresql.Grant(
            f"{name}-{app}-revoke-public",
            database=database.name,
            role="public",
            object_type="database",
            privileges=[],
            opts=pulumi.ResourceOptions(parent=self, provider=as_owner, deleted_with=instance),
        )
        alternate_password = _password(f"{name}-{app}-alternate-password", logins[1], self)
        # Sessions of the alternate login act as the owner (SET ROLE at login), so the
        # objects it creates belong to the owner whichever login made them.
        alternate = postgresql.Role(
            f"{name}-{app}-alternate-role",
            name=logins[1].user,
            login=True,
            password=alternate_password.result,
            roles=[owner.name],
            assume_role=owner.name,
            opts=on_db,
        )
        active, password, role = (
            (logins[0], owner_password, owner)
            if logins[0].active
            else (logins[1], alternate_password, alternate)
        )
        app_password = secret(password.result)
        published = json_secret(
            f"{name}-{app}-credentials",
            naming.app_secret_path(args.environment, name, app),
            {
                "username": active.user,
                "password": app_password,
                "host": instance.endpoint,
                "port": port,
                "database": app,
                "url": pulumi.Output.all(app_password, instance.endpoint, port).apply(
                    lambda a: connection_url(active.user, a[0], a[1], a[2], app)
                ),
            },
            environment=args.environment,
            opts=guard,
            value_after=[role, database],
            readers=args.apps[app],
        )
        login = DatabaseLogin(
            database=app, user=active.user, password=app_password, ready=[role, database]
        )
        return published, login


def _password(
    resource_name: str, login: AppLogin, parent: pulumi.Resource
) -> random.RandomPassword:
    return random.RandomPassword(
        resource_name,
        length=32,
        special=False,
        keepers=login.keepers,
        opts=pulumi.ResourceOptions(parent=parent),
    )
