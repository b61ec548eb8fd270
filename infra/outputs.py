"""Small typed helpers around ``pulumi.Output`` that mypy --strict can follow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

import pulumi

T = TypeVar("T")

# `Output.secret` is generic over a Union mypy cannot solve; this names the case we use.
secret: Callable[[pulumi.Input[str]], pulumi.Output[str]] = cast(
    "Callable[[pulumi.Input[str]], pulumi.Output[str]]", pulumi.Output.secret
)


class KnownLater(Generic[T]):
    """An Output whose value comes from resources the program creates afterwards
    (``pulumi.deferred_output``). Use it as a context manager around the code that
    creates them: if the block ends unresolved, because the program failed first, the
    Output fails too, so what waits on it fails instead of the whole run hanging."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.output: pulumi.Output[T]
        self._resolve: Callable[[pulumi.Output[T]], None]
        self.output, self._resolve = pulumi.deferred_output()
        self._resolved = False

    def resolve(self, value: pulumi.Output[T]) -> None:
        self._resolved = True
        self._resolve(value)

    def __enter__(self) -> KnownLater[T]:
        return self

    def __exit__(self, _type: object, error: BaseException | None, _tb: object) -> None:
        if not self._resolved:
            # Pulumi reports this failure, not the program's own: carry the cause.
            cause = f": {type(error).__name__}: {error}" if error else ""
            message = f"{self.what} never became known; the program stopped first{cause}"
            self.resolve(pulumi.Output.from_input(message).apply(_fail))


def _fail(message: str) -> Any:
    raise RuntimeError(message)
