"""How `platform plan` hands a plan to the rule set and prints what it finds."""

from __future__ import annotations

from typing import TextIO

from infra.providers.outputs import listed
from infra.rules import StackPlan, Violation
from infra.validation import ValidConfig
from platform_cli.runner import PlanRun


def stack_plan(valid: ValidConfig, run: PlanRun) -> StackPlan:
    return StackPlan(run.stack, valid.config, run.registrations)


def report(errors: list[Violation], notes: list[Violation], stderr: TextIO) -> None:
    for note in notes:
        print(str(note).replace("error:", "warning:", 1), file=stderr)
    for error in errors:
        print(error, file=stderr)


def unlisted_reads(run: PlanRun) -> list[str]:
    """`error:` lines for provider outputs the program read that no row of
    ``infra.providers.outputs`` proves filled: the mocks could only have invented them."""
    return [
        f"error: {token} {path}: the program reads this provider output, but "
        "infra/providers/outputs.py has no row saying what fills it"
        for token, path in sorted(run.reads)
        if listed(token, path) is None
    ]
