"""The matrix's rows and the matrix itself."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from platform_cli.exposure.sources import Sources


@dataclass(frozen=True)
class Endpoint:
    name: str
    cluster: str
    reached_by: frozenset[str]
    # Who holds the credential the endpoint also asks for, if any.
    credential: str = ""
    note: str = ""
    # For a route: the namespace of the Service it serves.
    namespace: str = ""
    # An app's Service: its pods also take what the traffic controller forwards.
    via_routes: bool = False


@dataclass
class Matrix:
    stack: str
    sources: Sources
    endpoints: list[Endpoint] = field(default_factory=list)

    def row(self, name: str) -> Endpoint:
        for endpoint in self.endpoints:
            if endpoint.name == name:
                return endpoint
        raise KeyError(f"no endpoint {name!r}; there are {[e.name for e in self.endpoints]}")

    def ordered(self, found: Iterable[str]) -> list[str]:
        chosen = set(found)
        return [s for s in self.sources.names if s in chosen]
