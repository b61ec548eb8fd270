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
        yield from _github_actions_problems(delivery)
    if isinstance(delivery, PulumiDeploymentsDelivery):
        yield from _pulumi_deployments_problems(delivery, config.is_production)


def _hosted(path: str, labels: list[str]) -> Iterator[tuple[str, str]]:
    for i, label in enumerate(labels):
        if GITHUB_HOSTED_LABEL.match(label):
            yield (
                f"{path}[{i}]",
                f"{label!r} is a GitHub-hosted runner: it leaves from GitHub's changing "
                "Azure ranges, which adminCidrs cannot list, so `pulumi up` cannot reach "
                "the clusters; use a self-hosted runner whose address is in "
                "delivery.egressCidrs",
            )


def _github_actions_problems(delivery: GitHubActionsDelivery) -> Iterator[tuple[str, str]]:
    """A job goes to a runner that has every label it asks for, so the preview runner
    and the apply runner must each have a label the other's jobs ask for and it lacks."""
    yield from _hosted("delivery.runnerLabels", delivery.runner_labels)
    preview = delivery.preview_runner_labels
    if preview is not None:
        yield from _hosted("delivery.previewRunnerLabels", preview)
    if not delivery.pull_request_previews:
        return
    if preview is None:
        yield (
            "delivery.previewRunnerLabels",
            "required with pullRequestPreviews: a preview runs the pull request's code, so "
            "it needs a runner of its own, which no `up` ever uses (README, Delivery)",
        )
    elif set(preview) <= set(delivery.runner_labels):
        yield (
            "delivery.previewRunnerLabels",
            "every label is one of runnerLabels, so the apply runner, which has them all, "
            "takes previews and runs a pull request's code; add a label only the preview "
            "runner has",
        )
    elif set(delivery.runner_labels) <= set(preview):
        yield (
            "delivery.runnerLabels",
            "every label is one of previewRunnerLabels, so the preview runner, which has "
            "them all, takes `up` jobs after running pull requests' code; add a label only "
            "the apply runner has",
        )


def _pulumi_deployments_problems(
    delivery: PulumiDeploymentsDelivery, production: bool
) -> Iterator[tuple[str, str]]:
    if delivery.agent_pool_id is None:
        yield (
            "delivery.agentPoolId",
            "required: Pulumi's hosted pool leaves from addresses outside adminCidrs, so "
            "its `up` cannot reach the Kubernetes APIs or the database; run a "
            "customer-managed agent pool whose address is in delivery.egressCidrs",
        )
    if delivery.aws_role_arn is None:
        yield (
            "delivery.awsRoleArn",
            "required: Pulumi Deployments gives a deployment no AWS credentials of its own, "
            "and every stack writes to AWS (IAM users, Secrets Manager); name the role a "
            "deployment assumes with Pulumi's OIDC token (README, Pulumi Deployments)",
        )
    if delivery.pull_request_previews and production:
        yield (
            "delivery.pullRequestPreviews",
            "a production stack's pull-request previews would run the branch's code with "
            "the stack's credentials and a read-write stack token (Pulumi Deployments has "
            "no approval step); leave it off, or deliver the stack with github-actions, "
            "whose previews of production wait for an approval",
        )
