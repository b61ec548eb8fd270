"""Every use of the Pulumi SDK's private internals, confined to this file.

The offline runner drives the program the way the engine would, which needs a few things
the SDK does not export: resetting the runtime between runs in one process, waiting for a
program on the caller's event loop, reading the stack's exports, subclassing the mock
monitor, and the wire encoding of secrets and unknowns. Nothing else in the project may
import a private Pulumi module; ``tests/structure`` checks both that and that this file was
reviewed for the pinned SDK.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pulumi.runtime.rpc as _rpc
import pulumi.runtime.settings as _settings
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
