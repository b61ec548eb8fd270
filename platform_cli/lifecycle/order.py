"""The steps `pulumi up` takes for a diff, in the order Pulumi's engine takes them.

From pulumi/pulumi @1b5949891b, the engine `platform_cli.replacements` reads for 3.272.0:

- The program phase. A resource reaches the engine once what it waits for is done (the
  SDK awaits its dependencies' URNs and outputs before it registers), so each create,
  update or replacement starts after every step it waits for; a step's ``level`` counts
  the steps on the longest chain before it. Waiting on a component is waiting on its
  children (pkg/resource/graph/dependency_graph.go DependenciesOf L207-254).
- A create-first replacement creates the new resource there and deletes the old one
  with the other deletes; a delete-first one deletes the old resource (and first every
  replaced resource that depends on it) and then creates it (pkg/resource/deploy/
  step_generator.go continueStepsFromDiff L2040-2160).
- A protected replacement is refused when the resource is reached: "In Update mode, we
  bail to stop any further actions immediately" (step_generator.go L1954-1970). Steps
  already started finish; nothing else starts and no delete runs. A change the provider
  rejects fails its step and cancels the run the same way (step_executor.go
  cancelDueToError L435-460).
- The delete phase, after the program: the deletes in antichains, dependents first,
  each antichain finished before the next starts (step_generator.go ScheduleDeletes
  L2747-2797, deployment_executor.go L486-553).
- A protected delete fails its own step, but the run goes on ("we special case
  deleteProtectedError to always continue past them", step_executor.go L441-452); only
  the deletes it depends on are skipped (deployment_executor.go L515-547).
- ``retainOnDelete`` forgets without a provider call, and so does ``deletedWith`` when
  the resource it names is deleted in the same run (step.go DeleteStep.Apply L644-665).
  A replacement's delete skips only the protect check (L647): retainOnDelete and
  deletedWith apply to it too.
- The program's resources reach the engine as they are ready, so when a refusal stops
  `up`, only what the refused resource waits for has surely run; what waits for it never
  runs; anything else may or may not have started, depending on timing.

An interactive `pulumi up` previews first and stops there on a refusal, before any step;
with ``--skip-preview`` it runs the steps until the refusal. The Automation API always
passes it (sdk/python/lib/pulumi/automation/_stack.py L391, sdk/nodejs/automation/
stack.ts L200), and pulumi/actions runs `up` through it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from platform_cli.replacements import forced_paths
from platform_cli.runner import Registration

Verb = Literal["create", "update", "replace", "delete", "forget", "with", "refuse", "reject"]
SYMBOL: dict[Verb, str] = {
    "create": "+",
    "update": "~",
    "replace": "+",
    "delete": "-",
    "forget": "-",
    "with": "-",
    "refuse": "!!",
    "reject": "!!",
}
# Verbs whose step makes the provider remove the cloud object.
REMOVES: frozenset[Verb] = frozenset({"delete"})
# Types whose provider delete returns before the cloud has deleted the object:
# terraform-provider-civo v1.1.4 civo/database/resource_database.go L284-298 calls
# DeleteDatabase and returns; no wait, and no option for one.
DELETED_IN_BACKGROUND = frozenset({"civo:index/database:Database"})
# Types the cloud refuses to delete while such an object still sits in them: civogo v0.3.89
# errors.go L584-586 database_network_delete_with_instance, which terraform-provider-civo
# v1.1.4 civo/network/resource_network.go L242-250 returns at once instead of retrying.
REFUSED_WHILE_HELD = frozenset({"civo:index/network:Network"})
# How `platform diff` names the run it orders.
HEADER = "`pulumi up` step by step (with --skip-preview, as pulumi/actions and the Automation API run it):"


class Planned(Protocol):
    """One line of a diff (``platform_cli.diff.Change`` is one)."""

    @property
    def kind(self) -> str: ...
    @property
    def resource(self) -> Registration: ...
    @property
    def refused(self) -> bool: ...
    @property
    def delete_first(self) -> bool: ...
    @property
    def reasons(self) -> list[str]: ...


@dataclass(frozen=True)
class Step:
    verb: Verb
    resource: Registration
    level: int
    note: str = ""

    @property
    def urn(self) -> str:
        return self.resource.urn

    def line(self) -> str:
        text = f"{SYMBOL[self.verb]} {self.resource.type} {self.resource.name}"
        return text + (f"  ({self.note})" if self.note else "")


@dataclass
class Order:
    """Every step in the engine's order, and what a refusal makes of them."""

    steps: list[Step] = field(default_factory=list)
    # Where `up` stops: a protected replacement or a change the provider rejects.
    stop: Step | None = None
    # Steps that finish before `up` stops: what the stop waits for (every step, when
    # nothing stops it).
    ran: list[Step] = field(default_factory=list)
    # Steps that may start before `up` stops, or not, depending on timing.
    alongside: list[Step] = field(default_factory=list)
    # Steps that wait for the stop (or another refusal): they never run.
    never: list[Step] = field(default_factory=list)
    # Protected deletes: refused, the run goes on, and `up` fails at the end.
    failed: list[Step] = field(default_factory=list)
    # Deletes not made because a refused delete still needs what they delete.
    skipped: list[Step] = field(default_factory=list)

    @property
    def started(self) -> list[Step]:
        """Every step that may run: what surely runs and what may start alongside."""
        return self.ran + self.alongside

    def summary(self) -> str:
        if self.stop is not None:
            return (
                f"at least {len(self.ran)} step(s) run (what {self.stop.resource.name} waits "
                f"for), then `up` stops at {self.stop.resource.name} ({self.stop.note}); "
                f"{len(self.alongside)} more may start before it does, depending on timing; "
                f"{len(self.never)} wait for it and never run. "
                "`pulumi up` with its preview stops at the preview, before any step."
            )
        ran = f"{len(self.ran)} step(s) run"
        if self.failed:
            names = ", ".join(s.resource.name for s in self.failed)
            return (
                f"{ran}, then `up` fails: it refuses to delete {names} (protected); "
                f"{len(self.skipped)} delete(s) of what they need are skipped. "
                "`pulumi up` with its preview stops at the preview, before any step."
            )
        return f"{ran}."


class Graph:
    """The dependencies the engine sees among one plan's resources."""

    def __init__(self, registrations: Sequence[Registration]) -> None:
        self.by_urn = {r.urn: r for r in registrations}
        self.index = {r.urn: i for i, r in enumerate(registrations)}
        self._children: dict[str, list[str]] = defaultdict(list)
        for r in registrations:
            if r.parent:
                self._children[r.parent].append(r.urn)
        self._deps: dict[str, frozenset[str]] = {}
        self._dependents: dict[str, set[str]] | None = None

    def _descendants(self, urn: str) -> Iterable[str]:
        for child in self._children.get(urn, []):
            yield child
            yield from self._descendants(child)

    def depends_on(self, urn: str) -> frozenset[str]:
        """What ``urn`` waits for: its dependencies (a component's children registered
        before it included), its provider, its parent and its ``deletedWith``."""
        if urn in self._deps:
            return self._deps[urn]
        r = self.by_urn[urn]
        direct = {*r.dependencies, *(u for us in r.property_dependencies.values() for u in us)}
        if r.deleted_with:
            direct.add(r.deleted_with)
        if r.provider:
            direct.add(r.provider.rsplit("::", 1)[0])
        found: set[str] = set()
        for dep in direct & self.by_urn.keys():
            found.add(dep)
            if not self.by_urn[dep].custom:
                found.update(c for c in self._descendants(dep) if self.index[c] < self.index[urn])
        if r.parent in self.by_urn:
            found.add(r.parent)
        self._deps[urn] = frozenset(found - {urn})
        return self._deps[urn]

    def upstream(self, urn: str) -> set[str]:
        """Everything ``urn`` waits for, directly or not."""
        seen: set[str] = set()
        todo = list(self.depends_on(urn))
        while todo:
            dep = todo.pop()
            if dep not in seen:
                seen.add(dep)
                todo += self.depends_on(dep)
        return seen

    def downstream(self, urn: str) -> set[str]:
        """Everything that waits for ``urn``, directly or not."""
        if self._dependents is None:
            self._dependents = defaultdict(set)
            for other in self.by_urn:
                for dep in self.depends_on(other):
                    self._dependents[dep].add(other)
        seen: set[str] = set()
        todo = list(self._dependents.get(urn, ()))
        while todo:
            other = todo.pop()
            if other not in seen:
                seen.add(other)
                todo += self._dependents.get(other, ())
        return seen


def _fed_by(urn: str, graph: Graph, replaced: set[str]) -> set[str]:
    """Replaced resources that take ``urn``'s outputs (an input, or it as their provider),
    directly or through another such: the engine deletes these with a delete-first
    replacement of ``urn`` (step_generator.go calculateDependentReplacements)."""
    found: set[str] = set()
    wave = {urn}
    while wave:
        following = set()
        for other in replaced - found - {urn}:
            r = graph.by_urn[other]
            fed = [k for k, us in r.property_dependencies.items() if set(us) & wave]
            inputs = r.revealed_inputs
            if (
                r.deleted_with in wave
                or (r.provider or "").rsplit("::", 1)[0] in wave
                or forced_paths(r.type, fed, inputs, inputs, fed)
            ):
                following.add(other)
        found |= following
        wave = following
    return found


def _removal(r: Registration, level: int, gone: set[str], old: Graph, note: str) -> Step:
    """The delete of ``r`` as DeleteStep.Apply makes it (step.go L644-665), for a removal
    or a replacement alike: retainOnDelete forgets it, and deletedWith a resource deleted
    in the same run deletes nothing of its own."""
    if r.retain_on_delete:
        return Step("forget", r, level, "retainOnDelete: forgotten, left in the cloud")
    if r.deleted_with and r.deleted_with in gone:
        owner = old.by_urn[r.deleted_with].name if r.deleted_with in old.by_urn else ""
        return Step("with", r, level, f"deletedWith {owner}: no call of its own")
    return Step("delete", r, level, note)


def _delete_first(
    r: Registration, level: int, chain: set[str], old: Graph, deleted_early: set[str]
) -> list[Step]:
    """A delete-first replacement: the replaced resources that take its outputs are deleted
    first, dependents before what they depend on, then it, then it is created anew."""
    guarded = sorted(old.by_urn[d].name for d in chain if old.by_urn[d].protect)
    if guarded:
        # step_generator.go L2110-2119: the whole chain is refused, nothing deleted.
        note = f"protected {', '.join(guarded)} would be replaced with it: `up` refuses"
        return [Step("refuse", r, level, note)]
    steps: list[Step] = []
    # sg.deletes at the time these apply: this chain and the chains before it.
    going = {r.urn, *chain, *deleted_early}
    for dep in sorted(chain, key=old.index.__getitem__, reverse=True):
        steps.append(_removal(old.by_urn[dep], level, going, old, f"deleted first, with {r.name}"))
    steps.append(
        _removal(old.by_urn[r.urn], level, going, old, "deleted first, for its replacement")
    )
    steps.append(Step("create", r, level, "replacement"))
    return steps


def _levels(active: set[str], graph: Graph) -> dict[str, int]:
    """For each resource, how many steps the longest chain up to it holds, itself included."""
    done: dict[str, int] = {}
    for urn in sorted(graph.by_urn, key=graph.index.__getitem__):
        # Registration order is a topological order: dependencies register first.
        start = max((done.get(d, 0) for d in graph.depends_on(urn)), default=0)
        done[urn] = start + (1 if urn in active else 0)
    return done


def _program_steps(
    changes: Sequence[Planned], old: Graph, new: Graph
) -> tuple[list[tuple[str, list[Step]]], set[str]]:
    """Creates, updates and replacements, by the resource whose step they are, in the
    engine's order; and the URNs a delete-first chain deleted."""
    by_urn = {c.resource.urn: c for c in changes if c.kind in ("add", "update", "replace", "fail")}
    done = _levels(set(by_urn) & new.by_urn.keys(), new)
    replaced = {urn for urn, c in by_urn.items() if c.kind == "replace" and urn in old.by_urn}
    deleted_early: set[str] = set()
    groups: list[tuple[str, list[Step]]] = []
    # A stack's default provider, not in the plan: updated before the first resource
    # that uses it.
    for urn, change in sorted(by_urn.items()):
        if urn not in new.by_urn:
            groups.append((urn, [Step("update", change.resource, 0, "default provider")]))
    # In the engine's order, so that what a delete-first chain deleted is known to every
    # step after it, whatever order the diff lists them in.
    ours = sorted(by_urn.keys() & new.by_urn.keys(), key=lambda u: (done[u], new.index[u]))
    for urn in ours:
        change = by_urn[urn]
        level = done[urn] - 1
        r = change.resource
        here: list[Step] = []
        if change.kind == "add":
            here.append(Step("create", r, level))
        elif change.kind == "update":
            here.append(Step("update", r, level))
        elif change.kind == "fail":
            here.append(Step("reject", r, level, "; ".join(change.reasons) or "rejected"))
        elif change.refused:
            here.append(Step("refuse", r, level, "protected: `up` refuses to replace it"))
        elif urn in deleted_early:
            here.append(Step("create", r, level, "replacement, its old one already deleted"))
        elif change.delete_first:
            chain = _fed_by(urn, old, replaced) - deleted_early
            here += _delete_first(r, level, chain, old, deleted_early)
            deleted_early.add(urn)
            deleted_early.update(s.urn for s in here)
        else:
            here.append(
                Step("replace", r, level, "new one first; the old one goes with the deletes")
            )
        groups.append((urn, here))
    return groups, deleted_early


def _antichains(condemned: set[str], graph: Graph) -> list[list[str]]:
    """ScheduleDeletes: rounds of deletes, each after every resource that waits for it."""
    left = set(condemned)
    rounds: list[list[str]] = []
    while left:
        ready = sorted(u for u in left if not graph.depends_on(u) & left)
        if not ready:  # a cycle cannot happen in a plan; never loop forever
            ready = sorted(left)
        rounds.append(ready)
        left -= set(ready)
    rounds.reverse()
    return rounds


def _delete_steps(
    changes: Sequence[Planned], old: Graph, deleted_early: set[str], first_level: int
) -> tuple[list[Step], list[Step], list[Step]]:
    """(every delete step, the refused ones, the skipped ones)."""
    removed = {c.resource.urn for c in changes if c.kind == "remove"}
    replaced_old = {
        c.resource.urn
        for c in changes
        if c.kind == "replace" and not c.refused and c.resource.urn in old.by_urn
    } - deleted_early
    condemned = (removed | replaced_old) & old.by_urn.keys()
    gone = condemned | deleted_early
    steps: list[Step] = []
    failed: list[Step] = []
    skipped: list[Step] = []
    needed: set[str] = set()
    for i, round_ in enumerate(_antichains(condemned, old)):
        level = first_level + i
        for urn in round_:
            r = old.by_urn[urn]
            if urn in needed:
                skipped.append(Step("delete", r, level, "skipped: a refused delete needs it"))
                continue
            # A replacement's delete is never refused for protect (step.go L647).
            if r.protect and urn not in replaced_old:
                step = Step("refuse", r, level, "protected: `up` refuses to delete it")
                failed.append(step)
                needed |= old.upstream(urn)
            else:
                note = "the replaced one" if urn in replaced_old else ""
                step = _removal(r, level, gone, old, note)
            steps.append(step)
    return steps, failed, skipped


def sits_in(r: Registration) -> set[str]:
    """What a resource refers to by id (``networkId``, ``firewallId``, ...): what it sits
    in, as opposed to values it copies (a CIDR)."""
    return {
        u
        for key, urns in r.property_dependencies.items()
        if key.lower().endswith("id")
        for u in urns
    }


def _in_background(steps: list[Step], before: list[Step]) -> list[Step]:
    """Say so where a delete follows one the cloud finishes later (in ``before``, the
    steps up to these): the provider returns before the object is gone, and the cloud
    refuses the next delete while it exists."""
    holders = {
        held: step.resource.name
        for step in before
        if step.verb in REMOVES and step.resource.type in DELETED_IN_BACKGROUND
        for held in sits_in(step.resource)
    }
    noted = []
    for step in steps:
        holder = holders.get(step.urn)
        if step.verb in REMOVES and holder and step.resource.type in REFUSED_WHILE_HELD:
            rerun = f"Civo deletes {holder} in the background and refuses this while it exists"
            note = f"{step.note}; {rerun}" if step.note else rerun
            noted.append(replace(step, note=f"{note}: rerun once it is gone"))
        else:
            noted.append(step)
    return noted


def engine_order(
    changes: Sequence[Planned], old: Sequence[Registration], new: Sequence[Registration]
) -> Order:
    """The steps `pulumi up --skip-preview` takes for ``changes`` (a diff of ``old`` to
    ``new``), and where a refusal stops them."""
    old_graph, new_graph = Graph(old), Graph(new)
    groups, deleted_early = _program_steps(changes, old_graph, new_graph)
    program = [s for _, group in groups for s in group]
    program = _in_background(program, program)
    # Each step with the resource whose registration makes it.
    owners = [urn for urn, group in groups for _ in group]
    stops = {u: s for u, s in zip(owners, program, strict=True) if s.verb in ("refuse", "reject")}
    order = Order()
    if stops:
        # The first refusal the engine can reach; which one it reaches first is timing.
        order.stop = next(iter(stops.values()))
        order.steps = program
        surely = set.intersection(*(new_graph.upstream(u) for u in stops))
        after = set(stops).union(*(new_graph.downstream(u) for u in stops))
        for urn, step in zip(owners, program, strict=True):
            if step is not order.stop:
                into = (
                    order.ran if urn in surely else order.never if urn in after else order.alongside
                )
                into.append(step)
        return order
    first = max((s.level for s in program), default=-1) + 1
    deletes, failed, skipped = _delete_steps(changes, old_graph, deleted_early, first)
    order.steps = program + _in_background(deletes, program + deletes)
    order.ran = [s for s in order.steps if s not in failed]
    order.failed = failed
    order.skipped = skipped
    return order


def render(order: Order) -> list[str]:
    """The order as `platform diff` prints it: numbered steps, then what becomes of `up`."""
    if not order.steps:
        return []
    lines = [HEADER]
    lines += [f"  {n:>4}. {s.line()}" for n, s in enumerate(order.ran, 1)]
    if order.stop is not None:
        lines += [f"     ?  {s.line()}  [may start alongside]" for s in order.alongside]
        lines.append(f"  stop  {order.stop.line()}")
        lines += [f"  never {s.line()}" for s in order.never]
    lines += [f"  fail  {s.line()}" for s in order.failed]
    lines += [f"  skip  {s.line()}" for s in order.skipped]
    lines.append(order.summary())
    return lines
