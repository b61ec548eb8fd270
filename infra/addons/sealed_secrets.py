"""sealed-secrets: lets teams commit encrypted Secrets to git. Installed as
`sealed-secrets-controller` in kube-system, the names kubeseal looks for by default."""

from __future__ import annotations

from typing import Any

from infra.addons.base import AddonContext, Namespace

NAMESPACE = "kube-system"


def values() -> dict[str, Any]:
    return {
        "fullnameOverride": "sealed-secrets-controller",
        # The chart's defaults (non-root user 1001, read-only root, all capabilities
        # dropped; values.yaml `containerSecurityContext`) plus what they leave out. The
        # block is rendered whole, minus `enabled` (helm-v2.18.5 templates/deployment.yaml).
        "containerSecurityContext": {
            "enabled": True,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 1001,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }


class SealedSecrets:
    def __init__(self, ctx: AddonContext) -> None:
        # kube-system always exists, so there is no Namespace to create.
        self.release = ctx.release("sealed-secrets", Namespace(NAMESPACE), values())
