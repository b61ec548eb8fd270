"""Account quotas while `up` runs, not only once it is done: Pulumi creates new and
create-first replacement resources during the program and deletes the removed and
replaced ones only after it (``platform_cli.lifecycle.order``; pulumi/pulumi#16589: "During
an update, Pulumi deletes resources last after running the program"). An edit whose end
state fits the account's quota can still go over it in between: moving a public app to
another cluster creates its new pool before the old one goes. The account refuses that
create, and `up` fails there.

The peak counted here is what the account holds at the end of the program phase: all it
held before, plus what creates and replacements add, plus what updates add (an update
that adds origins may run before another that removes some, so only growth counts).
A delete-first replacement never holds both, so only its growth counts too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from infra.entitlements.quotas import Account, limits
from infra.rules import StackPlan
from infra.rules.account_quotas import held
from infra.rules.plan_rules import PlannedResource
from platform_cli.lifecycle.order import Order

# Where a message sends the reader for the way round it.
RUNBOOK = "docs/runbooks/account-quotas.md"
Key = tuple[Account, str]


def _units(resource: PlannedResource, plan: StackPlan) -> Counter[Key]:
    found: Counter[Key] = Counter()
    for account, kind, units in held(resource, plan.config):
        found[(account, kind)] += units
    return found


def _growth(before: Counter[Key], after: Counter[Key]) -> Counter[Key]:
    return Counter({key: after[key] - before[key] for key in after if after[key] > before[key]})


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(sorted(names)[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def over_quota_during_up(order: Order, old: StackPlan, new: StackPlan) -> list[str]:
    """`error:` lines, one per account quota the peak of ``order`` passes, naming the
    quota's config field, what `up` creates first and what it deletes only later."""
    before: Counter[Key] = Counter()
    for resource in old.resources:
        before.update(_units(resource, old))
    verbs: dict[str, set[str]] = {}
    for step in order.steps:
        verbs.setdefault(step.urn, set()).add(step.verb)
    added: Counter[Key] = Counter()
    created: dict[Key, list[str]] = {}
    deleted: dict[Key, list[str]] = {}
    for urn, done in sorted(verbs.items()):
        now = _units(new.by_urn[urn], new) if urn in new.by_urn else Counter()
        then = _units(old.by_urn[urn], old) if urn in old.by_urn else Counter()
        if "replace" in done or ("create" in done and ("forget" in done or not then)):
            grows = now  # held beside the old one, or new
        elif done & {"create", "update"}:
            grows = _growth(then, now)  # in place, or the old one deleted first
        else:
            grows = Counter()
        added.update(grows)
        for key in grows:
            created.setdefault(key, []).append(new.by_urn[urn].name)
        if ("delete" in done or "with" in done) and "create" not in done:
            for key in then:
                deleted.setdefault(key, []).append(old.by_urn[urn].name)
    stated = limits(new.config)
    lines = []
    for key in sorted(added, key=lambda k: (str(k[0]), k[1])):
        account, kind = key
        limit = stated.get(account, {}).get(kind)
        peak = before[key] + added[key]
        if limit is None or peak <= limit.value:
            continue
        order_of = f"`up` creates {_names(created[key])}"
        if deleted.get(key):
            order_of += f" before it deletes {_names(deleted[key])}"
        lines.append(
            f"error: {limit.field}: {account}: {kind}: {peak} at once during `up`, more than "
            f"the {limit.value} it allows ({limit.source}): {order_of} (Pulumi deletes "
            "removed and replaced resources after every create); make room first, in an "
            f"`up` of its own ({RUNBOOK})"
        )
    return lines
