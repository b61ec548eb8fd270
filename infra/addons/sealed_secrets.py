"""sealed-secrets: lets teams commit encrypted Secrets to git. Installed as
`sealed-secrets-controller` in kube-system, the names kubeseal looks for by default."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s

from infra.addons.base import AddonContext, Namespace

NAMESPACE = "kube-system"


def values() -> dict[str, Any]:
    return {"fullnameOverride": "sealed-secrets-controller"}


def install(ctx: AddonContext) -> k8s.helm.v3.Release:
    # kube-system always exists, so there is no Namespace to create.
    return ctx.release("sealed-secrets", Namespace(NAMESPACE), values())
