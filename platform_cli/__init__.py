"""`platform`: offline commands over the Pulumi program (no cloud, no Pulumi CLI)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from infra.stackconfig import stack_file_name
from platform_cli import bench, configschema, delivery, diff, graph, plan, preflight, review
from platform_cli.exposure import command as exposure

DIFF_EXIT_CODES = """exit codes:
  0  no change
  1  changes
  2  invalid config (either side; the old side's errors start `error: --against <ref>:`),
     or an edit the provider would silently not apply (its `error:` line says how to make
     it real)
  3  the change includes something `pulumi up` would refuse or the provider rejects:
     a protected resource deleted or replaced, a `!!` change, or a delete `up` cannot
     finish (a "`up` cannot finish:" line)
When more than one applies, the highest: a refusal (3) is not hidden by a dropped edit
(2). Every `error:` line is printed either way.
"""


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="stack name: reads Pulumi.<stack>.yaml")
    source.add_argument("--config", type=Path, help="any file in the stack-config format")


def stack_path(stack: str | None, config: Path | None) -> Path:
    """The stack file the arguments name; argparse requires one of the two."""
    if config is not None:
        return config
    assert stack is not None
    return plan.PROJECT_DIR / stack_file_name(stack)


def bench_results(quick: bool) -> Path:
    """Where `platform bench` writes by default: only a full run replaces the committed file."""
    if quick:
        return plan.PROJECT_DIR / "build" / "bench-quick.md"
    return plan.PROJECT_DIR / "bench" / "RESULTS.md"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="platform", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    plan_parser = commands.add_parser(
        "plan", help="what `pulumi up` would create, offline; exit 2 on a broken rule"
    )
    plan_source = plan_parser.add_mutually_exclusive_group(required=True)
    plan_source.add_argument("--stack", help="stack name: reads Pulumi.<stack>.yaml")
    plan_source.add_argument("--config", type=Path, help="any file in the stack-config format")
    plan_source.add_argument(
        "--all-stacks",
        action="store_true",
        help="every Pulumi.<stack>.yaml together: also names unique across stacks",
    )
    plan_parser.add_argument("--out", type=Path, help="output folder (default build/<stack>)")
    plan_parser.add_argument("--program", type=Path, help=argparse.SUPPRESS)
    plan_parser.add_argument("--repo", type=Path, default=plan.PROJECT_DIR, help=argparse.SUPPRESS)

    diff_parser = commands.add_parser(
        "diff",
        help="what an edit to a stack config changes; exit 0 none, 1 some, 2 invalid or "
        "dropped, 3 refused",
        description="What an edit to a stack config adds, updates, replaces and removes.",
        epilog=DIFF_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stack_arguments(diff_parser)
    diff_parser.add_argument(
        "--against",
        required=True,
        help="with --stack: a git ref holding the old Pulumi.<stack>.yaml; with --config: the old file",
    )
    diff_parser.add_argument(
        "--markdown",
        type=Path,
        help="summary for a pull-request comment (default build/diff-<stack>.md)",
    )

    graph_parser = commands.add_parser("graph", help="topology picture: Mermaid text and SVG")
    add_stack_arguments(graph_parser)
    graph_parser.add_argument(
        "--out",
        type=Path,
        default=plan.PROJECT_DIR / "docs",
        help="output folder (default docs/ in the project, wherever you run it from)",
    )

    exposure_parser = commands.add_parser(
        "exposure", help="who reaches each endpoint, computed from the offline plan"
    )
    add_stack_arguments(exposure_parser)
    exposure_parser.add_argument(
        "--markdown", action="store_true", help="the README's table instead of the text matrix"
    )

    bench_parser = commands.add_parser("bench", help="benchmarks, written to bench/RESULTS.md")
    bench_parser.add_argument(
        "--out",
        type=Path,
        help="results file (default bench/RESULTS.md; with --quick build/bench-quick.md, "
        "so a partial run never replaces the committed results)",
    )
    bench_parser.add_argument("--quick", action="store_true", help="small sizes only (for CI)")
    bench_parser.add_argument(
        "--with-tests", action="store_true", help="also time the full test suite"
    )

    schema_parser = commands.add_parser(
        "config-schema", help="Pulumi.yaml's config block, generated from infra/config.py"
    )
    schema_parser.add_argument("--write", action="store_true", help="rewrite Pulumi.yaml's block")
    schema_parser.add_argument(
        "--check", action="store_true", help="exit 1 when Pulumi.yaml and the model disagree"
    )

    review_parser = commands.add_parser(
        "review",
        help="pull-request comment: platform diff of every stack a change touches",
        description="The pull-request comment: `platform diff` of every stack a change touches.",
        epilog=DIFF_EXIT_CODES.replace("either side", "either side of a stack"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    review_parser.add_argument("--base", required=True, help="git ref the change is based on")
    review_parser.add_argument("--head", help="git ref of the change (default: the working tree)")
    review_parser.add_argument(
        "--repo", type=Path, default=plan.PROJECT_DIR, help=argparse.SUPPRESS
    )
    review_parser.add_argument("--out", type=Path, help="comment body (default build/review.md)")
    review_parser.add_argument(
        "--list", action="store_true", help="only print the changed stacks, as JSON"
    )

    delivery_parser = commands.add_parser(
        "delivery",
        help="the stacks a delivery path runs, as JSON (what the workflows build jobs from)",
    )
    delivery_parser.add_argument(
        "--via", choices=delivery.VIAS, help="only the stacks delivered this way"
    )
    delivery_parser.add_argument(
        "--stacks", help="only these stacks, a JSON list such as '[\"prod\"]' (review --list)"
    )
    delivery_parser.add_argument(
        "--previews",
        action="store_true",
        help="only the stacks whose pull-request previews are on (platform:delivery."
        "pullRequestPreviews)",
    )
    delivery_parser.add_argument(
        "--invalid",
        type=Path,
        metavar="FILE",
        help="write the stacks whose config does not validate, with their errors, to FILE "
        "as JSON, and exit 0: each stops only itself",
    )
    delivery_parser.add_argument(
        "--repo", type=Path, default=plan.PROJECT_DIR, help=argparse.SUPPRESS
    )

    preflight_parser = commands.add_parser(
        "preflight",
        help="read-only API calls: do the accounts match what the config states?",
        description=(
            "Compare the config with the real accounts: the Cloudflare zone's plan, add-ons "
            "and existing pools and load balancers; Civo's quota and database offer; the AWS "
            "caller and its permissions; the runner's address against adminCidrs. Changes "
            "nothing. Credentials come from CLOUDFLARE_API_TOKEN, CIVO_TOKEN and "
            "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN."
        ),
        epilog="exit codes: 0 match, 1 mismatch, 2 invalid config, 3 something unchecked",
    )
    add_stack_arguments(preflight_parser)

    args = parser.parse_args(argv)
    handlers: dict[str, Callable[[], int]] = {
        "plan": lambda: (
            plan.all_stacks_command(args.repo, sys.stdout, sys.stderr)
            if args.all_stacks
            else plan.command(
                stack_path(args.stack, args.config), args.out, sys.stdout, sys.stderr, args.program
            )
        ),
        "diff": lambda: diff.command(
            new=stack_path(args.stack, args.config),
            against=args.against,
            stack=args.stack,
            markdown=args.markdown,
            stdout=sys.stdout,
            stderr=sys.stderr,
        ),
        "graph": lambda: graph.command(
            stack_path(args.stack, args.config), args.out, sys.stdout, sys.stderr
        ),
        "exposure": lambda: exposure.command(
            stack_path(args.stack, args.config), args.markdown, sys.stdout, sys.stderr
        ),
        "bench": lambda: bench.command(
            args.out or bench_results(args.quick), args.quick, args.with_tests, sys.stdout
        ),
        "review": lambda: review.command(
            repo=args.repo,
            base=args.base,
            head=args.head,
            out=args.out,
            list_only=args.list,
            stdout=sys.stdout,
            stderr=sys.stderr,
        ),
        "delivery": lambda: delivery.command(
            args.repo,
            args.via,
            args.stacks,
            previews=args.previews,
            invalid_file=args.invalid,
            stdout=sys.stdout,
            stderr=sys.stderr,
        ),
        "preflight": lambda: preflight.command(
            stack_path(args.stack, args.config),
            preflight.Endpoints.from_environment(os.environ),
            os.environ,
            sys.stdout,
            sys.stderr,
        ),
        "config-schema": lambda: configschema.command(
            plan.PROJECT_DIR / "Pulumi.yaml", args.write, args.check
        ),
    }
    if args.command in handlers:
        return handlers[args.command]()
    parser.error(f"unknown command {args.command}")
