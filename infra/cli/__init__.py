"""`platform`: offline commands over the Pulumi program (no cloud, no Pulumi CLI)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from infra.cli import plan

EXIT_OK = 0
EXIT_INVALID = 2


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="stack name: reads Pulumi.<stack>.yaml")
    source.add_argument("--config", type=Path, help="any file in the stack-config format")


def stack_path(stack: str | None, config: Path | None) -> Path:
    if config is not None:
        return config
    return plan.PROJECT_DIR / f"Pulumi.{stack}.yaml"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="platform", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    plan_parser = commands.add_parser("plan", help="what `pulumi up` would create, offline")
    add_stack_arguments(plan_parser)
    plan_parser.add_argument("--out", type=Path, help="output folder (default build/<stack>)")

    args = parser.parse_args(argv)
    if args.command == "plan":
        return plan.command(stack_path(args.stack, args.config), args.out, sys.stdout, sys.stderr)
    parser.error(f"unknown command {args.command}")
    return EXIT_INVALID
