"""Names a database app cannot take: the platform names each app's role and database
after the app, as the admin (pulumi-postgresql, quoted identifiers).

- Role names PostgreSQL reserves: ``public`` and ``none`` (postgres/postgres
  ``src/backend/parser/gram.y`` ``RoleSpec``: "role name \\"%s\\" is reserved"; reproduced
  on PostgreSQL 15.18 and 18.6 in ../shared/reviews/data.md §8). Role names starting
  with ``pg_`` are reserved too (``src/backend/commands/user.c`` ``CreateRole``), but an
  app name is a DNS label and cannot contain ``_``.
- The admin's own role: Civo's managed PostgreSQL logs in as ``civo`` (civo/docs
  e398c25 ``content/docs/database/getting-started.md`` L242, "Username : civo"), so
  ``CREATE ROLE "civo"`` fails with "already exists".
- Databases every cluster has from ``initdb``: ``postgres``, ``template0``,
  ``template1`` (https://www.postgresql.org/docs/current/manage-ag-templatedbs.html),
  so ``CREATE DATABASE`` fails with "already exists".
"""

from __future__ import annotations

RESERVED_ROLES = {
    "public": "PostgreSQL reserves the role name 'public' (gram.y RoleSpec)",
    "none": "PostgreSQL reserves the role name 'none' (gram.y RoleSpec)",
    "civo": "'civo' is the database admin's own role on Civo (civo/docs getting-started)",
}
EXISTING_DATABASES = {
    name: f"every PostgreSQL cluster already has a database {name!r} (initdb)"
    for name in ("postgres", "template0", "template1")
}


def app_name_problem(app: str) -> str | None:
    """Why ``app`` cannot name a role and a database, or None."""
    reason = RESERVED_ROLES.get(app) or EXISTING_DATABASES.get(app)
    return (
        f"{reason}; its role and database would be refused at `pulumi up`: rename the app"
        if reason
        else None
    )
