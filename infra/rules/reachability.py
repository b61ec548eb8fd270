"""Whether what runs `pulumi preview` and `up` can reach what they manage.

The Kubernetes provider talks to every cluster's API (6443) and the PostgreSQL provider to
the database (5432). Each is behind a firewall the plan itself builds; a runner those
firewalls do not admit fails the first Kubernetes or PostgreSQL resource of every `up`.
The rule reads the planned firewalls, so it holds whatever code or config decides what
they admit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from typing import Any

from infra import edge
from infra.rules.plan_rules import Findings, PlannedResource, PlanRule, StackPlan

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# The ports Pulumi's providers connect to, and what listens there.
ENDPOINTS = {6443: "Kubernetes API", 5432: "database"}


def _covers(spec: Any, port: int) -> bool:
    """Whether a firewall's port field ("6443", "1-65535", Vultr's "1:65535") has ``port``."""
    text = str(spec or "").replace(":", "-")
    low, _, high = text.partition("-")
    if not low.isdigit():
        return False
    return int(low) <= port <= int(high if high.isdigit() else low)


def _unreached(runner: Iterable[Network], admitted: Iterable[Network]) -> list[str]:
    allowed = list(admitted)
    return [
        str(net)
        for net in runner
        if not any(net.version == a.version and net.subnet_of(a) for a in allowed)  # type: ignore[arg-type]
    ]


def _civo_admitted(firewall: PlannedResource, port: int) -> list[Network] | None:
    """The sources a Civo firewall admits on ``port``; None when no rule opens it (then
    the firewall guards something else)."""
    rules = [
        rule
        for rule in firewall.revealed_inputs.get("ingressRules") or []
        if rule.get("action", "allow") == "allow" and _covers(rule.get("portRange"), port)
    ]
    if not rules:
        return None
    return [
        ipaddress.ip_network(c) for rule in rules for c in edge.civo_rule_sources(rule.get("cidrs"))
    ]


def _vultr_groups(plan: StackPlan, port: int) -> Iterator[tuple[str, list[Network]]]:
    """(the group's owner, the sources the group admits on ``port``) per Vultr firewall
    group; the owner is what a rule waits for (the cluster whose group it is), else the
    rule itself."""
    groups: dict[str, list[PlannedResource]] = {}
    for rule in plan.of_type("vultr:index/firewallRule:FirewallRule"):
        if _covers(rule.revealed_inputs.get("port"), port):
            groups.setdefault(str(rule.revealed_inputs.get("firewallGroupId")), []).append(rule)
    for rules in groups.values():
        admitted = [
            ipaddress.ip_network(
                f"{r.revealed_inputs['subnet']}/{int(r.revealed_inputs['subnetSize'])}"
            )
            for r in rules
        ]
        owner = next((plan.by_urn[u] for u in rules[0].dependencies if u in plan.by_urn), rules[0])
        yield owner.name, admitted


def _runner_reaches_endpoints(plan: StackPlan) -> Findings:
    delivery = plan.config.delivery
    if delivery is None:
        return  # run by hand, from wherever `up` runs: nothing here says where that is
    runner = [ipaddress.ip_network(c) for c in delivery.egress_cidrs]
    found: list[tuple[str, int, list[str]]] = []
    for port in ENDPOINTS:
        for firewall in plan.of_type("civo:index/firewall:Firewall"):
            admitted = _civo_admitted(firewall, port)
            if admitted is not None:
                found.append((firewall.name, port, _unreached(runner, admitted)))
        for rule, admitted in _vultr_groups(plan, port):
            found.append((rule, port, _unreached(runner, admitted)))
    for name, port, missing in found:
        if missing:
            yield (
                name,
                f"does not admit platform:delivery.egressCidrs {', '.join(missing)} to the "
                f"{ENDPOINTS[port]} (port {port}): the {delivery.via} runner's `preview` and "
                "`up` cannot reach it; run the runner from an address in adminCidrs",
            )


PLAN_RULES = [
    PlanRule(
        "runner-reaches-endpoints",
        "What runs `pulumi preview` and `up` (platform:delivery.egressCidrs) is admitted by "
        "every firewall in front of a Kubernetes API or the database.",
        "pulumi/pulumi-kubernetes provider/pkg/provider/provider.go (creates and updates "
        "fail on an unreachable cluster); cyrilgdn/terraform-provider-postgresql "
        "postgresql/config.go (connects to host:port)",
        _runner_reaches_endpoints,
    ),
]
