"""Runs ``stacks/__main__.py`` under Pulumi's mock runtime and records what it registers."""

from __future__ import annotations

import asyncio
import json
import os
import runpy
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format

from infra.stackconfig import StackFile
from platform_cli.lookups import LookedUp, config_leaves
from platform_cli.mocks import PlanMocks
from platform_cli.pulumi_internals import (
    SECRET_SIGNATURE,
    SIGNATURE_KEY,
    UNKNOWN,
    MockMonitor,
    Read,
    recorded_output_reads,
    reset_runtime,
    root_outputs,
    run_to_completion,
)

PROJECT = "platform"
PROJECT_DIR = Path(__file__).resolve().parents[1]
PROGRAM = PROJECT_DIR / "stacks" / "__main__.py"
SECRET = "[secret]"


def redact(value: Any) -> Any:
    """Wire-format property values with every secret replaced by ``"[secret]"``."""
    if isinstance(value, dict):
        if value.get(SIGNATURE_KEY) == SECRET_SIGNATURE:
            return SECRET
        if SIGNATURE_KEY in value:
            # Resource and output references: keep the referenced value, not the envelope.
            inner = value.get("value", value.get("urn"))
            return SECRET if value.get("secret") else redact(inner)
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if value == UNKNOWN:
        return "[unknown]"
    return value


def reveal(value: Any) -> Any:
    """Wire-format values with secret envelopes opened: for schema checks, never written."""
    if isinstance(value, dict):
        if SIGNATURE_KEY in value:
            return reveal(value.get("value", value.get("urn")))
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    retain_on_delete: bool
    ignore_changes: list[str]
    inputs: dict[str, Any]
    # Inputs with secrets opened, kept in memory only so tests can validate object shapes.
    revealed_inputs: dict[str, Any] = field(default_factory=dict, repr=False)
    # The options that decide what `pulumi up` does with a change, beyond the inputs:
    # None for deleteBeforeReplace means "as the provider says".
    replace_on_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool | None = None
    replacement_trigger: Any = None
    revealed_trigger: Any = field(default=None, repr=False)
    # What the (mock) provider answered, redacted as the engine would store it in state.
    outputs: dict[str, Any] = field(default_factory=dict, repr=False)
    # Input paths whose value a real `up` decides (platform_cli.lookups), and by what.
    decided_at_up: dict[str, str] = field(default_factory=dict)
    # The `deletedWith` option: a delete of this resource makes no provider call when
    # that resource is deleted in the same run, and it is replaced when that one is.
    deleted_with: str | None = None

    def as_json(self) -> dict[str, Any]:
        marked: dict[str, Any] = {"decidedAtUp": self.decided_at_up} if self.decided_at_up else {}
        if self.deleted_with:
            marked["deletedWith"] = self.deleted_with
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "provider": self.provider,
            "dependencies": self.dependencies,
            "propertyDependencies": self.property_dependencies,
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "ignoreChanges": self.ignore_changes,
            "replaceOnChanges": self.replace_on_changes,
            "deleteBeforeReplace": self.delete_before_replace,
            "replacementTrigger": self.replacement_trigger,
            "inputs": self.inputs,
            **marked,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Registration:
        """A registration read back from resources.json, where secrets are redacted, so
        its revealed inputs are the redacted ones. Keys that older code did not write
        take their defaults; components are the project's own `platform:` types."""
        return cls(
            urn=data["urn"],
            type=data["type"],
            name=data["name"],
            custom=data.get("custom", not data["type"].startswith("platform:index:")),
            parent=data["parent"],
            provider=data["provider"],
            dependencies=data["dependencies"],
            property_dependencies=data["propertyDependencies"],
            protect=data["protect"],
            retain_on_delete=data["retainOnDelete"],
            ignore_changes=data["ignoreChanges"],
            inputs=data["inputs"],
            revealed_inputs=data["inputs"],
            replace_on_changes=data.get("replaceOnChanges", []),
            delete_before_replace=data.get("deleteBeforeReplace"),
            replacement_trigger=data.get("replacementTrigger"),
            revealed_trigger=data.get("replacementTrigger"),
            decided_at_up=data.get("decidedAtUp", {}),
            deleted_with=data.get("deletedWith"),
        )


class DuplicateUrnError(Exception):
    pass


class RecordingMonitor(MockMonitor):
    """The mock monitor, plus what the engine would see: parents, dependencies, options."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self._urns: set[str] = set()
        self.component_outputs: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            return response
        if response.urn in self._urns:
            # The engine refuses a program that registers one URN twice; so does the plan.
            raise DuplicateUrnError(f"duplicate resource URN {response.urn}")
        self._urns.add(response.urn)
        # The engine, not the SDK, turns `additionalSecretOutputs` into secrets; do the same.
        for key in request.additionalSecretOutputs:
            if key in response.object.fields:
                plain = json_format.MessageToDict(response.object.fields[key])
                response.object.fields[key].struct_value.Clear()
                response.object.fields[key].struct_value.update(
                    {SIGNATURE_KEY: SECRET_SIGNATURE, "value": plain}
                )
        trigger = (
            json_format.MessageToDict(request.replacement_trigger)
            if request.HasField("replacement_trigger")
            else None
        )
        self.registrations.append(
            Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent or None,
                provider=request.provider or None,
                dependencies=sorted(set(request.dependencies)),
                property_dependencies={
                    key: sorted(set(deps.urns))
                    for key, deps in sorted(request.propertyDependencies.items())
                    if deps.urns
                },
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                ignore_changes=list(request.ignoreChanges),
                inputs=redact(json_format.MessageToDict(request.object)),
                revealed_inputs=reveal(json_format.MessageToDict(request.object)),
                replace_on_changes=sorted(request.replaceOnChanges),
                delete_before_replace=(
                    bool(request.deleteBeforeReplace)
                    if request.deleteBeforeReplaceDefined
                    else None
                ),
                replacement_trigger=redact(trigger),
                revealed_trigger=reveal(trigger),
                outputs=redact(json_format.MessageToDict(response.object)),
                deleted_with=request.deletedWith or None,
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
        self.component_outputs[request.urn] = redact(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


@dataclass
class PlanRun:
    stack: str
    registrations: list[Registration]
    stack_outputs: dict[str, Any]
    component_outputs: dict[str, dict[str, Any]]
    warnings: list[str]
    # Every provider output the program read: (type or invoke token, wire path).
    reads: set[Read] = field(default_factory=set)
    # What each data-source lookup answered: (invoke token, answer), in call order.
    lookups: list[tuple[str, Any]] = field(default_factory=list)


async def _resolve_exports() -> dict[str, Any]:
    exported: dict[str, Any] = {}
    for key, value in sorted(root_outputs().items()):
        output = pulumi.Output.from_input(value)
        exported[key] = SECRET if await output.is_secret() else await output.future()
    return exported


@contextmanager
def _language_host_config(stack_file: StackFile) -> Iterator[None]:
    """Hand the program its config the way Pulumi's language host does: as JSON in the
    environment, for the length of one run."""
    names = ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["PULUMI_CONFIG"] = json.dumps(dict(stack_file.values))
    os.environ["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(stack_file.secret_keys))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_program(stack_file: StackFile, program: Path = PROGRAM) -> PlanRun:
    """Run the program once, offline. Each call starts from a fresh runtime and event loop."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_all_config(dict(stack_file.values), list(stack_file.secret_keys))
    reset_runtime()
    mocks = PlanMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=stack_file.stack, preview=False, monitor=monitor
    )
    exports: dict[str, Any] = {}

    async def body() -> None:
        runpy.run_path(str(program), run_name="__main__")
        exports.update(await _resolve_exports())

    try:
        with (
            _language_host_config(stack_file),
            warnings.catch_warnings(record=True) as caught,
            recorded_output_reads() as reads,
        ):
            warnings.simplefilter("always")
            run_to_completion(body)
    finally:
        loop.close()
    looked_up = LookedUp(mocks.looked_up, config_leaves(stack_file.values))
    for registration in monitor.registrations:
        registration.decided_at_up = looked_up.marks(
            registration.revealed_inputs, registration.ignore_changes
        )
    return PlanRun(
        stack=stack_file.stack,
        registrations=monitor.registrations,
        stack_outputs=exports,
        component_outputs=monitor.component_outputs,
        warnings=sorted({str(w.message) for w in caught}),
        reads=reads,
        lookups=list(mocks.looked_up),
    )
