"""Every use of the Pulumi SDK's private internals, confined to this file.

The offline runner drives the program the way the engine would, which needs a few things
the SDK does not export: resetting the runtime between runs in one process, waiting for a
program on the caller's event loop, reading the stack's exports, subclassing the mock
monitor, and the wire encoding of secrets and unknowns. Nothing else in the project may
import a private Pulumi module; ``tests/structure`` checks both that and that this file was
reviewed for the pinned SDK.
"""

from __future__ import annotations

import collections.abc
import inspect
import re
import sys
import typing
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import cache
from types import FrameType, ModuleType
from typing import Any

import pulumi
import pulumi.runtime.rpc as _rpc
import pulumi.runtime.settings as _settings
from pulumi import _types
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

# The `pulumi` version whose internals this file was last read against. Bump it only
# after checking each name below still exists and means the same.
REVIEWED_FOR_PULUMI = "3.272.0"

# The wire encoding (pulumi/runtime/rpc.py): a map with this key is a special value; with
# SECRET_SIGNATURE it is a secret wrapping "value".
SIGNATURE_KEY: str = _rpc._special_sig_key
SECRET_SIGNATURE: str = _rpc._special_secret_sig
UNKNOWN: str = _rpc.UNKNOWN

__all__ = [
    "REVIEWED_FOR_PULUMI",
    "SECRET_SIGNATURE",
    "SIGNATURE_KEY",
    "UNKNOWN",
    "MockMonitor",
    "recorded_output_reads",
    "reset_runtime",
    "root_outputs",
    "run_to_completion",
]


def reset_runtime() -> None:
    """Forget the previous run: its root Stack resource, and the outputs and RPCs that
    belong to its closed event loop."""
    _settings.ROOT.set(None)
    _settings.SETTINGS.outputs.clear()
    _settings.SETTINGS.rpc_manager.clear()


def root_outputs() -> dict[str, Any]:
    """What the program exported with `pulumi.export`, as registered on the root Stack."""
    root = _settings.get_root_resource()
    outputs: dict[str, Any] = getattr(root, "outputs", {})
    return outputs


def run_to_completion(body: Callable[[], Awaitable[None]]) -> None:
    """Run a program body as the Python language host does, waiting for every resource."""
    _sync_await(run_pulumi_func(body))


# --- which provider outputs the program reads -------------------------------------------
#
# Generated SDKs read every output through `pulumi.get(self, "<python name>")`: resource
# properties, invoke results and the output types nested in both (`_types.getter`). The
# SDK itself also reads every field of an invoke result while building it; those reads
# come from the SDK's own modules, and are not the program's.

Read = tuple[str, str]  # (resource type or invoke token, wire path)
_PASSED_THROUGH = ("pulumi._types", "pulumi.output", "asyncio")


def _wire_names(cls: type) -> dict[str, str]:
    return {python: wire for python, wire, _ in _types._py_properties(cls)}


def _output_class(annotation: Any) -> tuple[type | None, bool]:
    """The output type an annotation names (through Output, Optional, Sequence, Mapping),
    and whether it is a list's items."""
    listed = False
    while (origin := typing.get_origin(annotation)) is not None:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if not args:
            break
        if origin in (list, collections.abc.Sequence):
            listed = True
        # A Mapping's values are its last argument; every other wrapper has one.
        annotation = args[-1]
    if isinstance(annotation, type) and _types.is_output_type(annotation):
        return annotation, listed
    return None, listed


@cache
def _nested(cls: type) -> dict[type, set[str]]:
    """Output types below ``cls``, each with the wire paths that lead to it."""
    module: ModuleType = sys.modules[cls.__module__]
    found: dict[type, set[str]] = {}
    for _python, wire, prop in _types._py_properties(cls):
        try:
            hints = typing.get_type_hints(prop.fget, globalns=vars(module))
        except (NameError, TypeError):
            continue
        inner, listed = _output_class(hints.get("return"))
        if inner is None or inner is cls:
            continue
        prefix = f"{wire}[]" if listed else wire
        found.setdefault(inner, set()).add(prefix)
        for deeper, paths in _nested(inner).items():
            found.setdefault(deeper, set()).update(f"{prefix}.{p}" for p in paths)
    return found


@cache
def _invoke_token(module_name: str) -> str | None:
    """The token an invoke module (`pulumi_civo.get_kubernetes_version`) calls; None for
    the modules of nested output types."""
    if not module_name.rsplit(".", 1)[-1].startswith("get_"):
        return None
    source = inspect.getsource(sys.modules[module_name])
    match = re.search(r"pulumi\.runtime\.invoke(?:_output)?\(\s*'([^']+)'", source)
    return match.group(1) if match else None


def _callers_module(frame: FrameType | None, name: str) -> str:
    """The module that asked for a property: past the getter and Pulumi's own plumbing."""
    if frame is not None and frame.f_code.co_name == name:
        frame = frame.f_back
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_PASSED_THROUGH):
        frame = frame.f_back
    return frame.f_globals.get("__name__", "") if frame is not None else ""


@contextmanager
def recorded_output_reads() -> Iterator[set[Read]]:
    """Every (type or invoke token, wire path) the program reads while the block runs."""
    reads: set[Read] = set()
    owners: dict[type, set[Read]] = {}
    plain_get = _types.get

    def own(cls: type, token: str, prefix: str) -> None:
        for inner, paths in _nested(cls).items():
            owners.setdefault(inner, set()).update(
                (token, f"{prefix}.{p}" if prefix else p) for p in paths
            )

    def get(self: Any, name: str) -> Any:
        cls = type(self)
        if isinstance(self, pulumi.Resource):
            reads.add((self._type, _wire_names(cls).get(name, name)))
            own(cls, self._type, "")
        elif _types.is_output_type(cls):
            package = cls.__module__.split(".")[0]
            caller = _callers_module(sys._getframe(1), name)
            if caller.split(".")[0] != package:
                wire = _wire_names(cls).get(name, name)
                invoke = _invoke_token(cls.__module__)
                if invoke is not None:  # an invoke's result: `pulumi_x.get_y.GetYResult`
                    reads.add((invoke, wire))
                    own(cls, invoke, "")
                reads.update((t, f"{p}.{wire}") for t, p in owners.get(cls, ()))
        return plain_get(self, name)

    pulumi.get = get
    try:
        yield reads
    finally:
        pulumi.get = plain_get
