"""Pulumi Deployments: the `deployments/` program gives settings and a drift schedule to
exactly the stacks whose config chose Pulumi Deployments, and those settings work: an
agent pool inside the walls, a Python the project supports, the SDK's CLI, every push
deployed in order, the policy pack, drift found. Checked on what the program registers
under the mock runtime; a fixture that breaks each property fails."""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import yaml

from infra.components.stack_deployments import REVIEW_GATE
from infra.config import PlatformConfig, PulumiDeploymentsDelivery
from infra.stackconfig import StackFile, load, read_stack_file
from platform_cli.delivery import entries
from platform_cli.runner import PROJECT_DIR, Registration, run_program
from tests.planview import PlanView

PROGRAM = PROJECT_DIR / "deployments" / "__main__.py"
PROJECT = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["name"]
SETTINGS = "pulumiservice:index:DeploymentSettings"
DRIFT = "pulumiservice:index:DriftSchedule"
# The Python of the default executor image, `pulumi/pulumi`: pulumi/pulumi-docker-containers
# docker/pulumi/Dockerfile @015edcc5 `RUN pyenv global 3.13 # Default version`.
DEFAULT_IMAGE_PYTHON = "3.13"
IMAGE = re.compile(r"^pulumi/pulumi-python-(\d+\.\d+):(\S+)$")


def pyproject() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    return project


def supports(requires: str, python: str) -> bool:
    """Whether a `requires-python` such as ">=3.11,<3.12" admits a minor version."""
    version = tuple(int(p) for p in python.split("."))
    tests = {">=": "__ge__", "<": "__lt__", "<=": "__le__", ">": "__gt__", "==": "__eq__"}
    for clause in requires.split(","):
        op, bound = re.fullmatch(r"\s*(>=|<=|==|<|>)\s*([\d.]+)\s*", clause).groups()  # type: ignore[union-attr]
        if not getattr(version, tests[op])(tuple(int(p) for p in bound.split("."))[:2]):
            return False
    return True


def stack_configs() -> dict[str, PlatformConfig]:
    return {
        path.name.removeprefix("Pulumi.").removesuffix(".yaml"): load(
            read_stack_file(path).values
        ).config
        for path in sorted(PROJECT_DIR.glob("Pulumi.*.yaml"))
    }


@pytest.fixture(scope="module")
def deployments() -> PlanView:
    return PlanView(run_program(StackFile("deployments", {}), PROGRAM))


def settings_problems(
    registrations: list[Registration], stacks: dict[str, PlatformConfig]
) -> list[str]:
    """What is wrong with the Deployments settings for these stacks, one line each."""
    settings = {r.revealed_inputs["stack"]: r for r in registrations if r.type == SETTINGS}
    drift = {r.revealed_inputs["stack"]: r for r in registrations if r.type == DRIFT}
    problems = []
    for stack, config in stacks.items():
        delivery = config.delivery
        if not isinstance(delivery, PulumiDeploymentsDelivery):
            if stack in settings or stack in drift:
                problems.append(
                    f"{stack}: one path per stack: Deployments settings for a stack "
                    f"{delivery.via if delivery else 'nothing'} delivers"
                )
            continue
        if stack not in settings:
            problems.append(f"{stack}: no Deployments settings")
            continue
        problems += [f"{stack}: {p}" for p in _problems(settings[stack], drift.get(stack), config)]
    return problems


def seconds(duration: str) -> int:
    """A "XhYmZs" duration, as Deployments' AWS OIDC settings take it, in seconds."""
    found = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", duration or "")
    if not duration or found is None:
        return 0
    hours, minutes, secs = (int(g or 0) for g in found.groups())
    return hours * 3600 + minutes * 60 + secs


def apply_seconds() -> int:
    """How long a GitHub Actions `up` may run (apply.yml): a deployment gets as long."""
    apply = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "apply.yml").read_text())
    return int(apply["jobs"]["up"]["timeout-minutes"]) * 60


def _problems(
    settings: Registration, drift: Registration | None, config: PlatformConfig
) -> list[str]:
    delivery = config.delivery
    assert isinstance(delivery, PulumiDeploymentsDelivery)
    problems = _runtime_problems(settings.revealed_inputs) + _source_problems(
        settings.revealed_inputs, delivery
    )
    operation = settings.revealed_inputs.get("operationContext") or {}
    environment = operation.get("environmentVariables") or {}
    aws = (operation.get("oidc") or {}).get("aws") or {}
    if not settings.revealed_inputs.get("agentPoolId") or (
        settings.revealed_inputs["agentPoolId"] != delivery.agent_pool_id
    ):
        problems.append("runs on Pulumi's hosted pool, whose addresses no firewall admits")
    if (settings.revealed_inputs.get("vcs") or {}).get("previewPullRequests") and (
        config.is_production
    ):
        problems.append("previews a branch's code with production's credentials")
    if environment.get("PULUMI_OPTION_POLICY_PACK") != "policy":
        problems.append("previews and updates without the policy pack")
    if environment.get("PULUMI_OPTION_REFRESH", "false") != "false":
        # It applies to updates too, which save what the refresh reads: a Civo read that
        # fails for any reason forgets the resource (resource_database.go L255-260).
        problems.append("updates save a refresh: one failed Civo read forgets the database")
    if aws.get("roleARN") != delivery.aws_role_arn or not aws.get("sessionName"):
        problems.append(f"no AWS credentials: the role {delivery.aws_role_arn} is not assumed")
    elif seconds(aws.get("duration", "")) < apply_seconds():
        problems.append(f"an AWS session of {aws.get('duration')} ends before a long `up` does")
    if drift is None or drift.revealed_inputs.get("autoRemediate"):
        problems.append("no drift schedule that reports (and does not apply) drift")
    if settings.retain_on_delete:
        problems.append("settings outlive their removal: the old ones keep deploying")
    return problems


def _runtime_problems(inputs: dict[str, Any]) -> list[str]:
    """The executor: a Python that installs the project, the SDK's CLI, the pre-run
    commands that install it, every queued deployment run."""
    operation = inputs.get("operationContext") or {}
    options = operation.get("options") or {}
    image = (inputs.get("executorContext") or {}).get("executorImage", "pulumi/pulumi:latest")
    found = IMAGE.match(image)
    python, cli = (found.group(1), found.group(2)) if found else (DEFAULT_IMAGE_PYTHON, "latest")
    problems = []
    if not supports(pyproject()["requires-python"], python):
        problems.append(f"the executor's Python {python} cannot install the project")
    if operation.get("preRunCommands") != [
        f"python{python} -m venv .venv",
        ".venv/bin/pip install -e .",
        *REVIEW_GATE,
    ]:
        problems.append(
            f"pre-run commands do not install the project with the executor's Python {python}, "
            "then run the review gate"
        )
    if options.get("skipInstallDependencies") is not True:
        problems.append("the default dependency step installs from a requirements.txt there is not")
    if cli != pyproject()["dependencies"][0].removeprefix("pulumi=="):
        problems.append(f"runs pulumi {cli}, not the SDK's")
    if options.get("skipIntermediateDeployments"):
        problems.append("skips queued deployments")
    return problems


def _source_problems(inputs: dict[str, Any], delivery: PulumiDeploymentsDelivery) -> list[str]:
    """What is deployed: every push to the configured branch of the configured
    repository, the platform project where the settings look for it."""
    vcs = inputs.get("vcs") or {}
    git = (inputs.get("sourceContext") or {}).get("git") or {}
    project_file = PROJECT_DIR / str(git.get("repoDir")) / "Pulumi.yaml"
    problems = []
    if vcs.get("deployCommits") is not True or vcs.get("paths"):
        problems.append("a push deploys only if it touched some paths: a failed one waits")
    if git.get("branch") != f"refs/heads/{delivery.branch}":
        problems.append(f"deploys {git.get('branch')}, not refs/heads/{delivery.branch}")
    if not project_file.is_file() or yaml.safe_load(project_file.read_text())["name"] != PROJECT:
        problems.append(f"repoDir {git.get('repoDir')!r} is not where the {PROJECT} project is")
    if vcs.get("provider") != "github" or vcs.get("repository") != delivery.repository:
        problems.append(f"deploys {vcs.get('repository')}, not {delivery.repository}")
    return problems


def test_the_pyproject_pin_parse_is_right() -> None:
    assert pyproject()["dependencies"][0].startswith("pulumi==")
    assert supports(">=3.11,<3.12", "3.11") and not supports(">=3.11,<3.12", "3.13")


def test_every_stack_delivered_by_deployments_has_working_settings(deployments: PlanView) -> None:
    stacks = stack_configs()
    assert any(isinstance(c.delivery, PulumiDeploymentsDelivery) for c in stacks.values())
    assert settings_problems(deployments.resources, stacks) == []


def test_the_settings_are_the_ones_the_readme_describes(deployments: PlanView) -> None:
    settings = deployments.one(SETTINGS, "dev-settings")
    assert settings.inputs["executorContext"] == {
        "executorImage": "pulumi/pulumi-python-3.11:3.272.0"
    }
    assert settings.inputs["operationContext"]["preRunCommands"] == [
        "python3.11 -m venv .venv",
        ".venv/bin/pip install -e .",
        *REVIEW_GATE,
    ]
    assert settings.inputs["sourceContext"]["git"]["branch"] == "refs/heads/main"
    drift = deployments.one(DRIFT, "dev-drift")
    assert drift.inputs["scheduleCron"] == "0 5 * * *"
    assert drift.parent == settings.parent  # both under the stack's StackDeployments


def test_one_path_per_stack(deployments: PlanView) -> None:
    """The stacks with Deployments settings and the stacks the GitHub workflows run
    (`platform delivery --via github-actions`) share none and miss none delivered."""
    actions = {e["stack"] for e in entries(PROJECT_DIR, "github-actions", None)[0]}
    settings = {r.revealed_inputs["stack"] for r in deployments.resources if r.type == SETTINGS}
    delivered = {s for s, c in stack_configs().items() if c.delivery is not None}
    assert actions and settings
    assert not actions & settings
    assert actions | settings == delivered


def test_no_stack_defines_its_own_deployment_settings(stack_plans: dict[str, PlanView]) -> None:
    """review diff.md D10: Pulumi recommends against it; the settings' own program does."""
    for name, plan in stack_plans.items():
        assert plan.of_type(SETTINGS) == [], name


def _edit(
    name: str, change: Callable[[dict[str, Any]], None]
) -> Callable[[list[Registration]], None]:
    def edit(registrations: list[Registration]) -> None:
        index = next(i for i, r in enumerate(registrations) if r.name == name)
        inputs = copy.deepcopy(registrations[index].revealed_inputs)
        change(inputs)
        registrations[index] = replace(registrations[index], revealed_inputs=inputs)

    return edit


def _drop_drift(registrations: list[Registration]) -> None:
    registrations[:] = [r for r in registrations if r.type != DRIFT]


def _retained(registrations: list[Registration]) -> None:
    index = next(i for i, r in enumerate(registrations) if r.type == SETTINGS)
    registrations[index] = replace(registrations[index], retain_on_delete=True)


def _options(inputs: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = inputs["operationContext"]["options"]
    return options


# Each fixture breaks one property of the settings `deployments/` registers.
BROKEN: dict[str, Callable[[list[Registration]], None]] = {
    "hosted pool": _edit("dev-settings", lambda i: i.pop("agentPoolId")),
    "default executor image (Python 3.13, latest CLI)": _edit(
        "dev-settings", lambda i: i.pop("executorContext")
    ),
    "the latest CLI": _edit(
        "dev-settings",
        lambda i: i.update(executorContext={"executorImage": "pulumi/pulumi-python-3.11:latest"}),
    ),
    "path filters": _edit("dev-settings", lambda i: i["vcs"].update(paths=["Pulumi.dev.yaml"])),
    "skipped deployments": _edit(
        "dev-settings", lambda i: _options(i).update(skipIntermediateDeployments=True)
    ),
    "no policy pack": _edit(
        "dev-settings", lambda i: i["operationContext"].pop("environmentVariables")
    ),
    "no drift schedule": _drop_drift,
    "drift applied unreviewed": _edit("dev-drift", lambda i: i.update(autoRemediate=True)),
    "retained settings": _retained,
    "refresh saved by updates": _edit(
        "dev-settings",
        lambda i: i["operationContext"]["environmentVariables"].update(
            PULUMI_OPTION_REFRESH="true"
        ),
    ),
    "no pip install": _edit(
        "dev-settings",
        lambda i: i["operationContext"]["preRunCommands"].remove(".venv/bin/pip install -e ."),
    ),
    "another branch": _edit(
        "dev-settings", lambda i: i["sourceContext"]["git"].update(branch="refs/heads/develop")
    ),
    "another repository": _edit(
        "dev-settings", lambda i: i["vcs"].update(repository="example-org/other")
    ),
    "the program looked for elsewhere": _edit(
        "dev-settings", lambda i: i["sourceContext"]["git"].update(repoDir="deployments")
    ),
    "no AWS credentials": _edit("dev-settings", lambda i: i["operationContext"].pop("oidc")),
    "an AWS session shorter than an up": _edit(
        "dev-settings", lambda i: i["operationContext"]["oidc"]["aws"].update(duration="1h0m0s")
    ),
}


@pytest.mark.parametrize("fixture", BROKEN, ids=str)
def test_settings_that_break_a_property_fail(deployments: PlanView, fixture: str) -> None:
    registrations = list(deployments.resources)
    BROKEN[fixture](registrations)
    assert settings_problems(registrations, stack_configs()) != []


def test_production_previews_and_settings_for_another_path_fail(deployments: PlanView) -> None:
    stacks = stack_configs()
    dev = stacks["dev"]
    assert isinstance(dev.delivery, PulumiDeploymentsDelivery)
    as_prod = dev.model_copy(update={"environment": "prod"})
    assert settings_problems(deployments.resources, {"dev": as_prod}) == [
        "dev: previews a branch's code with production's credentials"
    ]
    settings = deployments.one(SETTINGS, "dev-settings")
    moved = [replace(settings, revealed_inputs={**settings.revealed_inputs, "stack": "prod"})]
    assert settings_problems(moved, {"prod": stacks["prod"]}) == [
        "prod: one path per stack: Deployments settings for a stack github-actions delivers"
    ]
