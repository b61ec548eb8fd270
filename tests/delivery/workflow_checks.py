"""What the GitHub workflows must do for a stack GitHub Actions delivers, checked on the
workflow files themselves. Each check returns one line per problem, naming the file and
the job; an empty list means the property holds. Where a property is a value, the check
compares the exact expression; where it is behaviour, `workflow_behaviour.py` runs the
script.

The properties (README, "Delivery"): the stacks come from the config, one path each; the
jobs run on the stack's runners, previews never on the apply runner; applies queue per
stack and never roll back; drift is checked on a schedule; the policy pack runs in every
preview and update, after a refresh, with the CLI the SDK pins; a branch's code never
gets a credential that can run `up`; credentials last as long as the job.
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
STACK_NAME = "${{ matrix.organization }}/${{ matrix.stack }}"
STACK_RUNNER = "${{ matrix.runner }}"
PREVIEW_RUNNER = "${{ matrix.previewRunner }}"
APPLY_ENVIRONMENT = "${{ matrix.stack }}"
PREVIEW_ENVIRONMENT = "${{ matrix.stack }}-preview"
DRIFT_ENVIRONMENT = "${{ matrix.stack }}-drift"
# The job that brings the Pulumi Deployments settings (`deployments/`) to main's head.
SETTINGS_ENVIRONMENT = "platform-deployments"
SETTINGS_DIR = "deployments"
TEAM_TOKEN = "urn:pulumi:token-type:access_token:team"
TEAM_SCOPE = "team:${{ vars.PULUMI_TEAM }}"
FORK_CHECK = "github.event.pull_request.head.repo.full_name == github.repository"
# One queue per stack, shared by its applies and its drift checks; one for the listing
# jobs and one for the settings, so each run enters the queues in the order it landed.
STACK_QUEUE = {"group": "apply-${{ matrix.stack }}", "cancel-in-progress": False, "queue": "max"}
LIST_QUEUE = {"group": "apply-stacks", "cancel-in-progress": False, "queue": "max"}
SETTINGS_QUEUE = {"group": "apply-settings", "cancel-in-progress": False, "queue": "max"}
# What a job that mints OIDC tokens may also do with the repository's GITHUB_TOKEN: read
# the code; an apply may start an apply run for main's head.
OIDC_PERMISSIONS = {"contents": "read", "id-token": "write"}
APPLY_PERMISSIONS = {**OIDC_PERMISSIONS, "actions": "write"}
# aws-actions/configure-aws-credentials action.yml: `role-duration-seconds` default.
AWS_DEFAULT_SECONDS = 3600


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

    @property
    def runs_branch_code(self) -> bool:
        return bool({"pull_request", "pull_request_target"} & set(self.triggers))

    @property
    def scheduled(self) -> bool:
        return "schedule" in self.triggers


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


def needs(job: dict[str, Any]) -> list[str]:
    found = job.get("needs") or []
    return [found] if isinstance(found, str) else list(found)


def conjuncts(condition: Any) -> list[str]:
    """The parts of an `if:` joined by a top-level `&&`, each stripped."""
    text, parts, depth, start = str(condition or ""), [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and text.startswith("&&", i):
            parts.append(text[start:i])
            start = i + 2
    parts.append(text[start:])
    return [" ".join(p.split()) for p in parts if p.strip()]


def pulumi_jobs(workflows: list[Workflow]) -> Iterator[tuple[Workflow, str, dict[str, Any]]]:
    for workflow in workflows:
        for name, job in workflow.jobs.items():
            if pulumi_steps(job):
                yield workflow, name, job


def is_stack_job(job: dict[str, Any]) -> bool:
    """A job that runs pulumi on the platform's stacks, one matrix entry each."""
    return any("matrix.stack" in str(inputs(s).get("stack-name")) for s in pulumi_steps(job))


def is_settings_job(job: dict[str, Any]) -> bool:
    """A job that runs pulumi on the `deployments/` project."""
    steps_ = pulumi_steps(job)
    return bool(steps_) and all(inputs(s).get("work-dir") == SETTINGS_DIR for s in steps_)


def stack_jobs(workflows: list[Workflow]) -> Iterator[tuple[Workflow, str, dict[str, Any]]]:
    for workflow, name, job in pulumi_jobs(workflows):
        if is_stack_job(job):
            yield workflow, name, job


def is_apply(job: dict[str, Any]) -> bool:
    return bool(commands(job) - READ_ONLY_COMMANDS)


def where(workflow: Workflow, job: str) -> str:
    return f"{workflow.name}: job {job}"


def source_step(workflow: Workflow, job: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """(the job, its output, the step) that ``job``'s matrix comes from: `include: ${{
    fromJSON(needs.<job>.outputs.<o>) }}`, that output being `${{ steps.<id>.outputs.<x> }}`."""
    include = ((job.get("strategy") or {}).get("matrix") or {}).get("include")
    found = MATRIX_FROM_JOB.match(str(include))
    if not found or found.group(1) not in needs(job):
        return None
    source = workflow.jobs.get(found.group(1)) or {}
    step_id = STEP_OUTPUT.match(str((source.get("outputs") or {}).get(found.group(2))))
    step = next((s for s in steps(source) if step_id and s.get("id") == step_id.group(1)), None)
    return None if step is None else (found.group(1), found.group(2), step)


MATRIX_FROM_JOB = re.compile(r"^\$\{\{ fromJSON\(needs\.([\w-]+)\.outputs\.([\w-]+)\) \}\}$")
STEP_OUTPUT = re.compile(r"^\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}$")


# --- runners inside the walls ---------------------------------------------------------


def runner_problems(workflows: list[Workflow]) -> list[str]:
    """Every job that runs pulumi on a stack runs on one of the stack's own runners, whose
    address rule runner-reaches-endpoints checks against every firewall: a pull request's
    previews on the preview runner (`previewRunnerLabels`), never on the apply runner,
    which only main's applies and drift checks use."""
    problems = []
    for workflow, name, job in stack_jobs(workflows):
        expected = PREVIEW_RUNNER if workflow.runs_branch_code else STACK_RUNNER
        if job.get("runs-on") != expected:
            problems.append(
                f"{where(workflow, name)}: runs on {job.get('runs-on')!r}, not on {expected}"
            )
    return problems


# --- applies: queued, never cancelled, never rolled back --------------------------------


def apply_queue_problems(workflows: list[Workflow]) -> list[str]:
    """Applies queue per stack and none is cancelled: the `up` jobs, the job that lists
    their stacks and the settings job each wait in their own queue, in order."""
    problems = []
    for workflow in workflows:
        applies = {n: j for n, j in workflow.jobs.items() if is_apply(j) and is_stack_job(j)}
        if not applies:
            continue
        concurrency = workflow.document.get("concurrency")
        if concurrency is not None:
            problems.append(f"{workflow.name}: workflow concurrency {concurrency!r} cancels runs")
        for name, job in applies.items():
            at = where(workflow, name)
            if job.get("concurrency") != STACK_QUEUE:
                problems.append(f"{at}: concurrency {job.get('concurrency')!r}, not {STACK_QUEUE}")
            if (job.get("strategy") or {}).get("fail-fast") is not False:
                problems.append(f"{at}: fail-fast cancels the other stacks' applies")
            source = source_step(workflow, job)
            lister = workflow.jobs.get(source[0]) if source else None
            if lister is None or lister.get("concurrency") != LIST_QUEUE:
                problems.append(
                    f"{at}: its stacks are listed outside the queue {LIST_QUEUE}, so runs can "
                    "reach the stacks' queues out of order"
                )
        for name, job in workflow.jobs.items():
            if is_settings_job(job) and job.get("concurrency") != SETTINGS_QUEUE:
                problems.append(f"{where(workflow, name)}: settings not queued ({SETTINGS_QUEUE})")
    return problems


def apply_trigger_problems(workflows: list[Workflow]) -> list[str]:
    """An apply runs for main only: on a push to it, or when started by hand."""
    problems = []
    for workflow in workflows:
        if not any(is_apply(j) for j in workflow.jobs.values()):
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


def settings_first_problems(workflows: list[Workflow]) -> list[str]:
    """The apply workflow brings the Pulumi Deployments settings to main's head (`pulumi
    up` of `deployments/`, after a refresh) before any stack's `up`, so a stack moving
    between paths is never deployed by both: every `up` job needs the settings job, and
    runs even when it failed (its own check then refuses a stack with settings)."""
    problems = []
    for workflow in workflows:
        applies = {n: j for n, j in workflow.jobs.items() if is_apply(j) and is_stack_job(j)}
        if not applies:
            continue
        settings = [n for n, j in workflow.jobs.items() if is_settings_job(j)]
        if len(settings) != 1:
            problems.append(f"{workflow.name}: {len(settings)} jobs run `deployments/`, not 1")
            continue
        job = workflow.jobs[settings[0]]
        step = pulumi_steps(job)[0]
        at = where(workflow, settings[0])
        if inputs(step).get("command") != "up" or not truthy(inputs(step).get("refresh")):
            problems.append(f"{at}: does not run `pulumi up --refresh` of deployments/")
        if environment(job) != SETTINGS_ENVIRONMENT:
            problems.append(f"{at}: runs outside the environment {SETTINGS_ENVIRONMENT}")
        checkout = next((s for s in steps(job) if uses(s, "actions/checkout@")), {})
        if inputs(checkout).get("ref") != "${{ github.ref }}":
            problems.append(f"{at}: applies the queued commit's settings, not main's head's")
        for name, apply in applies.items():
            if settings[0] not in needs(apply):
                problems.append(f"{where(workflow, name)}: runs before the settings job")
            elif "!cancelled()" not in conjuncts(apply.get("if")):
                problems.append(f"{where(workflow, name)}: skipped when the settings job fails")
    return problems


# --- drift ----------------------------------------------------------------------------


def drift_schedule_problems(workflows: list[Workflow]) -> list[str]:
    """A scheduled workflow runs `pulumi preview --refresh` for the stacks on their apply
    runners, in the stacks' apply queues (a check during an `up` would report the `up`'s
    half-done state as drift)."""
    for workflow in workflows:
        if not workflow.scheduled:
            continue
        for _, job in [(n, j) for n, j in workflow.jobs.items() if is_stack_job(j)]:
            checks = [
                s
                for s in pulumi_steps(job)
                if inputs(s).get("command") == "preview" and truthy(inputs(s).get("refresh"))
            ]
            if checks and job.get("concurrency") == STACK_QUEUE:
                return []
    return [
        "no scheduled workflow runs `pulumi preview --refresh` of the stacks in their apply "
        f"queues ({STACK_QUEUE['group']}): drift goes unnoticed, or is reported mid-`up`"
    ]


# --- the policy pack, refresh and the CLI version --------------------------------------


def policy_problems(workflows: list[Workflow]) -> list[str]:
    """The policy pack (`policy/`) runs in every preview and update of a stack."""
    return [
        f"{where(workflow, name)}: `pulumi {inputs(step).get('command')}` without the policy "
        "pack (policyPacks: policy)"
        for workflow, name, job in stack_jobs(workflows)
        for step in pulumi_steps(job)
        if inputs(step).get("policyPacks") != "policy"
    ]


def refresh_problems(workflows: list[Workflow]) -> list[str]:
    """Every preview starts from a refresh, which it does not save: without it a preview
    compares the program with a stale state. A stack's `up` never refreshes: it saves what
    the refresh reads, and the Civo provider reads any failed lookup as "deleted"
    (terraform-provider-civo v1.1.4 resource_database.go L255-260), so one transient API
    error would forget the database. `deployments/` holds no Civo resource."""
    problems = []
    for workflow, name, job in pulumi_jobs(workflows):
        for step in pulumi_steps(job):
            command, refresh = inputs(step).get("command"), truthy(inputs(step).get("refresh"))
            if command == "preview" and not refresh:
                problems.append(f"{where(workflow, name)}: `pulumi preview` without refresh: true")
            if command == "up" and refresh and inputs(step).get("work-dir") != "deployments":
                problems.append(
                    f"{where(workflow, name)}: `pulumi up` saves a refresh: one failed Civo "
                    "read forgets the database"
                )
    return problems


def cli_version_problems(workflows: list[Workflow], sdk_version: str) -> list[str]:
    """Every pulumi step installs the CLI of the SDK pyproject pins, not the latest."""
    return [
        f"{where(workflow, name)}: installs pulumi {inputs(step).get('pulumi-version', 'latest')!s}, "
        f"not the SDK's {sdk_version}"
        for workflow, name, job in pulumi_jobs(workflows)
        for step in pulumi_steps(job)
        if str(inputs(step).get("pulumi-version")) != sdk_version
    ]


# --- what a branch can reach ----------------------------------------------------------

SECRETS = re.compile(r"\bsecrets\b(?!\.GITHUB_TOKEN\b)")
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def _stored_secrets(workflow: Workflow) -> list[str]:
    """Every expression that reads the `secrets` context, in any spelling
    (`secrets.X`, `secrets['X']`, `toJSON(secrets)`), GITHUB_TOKEN aside."""
    return [" ".join(e.split()) for e in EXPRESSION.findall(workflow.text) if SECRETS.search(e)]


def _expected_environment(workflow: Workflow, job: dict[str, Any]) -> str | None:
    if is_settings_job(job):
        return SETTINGS_ENVIRONMENT
    if not is_stack_job(job):
        return None
    if workflow.runs_branch_code:
        return PREVIEW_ENVIRONMENT
    if workflow.scheduled:
        return DRIFT_ENVIRONMENT
    return APPLY_ENVIRONMENT


def credential_problems(workflows: list[Workflow]) -> list[str]:
    """No stored secret; every credential is an OIDC token bound to an environment; a
    branch's code (pull requests) and the scheduled check get only the `-preview` and
    `-drift` environments and run only `preview`; only main's code, in the environment
    named after the stack, runs `up`; a job that mints OIDC tokens gets no other write
    permission (an apply may start an apply run); the Pulumi token is a team token."""
    problems = []
    for workflow in workflows:
        problems += [
            f"{workflow.name}: reads the stored secrets `{e}`; use OIDC"
            for e in _stored_secrets(workflow)
        ]
        for name, job in workflow.jobs.items():
            at = where(workflow, name)
            env = environment(job)
            permissions = job.get("permissions") or {}
            oidc = permissions.get("id-token") == "write"
            if oidc and env is None:
                problems.append(f"{at}: mints OIDC tokens outside an environment")
            if pulumi_steps(job) and not (is_stack_job(job) or is_settings_job(job)):
                problems.append(f"{at}: runs pulumi on neither a stack nor deployments/")
            if env is not None and env != _expected_environment(workflow, job):
                problems.append(
                    f"{at}: runs in environment {env!r} from {sorted(workflow.triggers)}"
                )
            if is_apply(job) and (workflow.runs_branch_code or workflow.scheduled):
                problems.append(
                    f"{at}: runs {sorted(commands(job))} from {sorted(workflow.triggers)}"
                )
            allowed = [OIDC_PERMISSIONS]
            if is_apply(job) and is_stack_job(job):
                allowed.append(APPLY_PERMISSIONS)
            if oidc and permissions not in allowed:
                problems.append(f"{at}: mints OIDC tokens with permissions {permissions}")
            problems += [f"{at}: {p}" for p in _token_problems(workflow, job)]
    return problems


def _token_problems(workflow: Workflow, job: dict[str, Any]) -> list[str]:
    if not pulumi_steps(job):
        return []
    problems = []
    envs = [workflow.document, job, *steps(job)]
    if any("PULUMI_ACCESS_TOKEN" in (e.get("env") or {}) for e in envs) or any(
        "PULUMI_ACCESS_TOKEN" in str(inputs(s)) for s in steps(job)
    ):
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


def credential_lifetime_problems(workflows: list[Workflow]) -> list[str]:
    """The AWS session and the Pulumi token last as long as the job may run: an `up` that
    outlives its credentials stops halfway, with its changes half made."""
    problems = []
    for workflow in workflows:
        for name, job in workflow.jobs.items():
            seconds = int(job.get("timeout-minutes", 360)) * 60
            for step in steps(job):
                if uses(step, AWS_AUTH):
                    lasts = int(inputs(step).get("role-duration-seconds", AWS_DEFAULT_SECONDS))
                    what = "the AWS session"
                elif uses(step, PULUMI_AUTH):
                    lasts = int(inputs(step).get("token-expiration", 0))
                    what = "the Pulumi token (token-expiration)"
                else:
                    continue
                if lasts < seconds:
                    problems.append(
                        f"{where(workflow, name)}: {what} lasts {lasts} s, the job up to {seconds} s"
                    )
    return problems


# --- pull requests --------------------------------------------------------------------


def preview_condition_problems(workflows: list[Workflow]) -> list[str]:
    """A pull request's real preview runs even when the offline review failed (exit 2 or
    3), those being the changes whose preview matters most, and never for a pull request
    from a fork, whose code would otherwise run on the stack's preview runner."""
    problems = []
    for workflow, name, job in stack_jobs(workflows):
        if not workflow.runs_branch_code:
            continue
        parts = conjuncts(job.get("if"))
        if needs(job) and "!cancelled()" not in parts:
            problems.append(f"{where(workflow, name)}: skipped whenever {needs(job)} fails")
        if FORK_CHECK not in parts:
            problems.append(f"{where(workflow, name)}: runs for pull requests from forks")
    return problems


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
