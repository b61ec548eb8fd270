"""Read-only helpers over a plan, so tests say what they check and not how to find it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from platform_cli.runner import PlanRun, Registration


class PlanView:
    def __init__(self, run: PlanRun) -> None:
        self.run = run
        self.resources = run.registrations
        self.by_urn = {r.urn: r for r in run.registrations}

    @property
    def stack(self) -> str:
        return self.run.stack

    def of_type(self, suffix: str) -> list[Registration]:
        """Resources whose type ends with ``suffix``, e.g. ``:Release`` or ``v1:Secret``."""
        return [r for r in self.resources if r.type.endswith(suffix)]

    def one(self, suffix: str, name: str) -> Registration:
        found = [r for r in self.of_type(suffix) if r.name == name]
        assert len(found) == 1, f"expected one {suffix} named {name}, found {len(found)}"
        return found[0]

    def components(self, type_token: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_token]

    def below(self, component: Registration) -> Iterator[Registration]:
        """Every resource whose parent chain reaches ``component``."""
        for r in self.resources:
            parent = r.parent
            while parent is not None:
                if parent == component.urn:
                    yield r
                    break
                parent = self.by_urn[parent].parent if parent in self.by_urn else None

    def kubernetes_objects(self) -> list[Registration]:
        return [
            r
            for r in self.resources
            if r.type.startswith("kubernetes:")
            and r.custom
            and not r.type.startswith("kubernetes:helm.sh/")
        ]

    def inputs_text(self) -> str:
        return json.dumps([r.inputs for r in self.resources], sort_keys=True)

    def releases(self) -> dict[str, dict[str, Any]]:
        """Helm release inputs by resource name."""
        return {r.name: r.inputs for r in self.of_type("helm.sh/v3:Release")}


def registration(
    type_token: str, name: str, inputs: dict[str, Any], **options: Any
) -> Registration:
    """One made-up resource with no parent or provider; ``options`` set its other fields
    (protect, ignore_changes, revealed_trigger, ...)."""
    return Registration(
        urn=f"urn:pulumi:s::p::{type_token}::{name}",
        type=type_token,
        name=name,
        custom=True,
        parent=None,
        provider=None,
        dependencies=options.pop("dependencies", []),
        property_dependencies=options.pop("property_dependencies", {}),
        protect=options.pop("protect", False),
        retain_on_delete=options.pop("retain_on_delete", False),
        ignore_changes=options.pop("ignore_changes", []),
        inputs=inputs,
        revealed_inputs=inputs,
        **options,
    )
