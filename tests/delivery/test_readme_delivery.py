"""The README's "Delivery" section says what the workflow files and the Deployments
settings do: every job in its table, with its triggers, runner, environment and pulumi
command; every environment with the OIDC subject its roles must trust; the state backend
the workflows log in to; the executor image, options and defaults of `deployments/`."""

from __future__ import annotations

import re

import pytest

from infra.components.stack_deployments import EXECUTOR_IMAGE, OPERATION_ENVIRONMENT
from infra.config import PulumiDeploymentsDelivery
from platform_cli.review import PROGRAM_PATHS, select_stacks
from platform_cli.runner import PROJECT_DIR
from tests.delivery import workflow_checks as checks
from tests.delivery.workflow_checks import Workflow, read_all
from tests.plans.test_replacements import pyproject_pins

README = PROJECT_DIR / "README.md"
WORKFLOWS = {w.name: w for w in read_all(PROJECT_DIR / ".github" / "workflows")}
# The README's words for a workflow's triggers and its jobs' settings.
TRIGGERS = {
    "pull request": ("pull_request", None),
    "push to main": ("push", {"branches": ["main"]}),
    "by hand": ("workflow_dispatch", None),
    "daily 05:00 UTC": ("schedule", [{"cron": "0 5 * * *"}]),
}
RUNNERS = {"`ubuntu-24.04`": "ubuntu-24.04", "the stack's runner": checks.STACK_RUNNER}
ENVIRONMENTS = {
    "—": None,
    "`<stack>`": checks.APPLY_ENVIRONMENT,
    "`<stack>-preview`": checks.PREVIEW_ENVIRONMENT,
    "`<stack>-drift`": checks.DRIFT_ENVIRONMENT,
}


def delivery_section() -> str:
    text = README.read_text()
    return text.split("\n## Delivery\n", 1)[1].split("\n## ", 1)[0]


def table(after: str) -> list[list[str]]:
    """The rows of the first table after the line starting with ``after``."""
    lines = delivery_section().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(after))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def job_rows() -> list[list[str]]:
    return table("| workflow | job |")


def test_every_job_has_a_row_and_every_row_a_job() -> None:
    documented = [(row[0].strip("`"), row[1].strip("`")) for row in job_rows()]
    shipped = [(name, job) for name, w in WORKFLOWS.items() for job in w.jobs]
    assert sorted(documented) == sorted(shipped)


@pytest.mark.parametrize("row", job_rows(), ids=lambda r: f"{r[0]}:{r[1]}")
def test_each_row_says_what_its_job_does(row: list[str]) -> None:
    file, job_name, on, runs_on, environment, does = row
    workflow: Workflow = WORKFLOWS[file.strip("`")]
    job = workflow.jobs[job_name.strip("`")]
    assert dict(TRIGGERS[phrase.strip()] for phrase in on.split(",")) == workflow.triggers
    assert job.get("runs-on") == RUNNERS[runs_on]
    assert checks.environment(job) == ENVIRONMENTS[environment]
    steps = checks.pulumi_steps(job)
    assert {f"`pulumi {checks.inputs(s).get('command')}" for s in steps} == set(
        re.findall(r"`pulumi \w+", does)
    )
    for flag, key in (("--refresh", "refresh"), ("--expect-no-changes", "expect-no-changes")):
        assert (flag in does) == any(checks.truthy(checks.inputs(s).get(key)) for s in steps)
    assert ("policy pack" in does) == any("policyPacks" in checks.inputs(s) for s in steps)
    listing = any(checks.DELIVERY_LIST in str(s.get("run", "")) for s in checks.steps(job))
    assert (f"`{checks.DELIVERY_LIST}`" in does) == listing


def _environment_name(value: str) -> str:
    return value.replace("${{ matrix.stack }}", "<stack>")


def test_every_environment_has_a_row_naming_the_oidc_subject_to_trust() -> None:
    """review diff.md D8: a job with `environment:` gets the subject
    `repo:<owner>/<repo>:environment:<name>`, not a ref; every role must trust that."""
    rows = {row[0].strip("`"): row for row in table("| environment | deployment branches |")}
    used = {
        _environment_name(env)
        for w in WORKFLOWS.values()
        for job in w.jobs.values()
        if (env := checks.environment(job)) is not None
    }
    assert set(rows) == used
    for name, row in rows.items():
        assert f"`repo:<owner>/<repo>:environment:{name}`" in row[4], name
        # Only the preview environment serves pull-request branches.
        assert (row[1] == "any") == name.endswith("-preview"), name
    variables = set(re.findall(r"vars\.(\w+)", " ".join(w.text for w in WORKFLOWS.values())))
    assert variables == {"PULUMI_TEAM", "AWS_ROLE_ARN"}
    section = delivery_section()
    assert all(f"`{v}`" in section for v in variables)


def test_the_readme_names_the_backend_the_workflows_log_in_to() -> None:
    """review diff.md B3: the workflows log in to Pulumi Cloud only (no `cloud-url`), so
    the README may not offer GitHub Actions for a self-managed backend."""
    logins = [
        checks.inputs(step)
        for w in WORKFLOWS.values()
        for job in w.jobs.values()
        for step in checks.steps(job)
        if checks.uses(step, checks.PULUMI_ACTION) or checks.uses(step, checks.PULUMI_AUTH)
    ]
    assert logins and not any("cloud-url" in login for login in logins)
    section = " ".join(delivery_section().split())
    assert "keep state in Pulumi Cloud" in section
    assert [m.group(0) for m in re.finditer(r"self-managed[\w-]*", section)] == [
        "self-managed-backend"
    ]
    assert "there is no self-managed-backend variant" in section


def test_the_versions_and_defaults_the_readme_quotes_are_the_codes() -> None:
    section = delivery_section()
    sdk = pyproject_pins()["pulumi"]
    assert f"(`pulumi-version`, {sdk})" in section
    assert f"the executor image `{EXECUTOR_IMAGE}`" in section
    for variable, value in OPERATION_ENVIRONMENT.items():
        assert f"`{variable}={value}`" in section
    default = PulumiDeploymentsDelivery.model_fields["drift_schedule"].default
    assert f'driftSchedule: "{default}"      # default, UTC' in section


def test_a_policy_change_is_reviewed_and_previewed_for_every_stack() -> None:
    """review diff.md D9: a change to the policy pack changes what every stack's preview
    and `up` accept, so the review lists every stack (and the workflow previews those
    GitHub Actions delivers)."""
    selection = select_stacks(["policy/__main__.py"], {"dev", "prod"}, {"dev", "prod"})
    assert selection.stacks == ["dev", "prod"]
    section = delivery_section()
    assert all(f"`{path}`" in section for path in PROGRAM_PATHS)
