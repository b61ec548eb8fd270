"""What the GitHub workflows must do for a stack GitHub Actions delivers, checked on the
workflow files themselves. Each check returns one line per problem, naming the file and
the job; an empty list means the property holds.

The properties (README, "Delivery"): the stacks come from the config, one path each; the
jobs run on the stack's runner; applies queue per stack and never roll back; drift is
checked on a schedule; the policy pack runs in every preview and update, with the CLI the
SDK pins; a branch's code never gets a credential that can run `up`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PULUMI_ACTION = "pulumi/actions@"
PULUMI_AUTH = "pulumi/auth-actions@"
AWS_AUTH = "aws-actions/configure-aws-credentials@"
DELIVERY_LIST = "platform delivery --via github-actions"
# The only pulumi command a branch's code or a scheduled check may run.
READ_ONLY_COMMANDS = {"preview"}
STACK_RUNNER = "${{ matrix.runner }}"
APPLY_ENVIRONMENT = "${{ matrix.stack }}"
PREVIEW_ENVIRONMENT = "${{ matrix.stack }}-preview"
DRIFT_ENVIRONMENT = "${{ matrix.stack }}-drift"
TEAM_TOKEN = "urn:pulumi:token-type:access_token:team"
TEAM_SCOPE = "team:${{ vars.PULUMI_TEAM }}"


@dataclass(frozen=True)
class Workflow:
    name: str
    document: dict[Any, Any]
    text: str

    @classmethod
    def read(cls, path: Path) -> Workflow:
        text = path.read_text()
        return cls(path.name, yaml.safe_load(text), text)

    @property
    def triggers(self) -> dict[str, Any]:
        found = self.document.get("on", self.document.get(True))  # YAML 1.1: `on` is True
        if isinstance(found, str):
            return {found: None}
        if isinstance(found, list):
            return dict.fromkeys(found)
        return dict(found or {})

    @property
    def jobs(self) -> dict[str, dict[str, Any]]:
        jobs: dict[str, dict[str, Any]] = self.document.get("jobs") or {}
        return jobs


def read_all(folder: Path) -> list[Workflow]:
    return [Workflow.read(p) for p in sorted(folder.glob("*.yml"))]


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = job.get("steps") or []
    return found


def uses(step: dict[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).startswith(action)


def pulumi_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in steps(job) if uses(s, PULUMI_ACTION)]


def inputs(step: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = step.get("with") or {}
    return found


def commands(job: dict[str, Any]) -> set[str]:
    return {str(inputs(s).get("command")) for s in pulumi_steps(job)}


def environment(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    if isinstance(env, dict):
        env = env.get("name")
    return None if env is None else str(env)


def truthy(value: Any) -> bool:
    return str(value).lower() == "true"


def pulumi_jobs(workflows: list[Workflow]) -> Iterator[tuple[Workflow, str, dict[str, Any]]]:
    for workflow in workflows:
        for name, job in workflow.jobs.items():
            if pulumi_steps(job):
                yield workflow, name, job


def _where(workflow: Workflow, job: str) -> str:
    return f"{workflow.name}: job {job}"


# --- one path per stack ---------------------------------------------------------------

MATRIX_FROM_JOB = re.compile(r"^\$\{\{ fromJSON\(needs\.([\w-]+)\.outputs\.([\w-]+)\) \}\}$")
STEP_OUTPUT = re.compile(r"^\$\{\{ steps\.([\w-]+)\.outputs\.[\w-]+ \}\}$")


def stack_source_problems(workflows: list[Workflow]) -> list[str]:
    """Every job that runs pulumi runs it for the stacks `platform delivery --via
    github-actions` lists: the stacks whose config chose GitHub Actions, and no other."""
    problems = []
    for workflow, name, job in pulumi_jobs(workflows):
        include = ((job.get("strategy") or {}).get("matrix") or {}).get("include")
        found = MATRIX_FROM_JOB.match(str(include))
        source = workflow.jobs.get(found.group(1)) if found else None
        output = ((source or {}).get("outputs") or {}).get(found.group(2)) if found else None
        step_id = STEP_OUTPUT.match(str(output))
        script = next(
            (
                str(s.get("run", ""))
                for s in steps(source or {})
                if step_id and s.get("id") == step_id.group(1)
            ),
            "",
        )
        if DELIVERY_LIST not in script:
            problems.append(
                f"{_where(workflow, name)}: its stacks do not come from `{DELIVERY_LIST}`, so "
                "it may run a stack another path delivers, or miss one"
            )
    return problems


# --- runners inside the walls ---------------------------------------------------------


def runner_problems(workflows: list[Workflow]) -> list[str]:
    """Every job that runs pulumi runs on the stack's own runner
    (`platform:delivery.runnerLabels`), whose address the rule runner-reaches-endpoints
    checks against every firewall."""
    return [
        f"{_where(workflow, name)}: runs on {job.get('runs-on')!r}, not on the stack's runner "
        f"{STACK_RUNNER}: the clusters' firewalls admit no other address"
        for workflow, name, job in pulumi_jobs(workflows)
        if job.get("runs-on") != STACK_RUNNER
    ]


# --- applies: queued, never cancelled, never rolled back --------------------------------


def _is_apply(job: dict[str, Any]) -> bool:
    return bool(commands(job) - READ_ONLY_COMMANDS)


def _queue_problem(concurrency: Any) -> str | None:
    if concurrency is None:
        return None
    if not isinstance(concurrency, dict):
        return f"concurrency {concurrency!r} keeps one pending run and cancels the rest"
    if truthy(concurrency.get("cancel-in-progress")):
        return "its concurrency cancels the running apply"
    if concurrency.get("queue") != "max":
        return "its concurrency keeps one pending run and cancels the rest (no `queue: max`)"
    return None


def apply_queue_problems(workflows: list[Workflow]) -> list[str]:
    """Applies queue per stack and none is cancelled; each run applies its commit only if
    it is still the branch's head, so an old run never rolls newer changes back."""
    problems = []
    for workflow in workflows:
        applies = {n: j for n, j in workflow.jobs.items() if _is_apply(j)}
        if not applies:
            continue
        problem = _queue_problem(workflow.document.get("concurrency"))
        if problem:
            problems.append(f"{workflow.name}: {problem}")
        for name, job in workflow.jobs.items():
            problem = _queue_problem(job.get("concurrency"))
            if problem:
                problems.append(f"{_where(workflow, name)}: {problem}")
        for name, job in applies.items():
            where = _where(workflow, name)
            group = str((job.get("concurrency") or {}).get("group", ""))
            if "matrix.stack" not in group:
                problems.append(f"{where}: applies are not queued per stack")
            if (job.get("strategy") or {}).get("fail-fast") is not False:
                problems.append(f"{where}: fail-fast cancels the other stacks' applies")
            problems += [f"{where}: {p}" for p in _head_guard_problems(job)]
    return problems


def _head_guard_problems(job: dict[str, Any]) -> list[str]:
    checkout = next((s for s in steps(job) if uses(s, "actions/checkout@")), {})
    if inputs(checkout).get("ref") != "${{ github.ref }}":
        return ["checks out the commit it was queued for, not the branch as it is now"]
    guard = next(
        (
            s
            for s in steps(job)
            if "git rev-parse HEAD" in str(s.get("run", ""))
            and "GITHUB_SHA" in str(s.get("run", ""))
        ),
        None,
    )
    guarded = guard is not None and all(
        f"steps.{guard.get('id')}.outputs" in str(s.get("if", "")) for s in pulumi_steps(job)
    )
    if not guarded:
        return ["applies its commit even when a newer one is the head: a re-run rolls back"]
    return []


def apply_trigger_problems(workflows: list[Workflow]) -> list[str]:
    """An apply runs for main only: on a push to it, or when started by hand."""
    problems = []
    for workflow in workflows:
        if not any(_is_apply(j) for j in workflow.jobs.values()):
            continue
        triggers = workflow.triggers
        extra = set(triggers) - {"push", "workflow_dispatch"}
        branches = (triggers.get("push") or {}).get("branches")
        if extra or branches != ["main"]:
            problems.append(
                f"{workflow.name}: applies on {sorted(triggers)} (push branches {branches}); "
                "only pushes to main and manual runs may apply"
            )
    return problems


# --- drift ----------------------------------------------------------------------------


def drift_problems(workflows: list[Workflow]) -> list[str]:
    """A scheduled workflow runs `pulumi preview --refresh --expect-no-changes` for the
    stacks, and a job after it reports the result (one issue per stack)."""
    for workflow in workflows:
        if "schedule" not in workflow.triggers:
            continue
        for name, job in workflow.jobs.items():
            checks = [
                s
                for s in pulumi_steps(job)
                if inputs(s).get("command") == "preview"
                and truthy(inputs(s).get("refresh"))
                and truthy(inputs(s).get("expect-no-changes"))
            ]
            reporter = any(
                name in (j.get("needs") or [])
                and (j.get("permissions") or {}).get("issues") == "write"
                for j in workflow.jobs.values()
            )
            if checks and reporter:
                return []
    return [
        "no scheduled workflow runs `pulumi preview` with refresh and expect-no-changes and "
        "reports what it finds: drift goes unnoticed"
    ]


# --- the policy pack and the CLI version ----------------------------------------------


def policy_problems(workflows: list[Workflow]) -> list[str]:
    """The policy pack (`policy/`) runs in every preview and update."""
    return [
        f"{_where(workflow, name)}: `pulumi {inputs(step).get('command')}` without the policy "
        "pack (policyPacks: policy)"
        for workflow, name, job in pulumi_jobs(workflows)
        for step in pulumi_steps(job)
        if inputs(step).get("policyPacks") != "policy"
    ]


def cli_version_problems(workflows: list[Workflow], sdk_version: str) -> list[str]:
    """Every pulumi step installs the CLI of the SDK pyproject pins, not the latest."""
    return [
        f"{_where(workflow, name)}: installs pulumi {inputs(step).get('pulumi-version', 'latest')!s}, "
        f"not the SDK's {sdk_version}"
        for workflow, name, job in pulumi_jobs(workflows)
        for step in pulumi_steps(job)
        if str(inputs(step).get("pulumi-version")) != sdk_version
    ]


# --- what a branch can reach ----------------------------------------------------------


def _runs_branch_code(workflow: Workflow) -> bool:
    return bool({"pull_request", "pull_request_target"} & set(workflow.triggers))


def credential_problems(workflows: list[Workflow]) -> list[str]:
    """No stored secret; every credential is an OIDC token bound to an environment; a
    branch's code (pull requests) and the scheduled check get only the `-preview` and
    `-drift` environments and run only `preview`; only main's code, in the environment
    named after the stack, runs `up`; the Pulumi token is a team token."""
    problems = []
    for workflow in workflows:
        for secret in sorted(set(re.findall(r"secrets\.(\w+)", workflow.text)) - {"GITHUB_TOKEN"}):
            problems.append(f"{workflow.name}: reads the stored secret {secret}; use OIDC")
        for name, job in workflow.jobs.items():
            where = _where(workflow, name)
            env = environment(job)
            oidc = (job.get("permissions") or {}).get("id-token") == "write"
            if oidc and env is None:
                problems.append(f"{where}: mints OIDC tokens outside an environment")
            if _runs_branch_code(workflow) and env not in (None, PREVIEW_ENVIRONMENT):
                problems.append(f"{where}: a pull request's code runs in environment {env!r}")
            if "schedule" in workflow.triggers and env not in (None, DRIFT_ENVIRONMENT):
                problems.append(f"{where}: the scheduled check runs in environment {env!r}")
            if env == APPLY_ENVIRONMENT and (
                _runs_branch_code(workflow) or "schedule" in workflow.triggers
            ):
                problems.append(
                    f"{where}: reaches the apply environment from {sorted(workflow.triggers)}"
                )
            if _is_apply(job) and env != APPLY_ENVIRONMENT:
                problems.append(f"{where}: runs `up` outside the environment {APPLY_ENVIRONMENT}")
            if _is_apply(job) and (_runs_branch_code(workflow) or "schedule" in workflow.triggers):
                problems.append(
                    f"{where}: runs {sorted(commands(job))} from {sorted(workflow.triggers)}"
                )
            problems += [f"{where}: {p}" for p in _token_problems(job)]
    return problems


def _token_problems(job: dict[str, Any]) -> list[str]:
    if not pulumi_steps(job):
        return []
    problems = []
    if any("PULUMI_ACCESS_TOKEN" in str(s.get("env", "")) for s in steps(job)):
        problems.append("hands pulumi a stored access token")
    auth = [s for s in steps(job) if uses(s, PULUMI_AUTH)]
    if not auth or any(
        inputs(s).get("requested-token-type") != TEAM_TOKEN or inputs(s).get("scope") != TEAM_SCOPE
        for s in auth
    ):
        problems.append(
            "gets no OIDC team token (pulumi/auth-actions, scope team:<vars.PULUMI_TEAM>): "
            "the environment's team decides what the token may do"
        )
    return problems


# --- pull requests --------------------------------------------------------------------


def preview_after_failed_review_problems(workflows: list[Workflow]) -> list[str]:
    """A pull request's real preview runs even when the offline review failed (exit 2 or
    3): those are the changes whose preview matters most."""
    return [
        f"{_where(workflow, name)}: skipped whenever {job.get('needs')} fails"
        for workflow, name, job in pulumi_jobs(workflows)
        if _runs_branch_code(workflow)
        and job.get("needs")
        and not re.search(r"!cancelled\(\)|always\(\)", str(job.get("if", "")))
    ]


def runs_for(workflow: Workflow, event: str, branch: str) -> int:
    """How many runs one event starts: `push` to ``branch``, or `pull_request` (opened
    or pushed to) from ``branch``."""
    if event not in workflow.triggers:
        return 0
    filters = workflow.triggers[event] or {}
    if event == "push" and "branches" in filters:
        return int(any(fnmatch.fnmatch(branch, b) for b in filters["branches"]))
    return 1


def double_run_problems(workflows: list[Workflow]) -> list[str]:
    """A push to a branch with a pull request open starts each workflow at most once."""
    return [
        f"{w.name}: a push to a pull request's branch starts it {count} times"
        for w in workflows
        if (count := runs_for(w, "push", "feature") + runs_for(w, "pull_request", "feature")) > 1
    ]
