"""`platform review`: the pull-request comment, offline, for every stack a change touches.

A stack's result changes when its `Pulumi.<stack>.yaml` changes, or when a program file
changes (`PROGRAM_PATHS`, the policy pack included: it guards every stack's preview and
`up`): then every stack is reviewed, and previewed. A config-only change plans both sides with the checked-out code,
like `platform diff`; a code change plans the merge base with the merge base's own code
(in a scratch worktree), so the comment shows what the code does too. The body starts
with a hidden marker so the workflow updates one comment in place, not one per push.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from infra.stackconfig import read_stack_file, stack_file_name, stack_of
from platform_cli.checks import stack_plan
from platform_cli.diff import (
    CHANGES,
    INVALID,
    NO_CHANGE,
    Change,
    diff_runs,
    login_errors,
    outcome,
    provider_config_changes,
    render_markdown,
    warnings_markdown,
)
from platform_cli.exposure.command import edit_warnings
from platform_cli.lifecycle.checks import Findings, findings
from platform_cli.lifecycle.order import Order, engine_order
from platform_cli.lifecycle.quotas import over_quota_during_up
from platform_cli.plan import InvalidConfigError, plan_stack_file, read_valid
from platform_cli.runner import PlanRun, Registration

MARKER = "<!-- platform-review -->"
# Paths whose change can change every stack's `preview` or `up`.
PROGRAM_PATHS = ("infra/**", "stacks/**", "policy/**", "pyproject.toml", "Pulumi.yaml")
# GitHub refuses comments over 65,536 characters; leave room for `pulumi preview` output.
MAX_DIFF_CHARS = 30_000


class ReviewError(Exception):
    pass


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ReviewError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def is_program_file(path: str) -> bool:
    for pattern in PROGRAM_PATHS:
        if pattern.endswith("/**") and path.startswith(pattern.removesuffix("**")):
            return True
        if path == pattern:
            return True
    return False


def stack_name(path: str) -> str | None:
    """`dev` for `Pulumi.dev.yaml` at the repository root; None for anything else."""
    if "/" in path or path == "Pulumi.yaml":
        return None
    if not path.startswith("Pulumi.") or not path.endswith(".yaml"):
        return None
    return stack_of(Path(path))


def stacks_at(repo: Path, ref: str | None) -> set[str]:
    names = (
        git(repo, "ls-tree", "--name-only", ref).splitlines()
        if ref
        else [p.name for p in repo.iterdir()]
    )
    return {s for s in map(stack_name, names) if s}


@dataclass
class Selection:
    stacks: list[str]
    reasons: dict[str, str]
    program_files: list[str] = field(default_factory=list)


def select_stacks(changed: list[str], base_stacks: set[str], head_stacks: set[str]) -> Selection:
    program = sorted(p for p in changed if is_program_file(p))
    reasons: dict[str, str] = {}
    for path in changed:
        name = stack_name(path)
        if name:
            reasons[name] = f"`{path}` changed"
    if program:
        for name in base_stacks | head_stacks:
            reasons.setdefault(name, "program files changed")
    return Selection(sorted(reasons), reasons, program)


@dataclass
class StackReview:
    stack: str
    reason: str
    changes: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Edits `up` would get wrong (platform_cli.rotations): shown with the changes.
    config_errors: list[str] = field(default_factory=list)
    # Exposure the edit widens and namespaces it deletes (platform_cli.exposure).
    warnings: list[str] = field(default_factory=list)
    removed: bool = False
    added: bool = False
    # The steps `up` takes, in the engine's order, and where a refusal stops them.
    order: Order | None = None
    # Deletes that cannot finish, and deletes of data, in those steps.
    findings: Findings | None = None

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)


def _stack_file(repo: Path, ref: str | None, stack: str, into: Path) -> Path | None:
    name = stack_file_name(stack)
    if ref is None:
        source = repo / name
        return source if source.is_file() else None
    if stack not in stacks_at(repo, ref):
        return None
    path = into / name
    path.write_text(git(repo, "show", f"{ref}:{name}"))
    return path


def _empty_run(stack: str) -> PlanRun:
    return PlanRun(
        stack=stack, registrations=[], stack_outputs={}, component_outputs={}, warnings=[]
    )


def plan_with_code_at(repo: Path, ref: str, stack_file: Path, stack: str) -> PlanRun:
    """The plan the code at ``ref`` makes of a stack file, in a scratch worktree: what the
    stack looks like before a change to the program. It is read back from resources.json,
    where secrets are redacted, so both sides of such a diff compare them redacted."""
    with tempfile.TemporaryDirectory() as scratch:
        tree, out = Path(scratch, "tree"), Path(scratch, "out")
        git(repo, "worktree", "add", "--detach", "--quiet", str(tree), ref)
        try:
            # The offline commands moved from `infra` to `platform_cli`; older refs have the former.
            module = "platform_cli" if (tree / "platform_cli").is_dir() else "infra"
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    module,
                    "plan",
                    "--config",
                    str(stack_file),
                    "--out",
                    str(out),
                ],
                cwd=tree,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise InvalidConfigError(done.stderr.strip().splitlines() or ["plan failed"])
            resources = json.loads((out / "resources.json").read_text())
        finally:
            git(repo, "worktree", "remove", "--force", str(tree))
    return PlanRun(
        stack=stack,
        registrations=[Registration.from_json(r) for r in resources],
        stack_outputs={},
        component_outputs={},
        warnings=[],
    )


def _redacted(run: PlanRun) -> PlanRun:
    return replace(
        run,
        registrations=[
            replace(r, revealed_inputs=r.inputs, revealed_trigger=r.replacement_trigger)
            for r in run.registrations
        ],
    )


def review_stack(
    repo: Path, base: str, head: str | None, stack: str, reason: str, *, code_changed: bool = False
) -> StackReview:
    """One stack's changes from ``base`` to ``head``. When the program's code changed too,
    the base is planned with the base's code, so the diff shows what the code does."""
    result = StackReview(stack, reason)
    with tempfile.TemporaryDirectory() as scratch:
        old_dir, new_dir = Path(scratch, "base"), Path(scratch, "head")
        old_dir.mkdir()
        new_dir.mkdir()
        old = _stack_file(repo, base, stack, old_dir)
        new = _stack_file(repo, head, stack, new_dir)
        if new is None:
            result.removed = True
            return result
        try:
            _, new_run, _ = plan_stack_file(new, stack=stack)
            new_valid = read_valid(new, stack)[1]
        except InvalidConfigError as err:
            result.errors = err.lines
            return result
        # The accounts the old side's resources are in: the new config's, unless the old
        # file still validates (with this code) and says otherwise.
        old_valid = new_valid
        if old is None:
            result.added = True
            old_run = _empty_run(stack)
        else:
            try:
                if code_changed:
                    old_run = plan_with_code_at(repo, base, old, stack)
                    new_run = _redacted(new_run)
                    with contextlib.suppress(InvalidConfigError):
                        old_valid = read_valid(old, stack)[1]
                else:
                    _, old_run, _ = plan_stack_file(old, stack=stack)
                    old_valid = read_valid(old, stack)[1]
            except InvalidConfigError as err:
                # A base that does not plan says nothing about what `up` would change.
                result.errors = [
                    line.replace("error: ", f"error: base {base}: ", 1) for line in err.lines
                ]
                return result
        result.changes = diff_runs(old_run, new_run)
        if old is not None:
            result.warnings = edit_warnings((old, old_run), (new, new_run), stack, result.changes)
            old_file, new_file = read_stack_file(old), read_stack_file(new)
            result.changes += provider_config_changes(old_file, new_file, old_run, new_run)
            result.config_errors = login_errors(
                old_file, new_file, old_run, new_run, result.changes
            )
        result.order = engine_order(result.changes, old_run.registrations, new_run.registrations)
        peaks = over_quota_during_up(
            result.order, stack_plan(old_valid, old_run), stack_plan(new_valid, new_run)
        )
        result.findings = findings(result.order, old_run.registrations, peaks)
    return result


def _short(repo: Path, ref: str | None) -> str:
    if ref is None:
        return "working tree"
    return git(repo, "rev-parse", "--short", ref).strip()


def _table(reviews: list[StackReview]) -> list[str]:
    lines = [
        "| stack | why | add | update | replace | remove | rejected |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in reviews:
        if r.removed:
            lines.append(f"| `{r.stack}` | {r.reason} | stack file removed | | | | |")
        elif r.errors:
            lines.append(f"| `{r.stack}` | {r.reason} | **invalid config** | | | | |")
        else:
            counts = " | ".join(
                str(r.count(kind)) for kind in ("add", "update", "replace", "remove", "fail")
            )
            lines.append(f"| `{r.stack}` | {r.reason} | {counts} |")
    return lines


def render(
    reviews: list[StackReview], selection: Selection, base_label: str, head_label: str
) -> str:
    lines = [
        MARKER,
        "## `platform review`: what this change does to each stack",
        "",
        f"Base `{base_label}`, head `{head_label}`. Planned offline, with no credentials.",
        "",
    ]
    if not reviews:
        lines += ["No stack's result changes: no `Pulumi.<stack>.yaml` and no program file.", ""]
        return "\n".join(lines)
    if selection.program_files:
        shown = ", ".join(f"`{p}`" for p in selection.program_files[:5])
        more = (
            f" and {len(selection.program_files) - 5} more"
            if len(selection.program_files) > 5
            else ""
        )
        lines += [
            "> [!NOTE]",
            f"> Program files changed ({shown}{more}), so every stack is reviewed. The base is",
            "> planned with the base's code and the head with this change's, so the tables show",
            "> what the code and config edits do together. Secret values are compared redacted.",
            "",
        ]
    lines += _table(reviews)
    lines.append("")
    budget = MAX_DIFF_CHARS
    for r in reviews:
        if r.removed or r.errors:
            lines += [f"### Stack `{r.stack}`", ""]
        if r.removed:
            lines += [
                "The stack file is removed. Its resources stay until someone runs",
                f"`pulumi destroy --stack {r.stack}` (see docs/runbooks/destroy-environment.md).",
                "",
            ]
            continue
        if r.errors:
            lines += ["> [!CAUTION]", "> The stack config is invalid; `pulumi up` would stop:", ""]
            lines += ["```text", *r.errors, "```", ""]
            continue
        if r.added:
            lines += ["A new stack: everything below is created.", ""]
        rejected = [c for c in r.changes if c.kind == "fail"]
        if rejected:
            lines += [
                "> [!CAUTION]",
                f"> {len(rejected)} change(s) the provider would reject at `pulumi up`:",
            ]
            lines += [f"> - `{c.resource.name}`: {'; '.join(c.reasons)}" for c in rejected]
            lines.append("")
        section = render_markdown(
            r.changes,
            f"stack {r.stack}, {base_label} → {head_label}",
            r.order,
            r.findings,
            r.config_errors,
        ) + warnings_markdown(r.warnings)
        if len(section) > budget:
            section = (
                section[: max(budget, 0)].rsplit("\n", 1)[0]
                + "\n```\n</details>\n\n(cut: run `platform diff` locally for the rest)\n"
            )
        budget -= len(section)
        lines += [section, ""]
    return "\n".join(lines)


def review(repo: Path, base: str, head: str | None) -> tuple[str, list[StackReview]]:
    merge_base = git(repo, "merge-base", base, head or "HEAD").strip()
    changed = git(repo, "diff", "--name-only", merge_base, *([head] if head else [])).split()
    selection = select_stacks(changed, stacks_at(repo, merge_base), stacks_at(repo, head))
    code_changed = bool(selection.program_files)
    reviews = [
        review_stack(repo, merge_base, head, s, selection.reasons[s], code_changed=code_changed)
        for s in selection.stacks
    ]
    body = render(reviews, selection, _short(repo, merge_base), _short(repo, head))
    return body, reviews


def changed_stacks(repo: Path, base: str, head: str | None) -> list[str]:
    merge_base = git(repo, "merge-base", base, head or "HEAD").strip()
    changed = git(repo, "diff", "--name-only", merge_base, *([head] if head else [])).split()
    selection = select_stacks(changed, stacks_at(repo, merge_base), stacks_at(repo, head))
    present = stacks_at(repo, head)
    return [s for s in selection.stacks if s in present]


def command(
    *,
    repo: Path,
    base: str,
    head: str | None,
    out: Path | None,
    list_only: bool,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Exit 0 when nothing changes, 1 when something does, 2 on an invalid stack or ref
    or an edit the provider would silently not apply, 3 when `pulumi up` would refuse a
    change or could not finish a delete (as `platform diff`)."""
    try:
        if list_only:
            print(json.dumps(changed_stacks(repo, base, head)), file=stdout)
            return 0
        body, reviews = review(repo, base, head)
    except ReviewError as err:
        print(f"error: {err}", file=stderr)
        return 2
    target = out or repo / "build" / "review.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body + "\n")
    print(body, file=stdout)
    print(f"wrote {target}", file=stderr)
    # The highest code any stack earns: a refusal (3) is never hidden by a stack that is
    # invalid or has an edit the provider would silently drop (2).
    codes = [
        INVALID if r.errors else outcome(r.changes, r.findings, r.config_errors) for r in reviews
    ]
    codes += [CHANGES for r in reviews if r.removed]
    return max(codes, default=NO_CHANGE)
