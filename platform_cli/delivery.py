"""`platform delivery`: the stacks each delivery path runs, as the workflows read them.

Every `Pulumi.<stack>.yaml` names its one path in `platform:delivery.via`. The GitHub
workflows build their job matrix from `platform delivery --via github-actions`, and the
`deployments/` program gives settings only to `pulumi-deployments` stacks, so no stack
is run by both, and a stack with no `platform:delivery` by neither.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from infra.config import GitHubActionsDelivery, PlatformConfig, PulumiDeploymentsDelivery
from platform_cli.plan import InvalidConfigError, read_valid, stack_files

VIAS = ("github-actions", "pulumi-deployments")


def entry(stack: str, config: PlatformConfig) -> dict[str, Any] | None:
    """What a workflow job needs to run one stack; None when nothing delivers it."""
    delivery = config.delivery
    if delivery is None:
        return None
    found: dict[str, Any] = {
        "stack": stack,
        "via": delivery.via,
        "organization": delivery.organization,
        "awsRegion": config.aws_region,
    }
    if isinstance(delivery, GitHubActionsDelivery):
        found["runner"] = list(delivery.runner_labels)
    if isinstance(delivery, PulumiDeploymentsDelivery):
        found["agentPoolId"] = delivery.agent_pool_id
    return found


def entries(repo: Path, via: str | None, only: list[str] | None) -> list[dict[str, Any]]:
    """Every delivered stack (``via``: on that path only; ``only``: of those names), in
    name order. An invalid stack config raises: a workflow must not skip a stack."""
    found = []
    for path in stack_files(repo):
        stack_file, valid, _ = read_valid(path)
        if only is not None and stack_file.stack not in only:
            continue
        item = entry(stack_file.stack, valid.config)
        if item is not None and via in (None, item["via"]):
            found.append(item)
    return found


def command(repo: Path, via: str | None, stacks: str | None, stdout: TextIO, stderr: TextIO) -> int:
    """Print the JSON list; exit 2 when a stack's config is invalid or --stacks is not a
    JSON list of names."""
    try:
        only = None if stacks is None else json.loads(stacks)
    except json.JSONDecodeError as err:
        print(
            f"error: --stacks: not JSON ({err}); expected a list such as '[\"prod\"]'", file=stderr
        )
        return 2
    if only is not None and not (isinstance(only, list) and all(isinstance(s, str) for s in only)):
        print("error: --stacks: expected a JSON list of stack names", file=stderr)
        return 2
    try:
        print(json.dumps(entries(repo, via, only)), file=stdout)
    except InvalidConfigError as err:
        return err.report(stderr)
    return 0
