"""Reloader (stakater): restarts the workloads that use a database credential when it
changes, so a rotated password reaches pods that read it from environment variables.

Only Secrets labelled RESTARTS_WORKLOADS are watched (the ExternalSecrets of database
apps label theirs), and any Deployment, StatefulSet or DaemonSet that references one is
restarted: app charts need no annotation. Argo Rollouts are not (`isArgoRollouts` stays
off). The label selector narrows what Reloader watches, not what its ClusterRole may
read: every Secret in the cluster (chart 2.2.15 templates/clusterrole.yaml). The `annotations` strategy marks the pod template with an annotation
instead of injecting an environment variable, which Argo CD would see as drift and undo
(docs.stakater.com/reloader/1.4, "Use Reloader with Argo CD").
"""

from __future__ import annotations

from typing import Any

from infra.addons.base import AddonContext

NAMESPACE = "reloader"
RESTARTS_WORKLOADS = {"platform/restart-workloads": "true"}


def values() -> dict[str, Any]:
    label_selector = ",".join(f"{k}={v}" for k, v in RESTARTS_WORKLOADS.items())
    return {
        "reloader": {
            "autoReloadAll": True,
            "reloadStrategy": "annotations",
            "resourceLabelSelector": label_selector,
            "ignoreConfigMaps": True,
            "readOnlyRootFileSystem": True,
            "deployment": {
                # The chart's pod defaults already run as non-root with RuntimeDefault
                # seccomp; this completes Pod Security `restricted` for the container.
                "containerSecurityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "readOnlyRootFilesystem": True,
                },
            },
        }
    }


class Reloader:
    def __init__(self, ctx: AddonContext) -> None:
        self.release = ctx.release("reloader", ctx.namespace(NAMESPACE), values())
