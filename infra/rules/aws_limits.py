"""AWS limits a plan can break whatever the config says: the inline policies of one IAM
user together (infra.limits.aws, with the source)."""

from __future__ import annotations

import json
from collections import defaultdict

from infra.limits import aws
from infra.rules.plan_rules import Findings, PlanRule, StackPlan

USER_POLICY = "aws:iam/userPolicy:UserPolicy"


def _document(policy: object) -> str | None:
    if isinstance(policy, str):
        return policy
    return json.dumps(policy) if isinstance(policy, dict) else None


def _user_policy_size(plan: StackPlan) -> Findings:
    sizes: dict[str, int] = defaultdict(int)
    owners: dict[str, list[str]] = defaultdict(list)
    for resource in plan.of_type(USER_POLICY):
        user = resource.revealed_inputs.get("user")
        document = _document(resource.revealed_inputs.get("policy"))
        if isinstance(user, str) and document is not None:
            sizes[user] += aws.policy_size(document)
            owners[user].append(resource.name)
    for user, size in sorted(sizes.items()):
        if size > aws.IAM_USER_INLINE_POLICY_MAX:
            yield (
                ", ".join(owners[user]),
                f"the inline policies of IAM user {user!r} come to {size:,} characters "
                f"(whitespace not counted), more than the {aws.IAM_USER_INLINE_POLICY_MAX:,} "
                f"IAM allows ({aws.IAM_QUOTAS_SOURCE}): PutUserPolicy fails with LimitExceeded",
            )


PLAN_RULES = [
    PlanRule(
        "iam-user-policy-size",
        "Each IAM user's inline policies together stay within IAM's 2,048 characters.",
        aws.IAM_QUOTAS_SOURCE,
        _user_policy_size,
    )
]
