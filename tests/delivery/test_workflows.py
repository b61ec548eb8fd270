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
from tests.delivery import workflow_behaviour as behaviour
from tests.delivery import workflow_checks as checks
from tests.delivery.workflow_checks import Workflow, read_all
from tests.delivery.workflow_scripts import Sandbox
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
# An edit to the shipped workflows; what it returns is ignored.
Edit = Callable[[list[Workflow]], object]
BEFORE = Path(__file__).parent / "fixtures" / "workflows-4f7b0cf"
Check = Callable[[list[Workflow]], list[str]]
CHECKS: dict[str, Check] = {
    "one path per stack": behaviour.stack_list_problems,
    "runners that reach the endpoints": checks.runner_problems,
    "no cancelled pending applies": checks.apply_queue_problems,
    "no rollback, no head left unapplied": behaviour.head_guard_problems,
    "applies from main only": checks.apply_trigger_problems,
    "settings before applies": checks.settings_first_problems,
    "no leftover Deployments settings": behaviour.leftover_settings_problems,
    "drift schedule": checks.drift_schedule_problems,
    "drift told apart from a failed check": behaviour.drift_result_problems,
    "drift reported in one place": behaviour.drift_report_problems,
    "policy pack in previews": checks.policy_problems,
    "previews refresh, a stack's up saves none": checks.refresh_problems,
    "the SDK's CLI": lambda workflows: checks.cli_version_problems(workflows, SDK_VERSION),
    "no prod credential in a branch's reach": checks.credential_problems,
    "credentials outlast the job": checks.credential_lifetime_problems,
    "previews after a failed review, never for forks": checks.preview_condition_problems,
    "one invalid config stops only its stack": behaviour.invalid_config_problems,
    "the review posted before the previews": behaviour.comment_first_problems,
    "one CI run per push": checks.double_run_problems,
}


@pytest.mark.parametrize("check", CHECKS, ids=str)
def test_the_workflows_hold_each_property(check: str) -> None:
    assert CHECKS[check](read_all(WORKFLOWS[0].parent)) == []


# The properties the workflows of 4f7b0cf already had, or had nothing to break: they ran
# no drift check, and no step that reads or posts its own results.
HELD_BEFORE = {
    "applies from main only",
    "drift told apart from a failed check",
    "drift reported in one place",
    "one invalid config stops only its stack",
}


@pytest.mark.parametrize("check", sorted(set(CHECKS) - HELD_BEFORE), ids=str)
def test_the_workflows_of_4f7b0cf_break_each_property(check: str) -> None:
    """The shipped workflows before this delivery design, kept as a fixture: each check
    names what was wrong with them (review diff.md A3, A4, A6, C1, D7, D9, D11)."""
    assert CHECKS[check](read_all(BEFORE)) != []


def _workflow(w: list[Workflow], file: str) -> Workflow:
    return next(x for x in w if x.name == file)


def _job(workflows: list[Workflow], file: str, job: str) -> dict[str, Any]:
    return _workflow(workflows, file).jobs[job]


def _step(w: list[Workflow], file: str, job: str, name: str) -> dict[str, Any]:
    """The step whose name, id or action starts with ``name``."""
    return next(
        s
        for s in _job(w, file, job)["steps"]
        if any(str(s.get(k, "")).startswith(name) for k in ("name", "id", "uses"))
    )


def _pulumi_step(workflows: list[Workflow], file: str, job: str) -> dict[str, Any]:
    return checks.pulumi_steps(_job(workflows, file, job))[0]


def _replace(file: str, job: str, step: str, old: str, new: str) -> Edit:
    def edit(w: list[Workflow]) -> None:
        found = _step(w, file, job, step)
        assert old in found["run"], (step, old)
        found["run"] = found["run"].replace(old, new)

    return edit


def _set(file: str, job: str, *path: str, value: Any) -> Edit:
    """Set (or, with value None, delete) a key of a job."""

    def edit(w: list[Workflow]) -> None:
        target = _job(w, file, job)
        for key in path[:-1]:
            target = target[key]
        if value is None:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return edit


def _set_input(file: str, job: str, step: str, key: str, value: Any) -> Edit:
    def edit(w: list[Workflow]) -> None:
        inputs = _step(w, file, job, step).setdefault("with", {})
        if value is None:
            del inputs[key]
        else:
            inputs[key] = value

    return edit


def _drop_step(file: str, job: str, step: str) -> Edit:
    def edit(w: list[Workflow]) -> None:
        _job(w, file, job)["steps"].remove(_step(w, file, job, step))

    return edit


def _edit_edge_triggered(w: list[Workflow]) -> None:
    _step(w, "apply.yml", "stacks", "stacks")["run"] = (
        'echo "stacks=$(.venv/bin/platform review --base "$BEFORE" --list)" >> "$GITHUB_OUTPUT"\n'
        'echo "invalid=[]" >> "$GITHUB_OUTPUT"'
    )


def _edit_hard_coded_stacks(w: list[Workflow]) -> None:
    _step(w, "apply.yml", "stacks", "stacks")["run"] = (
        'echo "stacks=[]" >> "$GITHUB_OUTPUT"  # .venv/bin/platform delivery --via github-actions\n'
        'echo "invalid=[]" >> "$GITHUB_OUTPUT"'
    )


def _edit_apply_from_branches(w: list[Workflow]) -> None:
    _workflow(w, "apply.yml").triggers["push"]["branches"] = ["**"]


def _edit_stored_token(w: list[Workflow]) -> None:
    step = _pulumi_step(w, "review.yml", "preview")
    step["env"] = {"PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}


def _edit_job_level_secret(w: list[Workflow]) -> None:
    _job(w, "review.yml", "preview")["env"] = {
        "PULUMI_ACCESS_TOKEN": "${{ secrets['PULUMI_ACCESS_TOKEN'] }}"
    }


def _edit_ci_on_every_push(w: list[Workflow]) -> None:
    _workflow(w, "ci.yml").triggers["push"].pop("branches")


def _edit_no_fork_check(w: list[Workflow]) -> None:
    job = _job(w, "review.yml", "preview")
    job["if"] = job["if"].replace(f"&& {checks.FORK_CHECK}", "")


PREVIEW_IF = "!cancelled() && needs.diff.outputs.stacks != '' && needs.diff.outputs.stacks != '[]'"

# Each fixture breaks one property of the shipped workflows; the check for it must fail.
BREAKS: dict[str, tuple[str, Edit]] = {
    "applies only the stacks a push touched": ("one path per stack", _edit_edge_triggered),
    "stacks hard-coded, the command in a comment": ("one path per stack", _edit_hard_coded_stacks),
    "previews every touched stack, previews on or off": (
        "one path per stack",
        _replace("review.yml", "diff", "stacks", "--previews ", ""),
    ),
    "the stack named outside the config": (
        "one path per stack",
        _set_input(
            "apply.yml",
            "up",
            "pulumi/actions",
            "stack-name",
            "${{ vars.PULUMI_ORG }}/${{ matrix.stack }}",
        ),
    ),
    "previews on a GitHub-hosted runner": (
        "runners that reach the endpoints",
        _set("review.yml", "preview", "runs-on", value="ubuntu-24.04"),
    ),
    "previews on the apply runner": (
        "runners that reach the endpoints",
        _set("review.yml", "preview", "runs-on", value="${{ matrix.runner }}"),
    ),
    "one pending apply slot": (
        "no cancelled pending applies",
        _set("apply.yml", "up", "concurrency", "queue", value=None),
    ),
    "one queue for every stack": (
        "no cancelled pending applies",
        _set("apply.yml", "up", "concurrency", "group", value="apply"),
    ),
    "a queue per run (run_id)": (
        "no cancelled pending applies",
        _set(
            "apply.yml",
            "up",
            "concurrency",
            "group",
            value="apply-${{ matrix.stack }}-${{ github.run_id }}",
        ),
    ),
    "stacks listed outside the queue": (
        "no cancelled pending applies",
        _set("apply.yml", "stacks", "concurrency", value=None),
    ),
    "fail-fast applies": (
        "no cancelled pending applies",
        _set("apply.yml", "up", "strategy", "fail-fast", value=True),
    ),
    "applies the queued commit": (
        "no rollback, no head left unapplied",
        _set_input("apply.yml", "up", "actions/checkout", "ref", None),
    ),
    "head guard inverted": (
        "no rollback, no head left unapplied",
        _replace("apply.yml", "up", "head", '= "$GITHUB_SHA" ]', '!= "$GITHUB_SHA" ]'),
    ),
    "head guard always says current": (
        "no rollback, no head left unapplied",
        _replace("apply.yml", "up", "head", 'echo "current=false"', 'echo "current=true"'),
    ),
    "an old run ends green, the head never applied": (
        "no rollback, no head left unapplied",
        _replace(
            "apply.yml",
            "up",
            "head",
            'gh workflow run apply.yml --repo "$GITHUB_REPOSITORY" --ref "$GITHUB_REF_NAME"',
            "true",
        ),
    ),
    "a step the guard does not hold back": (
        "no rollback, no head left unapplied",
        lambda w: _pulumi_step(w, "apply.yml", "up").pop("if"),
    ),
    "applies from any branch": ("applies from main only", _edit_apply_from_branches),
    "ups before the settings": (
        "settings before applies",
        _set("apply.yml", "up", "needs", value=["stacks"]),
    ),
    "no settings job": (
        "settings before applies",
        lambda w: _workflow(w, "apply.yml").jobs.pop("settings"),
    ),
    "the queued commit's settings": (
        "settings before applies",
        _set_input("apply.yml", "settings", "actions/checkout", "ref", None),
    ),
    "ups skipped when the settings fail": (
        "settings before applies",
        _set("apply.yml", "up", "if", value="success() && needs.stacks.outputs.stacks != '[]'"),
    ),
    "no check for leftover settings": (
        "no leftover Deployments settings",
        _drop_step("apply.yml", "up", "No Pulumi Deployments settings"),
    ),
    "leftover settings accepted": (
        "no leftover Deployments settings",
        _replace("apply.yml", "up", "No Pulumi Deployments settings", "404)", "404|200)"),
    ),
    "an unreadable answer accepted": (
        "no leftover Deployments settings",
        _replace(
            "apply.yml",
            "up",
            "No Pulumi Deployments settings",
            "exit 1 ;;\nesac",
            "exit 0 ;;\nesac",
        ),
    ),
    "drift checked outside the apply queue": (
        "drift schedule",
        _set("drift.yml", "check", "concurrency", value=None),
    ),
    "drift check without refresh": (
        "drift schedule",
        _set_input("drift.yml", "check", "pulumi/actions", "refresh", None),
    ),
    "drift outcome forced to success": (
        "drift told apart from a failed check",
        lambda w: _step(w, "drift.yml", "check", "Keep the result")["env"].update(
            OUTCOME="success"
        ),
    ),
    "drift by expect-no-changes, its output lost": (
        "drift told apart from a failed check",
        _set_input("drift.yml", "check", "preview", "expect-no-changes", True),
    ),
    "every finished preview called clean": (
        "drift told apart from a failed check",
        _replace("drift.yml", "check", "Keep the result", "result=drift", "result=no-drift"),
    ),
    "drift report never runs": (
        "drift reported in one place",
        _set("drift.yml", "report", "if", value=False),
    ),
    "drift found but not reported": (
        "drift reported in one place",
        _set("drift.yml", "report", "permissions", "issues", value=None),
    ),
    "a failed check reported as drift": (
        "drift reported in one place",
        _replace(
            "drift.yml",
            "report",
            "Open",
            'result="$(cat "drift/$stack/result" 2>/dev/null || echo failed)"',
            "result=drift",
        ),
    ),
    "preview without the policy pack": (
        "policy pack in previews",
        _set_input("review.yml", "preview", "pulumi/actions", "policyPacks", None),
    ),
    "preview without refresh": (
        "previews refresh, a stack's up saves none",
        _set_input("review.yml", "preview", "pulumi/actions", "refresh", None),
    ),
    "up saving a refresh": (
        "previews refresh, a stack's up saves none",
        _set_input("apply.yml", "up", "pulumi/actions", "refresh", True),
    ),
    "the latest CLI": (
        "the SDK's CLI",
        _set_input("drift.yml", "check", "pulumi/actions", "pulumi-version", None),
    ),
    "preview with the deploy environment": (
        "no prod credential in a branch's reach",
        _set("review.yml", "preview", "environment", value="${{ matrix.stack }}"),
    ),
    "a stored Pulumi token": ("no prod credential in a branch's reach", _edit_stored_token),
    "a job-level secrets['PULUMI_ACCESS_TOKEN']": (
        "no prod credential in a branch's reach",
        _edit_job_level_secret,
    ),
    "an organization token": (
        "no prod credential in a branch's reach",
        _set_input(
            "review.yml",
            "preview",
            "pulumi/auth-actions",
            "requested-token-type",
            "urn:pulumi:token-type:access_token:organization",
        ),
    ),
    "up from a pull request": (
        "no prod credential in a branch's reach",
        _set_input("review.yml", "preview", "pulumi/actions", "command", "up"),
    ),
    "a preview that can write to pull requests": (
        "no prod credential in a branch's reach",
        _set("review.yml", "preview", "permissions", "pull-requests", value="write"),
    ),
    "an AWS session shorter than the apply": (
        "credentials outlast the job",
        _set_input("apply.yml", "up", "aws-actions", "role-duration-seconds", None),
    ),
    "a Pulumi token shorter than the apply": (
        "credentials outlast the job",
        _set_input("apply.yml", "up", "pulumi/auth-actions", "token-expiration", 3600),
    ),
    "preview skipped after a failed review": (
        "previews after a failed review, never for forks",
        _set(
            "review.yml",
            "preview",
            "if",
            value=PREVIEW_IF.replace("!cancelled()", "success()") + f" && {checks.FORK_CHECK}",
        ),
    ),
    "previews of a fork's code": (
        "previews after a failed review, never for forks",
        _edit_no_fork_check,
    ),
    "an invalid config stops every apply": (
        "one invalid config stops only its stack",
        _replace("apply.yml", "stacks", "stacks", " --invalid invalid.json", ""),
    ),
    "invalid configs named nowhere": (
        "one invalid config stops only its stack",
        lambda w: _workflow(w, "apply.yml").jobs.pop("invalid"),
    ),
    "the review skipped with the listing": (
        "one invalid config stops only its stack",
        lambda w: _step(w, "review.yml", "diff", "Review").pop("if"),
    ),
    "the review posted only with the previews": (
        "the review posted before the previews",
        _drop_step("review.yml", "diff", "Post the review"),
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


# --- the pull request's one comment ---------------------------------------------------

SCRIPT = {"run": "bash .github/scripts/pr-comment.sh body.md"}
EXPRESSIONS = {"REPO": "example-org/platform", "PR": "7", "GH_TOKEN": "token"}
COMMENTS = "repos/example-org/platform/issues/7/comments"


def _comment(tmp_path: Path, body: str | None, comments: list[dict[str, Any]]) -> list[Any]:
    box = Sandbox(tmp_path, {"api": {COMMENTS: comments}})
    shutil.copytree(PROJECT_DIR / ".github" / "scripts", box.cwd / ".github" / "scripts")
    if body is not None:
        (box.cwd / "body.md").write_text(body)
    ran = box.run(SCRIPT, environ=EXPRESSIONS)
    assert ran.code == 0, ran.stderr
    return [(c["args"][2:4], c["fields"]) for c in ran.called("gh", "api", "--method")]


def test_the_review_comment_is_posted_once_then_updated_in_place(tmp_path: Path) -> None:
    review = "<!-- platform-review -->\n## review\n"
    assert _comment(tmp_path / "new", review, []) == [(["POST", COMMENTS], {"body": review})]
    bot = {"login": "github-actions[bot]"}
    comments = [
        {"id": 11, "user": {"login": "someone"}, "body": review},
        {"id": 12, "user": bot, "body": "an unrelated bot comment"},
        {"id": 13, "user": bot, "body": review},
    ]
    assert _comment(tmp_path / "again", review, comments) == [
        (["PATCH", "repos/example-org/platform/issues/comments/13"], {"body": review})
    ]


def test_a_comment_without_the_review_says_the_review_failed(tmp_path: Path) -> None:
    for case, body in (("missing", None), ("previews only", "<details>preview</details>\n")):
        ((_, fields),) = _comment(tmp_path / case, body, [])
        assert fields["body"].startswith(
            "<!-- platform-review -->\n\nThe offline review failed; see the job log.\n"
        ), case
        assert fields["body"].endswith(body or "\n"), case
