"""`platform plan`: run the program offline and show what it would create."""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter, defaultdict
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any, TextIO

import yaml

from infra.rules import STACKS_RULES, StackPlan, Violation, account_quotas, plan_violations
from infra.stackconfig import StackFile, StackFileError, load, read_stack_file, stack_of
from infra.validation import ConfigError, ConfigWarning, ValidConfig
from platform_cli.checks import report, stack_plan, unlisted_reads
from platform_cli.cost import Estimate, change_estimates, change_lines, estimate
from platform_cli.project_file import stack_problems
from platform_cli.runner import PROJECT_DIR, PlanRun, Registration, run_program

__all__ = ["PROJECT_DIR", "command", "plan_stack_file", "run_program"]


class InvalidConfigError(Exception):
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines))

    def report(self, stderr: TextIO) -> int:
        """One line per problem, no traceback; the exit code for invalid input."""
        for line in self.lines:
            print(line, file=stderr)
        return 2


def validate(stack_file: StackFile) -> tuple[ValidConfig, list[str]]:
    """The validated config and its warnings as `warning:` lines; problems raise
    ``InvalidConfigError`` as `error:` lines."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConfigWarning)
        try:
            valid = load(
                stack_file.values,
                stack_file.secret_keys,
                credentials=not stack_file.has_environment,
                offline=True,
            )
        except ConfigError as err:
            raise InvalidConfigError([str(p) for p in err.problems]) from None
    notes = [f"warning: {w.message}" for w in caught if issubclass(w.category, ConfigWarning)]
    refused = stack_problems(
        _project_file(),
        stack_file.stack,
        stack_file.values,
        stack_file.has_environment,
        stack_file.secret_keys,
    )
    if refused:
        # A config the model accepts that `pulumi` itself would refuse before the program.
        raise InvalidConfigError([f"error: pulumi refuses the stack: {p}" for p in refused])
    return valid, notes


@cache
def _project_file() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    return document


def read_valid(path: Path, stack: str | None = None) -> tuple[StackFile, ValidConfig, list[str]]:
    """A stack file, read and validated; ``stack`` overrides the stack name its file name
    implies."""
    try:
        stack_file = read_stack_file(path)
    except StackFileError as err:
        raise InvalidConfigError([f"error: {p}" for p in err.problems]) from None
    if stack is not None:
        stack_file = replace(stack_file, stack=stack)
    valid, notes = validate(stack_file)
    return stack_file, valid, notes


def estimate_of(path: Path, stack: str | None = None) -> Estimate:
    """The monthly cost estimate of a stack file."""
    return estimate(read_valid(path, stack)[1])


def cost_change(old: Path, new: Path, stack: str) -> list[str]:
    """What an edit of a stack file does to its monthly estimate, as `up` would leave it."""
    return change_lines(*change_estimates(read_valid(old, stack)[1], read_valid(new, stack)[1]))


def plan_stack_file(path: Path, stack: str | None = None) -> tuple[StackFile, PlanRun, list[str]]:
    """Plan a stack file; ``stack`` overrides the stack name its file name implies."""
    stack_file, _, notes = read_valid(path, stack)
    return stack_file, run_program(stack_file), notes


def resources_json(run: PlanRun) -> list[dict[str, object]]:
    return [r.as_json() for r in sorted(run.registrations, key=lambda r: r.urn)]


def _tree_lines(run: PlanRun) -> list[str]:
    children: dict[str | None, list[Registration]] = defaultdict(list)
    for r in run.registrations:
        children[r.parent].append(r)
    known = {r.urn for r in run.registrations}
    components = sum(1 for r in run.registrations if not r.custom)
    # Pulumi counts components as resources; say how many, so the lines below add up.
    lines = [
        f"stack {run.stack}: {len(run.registrations)} resources ({components} of them components)"
    ]

    def walk(parent: str | None, depth: int) -> None:
        kids = children.get(parent, [])
        # A level's own resources come before its components: printed after them, they
        # would read as the last component's.
        for typ, count in sorted(Counter(k.type for k in kids if k.custom).items()):
            lines.append(f"{'  ' * depth}{count:>4} x {typ}")
        for component in sorted((k for k in kids if not k.custom), key=lambda k: (k.type, k.name)):
            total = _count_below(component.urn, children)
            lines.append(f"{'  ' * depth}{component.type} {component.name} ({total} resources)")
            walk(component.urn, depth + 1)

    roots = [r for r in run.registrations if r.parent not in known]
    for parent in sorted({r.parent for r in roots}, key=str):
        walk(parent, 1)
    return lines


def _count_below(urn: str, children: dict[str | None, list[Registration]]) -> int:
    return sum(1 + _count_below(k.urn, children) for k in children.get(urn, []))


def unrepeated(rule_notes: list[Violation], config_notes: list[str]) -> list[Violation]:
    """Rule warnings the config's own warnings have not already given: a guardrail that
    runs in `pulumi preview --policy-pack` too names the setting it is about, and the
    config check names it first, with its field path."""
    said = " ".join(config_notes)
    return [
        note
        for note in rule_notes
        if not any(key in said for key in re.findall(r"platform:[\w.]+", note.message))
    ]


def write_outputs(run: PlanRun, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    target = out / "resources.json"
    target.write_text(json.dumps(resources_json(run), indent=2, sort_keys=True) + "\n")
    (out / "outputs.json").write_text(
        json.dumps(run.stack_outputs, indent=2, sort_keys=True) + "\n"
    )
    return target


def command(
    path: Path, out: Path | None, stdout: TextIO, stderr: TextIO, program: Path | None = None
) -> int:
    """Plan one stack and check every rule on it: a violation exits 2. ``program``
    replaces the Pulumi program (the rule fixtures are small programs)."""
    try:
        stack_file, valid, notes = read_valid(path)
    except InvalidConfigError as err:
        return err.report(stderr)
    run = run_program(stack_file, program) if program else run_program(stack_file)
    for note in notes:
        print(note, file=stderr)
    errors, rule_notes = plan_violations(stack_plan(valid, run))
    report(errors, unrepeated(rule_notes, notes), stderr)
    unproven = unlisted_reads(run)
    for line in unproven:
        print(line, file=stderr)
    if errors or unproven:
        return 2
    target = write_outputs(run, out or PROJECT_DIR / "build" / stack_file.stack)
    for line in _tree_lines(run):
        print(line, file=stdout)
    detection = run.stack_outputs.get("failureDetection") or {}
    if detection:
        print("load balancers, worst-case failure detection:", file=stdout)
        for hostname, formula in sorted(detection.items()):
            print(f"  {hostname}: {formula}", file=stdout)
    print("outputs:", file=stdout)
    for key, value in run.stack_outputs.items():
        if key != "failureDetection":
            print(f"  {key}: {value}", file=stdout)
    for line in estimate(valid).render():
        print(line, file=stdout)
    print(f"wrote {target}", file=stdout)
    return 0


def stack_files(repo: Path) -> list[Path]:
    return sorted(repo.glob("Pulumi.*.yaml"))


def all_stacks_command(repo: Path, stdout: TextIO, stderr: TextIO) -> int:
    """Plan every `Pulumi.<stack>.yaml` in ``repo``: each stack's rules, then the rules
    across stacks (names a shared cloud account holds once, quotas it has once), and what
    each account holds. Exit 2 on any violation."""
    plans: dict[str, StackPlan] = {}
    errors: list[Violation] = []
    code = 0
    invalid = 0
    paths = stack_files(repo)
    for path in paths:
        try:
            stack_file, valid, _ = read_valid(path)
        except InvalidConfigError as err:
            # Which stack each line is about: a config error names only its field.
            stack = f"error: stack {stack_of(path)}: "
            lines = [line.replace("error: ", stack, 1) for line in err.lines]
            code = InvalidConfigError(lines).report(stderr)
            invalid += 1
            continue
        run = run_program(stack_file)
        plan = stack_plan(valid, run)
        plans[plan.stack] = plan
        found, _ = plan_violations(plan)
        report([v._replace(stack=plan.stack) for v in found], [], stderr)
        errors += found
        for line in unlisted_reads(run):
            print(line.replace("error: ", f"error: stack {plan.stack}: ", 1), file=stderr)
            code = 2
        print(f"stack {plan.stack}: {len(plan.resources)} resources", file=stdout)
    across = [v for rule in STACKS_RULES for v in rule.violations(plans)]
    report(across, [], stderr)
    for line in account_quotas.usage_lines(plans):
        print(line, file=stdout)
    if errors or across:
        return 2
    if invalid:
        print(
            f"{len(plans)} of {len(paths)} stacks planned: {invalid} "
            f"{'has' if invalid == 1 else 'have'} an invalid config (above)",
            file=stdout,
        )
    else:
        print(f"{len(plans)} stacks: every rule holds", file=stdout)
    return code
