"""`platform diff`: what an edit to a stack config adds, changes, replaces or removes.

Both configs are planned offline with the current code; resources are matched by URN,
which depends only on what a resource describes, so a reordered list matches itself.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from infra.stackconfig import StackFile, read_stack_file, stack_file_name, stack_of
from infra.validation import ValidConfig
from platform_cli.checks import stack_plan
from platform_cli.exposure.command import edit_warnings
from platform_cli.grouping import GLOBAL, cluster_of, heading, outermost_component
from platform_cli.lifecycle.checks import Findings, findings, stranded_records
from platform_cli.lifecycle.order import Order, engine_order
from platform_cli.lifecycle.order import render as render_order
from platform_cli.lifecycle.quotas import over_quota_during_up
from platform_cli.plan import InvalidConfigError, cost_change, plan_stack_file, read_valid
from platform_cli.replacements import (
    delete_before_replace,
    forced_paths,
    ignored_paths,
    refusal,
    rejection_stage,
    update_gaps,
)
from platform_cli.resource_options import (
    ignored,
    option_forces,
    option_paths,
    option_reason,
    removal_notes,
    replacement_notes,
)
from platform_cli.rotations import login_edit_errors
from platform_cli.runner import PROJECT_DIR, PlanRun, Registration

Kind = Literal["add", "remove", "update", "replace", "fail"]
SYMBOL = {"add": "+", "remove": "-", "update": "~", "replace": "+-", "fail": "!!"}
# A replacement whose old resource is deleted before the new one exists (briefly absent).
DELETE_FIRST = "-+"


@dataclass
class Change:
    kind: Kind
    resource: Registration
    group: str
    cluster: str
    paths: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    # What the resource's options (protect, retainOnDelete, ...) make of the change.
    notes: list[str] = field(default_factory=list)
    # `pulumi up` would stop here: a protected resource deleted or replaced.
    refused: bool = False
    # A replacement that deletes the old resource before creating the new one.
    delete_first: bool = False

    @property
    def symbol(self) -> str:
        return DELETE_FIRST if self.delete_first else SYMBOL[self.kind]

    def line(self) -> str:
        text = f"{self.symbol} {self.resource.type} {self.resource.name}"
        if self.paths:
            text += f"  [{', '.join(self.paths)}]"
        if self.reasons:
            verb = {"fail": "fails upstream", "replace": "replace"}.get(self.kind, "")
            verb = "delete, then replace" if self.delete_first else verb
            text += f"  ({verb}: {'; '.join(self.reasons)})"
        return text + "".join(f"  <{note}>" for note in self.notes)


# Fields that name a list item, tried in order: a cluster, app or origin by name, a
# firewall rule by label, an AppProject destination by cluster and namespace.
LIST_KEYS: tuple[tuple[str, ...], ...] = (
    ("name",),
    ("label",),
    ("key",),
    ("name", "namespace"),
    ("server", "namespace"),
)


def _item_key(item: Any, fields: tuple[str, ...]) -> str | None:
    if not isinstance(item, dict) or not all(isinstance(item.get(f), str) for f in fields):
        return None
    return "/".join(item[f] for f in fields)


def list_keys(*lists: list[Any]) -> tuple[str, ...] | None:
    """The fields that name each item of every list uniquely, if some do."""
    for fields in LIST_KEYS:
        keyed = [[_item_key(item, fields) for item in items] for items in lists]
        if all(None not in keys and len(set(keys)) == len(keys) for keys in keyed):
            return fields
    return None


def _keyed_paths(old: list[Any], new: list[Any], prefix: str) -> Iterator[str] | None:
    """Paths in two lists of named items, each item shown by its name; None when the
    items have no name."""
    fields = list_keys(old, new)
    if fields is None:
        return None
    before = {_item_key(item, fields): item for item in old}
    after = {_item_key(item, fields): item for item in new}

    def paths() -> Iterator[str]:
        for key in sorted(before.keys() | after.keys(), key=str):
            if key not in before or key not in after:
                yield f"{prefix}[{key}]"
            else:
                yield from changed_paths(before[key], after[key], f"{prefix}[{key}]")
        if list(before) != list(after) and before.keys() == after.keys():
            # The same items in another order are still a change to the provider.
            yield prefix

    return paths()


def changed_paths(old: Any, new: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in old or key not in new:
                yield path
            else:
                yield from changed_paths(old[key], new[key], path)
    elif isinstance(old, list) and isinstance(new, list) and old != new:
        keyed = _keyed_paths(old, new, prefix)
        if keyed is not None:
            yield from keyed
        elif len(old) == len(new):
            for i, (a, b) in enumerate(zip(old, new, strict=True)):
                yield from changed_paths(a, b, f"{prefix}[{i}]")
        else:
            yield prefix or "(value)"
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


Forces = Callable[[str, str], bool]


def _propagate_replacements(
    changed: dict[str, list[str]],
    old_urns: dict[str, Registration],
    by_urn: dict[str, Registration],
) -> dict[str, list[str]]:
    """Every resource that will be replaced, with the paths that force it: those whose own
    inputs or options force it, then, wave by wave, those that take a replaced resource's
    outputs (a new id is a changed input, unknown until `up`) on a replace-on-change input,
    and those whose provider is replaced (no paths: the engine replaces them with it)."""

    def forced(urn: str, unknown: list[str]) -> list[str]:
        new, old = by_urn[urn], old_urns[urn]
        paths = changed.get(urn, [])
        by_provider = forced_paths(
            new.type, paths, old.revealed_inputs, new.revealed_inputs, unknown
        )
        by_options = [p for p in paths if option_forces(old, new, p) and p not in by_provider]
        return by_provider + by_options

    replaced = {urn: paths for urn in changed if urn in old_urns and (paths := forced(urn, []))}
    wave = set(replaced)
    while wave:
        following: dict[str, list[str]] = {}
        for urn, resource in by_urn.items():
            if urn in replaced or urn not in old_urns:
                continue
            fed = [
                k
                for k, sources in resource.property_dependencies.items()
                if wave & set(sources) and not ignored(resource, k)
            ]
            paths = changed.setdefault(urn, []) if fed else changed.get(urn, [])
            paths += [k for k in fed if k not in paths]
            provider = (resource.provider or "").rsplit("::", 1)[0]
            by_inputs = forced(urn, fed) if fed else []
            # step_generator.go L2909-2916: replaced with the resource it is deletedWith.
            if provider in wave or by_inputs or resource.deleted_with in wave:
                following[urn] = by_inputs
                changed.setdefault(urn, [])
        replaced.update(following)
        wave = set(following)
    return replaced


# What `up` does when an input it used to take from the cloud now comes from config.
NOW_FROM_CONFIG: dict[tuple[str, str], str] = {
    # terraform-provider-civo v1.1.4 resource_kubernetes_cluster.go Update L429-432 sends
    # kubernetes_version whenever it differs from the state's, the version Civo ran.
    ("civo:index/kubernetesCluster:KubernetesCluster", "kubernetesVersion"): (
        "Civo upgrades the cluster to it unless it already runs it"
    ),
    # terraform-provider-vultr v2.27.1 resource_vultr_kubernetes.go Update L288-297 sends
    # node_quantity; the state holds the autoscaler's count (Read, flattenNodePool).
    ("vultr:index/kubernetes:Kubernetes", "nodePools.nodeQuantity"): (
        "Vultr resizes the pool to it, whatever the autoscaler runs now"
    ),
}


def now_from_config(before: Registration, after: Registration) -> list[str]:
    """Inputs `up` used to decide (a lookup, or the state under ignoreChanges) that the
    config now decides: offline both sides may look equal, but `up` compares the new
    value with the live one, which no plan knows."""
    return [
        p for p in before.decided_at_up if p not in after.decided_at_up and not ignored(after, p)
    ]


def _now_from_config_notes(before: Registration, after: Registration) -> list[str]:
    notes = []
    for path in now_from_config(before, after):
        value: Any = after.revealed_inputs
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        effect = NOW_FROM_CONFIG.get(
            (after.type, path), "`up` sends it whatever the cloud runs now"
        )
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # the wire format has no integers
        notes.append(
            f"{path} was decided at `up` ({before.decided_at_up[path]}); now {value!r}: {effect}"
        )
    return notes


# The Pulumi package of each provider the program uses through the stack's default
# providers, for the provider's name in the state (`default_<version>`).
DEFAULT_PROVIDER_PACKAGES = {
    "aws": "pulumi-aws",
    "civo": "pulumi-civo",
    "cloudflare": "pulumi-cloudflare",
    "pulumiservice": "pulumi-pulumiservice",
    "random": "pulumi-random",
    "vultr": "ediri-vultr",
}


def _default_providers(run: PlanRun) -> set[str]:
    """Packages whose resources the run creates through the stack's default provider."""
    return {
        r.type.split(":", 1)[0]
        for r in run.registrations
        if r.custom and r.provider is None and not r.type.startswith("pulumi:")
    }


def provider_config_changes(
    old: StackFile, new: StackFile, old_run: PlanRun, new_run: PlanRun
) -> list[Change]:
    """The stack's default providers (`civo:token`, `vultr:apiKey`, ...): not resources
    of the program, but `up` configures each whose settings changed anew, and every later
    operation on its resources uses them. A secret compares by ciphertext, so a rotation
    and a re-encryption alike show."""
    used = _default_providers(old_run) | _default_providers(new_run)
    changed: dict[str, list[str]] = defaultdict(list)
    for key in sorted(old.values.keys() | new.values.keys()):
        package, _, setting = key.partition(":")
        if package in used and old.values.get(key) != new.values.get(key):
            changed[package].append(setting)
    changes = []
    for package, settings in sorted(changed.items()):
        version = importlib.metadata.version(DEFAULT_PROVIDER_PACKAGES.get(package, package))
        name = f"default_{version.replace('.', '_')}"
        provider = Registration(
            urn=f"urn:pulumi:{new.stack}::platform::pulumi:providers:{package}::{name}",
            type=f"pulumi:providers:{package}",
            name=name,
            custom=True,
            parent=None,
            provider=None,
            dependencies=[],
            property_dependencies={},
            protect=False,
            retain_on_delete=False,
            ignore_changes=[],
            inputs={},
        )
        change = Change("update", provider, "default providers", GLOBAL, paths=settings)
        change.notes = [
            f"the stack's {package} provider: `up` configures it anew, and uses the new "
            "setting for every later operation on its resources"
        ]
        changes.append(change)
    return changes


def _replaced_with(
    r: Registration, replaced: dict[str, list[str]], by_urn: dict[str, Registration]
) -> str:
    """Why a resource none of whose own inputs force it is replaced."""
    if r.deleted_with in replaced:
        owner = by_urn[r.deleted_with].name if r.deleted_with in by_urn else r.deleted_with
        return f"it is deletedWith {owner}, which is replaced: it is created anew with it"
    return f"its provider {r.provider.split('::')[-2] if r.provider else ''} is replaced"


def diff_runs(old: PlanRun, new: PlanRun) -> list[Change]:
    old_urns = {r.urn: r for r in old.registrations}
    new_urns = {r.urn: r for r in new.registrations}

    def change(kind: Kind, r: Registration, by_urn: dict[str, Registration]) -> Change:
        component = outermost_component(r, by_urn)
        group = f"{component.type.rsplit(':', 1)[-1]} {component.name}" if component else "stack"
        return Change(kind, r, group, cluster_of(r, by_urn))

    changed: dict[str, list[str]] = {}
    for urn in sorted(new_urns.keys() & old_urns.keys()):
        before, after = old_urns[urn], new_urns[urn]
        paths = [
            p
            for p in changed_paths(before.revealed_inputs, after.revealed_inputs)
            if not ignored(after, p)
        ]
        paths += [p for p in now_from_config(before, after) if p not in paths]
        paths += option_paths(before, after)
        if paths:
            changed[urn] = paths
    replaced = _propagate_replacements(changed, old_urns, new_urns)
    changes: list[Change] = []
    for urn, paths in sorted(changed.items()):
        after = new_urns[urn]
        before = old_urns.get(urn, after)
        # A replacement creates the resource anew: only plan-time checks still refuse.
        stages = {
            p: s
            for p in paths
            if (s := rejection_stage(after.type, p)) == "preview"
            or (s == "up" and urn not in replaced)
        }
        kind: Kind = "fail" if stages else "replace" if urn in replaced else "update"
        item = change(kind, after, new_urns)
        item.paths = paths
        if stages:
            item.reasons = [
                f"the provider rejects a change to {p} at `pulumi {s}`" for p, s in stages.items()
            ]
        elif urn in replaced:
            forced = replaced[urn]
            item.reasons = [
                option_reason(before, after, p)
                if option_forces(before, after, p)
                else f"{p} forces a new resource"
                for p in forced
            ] or [_replaced_with(after, replaced, new_urns)]
            item.delete_first = delete_before_replace(
                after.type,
                forced,
                before.revealed_inputs,
                after.revealed_inputs,
                after.delete_before_replace,
            )
        if kind == "replace":
            item.notes, item.refused = replacement_notes(before, after)
        elif kind == "update":
            item.notes = update_gaps(after.type, paths)
        item.notes += _now_from_config_notes(before, after)
        changes.append(item)
    removed = [old_urns[u] for u in sorted(old_urns.keys() - new_urns.keys())]
    added = [new_urns[u] for u in sorted(new_urns.keys() - old_urns.keys())]
    for r in added:
        item = change("add", r, new_urns)
        renamed_from = next((g for g in removed if _same_but_name(g, r)), None)
        if renamed_from is not None:
            # The engine sees a create and a delete, the delete with the other deletes.
            item.notes = [f"renamed from {renamed_from.name}: a new URN is a new resource"]
        changes.append(item)
    for r in removed:
        item = change("remove", r, old_urns)
        item.notes, item.refused = removal_notes(r)
        changes.append(item)
    return changes


def refusals(changes: list[Change]) -> list[str]:
    """`error:` lines for in-place updates the provider would silently not apply."""
    return [
        refusal(
            c.resource.type, c.resource.name, path, management=c.group.startswith("MgmtCluster ")
        )
        for c in changes
        if c.kind == "update"
        for path in ignored_paths(c.resource.type, c.paths)
    ]


def edit_errors(changes: list[Change]) -> list[str]:
    """`error:` lines for an edit `up` would apply wrongly: a change the provider silently
    drops, a cluster removed with the routes whose DNS records only it can delete."""
    return refusals(changes) + stranded_records(changes)


def summary(changes: list[Change]) -> str:
    counts = {kind: sum(1 for c in changes if c.kind == kind) for kind in SYMBOL}
    delete_first = sum(1 for c in changes if c.delete_first)
    text = (
        f"{counts['add']} to add, {counts['update']} to update, "
        f"{counts['replace']} to replace, {counts['remove']} to remove"
    )
    if delete_first:
        text += f" ({delete_first} replaced by deleting first)"
    if counts["fail"]:
        text += f"; {counts['fail']} change(s) the provider would reject"
    refused = sum(1 for c in changes if c.refused)
    if refused:
        text += f"; {refused} protected resource(s) `pulumi up` refuses to delete or replace"
    return text


# Exit codes of `platform diff`; documented in --help and the README.
NO_CHANGE, CHANGES, INVALID, REFUSED = 0, 1, 2, 3


def exit_code(changes: list[Change], found: Findings | None = None) -> int:
    """3 when `pulumi up` would stop or fail (a protected delete or replacement, a change
    the provider rejects, a delete that cannot finish), 1 for any other change, 0 for
    none."""
    if any(c.refused or c.kind == "fail" for c in changes) or (
        found and (found.problems or found.over_quota)
    ):
        return REFUSED
    return CHANGES if changes else NO_CHANGE


def login_errors(
    old: StackFile, new: StackFile, old_run: PlanRun, new_run: PlanRun, changes: list[Change]
) -> list[str]:
    """`error:` lines for database-login edits `up` would apply wrongly: they need both
    stack files, not only the plans (platform_cli.rotations)."""
    replaced = {c.resource.urn for c in changes if c.kind == "replace"}
    return login_edit_errors(old, new, old_run, new_run, replaced)


def outcome(
    changes: list[Change], found: Findings | None = None, config_errors: Sequence[str] = ()
) -> int:
    """The exit code with refused edits counted: the highest that applies, so an edit the
    provider would silently drop or `up` would get wrong (2) never hides a change `up`
    refuses (3). A delete that cannot finish (``found.problems``: the cloud refuses it, or
    it hangs until its timeout) fails `up` as a rejected change does: 3, not 2, which is
    for edits `up` completes wrongly."""
    invalid = edit_errors(changes) or config_errors
    return max(exit_code(changes, found), INVALID if invalid else NO_CHANGE)


def refusal_lines(changes: list[Change], rejected_too: bool = True) -> list[str]:
    """Each resource `pulumi up` refuses to touch, by name; with ``rejected_too`` also
    each change the provider rejects."""
    refused = sorted(c.resource.name for c in changes if c.refused)
    rejected = sorted(c.resource.name for c in changes if c.kind == "fail" and rejected_too)
    lines = [f"refused (protected): {name}" for name in refused]
    return lines + [f"rejected by the provider: {name}" for name in rejected]


def left_behind_lines(changes: list[Change]) -> list[str]:
    """Each resource `up` would only forget, leaving the cloud object in place."""
    retained = sorted(
        c.resource.name
        for c in changes
        if c.kind in ("remove", "replace") and any(n.startswith("retainOnDelete") for n in c.notes)
    )
    return [f"left behind (retainOnDelete): {name}" for name in retained]


def attention_lines(changes: list[Change], rejected_too: bool = True) -> list[str]:
    """Each resource `pulumi up` refuses to touch, and each it would leave behind, by name;
    with ``rejected_too`` also each change the provider rejects."""
    return refusal_lines(changes, rejected_too) + left_behind_lines(changes)


def _grouped(changes: list[Change]) -> dict[str, dict[str, list[Change]]]:
    """Changes by cluster, the account-level ones first, then by component."""
    groups: dict[str, dict[str, list[Change]]] = defaultdict(lambda: defaultdict(list))
    for c in sorted(
        changes,
        key=lambda c: (c.cluster != GLOBAL, c.cluster, c.group, c.resource.type, c.resource.name),
    ):
        groups[c.cluster][c.group].append(c)
    return groups


def render_text(
    changes: list[Change], order: Order | None = None, found: Findings | None = None
) -> list[str]:
    """What `up` refuses or cannot finish, and where it stops, first; then the tree, the
    steps, the count."""
    lines = refusal_lines(changes)
    if order is not None and (order.stop is not None or order.failed):
        lines.append(order.summary())
    if found is not None:
        lines += [f"`up` cannot finish: {problem}" for problem in found.problems]
        lines += [
            f"`up` goes over a quota: {line.removeprefix('error: ')}" for line in found.over_quota
        ]
    for cluster, groups in _grouped(changes).items():
        lines.append(heading(cluster))
        for group, items in groups.items():
            lines.append(f"  {group}")
            lines += [f"    {c.line()}" for c in items]
    lines += left_behind_lines(changes)
    if order is not None:
        lines += render_order(order)
    lines.append(summary(changes))
    return lines


# Steps a pull-request comment lists before `up` stops; the rest stay in the details.
SHOWN_STEPS = 40


def _order_markdown(order: Order) -> list[str]:
    """Where `up` stops and what runs before, up front; every step in a fold."""
    lines: list[str] = []
    if order.stop is not None or order.failed:
        lines += ["> [!CAUTION]", f"> {order.summary()}"]
        lines += [f"> {n}. `{s.line()}`" for n, s in enumerate(order.ran[:SHOWN_STEPS], 1)]
        if len(order.ran) > SHOWN_STEPS:
            lines.append(f"> … and {len(order.ran) - SHOWN_STEPS} more (below)")
        lines.append("")
    lines += [
        f"<details><summary>order of `pulumi up`: {len(order.steps)} step(s)</summary>",
        "",
        "```text",
        *render_order(order),
        "```",
        "</details>",
        "",
    ]
    return lines


def render_markdown(
    changes: list[Change],
    title: str,
    order: Order | None = None,
    found: Findings | None = None,
    config_errors: Sequence[str] = (),
) -> str:
    lines = [f"### `platform diff`: {title}", "", f"**{summary(changes)}**", ""]
    if config_errors:
        lines += ["> [!CAUTION]", "> Refused: `pulumi up` would get these edits wrong:"]
        lines += [f"> - {line.removeprefix('error: ')}" for line in config_errors]
        lines.append("")
    refused = edit_errors(changes)
    if refused:
        lines += ["> [!CAUTION]", "> `pulumi up` would not do what this edit asks:"]
        lines += [f"> - {line.removeprefix('error: ')}" for line in refused]
        lines.append("")
    # Rejected changes have their own `!!` lines, and their own warning in a review.
    protected = refusal_lines(changes, rejected_too=False)
    if protected:
        lines += ["> [!CAUTION]", *[f"> - {line}" for line in protected], ""]
    if found is not None:
        lines += found.caution()
    if order is not None and order.steps:
        lines += _order_markdown(order)
    replaced = [c for c in changes if c.kind == "replace"]
    if replaced:
        lines += ["> [!WARNING]", f"> {len(replaced)} resource(s) would be replaced:"]
        lines += [
            f"> - `{c.resource.name}`{' (deleted first)' if c.delete_first else ''}: "
            f"{'; '.join(c.reasons)}"
            for c in replaced
        ]
        lines.append("")
    kept = left_behind_lines(changes)
    if kept:
        lines += ["> [!NOTE]", *[f"> - {line}" for line in kept], ""]
    for cluster, groups in _grouped(changes).items():
        lines += [f"<details><summary>{heading(cluster)}</summary>", "", "```diff"]
        for group, items in groups.items():
            lines.append(f"# {group}")
            lines += [c.line().replace("+-", "!") for c in items]
        lines += ["```", "</details>", ""]
    return "\n".join(lines)


def warnings_markdown(lines: list[str]) -> str:
    """Exposure warnings (platform_cli.exposure) as a block for the pull-request comment."""
    if not lines:
        return ""
    return "\n".join(["", "> [!WARNING]", *(f"> - {line}" for line in lines)])


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


def _plan_against(path: Path, stack: str, against: str) -> tuple[ValidConfig, PlanRun]:
    """The old side's config and plan; its problems name `--against`, so they cannot be
    mistaken for problems in the new file."""
    try:
        return read_valid(path, stack)[1], plan_stack_file(path, stack=stack)[1]
    except InvalidConfigError as err:
        lines = [line.replace("error: ", f"error: --against {against}: ", 1) for line in err.lines]
        raise InvalidConfigError(lines) from None


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
            old_valid, old_run = _plan_against(old, name, against)
            _, new_run, notes = plan_stack_file(new, stack=name)
            new_valid = read_valid(new, name)[1]
            old_file, new_file = read_stack_file(old), read_stack_file(new)
            providers = provider_config_changes(old_file, new_file, old_run, new_run)
            costs = cost_change(old, new, name)
        except InvalidConfigError as err:
            return err.report(stderr)
        changes = diff_runs(old_run, new_run)
        # Read while the old side's stack file still exists.
        exposure = edit_warnings((old, old_run), (new, new_run), name, changes)
    for note in notes:
        print(note, file=stderr)
    changes += providers
    order = engine_order(changes, old_run.registrations, new_run.registrations)
    peaks = over_quota_during_up(
        order, stack_plan(old_valid, old_run), stack_plan(new_valid, new_run)
    )
    found = findings(order, old_run.registrations, peaks)
    refused_edits = login_errors(old_file, new_file, old_run, new_run, changes)
    title = f"{new} against {against}"
    print(f"platform diff: {title}", file=stdout, flush=True)
    # A change the provider would silently drop, or `up` would get wrong, first: say how
    # to make it real instead.
    for line in [*edit_errors(changes), *refused_edits, *found.over_quota]:
        print(line, file=stderr, flush=True)
    for line in [*render_text(changes, order, found), *costs, *exposure]:
        print(line, file=stdout)
    target = markdown or PROJECT_DIR / "build" / f"diff-{new_run.stack}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        render_markdown(changes, title, order, found, refused_edits)
        + warnings_markdown(exposure)
        + "\n"
    )
    print(f"wrote {target}", file=stdout, flush=True)
    for deleted in found.data_deleted:
        print(f"warning: `up` deletes data: {deleted}", file=stderr)
    for delete in found.may_fail:
        print(f"warning: {delete}", file=stderr)
    return outcome(changes, found, refused_edits)
