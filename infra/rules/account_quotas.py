"""Account quotas, counted from what the plans create: one stack's plan against its
accounts' quotas, and every stack's plans together, account by account (dev and prod
usually share one Cloudflare and one Civo account, and each quota is the account's).

What counts, per account:

- Cloudflare (by ``accountId``): load balancers (zone resources of the stack's
  account), pools, endpoints (every origin of every pool) and monitors.
- Civo (by ``platform:civoAccount.name``): instances (every Kubernetes node), networks,
  firewalls, databases, and load balancers: each cluster's traffic controller is a
  Service of type LoadBalancer, for which Civo's controller creates one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping

from infra.config import PlatformConfig
from infra.entitlements.quotas import Account, Limit, civo_account, cloudflare_account, limits
from infra.rules.plan_rules import Findings, PlannedResource, PlanRule, StackPlan, StacksRule

_CF = "cloudflare:index/"
_CIVO = "civo:index/"


def _number(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0


# Per account, per kind: one resource name for each unit counted (a pool with two
# origins is there twice under endpoints), so a count is a length and the resource that
# goes over a limit is the one at that index.
Usage = dict[Account, dict[str, list[str]]]


def held(resource: PlannedResource, config: PlatformConfig) -> list[tuple[Account, str, int]]:
    """What one planned resource holds: (account, kind, units) for each kind it counts in."""
    inputs, kind = resource.revealed_inputs, resource.type
    account_id = inputs.get("accountId")
    own = cloudflare_account(config)
    cloudflare = Account("cloudflare", account_id) if isinstance(account_id, str) else own
    civo = civo_account(config)
    found: list[tuple[Account, str, int]] = []
    if kind == f"{_CF}loadBalancer:LoadBalancer":
        found = [(own, "load balancers", 1)]
    elif kind == f"{_CF}loadBalancerPool:LoadBalancerPool":
        found = [
            (cloudflare, "pools", 1),
            (cloudflare, "endpoints", len(inputs.get("origins") or [])),
        ]
    elif kind == f"{_CF}loadBalancerMonitor:LoadBalancerMonitor":
        found = [(cloudflare, "monitors", 1)]
    elif kind == f"{_CIVO}kubernetesCluster:KubernetesCluster":
        nodes = _number((inputs.get("pools") or {}).get("nodeCount"))
        found = [(civo, "instances", nodes), (civo, "load balancers", 1)]
    elif kind == f"{_CIVO}kubernetesNodePool:KubernetesNodePool":
        found = [(civo, "instances", _number(inputs.get("nodeCount")))]
    elif kind in CIVO_KINDS:
        found = [(civo, CIVO_KINDS[kind], 1)]
    return found


def usage(plan: StackPlan) -> Usage:
    """What one stack's plan holds in each account it uses."""
    found: Usage = {}
    # By name: registration order varies from run to run, and so would the one named.
    for resource in sorted(plan.resources, key=lambda r: r.name):
        for account, kind, units in held(resource, plan.config):
            found.setdefault(account, {}).setdefault(kind, []).extend([resource.name] * units)
    return found


CIVO_KINDS = {
    f"{_CIVO}network:Network": "networks",
    f"{_CIVO}firewall:Firewall": "firewalls",
    f"{_CIVO}database:Database": "databases",
}


def _one_stack(plan: StackPlan) -> Findings:
    stated = limits(plan.config)
    for account, kinds in sorted(usage(plan).items(), key=lambda item: str(item[0])):
        for kind, units in sorted(kinds.items()):
            limit = stated.get(account, {}).get(kind)
            if limit is not None and len(units) > limit.value:
                yield (
                    units[limit.value],
                    f"{account}: {kind}: {len(units)}, more than the {limit.value} "
                    f"{limit.field} allows ({limit.source}); if the account allows more, "
                    "state it there; otherwise plan fewer",
                )


def _tightest(plans: Mapping[str, StackPlan], account: Account, kind: str) -> Limit | None:
    """The smallest limit any stack sharing the account states for ``kind``."""
    stated = [
        limit
        for plan in plans.values()
        if (limit := limits(plan.config).get(account, {}).get(kind)) is not None
    ]
    return min(stated, key=lambda limit: limit.value, default=None)


def totals(plans: Mapping[str, StackPlan]) -> dict[Account, dict[str, Counter[str]]]:
    """Per account, per kind: each stack's count."""
    found: dict[Account, dict[str, Counter[str]]] = {}
    for stack, plan in sorted(plans.items()):
        for account, kinds in usage(plan).items():
            for kind, units in kinds.items():
                found.setdefault(account, {}).setdefault(kind, Counter())[stack] += len(units)
    return found


def _across_stacks(plans: Mapping[str, StackPlan]) -> Iterator[tuple[str, str, str]]:
    for account, kinds in sorted(totals(plans).items(), key=lambda item: str(item[0])):
        for kind, by_stack in sorted(kinds.items()):
            limit = _tightest(plans, account, kind)
            total = sum(by_stack.values())
            if len(by_stack) > 1 and limit is not None and total > limit.value:
                stacks = ", ".join(f"{s} ({n})" for s, n in sorted(by_stack.items()))
                yield (
                    "",
                    str(account),
                    f"{kind}: {total} across stacks {stacks}, more than the {limit.value} "
                    f"{limit.field} allows ({limit.source}); state what the account allows "
                    "in every stack on it (the smallest counts), or give a stack an account "
                    "of its own",
                )


def usage_lines(plans: Mapping[str, StackPlan]) -> list[str]:
    """What every account holds across the stacks, against its quota where stated."""
    lines = []
    for account, kinds in sorted(totals(plans).items(), key=lambda item: str(item[0])):
        parts = []
        for kind, by_stack in sorted(kinds.items()):
            limit = _tightest(plans, account, kind)
            parts.append(
                f"{kind} {sum(by_stack.values())}" + (f" of {limit.value}" if limit else "")
            )
        lines.append(f"{account}: {', '.join(parts)}")
    return lines


_SOURCE = (
    "https://developers.cloudflare.com/load-balancing/reference/limitations/; "
    "civo/civogo v0.3.89 quota.go"
)
PLAN_RULES = [
    PlanRule(
        "account-quotas",
        "One stack creates no more load balancers, pools, endpoints, monitors or Civo "
        "resources than the account's stated quota allows.",
        _SOURCE,
        _one_stack,
    )
]
STACKS_RULES = [
    StacksRule(
        "account-quotas-across-stacks",
        "Every stack sharing an account, together, stays within its quota.",
        _SOURCE,
        _across_stacks,
    )
]
