"""What an edit does to exposure: `warning:` lines for `platform diff` and `platform review`.

An endpoint widens when a source that existed before the edit reaches it after and did
not before, when it stops asking for a credential, or when its credential is handed to
more clusters. An endpoint that only appears is in the diff as an addition; one the
whole internet reaches is named here too. Deleting a namespace deletes every object in
it, so each deletion is named as well.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from platform_cli.exposure.matrix import Endpoint, Matrix
from platform_cli.exposure.render import EVERYONE, cell
from platform_cli.exposure.sources import INTERNET

NAMESPACE = "kubernetes:core/v1:Namespace"


def widened(old: Matrix, new: Matrix) -> list[str]:
    """Sources that reach an endpoint after the edit and did not before (a source the
    edit creates, a new cluster's pods, is new everywhere, so it widens nothing), and
    credentials dropped or shared wider."""
    before = {(e.cluster, e.name): e for e in old.endpoints}
    existed = set(old.sources.names)
    lines = []
    for endpoint in new.endpoints:
        previous = before.get((endpoint.cluster, endpoint.name))
        if previous is None:
            if INTERNET in endpoint.reached_by:
                lines.append(_line(endpoint, f"a new endpoint, reached by {EVERYONE}"))
            continue
        added = (endpoint.reached_by - previous.reached_by) & existed
        if added and INTERNET not in previous.reached_by:
            who = EVERYONE if INTERNET in added else ", ".join(new.ordered(added))
            lines.append(_line(endpoint, f"now also reached by {who} (was: {cell(old, previous)})"))
        lines += [_line(endpoint, change) for change in _credential_changes(previous, endpoint)]
    return lines


def _line(endpoint: Endpoint, what: str) -> str:
    return f"warning: exposure widens: {endpoint.name}: {what}"


def _holders(endpoint: Endpoint) -> set[str]:
    return {h for h in endpoint.credential.split(", ") if h and not h.startswith("nobody")}


def _credential_changes(previous: Endpoint, endpoint: Endpoint) -> list[str]:
    if previous.credential and not endpoint.credential:
        return [f"no longer asks for a credential (was: held by {previous.credential})"]
    more = sorted(_holders(endpoint) - _holders(previous))
    if previous.credential and more:
        return [f"its credential is now also held by {', '.join(more)}"]
    return []


def deleted_namespaces(
    changes: Iterable[tuple[str, str, str, str]], synced: Collection[str]
) -> list[str]:
    """``changes``: (kind, type, namespace name, cluster) of each change in a diff;
    ``synced``: the namespaces Argo CD syncs apps into (the apps' own), whose objects
    the plan does not list."""
    return [
        f"warning: deletes namespace {name} on {cluster}: every object in it goes with it"
        + (", what Argo CD synced there included" if name in synced else "")
        for kind, typ, name, cluster in changes
        if typ == NAMESPACE and kind in ("remove", "replace")
    ]
