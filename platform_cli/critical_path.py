"""The longest chain of waits in a plan: how long `pulumi up` takes at best.

Pulumi creates a resource as soon as everything it depends on exists, so with enough
parallelism the time to the last resource is the longest path through the dependency
graph, each resource weighted by how long its creation takes (`platform_cli.latency`).
A resource waits for its explicit and property dependencies, for its provider, and,
where it depends on a component, for every resource inside that component.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from platform_cli.latency import latency
from platform_cli.runner import PlanRun, Registration


@dataclass(frozen=True)
class Step:
    resource: Registration
    start: float
    finish: float


def _waits_for(run: PlanRun) -> dict[str, set[str]]:
    by_urn = {r.urn: r for r in run.registrations}
    children: dict[str, list[str]] = defaultdict(list)
    for r in run.registrations:
        if r.parent:
            children[r.parent].append(r.urn)

    def inside(urn: str) -> set[str]:
        found: set[str] = set()
        for child in children.get(urn, []):
            found |= {child} | inside(child)
        return found

    waits: dict[str, set[str]] = {}
    for r in run.registrations:
        direct = set(r.dependencies)
        for sources in r.property_dependencies.values():
            direct |= set(sources)
        if r.provider:
            direct.add(r.provider.rsplit("::", 1)[0])
        expanded: set[str] = set()
        for urn in direct & by_urn.keys():
            expanded |= {urn} if by_urn[urn].custom else inside(urn)
        waits[r.urn] = expanded - {r.urn}
    return waits


def critical_path(
    run: PlanRun, extra_waits: dict[str, set[str]] | None = None
) -> tuple[float, list[Step]]:
    """Total seconds to the last resource, and the chain of resources that sets it.

    ``extra_waits`` adds dependencies (by URN), to measure what a wait costs."""
    by_urn = {r.urn: r for r in run.registrations}
    waits = _waits_for(run)
    for urn, more in (extra_waits or {}).items():
        waits[urn] = waits[urn] | more
    finish: dict[str, float] = {}
    came_from: dict[str, str | None] = {}

    def resolve(urn: str) -> float:
        if urn in finish:
            return finish[urn]
        stack = [urn]
        while stack:  # iterative, so a 10,000-resource plan does not hit the recursion limit
            top = stack[-1]
            pending = [d for d in waits[top] if d not in finish]
            if pending:
                stack += pending
                continue
            stack.pop()
            if top in finish:
                continue
            before = max(waits[top], key=lambda d: finish[d], default=None)
            start = finish[before] if before else 0.0
            finish[top], came_from[top] = start + latency(by_urn[top]), before
        return finish[urn]

    last = max(by_urn, key=resolve, default=None)
    chain: list[Step] = []
    current = last
    while current is not None:
        resource = by_urn[current]
        chain.append(Step(resource, finish[current] - latency(resource), finish[current]))
        current = came_from[current]
    return (finish[last] if last else 0.0), list(reversed(chain))
