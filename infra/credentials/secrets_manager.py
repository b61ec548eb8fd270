"""JSON documents in AWS Secrets Manager, under `platform/<env>/...`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra import naming
from infra.outputs import secret


@dataclass(frozen=True)
class JsonSecret:
    secret: aws.secretsmanager.Secret
    # The value's version id: a new one each time the value changes (PutSecretValue).
    version_id: pulumi.Output[str]


def json_secret(
    resource_name: str,
    path: str,
    document: Mapping[str, pulumi.Input[Any]],
    *,
    environment: str,
    opts: pulumi.ResourceOptions,
    value_after: Sequence[pulumi.Resource] = (),
    readers: Sequence[str] = (),
) -> JsonSecret:
    """A Secrets Manager secret holding ``document`` as JSON; the value is a Pulumi secret.
    ``readers`` are the clusters whose identities may read it (a tag each; changing them
    updates the tags in place).

    ``opts`` apply to the secret only. Its value is a ``SecretVersion`` without protect or
    retainOnDelete: ``secret_string`` forces replacement (hashicorp/terraform-provider-aws
    internal/service/secretsmanager/secret_version.go, ``ForceNew``), so a protected
    version would turn every credential or endpoint change into a failed `up`; replacing
    one only moves the AWSCURRENT label, never deletes the secret.

    Deletion has no recovery window: every value here is rebuilt by the next `up`, and a
    window would block the name for up to 30 days, so re-adding an app would fail on
    "already scheduled for deletion" (secret.go, ``recovery_window_in_days``). Protect
    the secret (``opts``) to stop a surprise delete instead.

    ``value_after`` holds the value back until those resources exist: a credential is
    published only once the database accepts it.
    """
    store = aws.secretsmanager.Secret(
        resource_name,
        name=path,
        recovery_window_in_days=0,
        tags=naming.secret_tags(environment, readers),
        opts=opts,
    )
    version = aws.secretsmanager.SecretVersion(
        f"{resource_name}-value",
        secret_id=store.id,
        secret_string=secret(
            pulumi.Output.from_input(dict(document)).apply(lambda d: json.dumps(d, sort_keys=True))
        ),
        opts=pulumi.ResourceOptions(parent=opts.parent, depends_on=[store, *value_after]),
    )
    return JsonSecret(store, version.version_id)
