"""`platform delivery`: the stacks each delivery path runs, as the workflows read them.

Every `Pulumi.<stack>.yaml` names its one path in `platform:delivery.via`. The GitHub
workflows build their job matrix from `platform delivery --via github-actions`, and the
`deployments/` program gives settings only to `pulumi-deployments` stacks, so no stack
is run by both, and a stack with no `platform:delivery` by neither.

A stack whose config does not validate stops only itself: with ``--invalid FILE`` it is
named there with its errors (when it may be on the path listed) and the others are
listed as usual; only the stacks asked for (``--stacks``) are read at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

import yaml

from infra.config import GitHubActionsDelivery, PlatformConfig, PulumiDeploymentsDelivery
from infra.stackconfig import (
    StackFileError,
    platform_section,
    read_stack_file,
    stack_file_name,
    stack_of,
)
from platform_cli.plan import PROJECT_DIR, InvalidConfigError, read_valid, stack_files

VIAS = ("github-actions", "pulumi-deployments")


def project_name() -> str:
    """The platform project's name (`Pulumi.yaml`): Pulumi Cloud's paths to a stack use it."""
    document: dict[str, Any] = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    return str(document["name"])


def entry(stack: str, config: PlatformConfig) -> dict[str, Any] | None:
    """What a workflow job needs to run one stack; None when nothing delivers it."""
    delivery = config.delivery
    if delivery is None:
        return None
    found: dict[str, Any] = {
        "stack": stack,
        "via": delivery.via,
        "organization": delivery.organization,
        "project": project_name(),
        "awsRegion": config.aws_region,
        "pullRequestPreviews": delivery.pull_request_previews,
    }
    if isinstance(delivery, GitHubActionsDelivery):
        found["runner"] = list(delivery.runner_labels)
        if delivery.pull_request_previews and delivery.preview_runner_labels:
            found["previewRunner"] = list(delivery.preview_runner_labels)
    if isinstance(delivery, PulumiDeploymentsDelivery):
        found["agentPoolId"] = delivery.agent_pool_id
    return found


def _declared_via(path: Path) -> str | None:
    """The `platform:delivery.via` a stack file declares, read without validating it;
    None when it cannot be read."""
    try:
        delivery = platform_section(read_stack_file(path).values).get("delivery")
    except StackFileError:
        return None
    via = delivery.get("via") if isinstance(delivery, dict) else None
    return via if via in VIAS else None


def entries(
    repo: Path, via: str | None, only: list[str] | None, previews: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(every delivered stack, on ``via`` only, of the ``only`` names, with previews on
    if ``previews``; every stack among those asked for whose config does not validate
    and which may be on ``via``, with its errors), each in name order."""
    found, invalid = [], []
    for path in stack_files(repo):
        stack = stack_of(path)
        if only is not None and stack not in only:
            continue
        try:
            _, valid, _ = read_valid(path)
        except InvalidConfigError as err:
            declared = _declared_via(path)
            if via is None or declared in (None, via):
                invalid.append({"stack": stack, "errors": err.lines})
            continue
        item = entry(stack, valid.config)
        if item is None or via not in (None, item["via"]):
            continue
        if not previews or item["pullRequestPreviews"]:
            found.append(item)
    return found, invalid


def command(
    repo: Path,
    via: str | None,
    stacks: str | None,
    *,
    previews: bool,
    invalid_file: Path | None,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Print the JSON list. Without ``invalid_file``, a stack whose config is invalid is
    reported on stderr, each line naming its file, and the exit code is 2; with it, the
    invalid stacks go there as JSON and the exit code is 0. Exit 2 also when --stacks is
    not a JSON list of names."""
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
    found, invalid = entries(repo, via, only, previews)
    print(json.dumps(found), file=stdout)
    if invalid_file is not None:
        invalid_file.write_text(json.dumps(invalid))
        return 0
    for item in invalid:
        for line in item["errors"]:
            print(
                f"error: {stack_file_name(item['stack'])}: {line.removeprefix('error: ')}",
                file=stderr,
            )
    return 2 if invalid else 0
