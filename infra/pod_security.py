"""Pod Security Standards labels, shared by the namespaces the platform creates and the
rule that checks them."""

from __future__ import annotations

from typing import Literal

PodSecurityLevel = Literal["restricted", "baseline", "privileged"]
PREFIX = "pod-security.kubernetes.io"
ENFORCE = f"{PREFIX}/enforce"
# Why a namespace is below `restricted`, kept on the namespace itself.
EXCEPTION = "platform/pod-security-exception"


def labels(level: PodSecurityLevel) -> dict[str, str]:
    """Enforce ``level``; audit and warn at `restricted` everywhere, so what an exception
    allows still shows up in the audit log and in kubectl's warnings."""
    return {ENFORCE: level, f"{PREFIX}/audit": "restricted", f"{PREFIX}/warn": "restricted"}
