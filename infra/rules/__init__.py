"""The rule set every plan must satisfy. Each module contributes its ``RULES``; this
package is where they are gathered, for the CrossGuard pack, the offline plan and tests."""

from __future__ import annotations

from infra.rules import guardrails, hardening
from infra.rules.base import Guardrail, Props

__all__ = ["GUARDRAILS", "Guardrail", "violations"]

GUARDRAILS: list[Guardrail] = [*guardrails.RULES, *hardening.RULES]


def violations(resource_type: str, props: Props, protect: bool) -> list[tuple[str, str]]:
    """(rule, message) for every rule a resource breaks."""
    return [
        (rail.name, message)
        for rail in GUARDRAILS
        for message in rail.check(resource_type, props, protect)
    ]
