"""`platform preflight`: ask the real accounts whether the config tells the truth about
them. Read-only calls only (GET, and AWS's query reads); nothing is created or changed.

The stack's credentials come from the environment, where the providers also look
(`CLOUDFLARE_API_TOKEN`, `CIVO_TOKEN`, `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
`AWS_SESSION_TOKEN`); `platform plan` never calls this. What this stack would create
comes from its offline plan, so the counts are the ones the quota rules check.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

import platform_cli.plan as offline_plan
from platform_cli.checks import stack_plan
from platform_cli.preflight import aws, civo, cloudflare, runner
from platform_cli.preflight.findings import Context, Endpoints, Finding, report

CHECKS = (cloudflare.check, civo.check, aws.check, runner.check)

__all__ = ["Endpoints", "Finding", "command"]


def command(
    path: Path, endpoints: Endpoints, environ: Mapping[str, str], stdout: TextIO, stderr: TextIO
) -> int:
    """Exit 0 when the accounts match the config, 1 on a mismatch, 2 for an invalid config,
    3 when something could not be checked (a credential missing, an API refusing)."""
    try:
        stack_file, valid, _ = offline_plan.read_valid(path)
    except offline_plan.InvalidConfigError as err:
        return err.report(stderr)
    run = offline_plan.run_program(stack_file)
    ctx = Context(valid.config, stack_plan(valid, run), endpoints, environ)
    return report(stack_file.stack, (f for check in CHECKS for f in check(ctx)), stdout)
