"""JSON documents in AWS Secrets Manager, under `platform/<env>/...`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from infra import naming
from infra.outputs import secret


def json_secret(
    resource_name: str,
    path: str,
    document: Mapping[str, pulumi.Input[Any]],
    *,
    environment: str,
    opts: pulumi.ResourceOptions,
) -> aws.secretsmanager.Secret:
    """A Secrets Manager secret holding ``document`` as JSON; the value is a Pulumi secret.

    Production keeps deleted secrets recoverable for 30 days; other environments delete
    at once, so a name can be reused while iterating.
    """
    production = naming.is_production(environment)
    store = aws.secretsmanager.Secret(
        resource_name,
        name=path,
        recovery_window_in_days=30 if production else 0,
        tags={"environment": environment, "managed-by": "pulumi"},
        opts=opts,
    )
    aws.secretsmanager.SecretVersion(
        f"{resource_name}-value",
        secret_id=store.id,
        secret_string=secret(
            pulumi.Output.from_input(dict(document)).apply(lambda d: json.dumps(d, sort_keys=True))
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[store])),
    )
    return store
