"""Lifecycle scenarios: a sequence of stack configs, each `up` ordered as the engine runs
it, and a model of what is left in the cloud after each."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from platform_cli.diff import Change, diff_runs
from platform_cli.lifecycle.checks import data_deleted, problems
from platform_cli.lifecycle.order import REMOVES, Order, engine_order
from platform_cli.plan import plan_stack_file
from platform_cli.runner import PlanRun
from tests.conftest import stack_document

Edit = Callable[[dict[str, Any]], None]
EMPTY = "(destroyed)"


@dataclass
class Up:
    """One `pulumi up` (or destroy) of a scenario."""

    title: str
    changes: list[Change]
    order: Order
    problems: list[str]
    data_deleted: list[str]

    def steps(self, verb: str) -> list[str]:
        return [s.resource.name for s in self.order.ran if s.verb == verb]


@dataclass
class Cloud:
    """What exists in the cloud, by URN: "managed" (in the state) or "left" (forgotten,
    still there)."""

    objects: dict[str, str] = field(default_factory=dict)

    def apply(self, order: Order) -> None:
        ran = {s.urn: s for s in order.ran}
        for step in order.ran:
            if step.verb in ("create", "update", "replace"):
                self.objects[step.urn] = "managed"
        for step in order.ran:
            if step.verb in REMOVES:
                self.objects.pop(step.urn, None)
            elif step.verb == "forget":
                self.objects[step.urn] = "left"
        for step in order.ran:
            if step.verb == "with":
                owner = ran.get(step.resource.deleted_with or "")
                if owner is not None and owner.verb in REMOVES:
                    self.objects.pop(step.urn, None)
                else:
                    self.objects[step.urn] = "left"


class Scenario:
    """Plans each config in turn; ``up`` diffs it against the last and orders the steps."""

    def __init__(
        self,
        folder: Path,
        stack: str,
        start: dict[str, Any] | None = None,
        planned: PlanRun | None = None,
    ) -> None:
        """``planned``: the start's plan, when a session fixture already has it."""
        self.folder = folder
        self.stack = stack
        self.document = copy.deepcopy(start or stack_document(stack))
        self.run = planned or self._plan(self.document, "start")
        self.cloud = Cloud({r.urn: "managed" for r in self.run.registrations if r.custom})
        self.ups: list[Up] = []

    def _plan(self, document: dict[str, Any], title: str) -> PlanRun:
        folder = self.folder / f"{len(getattr(self, 'ups', []))}-{title.replace(' ', '-')}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"Pulumi.{self.stack}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return plan_stack_file(path)[1]

    def up(self, title: str, edit: Edit | None = None) -> Up:
        """Apply ``edit`` to the config (None: destroy the stack) and `up`."""
        if edit is None:
            after = PlanRun(self.stack, [], {}, {}, [])
        else:
            document = copy.deepcopy(self.document)
            edit(document["config"])
            after = self._plan(document, title)
            self.document = document
        changes = diff_runs(self.run, after)
        order = engine_order(changes, self.run.registrations, after.registrations)
        done = Up(
            title,
            changes,
            order,
            problems(order, self.run.registrations),
            data_deleted(order),
        )
        self.cloud.apply(order)
        self.run = after
        self.ups.append(done)
        return done

    def unprotect(self, *names: str) -> None:
        """`pulumi state unprotect`: the state's flags change, not the program's."""
        self.run = replace(
            self.run,
            registrations=[
                replace(r, protect=False) if r.name in names else r for r in self.run.registrations
            ],
        )

    def urn(self, type_token: str, name: str, run: PlanRun | None = None) -> str:
        for r in (run or self.run).registrations:
            if r.type == type_token and r.name == name:
                return r.urn
        raise KeyError(f"{type_token} {name}")
