"""Per-cluster credentials: an AWS identity that reads only the secrets of the apps placed
on its cluster, and a Cloudflare token that edits DNS in this zone only."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_cloudflare as cloudflare

from infra import naming
from infra.outputs import secret

SECRET_READ_ACTIONS = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
# Cloudflare permission groups, looked up by name: write records, read the zone to find it.
DNS_PERMISSION_GROUPS = ("DNS Write", "Zone Read")
ZONE_SCOPE = "com.cloudflare.api.account.zone"


def secret_read_policy(region: str, account_id: str, environment: str, cluster: str) -> str:
    """Read the environment's secrets that carry this cluster's reader tag (the secrets
    of the database apps placed on it), never any database's admin credentials. One
    size for any number of apps, so it stays within IAM's 2,048 characters, and
    placing an app changes its secret's tags, not this policy."""
    tag = f"secretsmanager:ResourceTag/{naming.secret_reader_tag(cluster)}"
    statements: list[dict[str, object]] = [
        {
            "Sid": "ReadSecretsTaggedForThisCluster",
            "Effect": "Allow",
            "Action": SECRET_READ_ACTIONS,
            "Resource": naming.environment_secrets_arn(region, account_id, environment),
            "Condition": {"StringEquals": {tag: naming.SECRET_READER_TAG_VALUE}},
        },
        {
            "Sid": "NeverAdminSecrets",
            "Effect": "Deny",
            "Action": "secretsmanager:*",
            "Resource": naming.secret_arn_pattern(
                region, account_id, naming.admin_secret_path(environment, "*")
            ),
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)


@dataclass(frozen=True)
class AwsAccessKey:
    access_key_id: pulumi.Output[str]
    secret_access_key: pulumi.Output[str]


def aws_secret_reader(
    cluster: str,
    environment: str,
    region: str,
    rotation: str,
    *,
    parent: pulumi.Resource,
) -> AwsAccessKey:
    """An IAM user of the cluster's own, allowed to read the secrets tagged for it.

    Changing ``rotation`` replaces the access key (the new key is created first).
    """
    child = pulumi.ResourceOptions(parent=parent)
    user = aws.iam.User(
        f"{cluster}-secret-reader",
        name=naming.secret_reader_user(environment, cluster),
        path="/platform/",
        tags={"environment": environment, "cluster": cluster, "managed-by": "pulumi"},
        opts=child,
    )
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    aws.iam.UserPolicy(
        f"{cluster}-secret-reader",
        user=user.name,
        policy=account.account_id.apply(
            lambda account_id: secret_read_policy(region, account_id, environment, cluster)
        ),
        opts=child,
    )
    key = aws.iam.AccessKey(
        f"{cluster}-secret-reader",
        user=user.name,
        opts=pulumi.ResourceOptions(parent=parent, replacement_trigger=rotation),
    )
    return AwsAccessKey(access_key_id=key.id, secret_access_key=secret(key.secret))


def cloudflare_dns_token(
    cluster: str, environment: str, zone_id: str, parent: pulumi.Resource
) -> pulumi.Output[str]:
    """A token that can edit DNS records in one zone, for cert-manager and external-dns."""
    # The whole list, matched here: the provider URL-encodes a `name` filter itself
    # (cloudflare-go user/tokenpermissiongroup.go `URLQuery`, requestconfig.go
    # `Encode()`), so the pre-encoded name its docs show arrives encoded twice and
    # matches nothing. Names repeat across scopes, so the scope is matched too.
    catalogue = cloudflare.get_api_token_permission_groups_list_output(
        opts=pulumi.InvokeOutputOptions(parent=parent)
    ).results
    groups = [catalogue.apply(_single_group(name, ZONE_SCOPE)) for name in DNS_PERMISSION_GROUPS]
    token = cloudflare.ApiToken(
        f"{cluster}-dns-token",
        name=naming.dns_token(environment, cluster),
        policies=[
            cloudflare.ApiTokenPolicyArgs(
                effect="allow",
                permission_groups=[
                    cloudflare.ApiTokenPolicyPermissionGroupArgs(id=g) for g in groups
                ],
                resources=json.dumps({f"com.cloudflare.api.account.zone.{zone_id}": "*"}),
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return secret(token.value)


PermissionGroup = cloudflare.outputs.GetApiTokenPermissionGroupsListResultResult


def _single_group(name: str, scope: str) -> Callable[[list[PermissionGroup] | None], str]:
    def pick(found: list[PermissionGroup] | None) -> str:
        ids = sorted(
            {g.id for g in found or [] if g.name == name and scope in (g.scopes or []) and g.id}
        )
        if len(ids) != 1:
            problem = "no" if not ids else f"{len(ids)}"
            raise RuntimeError(
                f"Cloudflare has {problem} API token permission groups named {name!r} "
                f"with scope {scope!r}; expected exactly one"
            )
        return ids[0]

    return pick
