"""StackDeployments: how Pulumi Deployments previews and deploys one stack.

Created by the `deployments/` program for every stack whose `platform:delivery` is
`pulumi-deployments`, never by the stack itself: a stack that defines its own settings
needs two deployments for a settings change to take effect, and Pulumi recommends against
it (https://www.pulumi.com/docs/deployments/deployments/using/settings/).
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass

import pulumi
import pulumi_pulumiservice as pulumiservice

from infra.config import PulumiDeploymentsDelivery
from infra.versions import DEPLOYMENTS_PYTHON

# The CLI the executor runs is the SDK's own version, in an image with the Python the
# project supports (see DEPLOYMENTS_PYTHON).
EXECUTOR_IMAGE = f"pulumi/pulumi-python-{DEPLOYMENTS_PYTHON}:{importlib.metadata.version('pulumi')}"
# Every `pulumi` flag can be set as PULUMI_OPTION_<FLAG> (Pulumi CLI 3.208.0 and later,
# https://www.pulumi.com/blog/controlling-the-cli-through-environment-variables/): the
# policy pack runs in every preview and update. No PULUMI_OPTION_REFRESH: it would apply
# to updates too, which keep what the refresh reads, and the Civo provider reads any
# failed lookup as "deleted" (terraform-provider-civo v1.1.4 resource_database.go
# L255-260): one transient API error would forget the database. The drift schedule
# refreshes without saving.
OPERATION_ENVIRONMENT = {"PULUMI_OPTION_POLICY_PACK": "policy"}
# Review the pushed commit against the one before it, as `platform review` does a pull
# request (a shallow clone is deepened so the parent exists): `up` in a deployment stops
# nowhere a review would, so a change the review refuses (exit 2 or 3) fails here, before
# any step runs.
REVIEW_GATE = [
    "git rev-parse --verify --quiet HEAD^ >/dev/null || git fetch --quiet --deepen=1",
    # Fail closed: a crash exits 1 like "changes", but writes no review.
    "s=0; .venv/bin/platform review --base HEAD^ --head HEAD --out build/review.md"
    " >/dev/null || s=$?; grep -q '<!-- platform-review -->' build/review.md && test $s -le 1",
]
# How long a deployment's AWS session lasts ("XhYmZs"): as long as an `up` may run on
# GitHub Actions (apply.yml timeout-minutes). The role's MaxSessionDuration must allow it.
AWS_SESSION = "2h0m0s"


@dataclass(frozen=True)
class StackDeploymentsArgs:
    project: str
    stack: str
    delivery: PulumiDeploymentsDelivery


class StackDeployments(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: StackDeploymentsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:index:StackDeployments", name, None, opts)
        delivery = args.delivery
        if delivery.aws_role_arn is None:
            # A validated config has one (infra/delivery.py); nothing else may get here.
            raise ValueError(f"{args.stack}: platform:delivery.awsRoleArn is required")
        settings = pulumiservice.DeploymentSettings(
            f"{name}-settings",
            organization=delivery.organization,
            project=args.project,
            stack=args.stack,
            agent_pool_id=delivery.agent_pool_id,
            executor_context=pulumiservice.DeploymentSettingsExecutorContextArgs(
                executor_image=EXECUTOR_IMAGE
            ),
            source_context=pulumiservice.DeploymentSettingsSourceContextArgs(
                git=pulumiservice.DeploymentSettingsGitSourceArgs(
                    branch=f"refs/heads/{delivery.branch}", repo_dir="."
                )
            ),
            # No path filter: every push deploys the whole stack at that commit, so a
            # failed deployment is retried by the next push, whatever it touched.
            vcs=pulumiservice.DeploymentSettingsVcsArgs(
                provider="github",
                repository=delivery.repository,
                deploy_commits=True,
                preview_pull_requests=delivery.pull_request_previews,
            ),
            operation_context=pulumiservice.DeploymentSettingsOperationContextArgs(
                # Each line runs in its own shell, from the repository root.
                pre_run_commands=[
                    f"python{DEPLOYMENTS_PYTHON} -m venv .venv",
                    ".venv/bin/pip install -e .",
                    *REVIEW_GATE,
                ],
                environment_variables=OPERATION_ENVIRONMENT,
                # Deployments gives a deployment no AWS credentials: it assumes the
                # stack's role with Pulumi's OIDC token (subject pulumi:deploy:org:<org>:
                # project:<project>:stack:<stack>:operation:<op>:scope:write).
                oidc=pulumiservice.OperationContextOIDCArgs(
                    aws=pulumiservice.AWSOIDCConfigurationArgs(
                        role_arn=delivery.aws_role_arn,
                        session_name=f"pulumi-deployments-{args.stack}",
                        duration=AWS_SESSION,
                    )
                ),
                options=pulumiservice.OperationContextOptionsArgs(
                    skip_install_dependencies=True,
                    # Pushes queue per stack and run in order; none is skipped.
                    skip_intermediate_deployments=False,
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        pulumiservice.DriftSchedule(
            f"{name}-drift",
            organization=delivery.organization,
            project=args.project,
            stack=args.stack,
            schedule_cron=delivery.drift_schedule,
            # Drift is reported (the stack's Drift tab), never applied unreviewed.
            auto_remediate=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[settings]),
        )
        self.register_outputs({})
