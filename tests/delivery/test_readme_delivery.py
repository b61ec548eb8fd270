"""The README's "Delivery" section says what the workflow files and the Deployments
settings do: every job in its table, with its triggers, runner, environment and pulumi
command; every environment with the OIDC subjects its roles must trust, computed from
the subject customization and the workflows' triggers; the runner groups; the state
backend the workflows log in to; the executor image, options and defaults of
`deployments/`; what a branch pusher can and cannot do."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from infra.components.stack_deployments import AWS_SESSION, EXECUTOR_IMAGE, OPERATION_ENVIRONMENT
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
RUNNERS = {
    "`ubuntu-24.04`": "ubuntu-24.04",
    "the stack's apply runner": checks.STACK_RUNNER,
    "the stack's preview runner": checks.PREVIEW_RUNNER,
}
ENVIRONMENTS = {
    "—": None,
    "`<stack>`": checks.APPLY_ENVIRONMENT,
    "`<stack>-preview`": checks.PREVIEW_ENVIRONMENT,
    "`<stack>-drift`": checks.DRIFT_ENVIRONMENT,
    "`platform-deployments`": checks.SETTINGS_ENVIRONMENT,
}
SUBJECT_CUSTOMIZATION = PROJECT_DIR / ".github" / "oidc-subject.json"
PROJECT = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["name"]


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
    assert ("`deployments/`" in does) == checks.is_settings_job(job)
    assert ("policy pack" in does) == any("policyPacks" in checks.inputs(s) for s in steps)
    listing = any(checks.DELIVERY_LIST in str(s.get("run", "")) for s in checks.steps(job))
    assert (f"`{checks.DELIVERY_LIST}`" in does) == listing


def _environment_name(value: str) -> str:
    return value.replace("${{ matrix.stack }}", "<stack>")


# The ref a job's OIDC token names, per event that starts it: the branch filter of a push,
# the default branch for a schedule, main for a run by hand (the environments allow
# nothing else), and the merge ref of a pull request.
REFS = {
    "push": "refs/heads/main",
    "workflow_dispatch": "refs/heads/main",
    "schedule": "refs/heads/main",
    "pull_request": "refs/pull/*/merge",
}


def subjects(environment: str) -> set[str]:
    """The `sub` claims of the tokens jobs in ``environment`` get, with the claim keys
    `.github/oidc-subject.json` sets for the repository."""
    keys = json.loads(SUBJECT_CUSTOMIZATION.read_text())["include_claim_keys"]
    found = set()
    for workflow in WORKFLOWS.values():
        if "push" in workflow.triggers:
            assert workflow.triggers["push"] == {"branches": ["main"]}, workflow.name
        for job in workflow.jobs.values():
            if _environment_name(checks.environment(job) or "") != environment:
                continue
            for event in workflow.triggers:
                claims = {
                    "repo": "repo:<owner>/<repo>",
                    "context": f"environment:{environment}",
                    "event_name": f"event_name:{event}",
                    "ref": f"ref:{REFS[event]}",
                }
                found.add(":".join(claims[k] for k in keys))
    return found


def comment_header(workflow: Workflow) -> str:
    """The comment a workflow file opens with, as one line."""
    lines = workflow.text.split("\nname:", 1)[0].splitlines()
    return " ".join(" ".join(line.lstrip("#").strip() for line in lines).split())


def environment_rows() -> dict[str, list[str]]:
    return {row[0].strip("`"): row for row in table("| environment | deployment branches |")}


def test_every_environment_has_a_row_naming_the_oidc_subjects_to_trust() -> None:
    """review diff.md D8, and a `pull_request` run passing a "main only" branch policy:
    the repository's subjects name the environment, the event and the ref, and each
    environment's row lists exactly the subjects its jobs' tokens carry."""
    customization = json.loads(SUBJECT_CUSTOMIZATION.read_text())
    assert customization["use_default"] is False
    assert {"repo", "context", "event_name", "ref"} <= set(customization["include_claim_keys"])
    section = " ".join(delivery_section().split())
    assert (
        "`gh api --method PUT repos/<owner>/<repo>/actions/oidc/customization/sub "
        "--input .github/oidc-subject.json`"
    ) in section
    rows = environment_rows()
    used = {
        _environment_name(env)
        for w in WORKFLOWS.values()
        for job in w.jobs.values()
        if (env := checks.environment(job)) is not None
    }
    assert set(rows) == used
    for name, row in rows.items():
        assert set(re.findall(r"`(repo:[^`]+)`", row[4])) == subjects(name), name
        # Only the preview environment serves pull-request branches.
        assert (row[1] == "any") == name.endswith("-preview"), name
    variables = set(re.findall(r"vars\.(\w+)", " ".join(w.text for w in WORKFLOWS.values())))
    assert variables == {"PULUMI_TEAM", "AWS_ROLE_ARN", "PULUMI_ORGANIZATION"}
    assert all(f"`{v}`" in delivery_section() for v in variables)


def test_an_approved_preview_is_said_to_be_full_read_of_the_stack() -> None:
    """Stack Read includes stack:export and stack:decrypt: the README and review.yml say
    what approving a preview hands the branch, and every environment with reviewers
    prevents self-review."""
    rows = environment_rows()
    assert "`stack:export` and `stack:decrypt`" in rows["<stack>-preview"][3]
    for name in ("<stack>", "<stack>-preview"):
        assert 'with "Prevent self-review"' in rows[name][2], name
    header = comment_header(WORKFLOWS["review.yml"])
    assert "`stack:export` and `stack:decrypt`" in header
    assert '"Prevent self-review"' in header
    section = " ".join(delivery_section().split())
    assert "**An approved preview is full read of that stack.**" in section


def test_the_runner_groups_admit_only_the_workflows_that_use_the_apply_runner() -> None:
    """Labels are no boundary; the apply runners' group admits exactly the workflow files,
    on main, whose jobs ask for the apply runner."""
    on_apply_runner = {
        w.name
        for w in WORKFLOWS.values()
        if any(j.get("runs-on") == checks.STACK_RUNNER for j in w.jobs.values())
    }
    section = " ".join(delivery_section().split())
    listed = set(
        re.findall(r"`<owner>/<repo>/\.github/workflows/([\w.-]+)@refs/heads/main`", section)
    )
    assert listed == on_apply_runner == {"apply.yml", "drift.yml"}
    assert '"Selected workflows"' in section


def test_what_a_branch_pusher_gets_is_stated_as_github_grants_it() -> None:
    """A same-repository push gets the GITHUB_TOKEN its workflow asks for; only forks are
    capped at read-only."""
    section = " ".join(delivery_section().split())
    pusher = section.split("**What a branch pusher can and cannot do**", 1)[1]
    assert "read-only `GITHUB_TOKEN`" not in pusher
    assert "only pull requests from forks are capped at a read-only token" in pusher
    assert "A ruleset protecting main" in section


def test_the_drift_checks_are_described_as_what_they_compare() -> None:
    """The workflow's check compares main's program with the refreshed state; Pulumi
    Cloud's drift detection is a refresh, the cloud against the state."""
    assert "same check" not in WORKFLOWS["drift.yml"].text
    assert "a refresh only, the cloud against the state" in comment_header(WORKFLOWS["drift.yml"])
    section = " ".join(delivery_section().split())
    assert "It is Pulumi Cloud's refresh only: it compares the cloud with the state" in section


def test_credential_lifetimes_and_the_roles_maximum_session_are_documented() -> None:
    longest = max(
        int(checks.inputs(s).get("role-duration-seconds", checks.AWS_DEFAULT_SECONDS))
        for w in WORKFLOWS.values()
        for job in w.jobs.values()
        for s in checks.steps(job)
        if checks.uses(s, checks.AWS_AUTH)
    )
    section = " ".join(delivery_section().split())
    assert f"`MaxSessionDuration` must be at least {longest} seconds" in section
    assert (
        f"for `{AWS_SESSION}` (the role's `MaxSessionDuration` must allow {longest} seconds)"
        in section
    )


def test_the_deployments_stack_and_prerequisites_are_named() -> None:
    settings = next(
        checks.pulumi_steps(j)[0]
        for w in WORKFLOWS.values()
        for j in w.jobs.values()
        if checks.is_settings_job(j)
    )
    deployments = yaml.safe_load((PROJECT_DIR / "deployments" / "Pulumi.yaml").read_text())
    org, stack = checks.inputs(settings)["stack-name"].split("/")
    assert org == "${{ vars.PULUMI_ORGANIZATION }}"
    section = " ".join(delivery_section().split())
    assert f"`<organization>/{deployments['name']}/{stack}`" in section
    assert f"--cwd deployments --stack <organization>/{stack}" in section
    assert "**The Pulumi GitHub App**" in section


def test_the_migration_off_stack_defined_settings_is_a_runbook() -> None:
    """Earlier versions' stacks defined their own settings with retain_on_delete: the
    first `up` of this design drops them from the state and leaves them deploying."""
    runbook = (PROJECT_DIR / "docs" / "runbooks" / "change-delivery-path.md").read_text()
    assert f"pulumi deployment settings destroy --stack <org>/{PROJECT}/<stack> --yes" in runbook
    assert "pulumi config rm pulumiservice:accessToken --stack <stack>" in runbook
    assert "docs/runbooks/change-delivery-path.md" in delivery_section()


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
