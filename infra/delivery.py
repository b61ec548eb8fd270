"""Checks on `platform:delivery`, the one path that runs `pulumi preview` and `up` for a
stack: GitHub Actions (`.github/workflows/`) or Pulumi Deployments (`deployments/`).

Whether the chosen runner reaches the stack's endpoints is computed from the plan's
firewalls (rule runner-reaches-endpoints, `infra/rules/reachability.py`); these checks
need the config alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from infra.config import GitHubActionsDelivery, PlatformConfig, PulumiDeploymentsDelivery

# GitHub-hosted runner images (ubuntu-24.04, windows-latest, macos-15, ...): they leave
# from GitHub's Azure ranges, thousands of prefixes that change without notice
# (https://docs.github.com/en/actions/reference/runners/github-hosted-runners).
GITHUB_HOSTED_LABEL = re.compile(r"^(ubuntu|windows|macos)-", re.IGNORECASE)


def delivery_problems(config: PlatformConfig) -> Iterator[tuple[str, str]]:
    """(field path, message) for a delivery path that could not work, or would hand a
    branch the stack's credentials."""
    delivery = config.delivery
    if isinstance(delivery, GitHubActionsDelivery):
        for i, label in enumerate(delivery.runner_labels):
            if GITHUB_HOSTED_LABEL.match(label):
                yield (
                    f"delivery.runnerLabels[{i}]",
                    f"{label!r} is a GitHub-hosted runner: it leaves from GitHub's changing "
                    "Azure ranges, which adminCidrs cannot list, so `pulumi up` cannot reach "
                    "the clusters; use a self-hosted runner whose address is in "
                    "delivery.egressCidrs",
                )
    if isinstance(delivery, PulumiDeploymentsDelivery):
        if delivery.agent_pool_id is None:
            yield (
                "delivery.agentPoolId",
                "required: Pulumi's hosted pool leaves from addresses outside adminCidrs, so "
                "its `up` cannot reach the Kubernetes APIs or the database; run a "
                "customer-managed agent pool whose address is in delivery.egressCidrs",
            )
        if delivery.pull_request_previews and config.is_production:
            yield (
                "delivery.pullRequestPreviews",
                "a production stack's pull-request previews would run the branch's code with "
                "the stack's credentials and a read-write stack token (Pulumi Deployments has "
                "no approval step); leave it off, or deliver the stack with github-actions, "
                "whose previews of production wait for an approval",
            )
