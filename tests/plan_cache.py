"""A fixture for tests that run whole commands: a stack file this session has already
planned is not planned again. The program is deterministic, so the commands still read,
validate, diff and write everything exactly as they would."""

from __future__ import annotations

import pytest

from infra.stackconfig import StackFile, read_stack_file
from platform_cli import plan as plan_module
from platform_cli.runner import PROJECT_DIR, PlanRun
from platform_cli.runner import run_program as run_program_once
from tests.planview import PlanView

Key = tuple[str, tuple[tuple[str, str], ...]]


def _key(stack_file: StackFile) -> Key:
    return stack_file.stack, tuple(sorted(stack_file.values.items()))


@pytest.fixture
def planned_stacks(stack_plans: dict[str, PlanView], monkeypatch: pytest.MonkeyPatch) -> None:
    """`platform_cli.plan` reuses the session's plans of the real stack files."""
    done = {
        _key(read_stack_file(PROJECT_DIR / f"Pulumi.{name}.yaml")): view.run
        for name, view in stack_plans.items()
    }

    def run_program(stack_file: StackFile) -> PlanRun:
        return done.get(_key(stack_file)) or run_program_once(stack_file)

    monkeypatch.setattr(plan_module, "run_program", run_program)
