"""What the workflows' scripts do, found by running them (workflow_scripts.Sandbox) with
the answers GitHub, Pulumi Cloud or the `platform` command would give: the stacks a job
runs, the head guard, the refusal of leftover Deployments settings, drift told apart
from a failed check, the drift issues, the review comment. Each check returns one line
per problem, like those in workflow_checks.py."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from platform_cli.runner import PROJECT_DIR
from tests.delivery.workflow_checks import (
    FORK_CHECK,
    PULUMI_AUTH,
    STACK_NAME,
    STEP_OUTPUT,
    Workflow,
    conjuncts,
    inputs,
    is_apply,
    needs,
    pulumi_steps,
    source_step,
    stack_jobs,
    steps,
    uses,
    where,
)
from tests.delivery.workflow_scripts import Ran, Sandbox

LISTED = [{"stack": "listed", "via": "github-actions", "runner": ["self-hosted", "x"]}]
INVALID = [{"stack": "broken", "errors": ["error: platform:domain: field required"]}]
TOUCHED = ["touched"]
REPO = "example-org/platform"
SCRIPTS = PROJECT_DIR / ".github" / "scripts"


@contextmanager
def sandbox(answers: dict[str, Any] | None = None) -> Iterator[Sandbox]:
    root = Path(tempfile.mkdtemp(prefix="workflow-"))
    try:
        box = Sandbox(root, answers or {})
        shutil.copytree(SCRIPTS, box.cwd / ".github" / "scripts")
        yield box
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _json(text: str | None) -> Any:
    try:
        return json.loads(text or "")
    except json.JSONDecodeError:
        return None


def _after(flags: list[str], name: str) -> str | None:
    return (
        flags[flags.index(name) + 1]
        if name in flags and flags.index(name) + 1 < len(flags)
        else None
    )


# --- the stacks each job runs ---------------------------------------------------------


def _list(workflow: Workflow, job: dict[str, Any]) -> tuple[str, str, dict[str, Any], Ran] | None:
    """(the job, its output, the step) whose output is ``job``'s matrix, and that step
    run; None when there is no such step."""
    source = source_step(workflow, job)
    if source is None:
        return None
    lister, output, step = source
    with sandbox({"touched": TOUCHED, "delivery": LISTED, "invalid": INVALID}) as box:
        ran = box.run(step, {"github.event.pull_request.base.sha": "base"})
    return lister, output, step, ran


def _job_output(workflow: Workflow, lister: str, name: str, ran: Ran) -> Any:
    expression = ((workflow.jobs[lister].get("outputs") or {}).get(name)) or ""
    found = STEP_OUTPUT.match(str(expression))
    return _json(ran.outputs.get(found.group(2))) if found else None


def stack_list_problems(workflows: list[Workflow]) -> list[str]:
    """Every job that runs pulumi on stacks runs exactly the stacks `platform delivery
    --via github-actions` lists (a pull request's: of those it touched, with previews
    on), read from the command's output, not written into the script."""
    problems = []
    for workflow, name, job in stack_jobs(workflows):
        at = where(workflow, name)
        listed = _list(workflow, job)
        if listed is None:
            problems.append(f"{at}: its matrix is not a job output set by a step")
            continue
        lister, matrix, _, ran = listed
        calls = [c["args"] for c in ran.called("platform", "delivery")]
        if ran.code != 0:
            problems.append(f"{at}: listing its stacks fails ({ran.stderr.strip()[-200:]})")
        if _job_output(workflow, lister, matrix, ran) != LISTED:
            problems.append(f"{at}: its stacks are not what `platform delivery` lists")
        if not any(_after(c, "--via") == "github-actions" for c in calls):
            problems.append(
                f"{at}: its stacks do not come from `platform delivery --via github-actions`"
            )
        if workflow.runs_branch_code and not any(
            "--previews" in c and _json(_after(c, "--stacks")) == TOUCHED for c in calls
        ):
            problems.append(
                f"{at}: previews stacks the pull request did not touch, or whose config "
                "leaves previews off (`--previews --stacks <platform review --list>`)"
            )
        if not workflow.runs_branch_code and any("--previews" in c for c in calls):
            problems.append(f"{at}: leaves out the stacks whose previews are off")
        names = {str(inputs(s).get("stack-name")) for s in pulumi_steps(job)}
        if names != {STACK_NAME}:
            problems.append(
                f"{at}: runs pulumi on {sorted(names)}, not {STACK_NAME} (the config's)"
            )
    return problems


def invalid_config_problems(workflows: list[Workflow]) -> list[str]:
    """A stack config that does not validate stops its own jobs, no other stack's: the
    listing succeeds and hands it on as `invalid`; the apply fails naming it, the drift
    report opens its issue, the pull request's review still runs."""
    problems = []
    for workflow, _, job in stack_jobs(workflows):
        listed = _list(workflow, job)
        if listed is None or workflow.runs_branch_code:
            continue
        lister, _, _, ran = listed
        if _job_output(workflow, lister, "invalid", ran) != INVALID:
            problems.append(f"{where(workflow, lister)}: does not hand on the invalid stacks")
        if is_apply(job):
            problems += _invalid_job_problems(workflow, lister)
    for workflow in workflows:
        if not workflow.runs_branch_code:
            continue
        for name, job in workflow.jobs.items():
            for step in steps(job):
                script = str(step.get("run", ""))
                if (
                    "platform review" in script
                    and "--list" not in script
                    and step.get("if") != "always()"
                ):
                    problems.append(
                        f"{where(workflow, name)}: the review is skipped when listing the "
                        "stacks fails (`if: always()`)"
                    )
    return problems


def _invalid_job_problems(workflow: Workflow, lister: str) -> list[str]:
    expression = f"needs.{lister}.outputs.invalid"
    for name, job in workflow.jobs.items():
        if lister not in needs(job) or job.get("if") != f"{expression} != '[]'":
            continue
        with sandbox() as box:
            ran = [box.run(s, {expression: json.dumps(INVALID)}) for s in steps(job) if "run" in s]
        if any(r.code != 0 and "Pulumi.broken.yaml" in r.stdout for r in ran):
            return []
        return [f"{where(workflow, name)}: does not fail naming the stack whose config is invalid"]
    return [f"{workflow.name}: no job fails when `{expression}` names a stack"]


# --- applies: the head guard and leftover settings ------------------------------------

HEAD_CONDITION = "steps.{}.outputs.current == 'true'"


def _guard(job: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """The step after the checkout, which decides whether the later steps run."""
    all_steps = steps(job)
    checkout = next((i for i, s in enumerate(all_steps) if uses(s, "actions/checkout@")), None)
    if checkout is None or checkout + 1 >= len(all_steps):
        return None
    return checkout + 1, all_steps[checkout + 1]


def head_guard_problems(workflows: list[Workflow]) -> list[str]:
    """An apply checks out the branch as it is when its turn comes and applies only if its
    commit is still the head, so an old run never rolls newer changes back; when it is
    not, and the head has no live or successful apply run of its own (a `[skip ci]` or
    GITHUB_TOKEN push, or its run failed), it starts one rather than end green."""
    problems = []
    for workflow, name, job in stack_jobs(workflows):
        if not is_apply(job):
            continue
        at = where(workflow, name)
        checkout = next((s for s in steps(job) if uses(s, "actions/checkout@")), {})
        if inputs(checkout).get("ref") != "${{ github.ref }}":
            problems.append(f"{at}: checks out the commit it was queued for, not the branch now")
        guard = _guard(job)
        if guard is None or not guard[1].get("id"):
            problems.append(f"{at}: no guard step after the checkout")
            continue
        index, step = guard
        condition = HEAD_CONDITION.format(step["id"])
        unguarded = [
            s.get("name") or s.get("uses")
            for s in steps(job)[index + 1 :]
            if s.get("if") != condition
        ]
        if unguarded:
            problems.append(f"{at}: {unguarded} run without `if: {condition}`")
        problems += [f"{at}: {p}" for p in _guard_behaviour(workflow, step)]
    return problems


def _guard_behaviour(workflow: Workflow, step: dict[str, Any]) -> list[str]:
    cases = [
        # (this run's commit, runs of the head, current, starts a run)
        ("head", {}, "true", False),
        ("old", {"head": [{"status": "queued", "conclusion": ""}]}, "false", False),
        ("old", {"head": [{"status": "waiting", "conclusion": ""}]}, "false", False),
        ("old", {"head": [{"status": "completed", "conclusion": "success"}]}, "false", False),
        ("old", {"head": [{"status": "completed", "conclusion": "failure"}]}, "false", True),
        ("old", {"old": [{"status": "in_progress", "conclusion": ""}]}, "false", True),
    ]
    problems = []
    for commit, runs, current, dispatches in cases:
        with sandbox() as box:
            old, head = box.git_repo(2)
            sha = {"old": old, "head": head}
            box.answers["runs"] = {sha[k]: v for k, v in runs.items()}
            ran = box.run(
                step,
                {"github.token": "token"},
                {
                    "GITHUB_SHA": sha[commit],
                    "GITHUB_REPOSITORY": REPO,
                    "GITHUB_REF": "refs/heads/main",
                    "GITHUB_REF_NAME": "main",
                },
            )
        started = [c for c in ran.called("gh", "workflow", "run") if workflow.name in c["args"]]
        said = f"with its commit {commit} and head runs {runs}"
        if ran.code != 0:
            problems.append(f"guard fails {said}: {ran.stderr.strip()[-200:]}")
        if ran.outputs.get("current") != current:
            problems.append(f"guard says current={ran.outputs.get('current')} {said}")
        if bool(started) != dispatches or any(
            _after(c["args"], "--ref") != "main" for c in started
        ):
            problems.append(
                f"guard {'starts' if started else 'does not start'} an apply run of main {said}"
            )
    return problems


def leftover_settings_problems(workflows: list[Workflow]) -> list[str]:
    """Before its `up`, with its Pulumi token, an apply asks Pulumi Cloud for the stack's
    Deployments settings and refuses the stack if it has any (they would deploy every
    push a second time), naming the command that removes them; an answer it cannot read
    refuses too."""
    problems = []
    for workflow, name, job in stack_jobs(workflows):
        if not is_apply(job):
            continue
        all_steps = steps(job)
        auth = next((i for i, s in enumerate(all_steps) if uses(s, PULUMI_AUTH)), None)
        up = next((i for i, s in enumerate(all_steps) if s in pulumi_steps(job)), len(all_steps))
        candidates = (
            [s for s in all_steps[(auth or 0) + 1 : up] if "run" in s] if auth is not None else []
        )
        verdicts = [_leftover_behaviour(s) for s in candidates]
        if not any(v == [] for v in verdicts):
            found = next(
                (v for v in verdicts if v), ["no step between the Pulumi login and `up` asks"]
            )
            problems.append(f"{where(workflow, name)}: Deployments settings not refused: {found}")
    return problems


def _leftover_behaviour(step: dict[str, Any]) -> list[str]:
    expressions = {
        "matrix.organization": "org",
        "matrix.project": "platform",
        "matrix.stack": "prod",
    }
    url = "https://api.pulumi.com/api/stacks/org/platform/prod/deployments/settings"
    problems = []
    for status, passes in ((404, True), (200, False), (500, False), (403, False)):
        with sandbox({"curl_status": status}) as box:
            ran = box.run(step, expressions, {"PULUMI_ACCESS_TOKEN": "pulumi-token"})
        asked = [c for c in ran.called("curl") if url in c["args"]]
        if not asked or not any("Authorization: token pulumi-token" in a for a in asked[0]["args"]):
            return [f"does not ask {url} with the Pulumi token"]
        if (ran.code == 0) != passes:
            problems.append(f"{'refuses' if ran.code else 'accepts'} HTTP {status}")
        if (
            status == 200
            and "pulumi deployment settings destroy --stack org/platform/prod --yes"
            not in ran.stdout
        ):
            problems.append("does not name `pulumi deployment settings destroy --stack …`")
    return problems


# --- drift ----------------------------------------------------------------------------

CLEAN = "Previewing update (org/prod):\n\nResources:\n    112 unchanged\n"
DRIFTED = [
    "Resources:\n    ~ 1 to update\n    111 unchanged\n",
    "Resources:\n    +-1 to replace\n    - 2 to delete\n    3 changes. 109 unchanged\n",
    "\x1b[1mResources:\x1b[0m\n    \x1b[32m+ 1 to create\x1b[0m\n    111 unchanged\n",
]


def _drift_jobs(workflows: list[Workflow]) -> Iterator[tuple[Workflow, str, dict[str, Any]]]:
    for workflow, name, job in stack_jobs(workflows):
        if workflow.scheduled and not is_apply(job):
            yield workflow, name, job


def drift_result_problems(workflows: list[Workflow]) -> list[str]:
    """The check keeps, per stack, whether the preview found drift (it finished and
    proposes changes), found none, or failed: a failed check is not drift, and drift's
    changes are kept for the issue."""
    problems = []
    for workflow, name, job in _drift_jobs(workflows):
        at = where(workflow, name)
        preview = next((s for s in pulumi_steps(job) if inputs(s).get("command") == "preview"), {})
        ident = preview.get("id")
        if (
            not ident
            or preview.get("continue-on-error") is not True
            or inputs(preview).get("expect-no-changes")
        ):
            problems.append(
                f"{at}: the preview needs an id and continue-on-error, and no expect-no-changes "
                "(pulumi/actions sets `output` only when the step succeeds)"
            )
            continue
        binding = {
            "OUTCOME": f"${{{{ steps.{ident}.outcome }}}}",
            "OUTPUT": f"${{{{ steps.{ident}.outputs.output }}}}",
            "STACK": "${{ matrix.stack }}",
        }
        keep = next((s for s in steps(job) if (s.get("env") or {}) == binding), None)
        if keep is None or keep.get("if") != "always()":
            problems.append(f"{at}: no `if: always()` step keeps the result with env {binding}")
            continue
        problems += [f"{at}: {p}" for p in _result_behaviour(keep, ident)]
    return problems


def _result_behaviour(step: dict[str, Any], ident: str) -> list[str]:
    cases = [("success", CLEAN, "no-drift"), ("failure", "", "failed"), ("success", "", "failed")]
    cases += [("success", sample, "drift") for sample in DRIFTED]
    problems = []
    for outcome, output, expected in cases:
        with sandbox() as box:
            ran = box.run(
                step,
                {
                    f"steps.{ident}.outcome": outcome,
                    f"steps.{ident}.outputs.output": output,
                    "matrix.stack": "prod",
                },
            )
            result = ran.cwd / "drift" / "prod" / "result"
            found = result.read_text().strip() if result.exists() else None
        if found != expected:
            problems.append(
                f"a {outcome} preview printing {output[-40:]!r} is {found}, not {expected}"
            )
    return problems


def drift_report_problems(workflows: list[Workflow]) -> list[str]:
    """After every check, one issue per stack, `Drift: <stack>`: opened or updated with
    the changes when it drifted, saying the check failed (not drift) when it did, or
    that its config does not validate; commented and closed when it matches again."""
    problems = []
    for workflow, name, job in _drift_jobs(workflows):
        source = source_step(workflow, job)
        if source is None:
            continue
        lister = source[0]
        reporters = [
            (n, j) for n, j in workflow.jobs.items() if name in needs(j) and lister in needs(j)
        ]
        if not reporters:
            problems.append(f"{workflow.name}: no job reports what {name} found")
            continue
        report_name, report = reporters[0]
        at = where(workflow, report_name)
        condition = f"always() && needs.{lister}.result == 'success'"
        if report.get("if") != condition:
            problems.append(f"{at}: runs on {report.get('if')!r}, not {condition!r}")
        if report.get("permissions") != {"issues": "write"}:
            problems.append(f"{at}: permissions {report.get('permissions')}, not issues: write")
        step = next((s for s in steps(report) if "run" in s), {})
        problems += [f"{at}: {p}" for p in _report_behaviour(step, lister)]
    return problems


def _report_behaviour(step: dict[str, Any], lister: str) -> list[str]:
    bot = {"login": "github-actions[bot]"}
    issues = [
        {"number": 1, "title": "Drift: clean", "user": bot},
        {"number": 3, "title": "Drift: failing", "user": bot},
        {"number": 5, "title": "Drift: broken", "user": bot},
        {"number": 9, "title": "Drift: drifting", "user": {"login": "someone"}},
    ]
    stacks = [{"stack": s} for s in ("clean", "drifting", "failing", "lost")]
    with sandbox({"api": {f"repos/{REPO}/issues": issues}}) as box:
        for stack, result, preview in (
            ("clean", "no-drift", CLEAN),
            ("drifting", "drift", DRIFTED[0]),
            ("failing", "failed", "error: could not reach the cluster"),
        ):
            (box.cwd / "drift" / stack).mkdir(parents=True)
            (box.cwd / "drift" / stack / "result").write_text(result + "\n")
            (box.cwd / "drift" / stack / "preview.txt").write_text(preview)
        ran = box.run(
            step,
            {
                f"needs.{lister}.outputs.stacks": json.dumps(stacks),
                f"needs.{lister}.outputs.invalid": json.dumps(INVALID),
                "github.token": "token",
                "github.repository": REPO,
                "github.server_url": "https://github.com",
                "github.run_id": "42",
            },
        )
    issues_path = f"repos/{REPO}/issues"
    # (method, path), a new issue's path followed by its title: the fields sent.
    posted = {
        (
            c["args"][2],
            c["args"][3] + (f"#{c['fields'].get('title')}" if c["args"][3] == issues_path else ""),
        ): c["fields"]
        for c in ran.called("gh", "api", "--method")
    }
    expected: dict[str, tuple[tuple[str, str], list[str], list[str]]] = {
        # stack: (the call, what its body must say, what it must not)
        "drifting": (
            ("POST", f"{issues_path}#Drift: drifting"),
            ["Drift found", "~ 1 to update"],
            ["not drift"],
        ),
        "failing": (
            ("PATCH", f"{issues_path}/3"),
            ["not drift", "could not reach"],
            ["Drift found"],
        ),
        "lost": (("POST", f"{issues_path}#Drift: lost"), ["not drift"], ["Drift found"]),
        "broken": (("PATCH", f"{issues_path}/5"), list(INVALID[0]["errors"]), ["Drift found"]),
    }
    problems = [] if ran.code == 0 else [f"the report fails: {ran.stderr.strip()[-200:]}"]
    if posted.get(("PATCH", f"{issues_path}/1")) != {"state": "closed"}:
        problems.append("a stack that matches again keeps its issue open")
    if ("POST", f"{issues_path}/1/comments") not in posted:
        problems.append("a stack that matches again gets no comment saying so")
    for stack, (call, says, never) in expected.items():
        body = (posted.get(call) or {}).get("body", "")
        if call not in posted or not all(s in body for s in says) or any(n in body for n in never):
            problems.append(f"{stack}: expected {call[0]} {call[1]} saying {says}, got {body!r}")
    if len(posted) != len(expected) + 2:
        problems.append(f"the report sends more than one change per stack: {sorted(posted)}")
    return problems


# --- the pull request's comment -------------------------------------------------------

REVIEW_BODY = "<!-- platform-review -->\n## `platform review`: what this change does\n"


def comment_first_problems(workflows: list[Workflow]) -> list[str]:
    """The offline review is posted by the job that makes it, before any preview (which
    may wait for an approval) starts, for pull requests from this repository."""
    problems = []
    for workflow in workflows:
        if not workflow.runs_branch_code:
            continue
        previews = [n for _, n, _ in stack_jobs([workflow])]
        for name, job in workflow.jobs.items():
            review = [s for s in steps(job) if "--out review/review.md" in str(s.get("run", ""))]
            if not review:
                continue
            at = where(workflow, name)
            after = steps(job)[steps(job).index(review[0]) + 1 :]
            posts = [s for s in after if "run" in s and _posts_review(s)]
            if not posts:
                problems.append(f"{at}: does not post the review it made")
            elif not {"always()", FORK_CHECK} <= set(conjuncts(posts[0].get("if"))):
                problems.append(f"{at}: posts the review only if all went well, or for forks")
            if not all(name in needs(workflow.jobs[p]) for p in previews):
                problems.append(f"{at}: a preview does not wait for the review's comment")
    return problems


def _posts_review(step: dict[str, Any]) -> bool:
    with sandbox({"api": {f"repos/{REPO}/issues/7/comments": []}}) as box:
        (box.cwd / "review").mkdir()
        (box.cwd / "review" / "review.md").write_text(REVIEW_BODY)
        ran = box.run(
            step,
            {
                "github.token": "token",
                "github.repository": REPO,
                "github.event.pull_request.number": "7",
            },
        )
    created = ran.called("gh", "api", "--method", "POST", f"repos/{REPO}/issues/7/comments")
    return ran.code == 0 and any(c["fields"].get("body") == REVIEW_BODY for c in created)
