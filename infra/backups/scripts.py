"""What a backup job runs, and the restore that reads what it wrote.

A job is two containers sharing one scratch volume: PostgreSQL's own client dumps the
app's database with the app's own login (the admin cannot read app data), then the AWS
CLI uploads the dump. The dump is pg_dump's custom format, which pg_restore can restore
whole or in part, into the same database or a new instance.

The object key starts with the dump's UTC time, so a listing sorts oldest first, and
ends with 64 random bits: the writer may put objects but not list or read them, so it
cannot find, and so cannot overwrite, a dump it did not just write.

tests/postgres/test_backup_restore.py runs these scripts, as the plan hands them to the
CronJob, and the restore in docs/runbooks/restore-database.md, on a real PostgreSQL.
"""

from __future__ import annotations

# Where the dump sits between the two containers.
SCRATCH = "/backup"
DUMP_FILE = f"{SCRATCH}/database.dump"

# libpq reads PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD and PGSSLMODE from the
# app's backup Secret (https://www.postgresql.org/docs/17/libpq-envars.html).
DUMP = 'pg_dump --format=custom --file "$DUMP_FILE"\necho "dumped $PGDATABASE as $PGUSER"\n'

UPLOAD = (
    'nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d " \\n")\n'
    'key="$BACKUP_PREFIX$(date -u +%Y%m%dT%H%M%SZ)-$nonce.dump"\n'
    'aws s3 cp --only-show-errors "$DUMP_FILE" "s3://$BACKUP_BUCKET/$key"\n'
    'echo "uploaded s3://$BACKUP_BUCKET/$key"\n'
)


def shell(script: str) -> list[str]:
    """A container command that stops at the first failing step or unset variable."""
    return ["/bin/sh", "-euc", script]
