"""Inputs whose value a real `up` decides, not the config: the plan marks them so the
review never calls a change to them "no change".

Two kinds:
- fed by a data source (`looked_up` rows of ``infra.providers.outputs``): Civo's default
  Kubernetes version, Cloudflare's IP ranges, a node's address, the AWS account. The
  mocks answer these with constants; a real `up` reads them live. An input is marked when
  it holds a value a lookup answered that the stack file does not itself state.
- kept from state by `ignoreChanges`: what the cloud runs (the autoscaler's pool size, the
  Kubernetes version Civo picked at creation), unknown offline.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

IGNORED = "kept from the state by ignoreChanges: what the cloud runs, unknown offline"


def lookup_name(token: str) -> str:
    """`civo:index/getKubernetesVersion:getKubernetesVersion` -> `civo getKubernetesVersion`."""
    return f"{token.split(':', 1)[0]} {token.rsplit(':', 1)[-1]}"


def select(value: Any, path: str) -> Iterator[Any]:
    """The values at ``path`` below ``value``: `a.b`, `[]` for every item of a list."""
    if not path:
        yield value
        return
    if path.startswith("[]"):
        for item in value if isinstance(value, list) else []:
            yield from select(item, path[2:].removeprefix("."))
        return
    key, _, rest = path.partition(".")
    listed = key.endswith("[]")
    key = key.removesuffix("[]")
    if isinstance(value, dict) and key in value:
        yield from select(value[key], f"[].{rest}" if listed else rest)


def leaves(value: Any) -> Iterator[str]:
    """Every scalar in a value, as text (booleans left out: they say nothing of origin)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        yield str(value)


def config_leaves(values: Mapping[str, str]) -> set[str]:
    """Every scalar a stack file states, objects and lists included."""
    found: set[str] = set()
    for text in values.values():
        with contextlib.suppress(json.JSONDecodeError):
            found.update(leaves(json.loads(text)))
        found.add(text)
    return found


def _paths(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(path without list indices, scalar text) for every scalar below ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for item in value:
            yield from _paths(item, prefix)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        yield prefix, str(value)


class LookedUp:
    """The values lookups answered in one run, each with the lookup it came from."""

    def __init__(self, answers: Iterable[tuple[str, Any]], stated: set[str]) -> None:
        self.origin: dict[str, str] = {}
        for token, answer in answers:
            for text in leaves(answer):
                if text not in stated and len(text) > 1:
                    self.origin.setdefault(text, token)
        # Inside longer text (an account id in an ARN or a policy), whole tokens only.
        long = sorted((t for t in self.origin if len(t) >= 6), key=len, reverse=True)
        self._inside = (
            re.compile("|".join(rf"(?<![\w.]){re.escape(t)}(?![\w.])" for t in long))
            if long
            else None
        )

    def origin_of(self, text: str) -> str | None:
        if text in self.origin:
            return self.origin[text]
        found = self._inside.search(text) if self._inside is not None else None
        return self.origin[found.group(0)] if found is not None else None

    def marks(self, inputs: Mapping[str, Any], ignore_changes: Iterable[str]) -> dict[str, str]:
        """input path -> what decides it at `up`."""
        decided: dict[str, str] = {}
        for path, text in _paths(inputs):
            origin = self.origin_of(text)
            if origin is not None:
                decided.setdefault(path, f"looked up by {lookup_name(origin)}")
        for path in ignore_changes:
            looked = decided.get(path)
            decided[path] = f"{looked} at creation, then {IGNORED}" if looked else IGNORED
        return dict(sorted(decided.items()))
