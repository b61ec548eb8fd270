"""The restore drill, on a real PostgreSQL and a real S3 API.

The backup runs the two containers of each app's CronJob exactly as the plan hands them
over: their commands, their environment and the Secrets it comes from. Only where the
services are differs: PGHOST/PGPORT point at the test server, whose build has no TLS
(so `sslmode=require` becomes `disable`), the AWS CLI at a local S3 (moto's server, with
the bucket the plan names), and the scratch volume's mount point at a directory. The
choice of the dump and the restore are the blocks of docs/runbooks/restore-database.md,
run as written, with the app's own credentials from its AWS secret's document in the plan.

`blog` has been rotated once, so its jobs and restores use the alternate login.

What this cannot prove offline:
- IAM. moto's server does not enforce policies: the S3 calls here run with any key, so
  that the writer may put dumps and nothing else is proven only by reading the policy
  (tests/plans/test_backups.py), never by a refused call.
- The job's images. The scripts run with this host's tools: pg_dump, pg_restore and psql
  of the embedded server's version (18.x) and the AWS CLI pinned in pyproject.toml (v1),
  not the PostgreSQL 17 client and AWS CLI v2 of the images infra/versions.py pins. The
  commands use options both versions have, but a difference between them (a default, an
  output format) would not show here.
- TLS, the database's firewall and the network policy: the server listens on 127.0.0.1
  without TLS.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from platform_cli.plan import plan_stack_file
from platform_cli.runner import PROJECT_DIR, Registration
from tests.conftest import stack_document
from tests.planview import PlanView
from tests.postgres.server import Login, PostgresServer
from tests.postgres.stack import CIVO_ADMIN_ATTRIBUTES, DatabaseStack, admin_login, app_credentials

APPS = ("blog", "shop")
RUNBOOK = PROJECT_DIR / "docs" / "runbooks" / "restore-database.md"
RESTORE_MARK = "<!-- restore:"
PICK_MARK = "<!-- pick:"
# Data each app holds, as the app would write it.
SCHEMA = {
    "blog": "CREATE TABLE posts (id int PRIMARY KEY, title text NOT NULL)",
    "shop": "CREATE TABLE orders (id int PRIMARY KEY, total numeric(10, 2))",
}


def plan_with_backups(directory: Path) -> PlanView:
    """dev with backups on, a second database app, and the blog's password rotated."""
    document = stack_document("dev")
    config = document["config"]
    blog = next(a for a in config["platform:apps"] if a["name"] == "blog")
    config["platform:apps"].append(
        {**blog, "name": "shop", "service": {"name": "shop", "port": 80}}
    )
    config["platform:database"]["rotations"] = {"blog": 1}
    config["platform:database"]["backups"] = {"schedule": "*/30 * * * *", "retentionDays": 7}
    path = directory / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return PlanView(plan_stack_file(path)[1])


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> PlanView:
    return plan_with_backups(tmp_path_factory.mktemp("backups"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """An S3 API on 127.0.0.1 (moto's server), for the AWS CLI the jobs and runbook use."""
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


class Drill:
    """One stack's database side on the server, its backup jobs and the bucket."""

    def __init__(self, plan: PlanView, server: PostgresServer, s3: str, work: Path) -> None:
        self.plan, self.server, self.s3, self.work = plan, server, s3, work
        self.stack = DatabaseStack(plan, server)
        self.bucket = self._input("aws:s3/bucket:Bucket", "bucket")
        self.aws = {
            "AWS_ENDPOINT_URL": s3,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-2",
        }

    def _input(self, type_token: str, key: str) -> str:
        (resource,) = self.plan.of_type(type_token)
        return str(resource.revealed_inputs[key])

    def up(self) -> None:
        """A first `up` of the database side (an instance Civo made, with its admin)."""
        self.server.create_login(admin_login(self.plan), CIVO_ADMIN_ATTRIBUTES)
        self.stack.create()

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            ["aws", *args], env=self._env(self.aws), capture_output=True, text=True, check=True
        )
        return done.stdout

    def _env(self, values: Mapping[str, str]) -> dict[str, str]:
        tools = [str(self.server.bin_dir), str(Path(sys.executable).parent)]
        return {"PATH": os.pathsep.join([*tools, os.environ["PATH"]]), **values}

    def keys(self, app: str) -> set[str]:
        listing = self.cli(
            "s3api", "list-objects-v2", "--bucket", self.bucket, "--prefix", f"{app}/"
        )
        return set(re.findall(r'"Key": "([^"]+)"', listing))

    # --- the CronJob, as planned ----------------------------------------------------

    def cron_job(self, app: str) -> Registration:
        (job,) = [
            r
            for r in self.plan.of_type("batch/v1:CronJob")
            if r.revealed_inputs["metadata"]["name"] == app
            and r.revealed_inputs["metadata"]["namespace"] == "database-backups"
        ]
        return job

    def _secret(self, name: str) -> dict[str, str]:
        (secret,) = [
            r
            for r in self.plan.of_type("core/v1:Secret")
            if r.revealed_inputs["metadata"] == {"name": name, "namespace": "database-backups"}
        ]
        return dict(secret.revealed_inputs["stringData"])

    def _container_env(self, container: Mapping[str, Any]) -> dict[str, str]:
        env: dict[str, str] = {}
        for source in container.get("envFrom", []):
            env |= self._secret(source["secretRef"]["name"])
        env |= {e["name"]: e["value"] for e in container.get("env", [])}
        return env

    def backup(self, app: str) -> str:
        """Run the app's job: its init container, then its container. Returns the key."""
        pod = self.cron_job(app).revealed_inputs["spec"]["jobTemplate"]["spec"]["template"]
        spec = pod["spec"]
        scratch = self.work / f"scratch-{app}"
        scratch.mkdir(exist_ok=True)
        here = {
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.server.port),
            "PGSSLMODE": "disable",
            "DUMP_FILE": str(
                scratch / Path(self._container_env(spec["containers"][0])["DUMP_FILE"]).name
            ),
            "AWS_ENDPOINT_URL": self.s3,
        }
        before = self.keys(app)
        for container in [*spec["initContainers"], *spec["containers"]]:
            env = self._container_env(container) | {k: v for k, v in here.items()}
            done = subprocess.run(
                container["command"],
                env=self._env(env),
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 0, f"{container['name']}: {done.stderr}"
        (written,) = self.keys(app) - before
        return written

    # --- the runbook's restore --------------------------------------------------------

    def restore(self, app: str, key: str) -> None:
        credentials = app_credentials(self.plan, app)
        url = (
            credentials["url"]
            .replace(
                f"@{credentials['host']}:{credentials['port']}/", f"@127.0.0.1:{self.server.port}/"
            )
            .replace("sslmode=require", "sslmode=disable")
        )
        env = {**self.aws, "BACKUP_BUCKET": self.bucket, "BACKUP_KEY": key, "DATABASE_URL": url}
        done = subprocess.run(
            ["/bin/sh", "-euc", runbook_restore()],
            env=self._env(env),
            cwd=self.work,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr

    def pick(self, app: str) -> str:
        """The runbook's choice of the latest dump: the last line of its listing."""
        env = {**self.aws, "BACKUP_BUCKET": self.bucket, "APP": app}
        done = subprocess.run(
            ["/bin/sh", "-euc", runbook_block(PICK_MARK)],
            env=self._env(env),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()[-1].split()[-1]

    # --- what the app sees --------------------------------------------------------------

    def login(self, app: str) -> Login:
        credentials = app_credentials(self.plan, app)
        return Login(credentials["username"], credentials["password"])

    def write(self, app: str, *statements: str) -> None:
        with contextlib.closing(self.server.connect(self.login(app), app)) as session:
            for statement in statements:
                session.execute(statement)

    def contents(self, app: str) -> dict[str, Any]:
        """Every table of the app's database: its owner and its rows, in order."""
        with contextlib.closing(self.server.connect(self.login(app), app)) as session:
            tables = session.execute(
                "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' "
                "ORDER BY tablename"
            ).fetchall()
            return {
                name: (owner, session.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall())
                for name, owner in tables
            }

    def relations(self, app: str) -> list[tuple[str, str]]:
        """Every table, view, sequence and index of the app's schema, and its kind."""
        with contextlib.closing(self.server.connect(self.login(app), app)) as session:
            rows = session.execute(
                "SELECT c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1"
            ).fetchall()
            return [(name, kind) for name, kind in rows]


def runbook_restore() -> str:
    return runbook_block(RESTORE_MARK)


def runbook_block(mark: str) -> str:
    text = RUNBOOK.read_text()
    after = text[text.index(mark) :]
    block = re.search(r"```bash\n(.*?)```", after, re.DOTALL)
    assert block, f"the runbook's block after {mark} is gone"
    lines = [line.strip() for line in block.group(1).splitlines()]
    return "\n".join(lines).replace("\\\n", " ")


@pytest.fixture
def drill(plan: PlanView, postgres: PostgresServer, s3: str, tmp_path: Path) -> Iterator[Drill]:
    os.chmod(tmp_path, 0o777)
    drill = Drill(plan, postgres, s3, tmp_path)
    drill.up()
    drill.cli("s3", "mb", f"s3://{drill.bucket}")
    yield drill
    drill.cli("s3", "rb", f"s3://{drill.bucket}", "--force")


def test_the_jobs_dump_with_each_apps_own_login_never_the_admins(drill: Drill) -> None:
    for app in APPS:
        secret = drill._secret(f"{app}-database")
        assert (secret["PGUSER"], secret["PGDATABASE"]) == (drill.login(app).user, app)
        assert secret["PGUSER"] != admin_login(drill.plan).user
    assert drill.login("blog").user == "blog_alt"


def test_one_app_is_restored_to_a_point_in_the_retention(drill: Drill) -> None:
    """Two dumps of the blog at two points; the data then damaged; each restore brings
    back exactly its point, and the shop is untouched throughout."""
    drill.write("blog", SCHEMA["blog"], "INSERT INTO posts VALUES (1, 'first')")
    drill.write("shop", SCHEMA["shop"], "INSERT INTO orders VALUES (1, 9.50)")
    first = drill.contents("blog")
    first_key = drill.backup("blog")
    drill.write(
        "blog", "INSERT INTO posts VALUES (2, 'second')", "UPDATE posts SET title = 'edited'"
    )
    second = drill.contents("blog")
    second_key = drill.backup("blog")
    shop = drill.contents("shop")

    drill.write("blog", "DELETE FROM posts", "CREATE TABLE later (id int)")
    drill.restore("blog", first_key)
    # The table made after the dump is gone with the point restored.
    assert drill.contents("blog") == first == {"posts": ("blog", [(1, "first")])}

    drill.restore("blog", second_key)
    assert drill.contents("blog") == second
    assert drill.contents("shop") == shop


def test_the_whole_instance_is_restored_from_the_latest_dumps(drill: Drill) -> None:
    """The instance lost: a new one from the same plan (the `up` of a moved database),
    every app restored from its latest dump."""
    drill.write("blog", SCHEMA["blog"], "INSERT INTO posts VALUES (1, 'kept'), (2, 'also')")
    drill.write("shop", SCHEMA["shop"], "INSERT INTO orders VALUES (7, 12.00)")
    before = {app: drill.contents(app) for app in APPS}
    latest = {app: drill.backup(app) for app in APPS}

    drill.server.reset()
    drill.up()
    assert {app: drill.contents(app) for app in APPS} == {app: {} for app in APPS}
    for app in APPS:
        assert drill.pick(app) == latest[app]
        drill.restore(app, drill.pick(app))
    assert {app: drill.contents(app) for app in APPS} == before


def test_a_restore_brings_back_the_dumps_point_on_a_database_that_drifted(drill: Drill) -> None:
    """After the dump a migration added a view on the dumped table, a column, and a table
    whose foreign key points at it: objects that depend on the ones the restore replaces.
    The restore still brings back exactly the dump's point, and the shop is untouched."""
    drill.write("blog", SCHEMA["blog"], "INSERT INTO posts VALUES (1, 'first')")
    drill.write("shop", SCHEMA["shop"], "INSERT INTO orders VALUES (1, 9.50)")
    dumped = drill.relations("blog"), drill.contents("blog")
    key = drill.backup("blog")
    drill.write(
        "blog",
        "ALTER TABLE posts ADD COLUMN body text",
        "CREATE VIEW titles AS SELECT title FROM posts",
        "CREATE TABLE comments (post int REFERENCES posts (id), said text)",
        "INSERT INTO posts VALUES (2, 'second', 'text')",
        "INSERT INTO comments VALUES (2, 'nice')",
    )
    shop = drill.contents("shop")
    drill.restore("blog", key)
    assert (drill.relations("blog"), drill.contents("blog")) == dumped
    assert drill.contents("shop") == shop


def test_the_dump_picked_is_the_last_one_written_not_the_last_name(drill: Drill) -> None:
    """The jobs' key may put any name below the app's prefix: an object planted with it
    under a name that sorts last must not become "the latest dump". The runbook picks by
    the time S3 recorded (LastModified), which no writer chooses."""
    drill.write("blog", SCHEMA["blog"], "INSERT INTO posts VALUES (1, 'old')")
    drill.backup("blog")
    planted = drill.work / "planted.dump"
    planted.write_bytes(b"not a dump of yours")
    drill.cli("s3", "cp", str(planted), f"s3://{drill.bucket}/blog/99991231T235959Z-ffff.dump")
    time.sleep(1.1)  # LastModified counts whole seconds; a schedule's runs are far apart.
    drill.write("blog", "UPDATE posts SET title = 'latest'")
    latest = drill.contents("blog")
    key = drill.backup("blog")
    assert drill.pick("blog") == key
    drill.write("blog", "DELETE FROM posts")
    drill.restore("blog", drill.pick("blog"))
    assert drill.contents("blog") == latest
