"""Rules that need the whole plan, not one resource: which release installs a CRD, which
zone external-dns can see, which names another stack already uses.

A ``PlanRule`` looks at one stack's plan; a ``StacksRule`` at every stack's plan
together. Both yield ``Violation``s naming the resource. ``Guardrail``s (one resource at
a time) stay in ``infra.rules.base``; they also run in CrossGuard, these only offline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from infra.config import PlatformConfig


def dig(value: Any, *keys: str) -> Any:
    """``value[k1][k2]…``, or None where a level is missing or not a mapping."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


class PlannedResource(Protocol):
    """One registration in a plan (``platform_cli.runner.Registration`` is one)."""

    @property
    def urn(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def provider(self) -> str | None: ...
    @property
    def dependencies(self) -> list[str]: ...
    @property
    def property_dependencies(self) -> dict[str, list[str]]: ...
    @property
    def protect(self) -> bool: ...
    @property
    def retain_on_delete(self) -> bool: ...
    @property
    def ignore_changes(self) -> list[str]: ...
    @property
    def revealed_inputs(self) -> dict[str, Any]: ...


class Violation(NamedTuple):
    rule: str
    resource: str
    message: str
    stack: str | None = None

    def __str__(self) -> str:
        where = f"stack {self.stack}: " if self.stack else ""
        return f"error: rule {self.rule}: {where}{self.resource}: {self.message}"


@dataclass
class StackPlan:
    """One stack's plan, as the rules see it."""

    stack: str
    config: PlatformConfig
    resources: Sequence[PlannedResource]
    by_urn: dict[str, PlannedResource] = field(init=False)

    def __post_init__(self) -> None:
        self.by_urn = {r.urn: r for r in self.resources}

    def of_type(self, type_token: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_token]

    def upstream(self, resource: PlannedResource) -> set[str]:
        """Every URN ``resource`` waits for, directly or through what it waits for; a
        component it waits for stands for every resource below it."""
        children: dict[str, list[str]] = {}
        for r in self.resources:
            if r.parent:
                children.setdefault(r.parent, []).append(r.urn)
        seen: set[str] = set()
        todo = list(resource.dependencies)
        while todo:
            urn = todo.pop()
            if urn in seen:
                continue
            seen.add(urn)
            todo += children.get(urn, [])
            found = self.by_urn.get(urn)
            if found is not None:
                todo += found.dependencies
        return seen


Findings = Iterator[tuple[str, str]]


@dataclass(frozen=True)
class PlanRule:
    name: str
    description: str
    # Where the behaviour it guards against is written down: repository tag and file,
    # or a documentation page.
    source: str
    check: Callable[[StackPlan], Findings]

    def violations(self, plan: StackPlan) -> list[Violation]:
        return [Violation(self.name, res, msg) for res, msg in self.check(plan)]


@dataclass(frozen=True)
class StacksRule:
    name: str
    description: str
    source: str
    # (stack, resource, message) over every stack's plan at once.
    check: Callable[[Mapping[str, StackPlan]], Iterator[tuple[str, str, str]]]

    def violations(self, plans: Mapping[str, StackPlan]) -> list[Violation]:
        return [Violation(self.name, res, msg, stack) for stack, res, msg in self.check(plans)]
