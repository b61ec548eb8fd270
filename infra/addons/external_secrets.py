"""External Secrets Operator and the ClusterSecretStore that reads AWS Secrets Manager
with this cluster's own access key, for the namespaces of its database apps only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.addons.base import AddonContext

NAMESPACE = "external-secrets"
API_VERSION = "external-secrets.io/v1"
STORE_NAME = "aws-secrets-manager"
CREDENTIALS_SECRET = "aws-secrets-manager-credentials"


def values() -> dict[str, Any]:
    return {"installCRDs": True}


def store_conditions(namespaces: Sequence[str]) -> list[dict[str, Any]]:
    """Which namespaces may use the store. Without conditions ESO admits every
    namespace, so a cluster with no database apps names only the operator's own (where
    no ExternalSecret lives). Names, not regexes: ESO 2.9.0 matches `namespaceRegexes`
    unanchored (pkg/controllers/secretstore/client_manager.go, tag v2.9.0)."""
    return [{"namespaces": sorted(set(namespaces)) or [NAMESPACE]}]


class ExternalSecrets:
    def __init__(
        self,
        ctx: AddonContext,
        aws_region: str,
        access_key_id: pulumi.Input[str],
        secret_access_key: pulumi.Input[str],
        namespaces: Sequence[str] = (),
    ) -> None:
        namespace = ctx.namespace(NAMESPACE)
        credentials = ctx.secret(
            CREDENTIALS_SECRET,
            namespace,
            {"access-key-id": access_key_id, "secret-access-key": secret_access_key},
        )
        self.release = ctx.release("external-secrets", namespace, values())

        def ref(key: str) -> dict[str, str]:
            # The store is cluster-scoped, so each reference names its namespace.
            return {"name": CREDENTIALS_SECRET, "key": key, "namespace": NAMESPACE}

        self.store: k8s.apiextensions.CustomResource = ctx.custom_resource(
            "cluster-secret-store",
            API_VERSION,
            "ClusterSecretStore",
            STORE_NAME,
            spec={
                "conditions": store_conditions(namespaces),
                "provider": {
                    "aws": {
                        "service": "SecretsManager",
                        "region": aws_region,
                        "auth": {
                            "secretRef": {
                                "accessKeyIDSecretRef": ref("access-key-id"),
                                "secretAccessKeySecretRef": ref("secret-access-key"),
                            }
                        },
                    }
                },
            },
            depends_on=[self.release, credentials],
        )
