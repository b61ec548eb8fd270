"""What an edit does to exposure: `warning:` lines for `platform diff` and `platform review`.

An endpoint widens when a source that existed before the edit reaches it after and did
not before (an endpoint that only appears is not compared: it is in the diff as an
addition). Deleting
a namespace deletes every object in it, whatever Argo CD synced there too, so each
deletion is named as well.
"""

from __future__ import annotations

from collections.abc import Iterable

from platform_cli.exposure.matrix import Matrix
from platform_cli.exposure.render import EVERYONE, cell
from platform_cli.exposure.sources import INTERNET

NAMESPACE = "kubernetes:core/v1:Namespace"


def widened(old: Matrix, new: Matrix) -> list[str]:
    """Sources that reach an endpoint after the edit and did not before; a source the
    edit creates (a new cluster's pods) is new everywhere, so it widens nothing."""
    before = {(e.cluster, e.name): e for e in old.endpoints}
    existed = set(old.sources.names)
    lines = []
    for endpoint in new.endpoints:
        previous = before.get((endpoint.cluster, endpoint.name))
        if previous is None or INTERNET in previous.reached_by:
            continue
        added = (endpoint.reached_by - previous.reached_by) & existed
        if added:
            who = EVERYONE if INTERNET in added else ", ".join(new.ordered(added))
            lines.append(
                f"warning: exposure widens: {endpoint.name}: now also reached by {who} "
                f"(was: {cell(old, previous)})"
            )
    return lines


def deleted_namespaces(changes: Iterable[tuple[str, str, str, str]]) -> list[str]:
    """``changes``: (kind, type, namespace name, cluster) of each change in a diff."""
    return [
        f"warning: deletes namespace {name} on {cluster}: every object in it goes with it, "
        "what Argo CD synced there included"
        for kind, typ, name, cluster in changes
        if typ == NAMESPACE and kind in ("remove", "replace")
    ]
