"""Shared fixtures: offline plans of the real stacks and of configs built in tests."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from platform_cli.plan import plan_stack_file
from platform_cli.runner import PROJECT_DIR, PlanRun
from tests.planview import PlanView
from tests.postgres.server import PostgresServer, ServerUnavailableError, running_server

UPSTREAM = PROJECT_DIR.parent / "shared" / "upstream"


@pytest.fixture(scope="session")
def upstream() -> Path:
    if not UPSTREAM.is_dir():
        pytest.skip(
            "../shared/upstream is absent: the upstream charts and CRDs are not beside the repo"
        )
    return UPSTREAM


def stack_document(stack: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    return document


def _plan(path: Path) -> PlanRun:
    return plan_stack_file(path)[1]


@pytest.fixture(scope="session")
def stack_plans() -> dict[str, PlanView]:
    return {
        stack: PlanView(_plan(PROJECT_DIR / f"Pulumi.{stack}.yaml")) for stack in ("dev", "prod")
    }


@pytest.fixture(scope="session")
def prod(stack_plans: dict[str, PlanView]) -> PlanView:
    return stack_plans["prod"]


@pytest.fixture(scope="session")
def ingress_nginx_plan(tmp_path_factory: pytest.TempPathFactory) -> PlanView:
    """dev with the retired ingress-nginx as its traffic controller: objects of its own."""
    document = stack_document("dev")
    document["config"]["platform:trafficController"] = "ingress-nginx"
    path = tmp_path_factory.mktemp("ingress-nginx") / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document))
    return PlanView(_plan(path))


@pytest.fixture(params=["dev", "prod", "dev with ingress-nginx"])
def any_plan(
    request: pytest.FixtureRequest,
    stack_plans: dict[str, PlanView],
    ingress_nginx_plan: PlanView,
) -> PlanView:
    """Every plan whose objects the fidelity tests check."""
    if request.param == "dev with ingress-nginx":
        return ingress_nginx_plan
    return stack_plans[request.param]


@pytest.fixture(params=["dev", "prod"])
def stack_plan(request: pytest.FixtureRequest, stack_plans: dict[str, PlanView]) -> PlanView:
    return stack_plans[request.param]


ConfigEdit = Callable[[dict[str, Any]], None]


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """A stack file: a copy of a real stack's, with `platform:` edits applied."""

    def write(stack: str = "dev", edit: ConfigEdit | None = None, name: str | None = None) -> Path:
        document = copy.deepcopy(stack_document(stack))
        if edit is not None:
            edit(document["config"])
        path = tmp_path / f"Pulumi.{name or stack}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    return write


@pytest.fixture
def plan_config(write_config: Callable[..., Path]) -> Iterator[Callable[..., PlanView]]:
    def plan(stack: str = "dev", edit: ConfigEdit | None = None) -> PlanView:
        return PlanView(_plan(write_config(stack, edit)))

    yield plan


@pytest.fixture
def plan_errors(
    write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, list[str]]]:
    """Plan an edited stack file: the exit code and the lines it wrote to stderr."""

    def run(edit: ConfigEdit, stack: str = "dev") -> tuple[int, list[str]]:
        from platform_cli import main  # noqa: PLC0415 (keeps collection fast)

        code = main(["plan", "--config", str(write_config(stack, edit))])
        return code, capsys.readouterr().err.splitlines()

    return run


SERVERS_USED: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which real server the PostgreSQL tests ran against, so CI's log shows it."""
    for server in SERVERS_USED:
        terminalreporter.write_line(f"tests/postgres ran against {server}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on 127.0.0.1 for the whole session (tests/postgres/server.py).

    Without one the tests that need it skip, saying what to install; in CI (CI=true) they
    fail instead, so a missing install step cannot pass as green."""
    try:
        with running_server() as server:
            SERVERS_USED.append(f"PostgreSQL {server.version} ({server.bin_dir})")
            yield server
    except ServerUnavailableError as missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL tests: {missing}")
        pytest.skip(str(missing))


@pytest.fixture
def postgres(postgres_server: PostgresServer) -> PostgresServer:
    """The session's server, emptied of every role and database a test left behind."""
    postgres_server.reset()
    return postgres_server
