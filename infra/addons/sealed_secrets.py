"""sealed-secrets: lets teams commit encrypted Secrets to git. Installed as
`sealed-secrets-controller` in kube-system, the names kubeseal looks for by default.

The sealing keys are the stack's, not the controller's: each is a `kubernetes.io/tls`
Secret in kube-system labelled `sealedsecrets.bitnami.com/sealed-secrets-key: active`,
created before the controller, which at start-up registers every Secret so labelled and
generates a key of its own only when it finds none (bitnami-labs/sealed-secrets v0.36.6
pkg/controller/main.go `initKeyRegistry` L69-97, `initKeyRenewal` L145-172). A rebuilt
cluster therefore gets the same keys and decrypts every SealedSecret the old one could.
Automatic renewal is off (chart 2.18.5 `keyrenewperiod: "0"`, main.go L160: a key the
controller made itself would be lost with the cluster); keys are rotated in config
(`platform:sealedSecrets.keys`). The controller seals with the key whose certificate is
newest (`--key-order-priority` CertNotBefore by default, main.go L115-125): the key added
last. It reads keys only at start-up: `--watch-for-secrets` (off in chart 2.18.5) would
register added key Secrets, but never an updated one (pkg/controller/controller.go
`watchKeySecrets` has an AddFunc only). So a digest of every key's name and certificate
rides on a pod annotation: a key added, removed, or whose certificate changed under the
same name (renewed, or replaced in the state) changes the pod template and Helm's upgrade
rolls the controller, which then loads the Secrets as they are. A key removed is the
exception: its Secret is deleted at the end of the `up`, after the roll, so the rotation
runbook restarts the controllers once more.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.addons.base import AddonContext, Namespace

NAMESPACE = "kube-system"
# pkg/controller/keys.go L21 SealedSecretsKeyLabel; main.go L33 selects "active".
KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key"
# The chart's `secretName`, the controller's --key-prefix (its own keys' names start so).
KEY_PREFIX = "sealed-secrets-key"
KEYS_ANNOTATION = "platform/sealing-keys-sha256"


@dataclass(frozen=True)
class SealingKey:
    """One of the environment's sealing keys: an RSA key and its certificate, in PEM."""

    name: str
    private_key_pem: pulumi.Output[str]
    certificate_pem: pulumi.Output[str]


def key_secret_name(key: str) -> str:
    return f"{KEY_PREFIX}-{key}"


def keys_digest(certificates: Sequence[tuple[str, str]]) -> str:
    """SHA-256 of each key's name and certificate, in order (public: no private key)."""
    digest = hashlib.sha256()
    for name, certificate in certificates:
        digest.update(f"{name}\n{certificate}\n".encode())
    return digest.hexdigest()


def values(keys: Sequence[SealingKey]) -> dict[str, Any]:
    certificates = pulumi.Output.all(*(k.certificate_pem for k in keys)).apply(
        lambda pems: keys_digest(list(zip([k.name for k in keys], pems, strict=True)))
    )
    return {
        "fullnameOverride": "sealed-secrets-controller",
        "keyrenewperiod": "0",
        "podAnnotations": {KEYS_ANNOTATION: certificates},
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
    def __init__(self, ctx: AddonContext, keys: Sequence[SealingKey] = ()) -> None:
        # kube-system always exists, so there is no Namespace to create.
        installed = [
            k8s.core.v1.Secret(
                ctx.name("sealing-key", key.name),
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=key_secret_name(key.name),
                    namespace=NAMESPACE,
                    labels={KEY_LABEL: "active"},
                ),
                type="kubernetes.io/tls",
                string_data={"tls.key": key.private_key_pem, "tls.crt": key.certificate_pem},
                opts=ctx.opts(additional_secret_outputs=["data", "stringData"]),
            )
            for key in keys
        ]
        self.release = ctx.release(
            "sealed-secrets",
            Namespace(NAMESPACE),
            values(keys),
            depends_on=installed,
        )
