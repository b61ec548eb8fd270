"""What a rule is: a plain function of one resource's type, inputs and options, so the
same code runs in the CrossGuard pack (`policy/`), in `platform plan` and in the tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Props = Mapping[str, Any]
Check = Callable[[str, Props, bool], Iterator[str]]
WEB_PORTS = {"80", "443"}


@dataclass(frozen=True)
class Guardrail:
    name: str
    description: str
    enforcement: Literal["mandatory", "advisory"]
    check: Check
