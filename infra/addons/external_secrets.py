"""External Secrets Operator and the ClusterSecretStore that reads AWS Secrets Manager
with this cluster's own access key."""

from __future__ import annotations

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


class ExternalSecrets:
    def __init__(
        self,
        ctx: AddonContext,
        aws_region: str,
        access_key_id: pulumi.Input[str],
        secret_access_key: pulumi.Input[str],
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
                }
            },
            depends_on=[self.release, credentials],
        )
