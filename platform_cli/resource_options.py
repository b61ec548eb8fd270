"""What a resource's options make `pulumi up` do with a change, beyond its inputs.

The engine's rules, from pulumi/pulumi pkg/resource/deploy/step_generator.go and step.go
(the SDK's pulumi/resource.py documents each option):

- ``ignoreChanges``: the listed paths are reset to their old values before the provider
  diffs, so they neither update nor replace (``processIgnoreChanges``).
- ``replaceOnChanges``: a change under a listed path (``"*"``: any path) replaces
  (``applyReplaceOnChanges``).
- ``replacementTrigger``: a changed value replaces; adding or removing the trigger does
  not (``shouldTriggerReplace``: "Nulls mean there is no replacement trigger").
- ``deleteBeforeReplace``: the old resource goes before the new one exists.
- ``protect``: deleting, or replacing while old and new are both protected, is an error
  ("cannot be deleted because it is protected").
- ``retainOnDelete``: deleting, or the delete half of a replace, leaves the cloud object
  behind and only forgets it.
"""

from __future__ import annotations

from collections.abc import Iterator

from platform_cli.runner import Registration

OPTION_PREFIX = "options."


def _under(path: str, prefixes: list[str]) -> bool:
    return any(p in ("*", path) or path.startswith((f"{p}.", f"{p}[")) for p in prefixes)


def ignored(resource: Registration, path: str) -> bool:
    """Whether the engine ignores a change to input ``path`` (the new ``ignoreChanges``)."""
    return _under(path, resource.ignore_changes)


def option_paths(old: Registration, new: Registration) -> Iterator[str]:
    """The options that differ, as ``options.<name>`` paths."""
    pairs = {
        "protect": (old.protect, new.protect),
        "retainOnDelete": (old.retain_on_delete, new.retain_on_delete),
        "deleteBeforeReplace": (old.delete_before_replace, new.delete_before_replace),
        "ignoreChanges": (sorted(old.ignore_changes), sorted(new.ignore_changes)),
        "replaceOnChanges": (old.replace_on_changes, new.replace_on_changes),
        "replacementTrigger": (old.revealed_trigger, new.revealed_trigger),
    }
    for name, (before, after) in pairs.items():
        if before != after:
            yield OPTION_PREFIX + name


def trigger_replaces(old: Registration, new: Registration) -> bool:
    """A replacement trigger whose value changed (not one added or removed)."""
    before, after = old.revealed_trigger, new.revealed_trigger
    return before is not None and after is not None and before != after


def option_forces(old: Registration, new: Registration, path: str) -> bool:
    """Whether a change at ``path`` replaces because of the resource's own options."""
    if path == OPTION_PREFIX + "replacementTrigger":
        return trigger_replaces(old, new)
    return not path.startswith(OPTION_PREFIX) and _under(path, new.replace_on_changes)


def option_reason(old: Registration, new: Registration, path: str) -> str:
    if path == OPTION_PREFIX + "replacementTrigger":
        return (
            f"its replacementTrigger changed ({old.replacement_trigger!r} -> "
            f"{new.replacement_trigger!r})"
        )
    return f"{path} is in its replaceOnChanges"


def replacement_notes(old: Registration, new: Registration) -> tuple[list[str], bool]:
    """Notes on a replacement and whether `pulumi up` refuses it."""
    notes = []
    refused = old.protect and new.protect
    if refused:
        notes.append("protected: `pulumi up` refuses to replace it")
    if new.delete_before_replace:
        notes.append("deleteBeforeReplace: the old one is deleted before the new one exists")
    if old.retain_on_delete:
        notes.append("retainOnDelete: the old one is left behind in the cloud")
    return notes, refused


def removal_notes(old: Registration) -> tuple[list[str], bool]:
    """Notes on a removal and whether `pulumi up` refuses it."""
    notes = []
    if old.protect:
        notes.append("protected: `pulumi up` refuses to delete it")
    if old.retain_on_delete:
        notes.append("retainOnDelete: left behind in the cloud")
    return notes, old.protect
