"""The SQL the pinned postgresql provider runs, statement by statement, on a real server.

pulumi-postgresql 3.18.2 bridges cyrilgdn/terraform-provider-postgresql at ff936b9548c1.
Each statement below cites the file and lines under `postgresql/` at that commit that
issue it. Only the attributes the program sets are supported: a resource with any other
input fails here, so a program change cannot be checked against SQL it does not cause.

A statement outside an explicit transaction runs on its own (lib/pq, autocommit), as
the provider's `db.Exec` calls do; `BEGIN`/`COMMIT` appear where the provider uses
`startTransaction` (helpers.go:390-405), which also opens a new connection when the
resource names another database than the provider's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.postgres.server import Login, PostgresServer

ROLE = "postgresql:index/role:Role"
DATABASE = "postgresql:index/database:Database"
GRANT = "postgresql:index/grant:Grant"
GRANT_ROLE = "postgresql:index/grantRole:GrantRole"
PUBLIC = "public"  # helpers.go:571 publicRole

# What each resource may set; anything else is not emulated (see the module docstring).
SUPPORTED = {
    ROLE: {"name", "login", "password", "roles", "assumeRole"},
    DATABASE: {"name", "owner"},
    GRANT: {"database", "role", "objectType", "privileges"},
    GRANT_ROLE: {"role", "grantRole", "withAdminOption"},
}


def ident(name: str) -> str:
    """lib/pq QuoteIdentifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """helpers.go:51-55 pqQuoteLiteral, wrapped in quotes as its callers do."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def check_supported(type_token: str, inputs: Mapping[str, Any]) -> None:
    unknown = set(inputs) - SUPPORTED[type_token] - {"__defaults"}
    assert not unknown, f"{type_token}: the SQL emulation does not cover {sorted(unknown)}"


class RecordingConnection:
    """A connection that notes every statement sent through it, in order."""

    def __init__(self, connection: Any, executed: list[str]) -> None:
        self._connection = connection
        self._executed = executed

    def execute(self, query: str, params: Any = None) -> Any:
        self._executed.append(query)
        return self._connection.execute(query, params)


@dataclass
class Provider:
    """One `postgresql.Provider`: who it logs in as, and its default database."""

    server: PostgresServer
    login: Login
    database: str = "postgres"
    # Every statement this provider sent, in order (the tests compare it with the source).
    executed: list[str] = field(default_factory=list)

    @contextlib.contextmanager
    def session(self, database: str | None = None) -> Iterator[Any]:
        connection = self.server.connect(self.login, database or self.database)
        try:
            yield RecordingConnection(connection, self.executed)
        finally:
            connection.close()

    @contextlib.contextmanager
    def transaction(self, database: str | None = None) -> Iterator[Any]:
        """helpers.go:390-405 startTransaction: commit on success, roll back otherwise
        (helpers.go:457-466 deferredRollback)."""
        with self.session(database) as connection:
            connection.execute("BEGIN")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    # --- helpers.go -----------------------------------------------------------------

    @staticmethod
    def is_member(connection: Any, role: str, member: str) -> bool:
        """helpers.go:57-89 isMemberOfRole: with `set_option` where the column exists."""
        has_set = connection.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name='pg_auth_members' AND column_name = 'set_option'"
        ).fetchone()
        query = (
            "SELECT 1 FROM pg_auth_members "
            "WHERE pg_get_userbyid(roleid) = %s AND pg_get_userbyid(member) = %s"
        )
        if has_set:
            query += " AND set_option"
        return connection.execute(query, (role, member)).fetchone() is not None

    def grant_membership(self, connection: Any, role: str, member: str) -> bool:
        """helpers.go:91-115 grantRoleMembership."""
        if member == role or self.is_member(connection, role, member):
            return False
        connection.execute(f"GRANT {ident(role)} TO {ident(member)}")
        return True

    def revoke_membership(self, connection: Any, role: str, member: str) -> bool:
        """helpers.go:117-140 revokeRoleMembership."""
        if member == role or not self.is_member(connection, role, member):
            return False
        connection.execute(f"REVOKE {ident(role)} FROM {ident(member)}")
        return True

    @staticmethod
    def lock_role(connection: Any, role: str) -> None:
        """helpers.go:586-604 pgLockRole."""
        connection.execute("SET statement_timeout = 0")
        connection.execute(
            "SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = %s", (role,)
        )
        connection.execute(
            "SELECT pg_advisory_xact_lock(member::bigint) FROM pg_auth_members "
            "JOIN pg_roles ON roleid = pg_roles.oid WHERE rolname = %s",
            (role,),
        )

    @staticmethod
    def lock_database(connection: Any, database: str) -> None:
        """helpers.go:606-616 pgLockDatabase."""
        connection.execute("SET statement_timeout = 0")
        connection.execute(
            "SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_database WHERE datname = %s",
            (database,),
        )

    def with_roles_granted(self, connection: Any, roles: list[str], statements: list[str]) -> None:
        """helpers.go:142-239 withRolesGranted: a temporary membership in each role."""
        if not roles:
            for statement in statements:
                connection.execute(statement)
            return
        (current,) = connection.execute("SELECT CURRENT_USER").fetchone()  # helpers.go:445
        superuser = "SELECT rolsuper FROM pg_roles WHERE rolname = %s"  # helpers.go:564
        if connection.execute(superuser, (current,)).fetchone()[0]:
            for statement in statements:
                connection.execute(statement)
            return
        granted, revoked = [], []
        for role in roles:
            if connection.execute(superuser, (role,)).fetchone()[0]:
                continue
            if self.revoke_membership(connection, current, role):
                revoked.append(role)
            if self.grant_membership(connection, role, current):
                granted.append(role)
        for statement in statements:
            connection.execute(statement)
        for role in granted:
            self.revoke_membership(connection, role, current)
        for role in revoked:
            exists = "SELECT 1 FROM pg_roles WHERE rolname = %s"
            if connection.execute(exists, (role,)).fetchone():
                self.grant_membership(connection, current, role)

    # --- resource_postgresql_role.go ------------------------------------------------

    def create_role(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """resource_postgresql_role.go:200-380 resourcePostgreSQLRoleCreate."""
        check_supported(ROLE, inputs)
        name = inputs["name"]
        options = []
        if password := inputs.get("password"):
            # :216-228, :288-300 (encrypted_password defaults to true, :106-111)
            options += ["ENCRYPTED", f"PASSWORD {literal(password)}"]
        options.append("VALID UNTIL 'infinity'")  # :302-305
        options.append("CONNECTION LIMIT -1")  # :317-320 (connection_limit defaults to -1)
        # :242-258, :322-334: superuser, createdb, createrole, inherit, login, bypassrls,
        # replication, in this order, each from its schema default unless set.
        options += [
            "NOSUPERUSER",
            "NOCREATEDB",
            "NOCREATEROLE",
            "INHERIT",
            "LOGIN" if inputs.get("login") else "NOLOGIN",
            "NOBYPASSRLS",
            "NOREPLICATION",
        ]
        with self.transaction() as txn:
            txn.execute(f"CREATE ROLE {ident(name)} WITH {' '.join(options)}")  # :347-351
            self.grant_roles(txn, inputs)  # :353
            self.alter_search_path(txn, name)  # :357
            # :361-367: statement_timeout and idle_in_transaction_session_timeout are unset,
            # so unchanged; :369 setAssumeRole runs since assume_role changed from nothing.
            if assume := inputs.get("assumeRole"):
                self.set_assume_role(txn, name, assume)
        return self.read_role(name)

    @staticmethod
    def grant_roles(connection: Any, inputs: Mapping[str, Any]) -> None:
        """resource_postgresql_role.go:1031-1043 grantRoles: every role in `roles`."""
        for member_of in sorted(inputs.get("roles") or []):
            connection.execute(f"GRANT {ident(member_of)} TO {ident(inputs['name'])}")

    @staticmethod
    def revoke_roles(connection: Any, name: str) -> None:
        """resource_postgresql_role.go:989-1029 revokeRoles: every role it is a member of."""
        rows = connection.execute(
            "SELECT pg_get_userbyid(roleid) FROM pg_catalog.pg_auth_members members "
            "JOIN pg_catalog.pg_roles ON members.member = pg_roles.oid WHERE rolname = %s",
            (name,),
        ).fetchall()
        for (member_of,) in rows:
            connection.execute(f"REVOKE {ident(member_of)} FROM {ident(name)}")

    @staticmethod
    def alter_search_path(connection: Any, name: str) -> None:
        """resource_postgresql_role.go:1045-1070 alterSearchPath, with `search_path` unset
        (the program never sets it): DEFAULT, whether or not anything changed."""
        connection.execute(f"ALTER ROLE {ident(name)} SET search_path TO DEFAULT")

    @staticmethod
    def set_assume_role(connection: Any, name: str, assume: str) -> None:
        """resource_postgresql_role.go:1122-1145 setAssumeRole."""
        if assume:
            connection.execute(f"ALTER ROLE {ident(name)} SET ROLE TO {ident(assume)}")
        else:
            connection.execute(f"ALTER ROLE {ident(name)} RESET ROLE")

    def read_role(self, name: str) -> dict[str, Any]:
        """resource_postgresql_role.go:442-546: what the provider stores after a read."""
        with self.session() as connection:
            row = connection.execute(
                "SELECT ARRAY(SELECT pg_get_userbyid(roleid) FROM pg_catalog.pg_auth_members "
                "members WHERE member = pg_roles.oid), rolname, rolcanlogin, rolconfig "
                "FROM pg_catalog.pg_roles WHERE rolname=%s",
                (name,),
            ).fetchone()
        if row is None:
            return {}
        roles, rolname, login, config = row
        # :598-609 readAssumeRole: the `role=` entry of rolconfig
        assume = next((c.removeprefix("role=") for c in config or [] if c.startswith("role")), "")
        return {"name": rolname, "login": login, "roles": sorted(set(roles)), "assumeRole": assume}

    def update_role(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        """resource_postgresql_role.go:671-757 resourcePostgreSQLRoleUpdate. Each setter
        runs only when its attribute changed, except the memberships and the search path,
        which run on every update."""
        check_supported(ROLE, new)
        name = new["name"]
        assert old["name"] == name, "renaming a role (:759-779 setRoleName) is not emulated"
        assert bool(old.get("login")) == bool(new.get("login")), "setRoleLogin is not emulated"
        with self.transaction() as txn:
            self.lock_role(txn, name)  # :679
            if new.get("password") != old.get("password") and new.get("password"):
                # :687, :781-814 setRolePassword
                txn.execute(f"ALTER ROLE {ident(name)} PASSWORD {literal(new['password'])}")
            # :691-726: login is unchanged (asserted above); bypass_rls, connection_limit,
            # create_database, create_role, inherit, replication, superuser and
            # valid_until are never set, so never changed.
            self.revoke_roles(txn, name)  # :728
            self.grant_roles(txn, new)  # :732
            self.alter_search_path(txn, name)  # :736
            # :740-746: the two timeouts are unset, so unchanged.
            if new.get("assumeRole", "") != old.get("assumeRole", ""):  # :748
                self.set_assume_role(txn, name, new.get("assumeRole", ""))
        return self.read_role(name)

    def delete_role(self, inputs: Mapping[str, Any]) -> None:
        """resource_postgresql_role.go:382-423 resourcePostgreSQLRoleDelete."""
        name = inputs["name"]
        with self.transaction() as txn:
            self.lock_role(txn, name)  # :391
            self.with_roles_granted(  # :396-408
                txn,
                [name],
                [
                    f"REASSIGN OWNED BY {ident(name)} TO {ident(self.login.user)}",  # :398
                    f"DROP OWNED BY {ident(name)}",  # :402
                ],
            )
            txn.execute(f"DROP ROLE {ident(name)}")  # :411

    # --- resource_postgresql_database.go --------------------------------------------

    def create_database(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """resource_postgresql_database.go:116-237 Create and createDatabase."""
        check_supported(DATABASE, inputs)
        name, owner = inputs["name"], inputs["owner"]
        with self.transaction() as lock, self.session() as db:
            self.lock_role(lock, self.login.user)  # :134-141
            granted = self.grant_membership(db, owner, self.login.user)  # :145
            try:
                # :157-231, with the schema defaults: template0, UTF8, connections allowed
                db.execute(
                    f"CREATE DATABASE {ident(name)} OWNER {ident(owner)} TEMPLATE template0 "
                    "ENCODING 'UTF8' ALLOW_CONNECTIONS true CONNECTION LIMIT -1 "
                    "IS_TEMPLATE false"
                )
            finally:
                if granted:  # :149-153
                    self.revoke_membership(db, owner, self.login.user)
        return self.read_database(name)

    def read_database(self, name: str) -> dict[str, Any]:
        """resource_postgresql_database.go:315-396: name and owner as stored."""
        with self.session() as connection:
            row = connection.execute(
                "SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba) from pg_database d "
                "WHERE datname=%s",
                (name,),
            ).fetchone()
        return {"name": row[0], "owner": row[1]} if row else {}

    def delete_database(self, inputs: Mapping[str, Any]) -> None:
        """resource_postgresql_database.go:239-299 resourcePostgreSQLDatabaseDelete."""
        name, owner = inputs["name"], inputs["owner"]
        with self.transaction() as lock, self.session() as db:
            self.lock_role(lock, self.login.user)  # :246-250
            granted = self.grant_membership(db, owner, self.login.user)  # :254
            try:
                # :281 terminateBConnections, :625-646
                db.execute(f"ALTER DATABASE {ident(name)} ALLOW_CONNECTIONS false")
                db.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = {literal(name)} AND pid <> pg_backend_pid()"
                )
                db.execute(f"DROP DATABASE {ident(name)} WITH ( FORCE )")  # :286-293
            finally:
                if granted:  # :258-262
                    self.revoke_membership(db, owner, self.login.user)

    # --- resource_postgresql_grant.go (object_type "database" only) ----------------

    def _database_grant(self, inputs: Mapping[str, Any]) -> tuple[str, str, list[str]]:
        check_supported(GRANT, inputs)
        assert inputs["objectType"] == "database", "only database grants are emulated"
        revoke = (
            f"REVOKE ALL PRIVILEGES ON DATABASE {ident(inputs['database'])} "
            f"FROM {ident(inputs['role'])}"
        )  # :610-620 createRevokeQuery
        grants = [
            f"GRANT {','.join(inputs['privileges'])} ON DATABASE "
            f"{ident(inputs['database'])} TO {ident(inputs['role'])}"
        ]  # :539-548 createGrantQuery
        return inputs["database"], revoke, grants if inputs["privileges"] else []  # :691-700

    def create_grant(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """resource_postgresql_grant.go:139-222 resourcePostgreSQLGrantCreateOrUpdate."""
        database, revoke, grants = self._database_grant(inputs)
        with self.transaction(database) as txn:  # :173
            self.lock_role(txn, inputs["role"])  # :180
            self.lock_database(txn, database)  # :184-188
            # :190 getRolesToGrant returns no owner for object_type "database" (:800-809),
            # so the revoke and grant run as the provider's own user.
            self.with_roles_granted(txn, [], [revoke, *grants])  # :194-207
        return self.read_grant(inputs)  # :215-221

    def read_grant(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """resource_postgresql_grant.go:266-285 readDatabaseRolePrivileges: the privileges
        the provider stores, which replace the configured ones unless they are equal
        (helpers.go:300-322 resourcePrivilegesEqual)."""
        database = inputs["database"]
        with self.transaction(database) as txn:  # :121-127
            role_oid = 0  # helpers.go:573-584 getRoleOID: `public` is 0
            if inputs["role"] != PUBLIC:
                role_oid = txn.execute(
                    "SELECT oid FROM pg_roles WHERE rolname = %s", (inputs["role"],)
                ).fetchone()[0]
            (granted,) = txn.execute(
                "SELECT array_agg(privilege_type) FROM (SELECT (aclexplode(datacl)).* "
                "FROM pg_database WHERE datname=%s) as privileges WHERE grantee = %s",
                (database, role_oid),
            ).fetchone()
        granted_set = set(granted or [])
        wanted = set(inputs["privileges"])
        return {**inputs, "privileges": sorted(wanted if granted_set == wanted else granted_set)}

    def delete_grant(self, inputs: Mapping[str, Any]) -> None:
        """resource_postgresql_grant.go:224-264 resourcePostgreSQLGrantDelete."""
        database, revoke, _ = self._database_grant(inputs)
        with self.transaction(database) as txn:  # :230
            self.lock_role(txn, inputs["role"])  # :237
            self.lock_database(txn, database)  # :242-246
            self.with_roles_granted(txn, [], [revoke])  # :248-257

    # --- resource_postgresql_grant_role.go ------------------------------------------

    def create_grant_role(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """resource_postgresql_grant_role.go:70-100 resourcePostgreSQLGrantRoleCreate."""
        check_supported(GRANT_ROLE, inputs)
        role, granted = ident(inputs["role"]), ident(inputs["grantRole"])
        with self.transaction() as txn:
            txn.execute(f"REVOKE {granted} FROM {role}")  # :85, :174-183
            admin = " WITH ADMIN OPTION" if inputs.get("withAdminOption") else ""
            txn.execute(f"GRANT {granted} TO {role}{admin}")  # :89, :158-172
        return self.read_grant_role(inputs)

    def read_grant_role(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """resource_postgresql_grant_role.go:127-156 readGrantRole: the first row of
        :16-26 getGrantRoleQuery (QueryRow), whichever grant of the membership it is."""
        with self.session() as connection:
            row = connection.execute(
                "SELECT pg_get_userbyid(member) as role, pg_get_userbyid(roleid) as "
                "grant_role, admin_option FROM pg_auth_members WHERE "
                "pg_get_userbyid(member) = %s AND pg_get_userbyid(roleid) = %s",
                (inputs["role"], inputs["grantRole"]),
            ).fetchone()
        if row is None:
            return {}
        return {"role": row[0], "grantRole": row[1], "withAdminOption": row[2]}

    def delete_grant_role(self, inputs: Mapping[str, Any]) -> None:
        """resource_postgresql_grant_role.go:102-125 resourcePostgreSQLGrantRoleDelete."""
        with self.transaction() as txn:
            txn.execute(f"REVOKE {ident(inputs['grantRole'])} FROM {ident(inputs['role'])}")
