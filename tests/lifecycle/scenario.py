"""Lifecycle scenarios: a sequence of stack configs and state commands, each `up` ordered
as the engine runs it, with a model of Pulumi's state and of what is left in the cloud
after each."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from platform_cli.diff import Change, diff_runs
from platform_cli.lifecycle.checks import data_deleted, problems
from platform_cli.lifecycle.order import REMOVES, Graph, Order, engine_order
from platform_cli.plan import plan_stack_file
from platform_cli.runner import PlanRun, Registration
from tests.conftest import stack_document

Edit = Callable[[dict[str, Any]], None]
NAMESPACE = "kubernetes:core/v1:Namespace"
# Types whose delete takes what sits in them, by the input that names them.
CONTAINERS = {"aws:secretsmanager/secret:Secret": "secretId"}


@dataclass
class Up:
    """One `pulumi up` (or destroy) of a scenario."""

    title: str
    changes: list[Change]
    order: Order
    problems: list[str]
    data_deleted: list[str]
    # The state before and the program after, and the stack files on either side (None:
    # a destroy, or a start given as a plan only).
    before: PlanRun | None = None
    after: PlanRun | None = None
    files: tuple[Path | None, Path | None] = (None, None)

    def steps(self, verb: str) -> list[str]:
        return [s.resource.name for s in self.order.ran if s.verb == verb]


def _namespace_of(r: Registration) -> str | None:
    metadata = r.revealed_inputs.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    return namespace if isinstance(namespace, str) else None


@dataclass
class Cloud:
    """What exists in the cloud, by URN: "managed" (in the state) or "left" (not in the
    state, still there)."""

    objects: dict[str, str] = field(default_factory=dict)

    def apply(self, order: Order, known: Sequence[Registration]) -> None:
        """``known``: every resource ever in the state, for what a delete takes with it."""
        ran = {s.urn: s for s in order.ran}
        for step in order.ran:
            if step.verb in ("create", "update", "replace"):
                self.objects[step.urn] = "managed"
        for step in order.ran:
            if step.verb in REMOVES:
                self.objects.pop(step.urn, None)
                self._empty(step.resource, known)
            elif step.verb == "forget":
                self.objects[step.urn] = "left"
        for step in order.ran:
            if step.verb == "with":
                owner = ran.get(step.resource.deleted_with or "")
                if owner is not None and owner.verb in REMOVES:
                    self.objects.pop(step.urn, None)
                else:
                    self.objects[step.urn] = "left"

    def _empty(self, gone: Registration, known: Sequence[Registration]) -> None:
        """What goes with a deleted container, in the state or not: Kubernetes deletes a
        namespace's objects with it; Secrets Manager a secret's versions (a delete with
        no recovery window, terraform-provider-aws secretsmanager/secret.go)."""
        if gone.type == NAMESPACE:
            name = gone.revealed_inputs.get("metadata", {}).get("name")
            inside = [r for r in known if r.provider == gone.provider and _namespace_of(r) == name]
        else:
            key = CONTAINERS.get(gone.type)
            inside = [r for r in known if gone.urn in r.property_dependencies.get(key or "", [])]
        for r in inside:
            self.objects.pop(r.urn, None)

    def forget(self, urns: Iterable[str]) -> None:
        for urn in urns:
            if urn in self.objects:
                self.objects[urn] = "left"


class StateError(Exception):
    """What `pulumi state` refuses, as pkg/cmd/pulumi/state/state_delete.go says it."""


def state_after(
    order: Order, old: Sequence[Registration], new: Sequence[Registration]
) -> list[Registration]:
    """Pulumi's state after an `up` of ``new`` over ``old``: what ran is written; a delete
    that failed or was skipped keeps its old entry (protect and all), so the next `up`
    meets it again; after a stop, what never ran keeps its old entry too."""
    olds = {r.urn: r for r in old}
    news = {r.urn for r in new}
    if order.stop is None:
        kept = {s.urn for s in order.failed + order.skipped}
        return [*new, *(r for r in old if r.urn in kept and r.urn not in news)]
    written = {s.urn for s in order.ran if s.verb in ("create", "update", "replace")}
    deleted = {s.urn for s in order.ran if s.verb in ("delete", "with", "forget")} - written
    touched = {s.urn for s in order.steps}
    state = []
    for r in new:
        if r.urn in written or (r.urn in olds and r.urn not in touched):
            state.append(r)
        elif r.urn in olds and r.urn not in deleted:
            state.append(olds[r.urn])
    return [*state, *(r for r in old if r.urn not in news and r.urn not in deleted)]


class Scenario:
    """Plans each config in turn; ``up`` diffs it against the state and orders the steps."""

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
        self.ups: list[Up] = []
        # The stack file of the current config, once one is written.
        self.path: Path | None = None
        first = planned or self._plan(self.document, "start")
        self.state: list[Registration] = list(first.registrations)
        # Every resource the scenario has seen, by URN, for names of what the state forgot.
        self.seen = {r.urn: r for r in self.state}
        self.cloud = Cloud({r.urn: "managed" for r in self.state if r.custom})

    @property
    def run(self) -> PlanRun:
        """The state, as the plan `up` diffs the program against."""
        return PlanRun(self.stack, list(self.state), {}, {}, [])

    def _plan(self, document: dict[str, Any], title: str) -> PlanRun:
        step = re.sub(r"[^\w.-]+", "-", title)
        folder = self.folder / f"{len(self.ups)}-{step}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"Pulumi.{self.stack}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        self.path = path
        return plan_stack_file(path)[1]

    def up(self, title: str, edit: Edit | None = None) -> Up:
        """Apply ``edit`` to the config and `pulumi up` (None: `pulumi destroy`)."""
        if edit is None:
            return self._run(title, [])
        old_path = self.path
        document = copy.deepcopy(self.document)
        edit(document["config"])
        after = self._plan(document, title)
        self.document = document
        done = self._run(title, after.registrations)
        done.files = (old_path, self.path)
        return done

    def destroy(self, title: str, targets: Sequence[str] = ()) -> Up:
        """`pulumi destroy`; with ``targets``, `pulumi destroy --target … --target-dependents`:
        the targets, what depends on them and their children (step_generator.go
        determineAllowedResourcesToDeleteFromTargets, getTargetDependents)."""
        if not targets:
            return self._run(title, [])
        graph = Graph(self.state)
        condemned = set(targets)
        for urn in targets:
            condemned |= graph.downstream(urn)
        return self._run(title, [r for r in self.state if r.urn not in condemned])

    def _run(self, title: str, desired: Sequence[Registration]) -> Up:
        before = self.run
        after = PlanRun(self.stack, list(desired), {}, {}, [])
        changes = diff_runs(before, after)
        order = engine_order(changes, before.registrations, after.registrations)
        done = Up(
            title,
            changes,
            order,
            problems(order, before.registrations),
            data_deleted(order),
            before,
            after,
        )
        self.seen.update({r.urn: r for r in desired})
        self.cloud.apply(order, list(self.seen.values()))
        self.state = state_after(order, before.registrations, after.registrations)
        self.ups.append(done)
        return done

    def state_delete(
        self, urn: str, *, target_dependents: bool = False, force: bool = False
    ) -> list[str]:
        """`pulumi state delete` (pkg/resource/edit/operations.go DeleteResource): refused
        for a protected resource without --force, and for one others depend on without
        --target-dependents. Returns the URNs it removes from the state."""
        graph = Graph(self.state)
        if urn not in graph.by_urn:
            raise StateError(f"no resource {urn}")
        dependents = graph.downstream(urn)
        if dependents and not target_dependents:
            raise StateError(f"{urn} can't be safely deleted because resources depend on it")
        gone = {urn, *dependents}
        guarded = [u for u in gone if graph.by_urn[u].protect]
        if guarded and not force:
            raise StateError(f"{guarded[0]} can't be safely deleted because it is protected")
        self.state = [r for r in self.state if r.urn not in gone]
        self.cloud.forget(gone)
        return sorted(gone, key=graph.index.__getitem__)

    def delete_by_hand(self, urns: Iterable[str]) -> None:
        """Objects left in the cloud, deleted there (kubectl delete, the cloud's console)."""
        for urn in urns:
            if self.cloud.objects.get(urn) != "left":
                raise StateError(f"{urn} is not left in the cloud")
            del self.cloud.objects[urn]

    def state_unprotect(self, urn: str) -> None:
        """`pulumi state unprotect`."""
        if urn not in {r.urn for r in self.state}:
            raise StateError(f"no resource {urn}")
        self.state = [replace(r, protect=False) if r.urn == urn else r for r in self.state]

    def urn(self, type_token: str, name: str, run: PlanRun | None = None) -> str:
        for r in (run or self.run).registrations:
            if r.type == type_token and r.name == name:
                return r.urn
        raise KeyError(f"{type_token} {name}")

    def cloud_name(self, urn: str) -> str:
        return self.seen[urn].name

    def urns(self, type_token: str) -> list[str]:
        return [r.urn for r in self.state if r.type == type_token]
