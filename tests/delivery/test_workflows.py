"""The GitHub Actions workflows pass actionlint and zizmor, and do what the README's
"Delivery" section says (tests/delivery/workflow_checks.py); broken fixtures fail each."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from platform_cli.runner import PROJECT_DIR
from tests.delivery import workflow_checks as checks
from tests.delivery.workflow_checks import Workflow, read_all
from tests.plans.test_replacements import pyproject_pins

WORKFLOWS = sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))
BROKEN = Path(__file__).parent / "fixtures" / "broken-workflow.yml"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed: `pip install -e .[dev]` brings it")
    return found


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("actionlint"), "-no-color", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_DIR,
    )


def zizmor(*paths: Path) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run(
        [tool("zizmor"), "--offline", "--persona=auditor", "--format=json", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_DIR,
    )
    findings: list[dict[str, Any]] = json.loads(done.stdout or "[]")
    return done.returncode, findings


def test_there_are_ci_review_apply_and_drift_workflows() -> None:
    assert [w.name for w in WORKFLOWS] == ["apply.yml", "ci.yml", "drift.yml", "review.yml"]


def test_actionlint_reports_nothing() -> None:
    done = actionlint(*WORKFLOWS)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_zizmor_reports_nothing() -> None:
    assert zizmor(PROJECT_DIR / ".github" / "workflows") == (0, [])


def test_the_broken_fixture_fails_both() -> None:
    done = actionlint(BROKEN)
    assert done.returncode != 0 and "potentially untrusted" in done.stdout
    code, findings = zizmor(BROKEN)
    assert code != 0
    assert {"dangerous-triggers", "template-injection", "unpinned-uses"} <= {
        f["ident"] for f in findings
    }


def _jobs(workflow: Path) -> tuple[dict[Any, Any], dict[str, dict[str, Any]]]:
    document: dict[Any, Any] = yaml.safe_load(workflow.read_text())
    return document, document["jobs"]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_hygiene(workflow: Path) -> None:
    """Pinned actions, no default permissions, OIDC and secrets only where needed."""
    document, jobs = _jobs(workflow)
    text = workflow.read_text()
    assert document["permissions"] == {}
    triggers: dict[str, Any] = document.get("on") or document[True]  # YAML 1.1: `on` is True
    assert not {"pull_request_target", "workflow_run"} & set(triggers)
    for name, job in jobs.items():
        steps = job.get("steps", [])
        uses = [s["uses"] for s in steps if "uses" in s]
        assert all(PINNED.match(u) for u in uses), (name, uses)
        assert "permissions" in job, name
        oidc = any(u.startswith(("aws-actions/", "pulumi/auth-actions@")) for u in uses)
        assert (job["permissions"].get("id-token") == "write") == oidc, name
        if "secrets." in yaml.safe_dump(job):
            assert "environment" in job, f"{name} reads secrets outside an environment"
    for line in text.splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40} # v\d", line), line


# --- what the workflows do: each property holds, and a fixture that breaks it fails ----

SDK_VERSION = pyproject_pins()["pulumi"]
BEFORE = Path(__file__).parent / "fixtures" / "workflows-4f7b0cf"
Check = Callable[[list[Workflow]], list[str]]
CHECKS: dict[str, Check] = {
    "one path per stack": checks.stack_source_problems,
    "runners that reach the endpoints": checks.runner_problems,
    "no cancelled pending applies": checks.apply_queue_problems,
    "applies from main only": checks.apply_trigger_problems,
    "drift schedule": checks.drift_problems,
    "policy pack in previews": checks.policy_problems,
    "the SDK's CLI": lambda workflows: checks.cli_version_problems(workflows, SDK_VERSION),
    "no prod credential in a branch's reach": checks.credential_problems,
    "previews after a failed review": checks.preview_after_failed_review_problems,
    "one CI run per push": checks.double_run_problems,
}


@pytest.mark.parametrize("check", CHECKS, ids=str)
def test_the_workflows_hold_each_property(check: str) -> None:
    assert CHECKS[check](read_all(WORKFLOWS[0].parent)) == []


# The one property the workflows of 4f7b0cf already had.
HELD_BEFORE = {"applies from main only"}


@pytest.mark.parametrize("check", sorted(set(CHECKS) - HELD_BEFORE), ids=str)
def test_the_workflows_of_4f7b0cf_break_each_property(check: str) -> None:
    """The shipped workflows before this delivery design, kept as a fixture: each check
    names what was wrong with them (review diff.md A3, A4, A6, C1, D7, D9, D11)."""
    assert CHECKS[check](read_all(BEFORE)) != []


def _job(workflows: list[Workflow], file: str, job: str) -> dict[str, Any]:
    return next(w for w in workflows if w.name == file).jobs[job]


def _pulumi_step(workflows: list[Workflow], file: str, job: str) -> dict[str, Any]:
    return checks.pulumi_steps(_job(workflows, file, job))[0]


def _edit_edge_triggered(w: list[Workflow]) -> None:
    step = next(s for s in _job(w, "apply.yml", "stacks")["steps"] if s.get("id") == "stacks")
    step["run"] = (
        'echo "stacks=$(.venv/bin/platform review --base "$BEFORE" --list)" >> "$GITHUB_OUTPUT"'
    )


def _edit_hosted_runner(w: list[Workflow]) -> None:
    _job(w, "review.yml", "preview")["runs-on"] = "ubuntu-24.04"


def _edit_one_pending_slot(w: list[Workflow]) -> None:
    del _job(w, "apply.yml", "up")["concurrency"]["queue"]


def _edit_one_queue_for_all(w: list[Workflow]) -> None:
    _job(w, "apply.yml", "up")["concurrency"]["group"] = "apply"


def _edit_fail_fast(w: list[Workflow]) -> None:
    _job(w, "apply.yml", "up")["strategy"]["fail-fast"] = True


def _edit_apply_old_commit(w: list[Workflow]) -> None:
    _job(w, "apply.yml", "up")["steps"][0]["with"].pop("ref")


def _edit_apply_from_branches(w: list[Workflow]) -> None:
    next(x for x in w if x.name == "apply.yml").triggers["push"]["branches"] = ["**"]


def _edit_no_drift_report(w: list[Workflow]) -> None:
    del _job(w, "drift.yml", "report")["permissions"]["issues"]


def _edit_drift_without_refresh(w: list[Workflow]) -> None:
    _pulumi_step(w, "drift.yml", "check")["with"].pop("refresh")


def _edit_preview_without_policy(w: list[Workflow]) -> None:
    _pulumi_step(w, "review.yml", "preview")["with"].pop("policyPacks")


def _edit_latest_cli(w: list[Workflow]) -> None:
    _pulumi_step(w, "drift.yml", "check")["with"].pop("pulumi-version")


def _edit_preview_with_deploy_credentials(w: list[Workflow]) -> None:
    _job(w, "review.yml", "preview")["environment"] = "${{ matrix.stack }}"


def _edit_stored_token(w: list[Workflow]) -> None:
    step = _pulumi_step(w, "review.yml", "preview")
    step["env"] = {"PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}


def _edit_organization_token(w: list[Workflow]) -> None:
    auth = next(
        s for s in _job(w, "review.yml", "preview")["steps"] if checks.uses(s, checks.PULUMI_AUTH)
    )
    auth["with"]["requested-token-type"] = "urn:pulumi:token-type:access_token:organization"


def _edit_up_from_a_branch(w: list[Workflow]) -> None:
    _pulumi_step(w, "review.yml", "preview")["with"]["command"] = "up"


def _edit_skip_preview_after_failed_review(w: list[Workflow]) -> None:
    job = _job(w, "review.yml", "preview")
    job["if"] = job["if"].replace("!cancelled()", "success()")


def _edit_ci_on_every_push(w: list[Workflow]) -> None:
    next(x for x in w if x.name == "ci.yml").triggers["push"].pop("branches")


# Each fixture breaks one property of the shipped workflows; the check for it must fail.
BREAKS: dict[str, tuple[str, Callable[[list[Workflow]], None]]] = {
    "applies only the stacks a push touched": ("one path per stack", _edit_edge_triggered),
    "previews on a GitHub-hosted runner": ("runners that reach the endpoints", _edit_hosted_runner),
    "one pending apply slot": ("no cancelled pending applies", _edit_one_pending_slot),
    "one queue for every stack": ("no cancelled pending applies", _edit_one_queue_for_all),
    "fail-fast applies": ("no cancelled pending applies", _edit_fail_fast),
    "applies the queued commit": ("no cancelled pending applies", _edit_apply_old_commit),
    "applies from any branch": ("applies from main only", _edit_apply_from_branches),
    "drift found but not reported": ("drift schedule", _edit_no_drift_report),
    "drift check without refresh": ("drift schedule", _edit_drift_without_refresh),
    "preview without the policy pack": ("policy pack in previews", _edit_preview_without_policy),
    "the latest CLI": ("the SDK's CLI", _edit_latest_cli),
    "preview with the deploy environment": (
        "no prod credential in a branch's reach",
        _edit_preview_with_deploy_credentials,
    ),
    "a stored Pulumi token": ("no prod credential in a branch's reach", _edit_stored_token),
    "an organization token": ("no prod credential in a branch's reach", _edit_organization_token),
    "up from a pull request": ("no prod credential in a branch's reach", _edit_up_from_a_branch),
    "preview skipped after a failed review": (
        "previews after a failed review",
        _edit_skip_preview_after_failed_review,
    ),
    "CI on every push": ("one CI run per push", _edit_ci_on_every_push),
}


@pytest.mark.parametrize("fixture", BREAKS, ids=str)
def test_a_workflow_that_breaks_a_property_fails_its_check(fixture: str, tmp_path: Path) -> None:
    check, edit = BREAKS[fixture]
    workflows = read_all(WORKFLOWS[0].parent)
    edit(workflows)
    # Written out and read back: the fixture is a workflow file like the shipped ones.
    for workflow in workflows:
        body = {("on" if k is True else k): v for k, v in workflow.document.items()}
        (tmp_path / workflow.name).write_text(yaml.safe_dump(body, sort_keys=False))
    assert CHECKS[check](read_all(tmp_path)) != []


def test_every_property_has_a_breaking_fixture() -> None:
    assert {check for check, _ in BREAKS.values()} == set(CHECKS)
