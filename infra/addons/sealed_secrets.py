"""sealed-secrets: lets teams commit encrypted Secrets to git. Installed as
`sealed-secrets-controller` in kube-system, the names kubeseal looks for by default."""

from __future__ import annotations

from typing import Any

from infra.addons.base import AddonContext, Namespace

NAMESPACE = "kube-system"


def values() -> dict[str, Any]:
    return {"fullnameOverride": "sealed-secrets-controller"}


class SealedSecrets:
    def __init__(self, ctx: AddonContext) -> None:
        # kube-system always exists, so there is no Namespace to create.
        self.release = ctx.release("sealed-secrets", Namespace(NAMESPACE), values())
