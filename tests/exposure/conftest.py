"""The exposure matrices of dev, prod and dev with ingress-nginx, from the session's plans."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from infra.stackconfig import read_stack_file
from infra.validation import ValidConfig
from platform_cli.exposure import Matrix
from platform_cli.exposure.command import matrix_of_run
from platform_cli.plan import validate
from platform_cli.runner import PROJECT_DIR
from tests.conftest import stack_document
from tests.planview import PlanView


def valid_config(path: Path) -> ValidConfig:
    return validate(read_stack_file(path))[0]


@pytest.fixture(scope="session")
def exposure_configs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ValidConfig]:
    """dev's, prod's and dev-with-ingress-nginx's validated configs."""
    nginx = stack_document("dev")
    nginx["config"]["platform:trafficController"] = "ingress-nginx"
    nginx_path = tmp_path_factory.mktemp("exposure") / "Pulumi.dev.yaml"
    nginx_path.write_text(yaml.safe_dump(nginx))
    stacks = {s: valid_config(PROJECT_DIR / f"Pulumi.{s}.yaml") for s in ("dev", "prod")}
    return {**stacks, "ingress-nginx": valid_config(nginx_path)}


@pytest.fixture(scope="session")
def matrices(
    stack_plans: dict[str, PlanView],
    ingress_nginx_plan: PlanView,
    exposure_configs: dict[str, ValidConfig],
) -> dict[str, Matrix]:
    plans = {**stack_plans, "ingress-nginx": ingress_nginx_plan}
    return {name: matrix_of_run(exposure_configs[name], plans[name].run) for name in plans}


@pytest.fixture(params=["dev", "prod", "ingress-nginx"])
def matrix(request: pytest.FixtureRequest, matrices: dict[str, Matrix]) -> Matrix:
    return matrices[request.param]
