"""The rule set every plan must satisfy. Each module contributes its ``RULES``; this
package is where they are gathered, for the CrossGuard pack, the offline plan and tests.

``GUARDRAILS`` look at one resource and also run in CrossGuard (`policy/`);
``PLAN_RULES`` need one stack's whole plan and ``STACKS_RULES`` every stack's together:
those run in `platform plan` (and `platform plan --all-stacks`) only.
"""

from __future__ import annotations

from infra.rules import (
    account_quotas,
    aws_limits,
    edge_rules,
    guardrails,
    hardening,
    lifecycle,
    provider_outputs,
    reachability,
    real_world,
)
from infra.rules.base import Guardrail, Props
from infra.rules.plan_rules import PlanRule, StackPlan, StacksRule, Violation

__all__ = [
    "GUARDRAILS",
    "PLAN_RULES",
    "STACKS_RULES",
    "Guardrail",
    "PlanRule",
    "StackPlan",
    "StacksRule",
    "Violation",
    "plan_violations",
    "violations",
]

GUARDRAILS: list[Guardrail] = [*guardrails.RULES, *hardening.RULES, *real_world.RULES]
PLAN_RULES: list[PlanRule] = [
    *real_world.PLAN_RULES,
    *provider_outputs.PLAN_RULES,
    *reachability.PLAN_RULES,
    *lifecycle.PLAN_RULES,
    *account_quotas.PLAN_RULES,
    *aws_limits.PLAN_RULES,
    *edge_rules.PLAN_RULES,
]
STACKS_RULES: list[StacksRule] = [*real_world.STACKS_RULES, *account_quotas.STACKS_RULES]


def violations(resource_type: str, props: Props, protect: bool) -> list[tuple[str, str]]:
    """(rule, message) for every rule a resource breaks."""
    return [
        (rail.name, message)
        for rail in GUARDRAILS
        for message in rail.check(resource_type, props, protect)
    ]


def plan_violations(plan: StackPlan) -> tuple[list[Violation], list[Violation]]:
    """(errors, warnings) for one stack: mandatory guardrails and plan rules are errors,
    advisory guardrails warnings."""
    errors: list[Violation] = []
    notes: list[Violation] = []
    for resource in plan.resources:
        for rail in GUARDRAILS:
            for message in rail.check(resource.type, resource.revealed_inputs, resource.protect):
                found = Violation(rail.name, resource.name, message)
                (errors if rail.enforcement == "mandatory" else notes).append(found)
    for rule in PLAN_RULES:
        errors += rule.violations(plan)
    return errors, notes
