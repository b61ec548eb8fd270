"""Pulumi Deployments for the platform: settings and a drift schedule for every stack whose
`platform:delivery` is `pulumi-deployments`, and nothing for any other stack.

Its own project (`platform-deployments`, one stack: `<organization>/settings`), because a
stack that defines its own deployment settings needs two deployments for a change to
them to take effect. `apply.yml`'s `settings` job runs it on every push to main, before
any stack's `up`; by hand (README, "Delivery"):

    pulumi up --cwd deployments --stack <organization>/settings

A stack config that does not validate stops it whole: changing nobody's settings is
safer than deleting the settings of a stack it could not read.
"""

from pathlib import Path

import pulumi
import yaml

from infra.components.stack_deployments import StackDeployments, StackDeploymentsArgs
from infra.config import PulumiDeploymentsDelivery
from infra.stackconfig import existing_stacks, load, read_stack_file, stack_file_name
from infra.validation import ConfigError

REPOSITORY = Path(__file__).resolve().parents[1]
PROJECT = yaml.safe_load((REPOSITORY / "Pulumi.yaml").read_text())["name"]

for stack in existing_stacks(REPOSITORY):
    stack_file = read_stack_file(REPOSITORY / stack_file_name(stack))
    try:
        delivery = load(stack_file.values).config.delivery
    except ConfigError as err:
        raise pulumi.RunError(f"invalid config in {stack_file_name(stack)}:\n{err}") from None
    if isinstance(delivery, PulumiDeploymentsDelivery):
        StackDeployments(stack, StackDeploymentsArgs(PROJECT, stack, delivery))
