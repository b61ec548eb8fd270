"""Pulumi Deployments for this stack: preview on every pull request, `up` on every push.

Optional (`platform:deployments`); it needs `pulumiservice:accessToken` (set with
`--secret`) and the Pulumi GitHub app on the repository.
"""

from __future__ import annotations

import pulumi
import pulumi_pulumiservice as pulumiservice

from infra.config import DeploymentsConfig
from infra.stackconfig import stack_file_name

# Review the pushed commit against the one before it, as `platform review` does a pull
# request; a shallow clone is deepened so the parent exists.
REVIEW_GATE = [
    "git rev-parse --verify --quiet HEAD^ >/dev/null || git fetch --quiet --deepen=1",
    ".venv/bin/platform review --base HEAD^ --head HEAD --out build/review.md"
    " >/dev/null || test $? -le 1",
]
# The only paths whose changes can change this stack.
WATCHED_PATHS = ["infra/**", "stacks/**", "pyproject.toml", "Pulumi.yaml"]


def deployment_settings(config: DeploymentsConfig) -> pulumiservice.DeploymentSettings:
    stack = pulumi.get_stack()
    return pulumiservice.DeploymentSettings(
        "deployment-settings",
        organization=config.organization,
        project=pulumi.get_project(),
        stack=stack,
        agent_pool_id=config.agent_pool_id,
        source_context=pulumiservice.DeploymentSettingsSourceContextArgs(
            git=pulumiservice.DeploymentSettingsGitSourceArgs(
                branch=f"refs/heads/{config.branch}", repo_dir="."
            )
        ),
        vcs=pulumiservice.DeploymentSettingsVcsArgs(
            provider="github",
            repository=config.repository,
            deploy_commits=True,
            preview_pull_requests=True,
            paths=[stack_file_name(stack), *WATCHED_PATHS],
        ),
        operation_context=pulumiservice.DeploymentSettingsOperationContextArgs(
            pre_run_commands=[
                "python3 -m venv .venv",
                ".venv/bin/pip install -e .",
                # `up` in a deployment stops nowhere a review would: a change the review
                # refuses (exit 2 or 3) fails here, before any step runs.
                *REVIEW_GATE,
            ],
        ),
        # Settings that remove themselves would stop the next deployment mid-way.
        opts=pulumi.ResourceOptions(retain_on_delete=True),
    )
