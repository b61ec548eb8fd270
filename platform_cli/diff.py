"""`platform diff`: what an edit to a stack config adds, changes, replaces or removes.

Both configs are planned offline with the current code; resources are matched by URN,
which depends only on what a resource describes, so a reordered list matches itself.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from infra.stackconfig import stack_file_name, stack_of
from platform_cli.cost import change_lines
from platform_cli.grouping import cluster_of, outermost_component
from platform_cli.plan import InvalidConfigError, estimate_of, plan_stack_file
from platform_cli.replacements import failing_paths, replacement_paths
from platform_cli.runner import PROJECT_DIR, PlanRun, Registration

Kind = Literal["add", "remove", "update", "replace", "fail"]
SYMBOL = {"add": "+", "remove": "-", "update": "~", "replace": "+-", "fail": "!!"}


@dataclass
class Change:
    kind: Kind
    resource: Registration
    group: str
    cluster: str
    paths: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{SYMBOL[self.kind]} {self.resource.type} {self.resource.name}"
        if self.paths:
            text += f"  [{', '.join(self.paths)}]"
        if self.reasons:
            verb = "fails upstream" if self.kind == "fail" else "replace"
            text += f"  ({verb}: {'; '.join(self.reasons)})"
        return text


def changed_paths(old: Any, new: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in old or key not in new:
                yield path
            else:
                yield from changed_paths(old[key], new[key], path)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from changed_paths(a, b, f"{prefix}[{i}]")
    elif old != new:
        yield prefix or "(value)"


def _same_but_name(old: Registration, new: Registration) -> bool:
    """A resource that only changed its name: same kind, place, provider and inputs."""
    return (
        old.type == new.type
        and old.provider == new.provider
        and (old.parent or "").rsplit("::", 1)[0] == (new.parent or "").rsplit("::", 1)[0]
        and old.revealed_inputs == new.revealed_inputs
    )


def _propagate_replacements(
    changed: dict[str, list[str]], by_urn: dict[str, Registration]
) -> set[str]:
    """Every resource that will be replaced: those whose own inputs force it, then, wave by
    wave, those that take a replaced resource's outputs (a new id is a changed input) on
    a replace-on-change input, and those whose provider is replaced."""
    replaced = {
        urn
        for urn, paths in changed.items()
        if any(replacement_paths(by_urn[urn].type, p) for p in paths)
    }
    wave = set(replaced)
    while wave:
        following: set[str] = set()
        for urn, resource in by_urn.items():
            if urn in replaced:
                continue
            fed = [
                k for k, sources in resource.property_dependencies.items() if wave & set(sources)
            ]
            paths = changed.setdefault(urn, []) if fed else changed.get(urn, [])
            paths += [k for k in fed if k not in paths]
            provider = (resource.provider or "").rsplit("::", 1)[0]
            if provider in wave or any(replacement_paths(resource.type, k) for k in fed):
                following.add(urn)
                changed.setdefault(urn, [])
        replaced |= following
        wave = following
    return replaced


def diff_runs(old: PlanRun, new: PlanRun) -> list[Change]:
    old_urns = {r.urn: r for r in old.registrations}
    new_urns = {r.urn: r for r in new.registrations}

    def change(kind: Kind, r: Registration, by_urn: dict[str, Registration]) -> Change:
        component = outermost_component(r, by_urn)
        group = f"{component.type.rsplit(':', 1)[-1]} {component.name}" if component else "stack"
        return Change(kind, r, group, cluster_of(r, by_urn))

    changed: dict[str, list[str]] = {}
    for urn in sorted(new_urns.keys() & old_urns.keys()):
        paths = list(changed_paths(old_urns[urn].revealed_inputs, new_urns[urn].revealed_inputs))
        if paths:
            changed[urn] = paths
    replaced = _propagate_replacements(changed, new_urns)
    changes: list[Change] = []
    for urn, paths in sorted(changed.items()):
        after = new_urns[urn]
        fails = [p for p in paths if failing_paths(after.type, p)]
        forced = [p for p in paths if replacement_paths(after.type, p)]
        kind: Kind = "fail" if fails else "replace" if urn in replaced else "update"
        item = change(kind, after, new_urns)
        item.paths = paths
        if fails:
            item.reasons = [f"the provider rejects a change to {p}" for p in fails]
        elif urn in replaced:
            item.reasons = [f"{p} forces a new resource" for p in forced] or [
                f"its provider {after.provider.split('::')[-2] if after.provider else ''} is replaced"
            ]
        changes.append(item)
    removed = [old_urns[u] for u in sorted(old_urns.keys() - new_urns.keys())]
    added = [new_urns[u] for u in sorted(new_urns.keys() - old_urns.keys())]
    for r in added:
        renamed_from = next((g for g in removed if _same_but_name(g, r)), None)
        if renamed_from is not None:
            removed.remove(renamed_from)
            item = change("replace", r, new_urns)
            item.reasons = [f"renamed from {renamed_from.name}: a new URN is a new resource"]
            changes.append(item)
        else:
            changes.append(change("add", r, new_urns))
    changes += [change("remove", r, old_urns) for r in removed]
    return changes


def summary(changes: list[Change]) -> str:
    counts = {kind: sum(1 for c in changes if c.kind == kind) for kind in SYMBOL}
    text = (
        f"{counts['add']} to add, {counts['update']} to update, "
        f"{counts['replace']} to replace, {counts['remove']} to remove"
    )
    if counts["fail"]:
        text += f"; {counts['fail']} change(s) the provider would reject"
    return text


def _grouped(changes: list[Change]) -> dict[str, dict[str, list[Change]]]:
    groups: dict[str, dict[str, list[Change]]] = defaultdict(lambda: defaultdict(list))
    for c in sorted(changes, key=lambda c: (c.cluster, c.group, c.resource.type, c.resource.name)):
        groups[c.cluster][c.group].append(c)
    return groups


def render_text(changes: list[Change]) -> list[str]:
    lines = []
    for cluster, groups in _grouped(changes).items():
        lines.append(f"cluster {cluster}")
        for group, items in groups.items():
            lines.append(f"  {group}")
            lines += [f"    {c.line()}" for c in items]
    lines.append(summary(changes))
    return lines


def render_markdown(changes: list[Change], title: str) -> str:
    lines = [f"### `platform diff`: {title}", "", f"**{summary(changes)}**", ""]
    replaced = [c for c in changes if c.kind == "replace"]
    if replaced:
        lines += ["> [!WARNING]", f"> {len(replaced)} resource(s) would be replaced:"]
        lines += [f"> - `{c.resource.name}`: {'; '.join(c.reasons)}" for c in replaced]
        lines.append("")
    for cluster, groups in _grouped(changes).items():
        lines += [f"<details><summary>{cluster}</summary>", "", "```diff"]
        for group, items in groups.items():
            lines.append(f"# {group}")
            lines += [c.line().replace("+-", "!") for c in items]
        lines += ["```", "</details>", ""]
    return "\n".join(lines)


def stack_file_at(ref: str, stack: str, into: Path) -> Path:
    """`Pulumi.<stack>.yaml` as it was at a git ref."""
    name = stack_file_name(stack)
    shown = subprocess.run(
        ["git", "show", f"{ref}:{name}"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode != 0:
        raise InvalidConfigError([f"error: --against {ref}: {shown.stderr.strip()}"])
    path = into / name
    path.write_text(shown.stdout)
    return path


def command(
    *,
    new: Path,
    against: str,
    stack: str | None,
    markdown: Path | None,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        try:
            old = stack_file_at(against, stack, Path(scratch)) if stack else Path(against)
            # Both sides are one stack: URNs name it, so they must match to line up.
            name = stack or stack_of(new)
            _, old_run, _ = plan_stack_file(old, stack=name)
            _, new_run, notes = plan_stack_file(new, stack=name)
            cost_change = change_lines(estimate_of(old, name), estimate_of(new, name))
        except InvalidConfigError as err:
            return err.report(stderr)
    for note in notes:
        print(note, file=stderr)
    changes = diff_runs(old_run, new_run)
    title = f"{new} against {against}"
    print(f"platform diff: {title}", file=stdout)
    for line in [*render_text(changes), *cost_change]:
        print(line, file=stdout)
    target = markdown or PROJECT_DIR / "build" / f"diff-{new_run.stack}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_markdown(changes, title) + "\n")
    print(f"wrote {target}", file=stdout)
    return 1 if changes else 0
