"""Small typed helpers around ``pulumi.Output`` that mypy --strict can follow."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import pulumi

# `Output.secret` is generic over a Union mypy cannot solve; this names the case we use.
secret: Callable[[pulumi.Input[str]], pulumi.Output[str]] = cast(
    "Callable[[pulumi.Input[str]], pulumi.Output[str]]", pulumi.Output.secret
)
