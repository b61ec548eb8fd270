"""The AWS caller and what its policies allow: STS GetCallerIdentity says who the
credentials are, and IAM SimulatePrincipalPolicy whether that principal may make every
call the program's AWS resources make (``DEPLOYER_ACTIONS``) on the names the program
uses. Both are reads; the caller needs `iam:SimulatePrincipalPolicy` on itself.

API: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html,
https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html;
query API, form POSTs signed with SigV4 (``platform_cli.preflight.sigv4``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.etree import ElementTree

from infra import naming
from platform_cli.preflight.findings import Context, Finding
from platform_cli.preflight.http import ApiError, post_form
from platform_cli.preflight.sigv4 import AwsCredentials, signed_headers

CLOUD = "aws"
# Global endpoints sign for us-east-1.
SIGNING_REGION = "us-east-1"
# The calls each AWS resource of the program makes, read from hashicorp/
# terraform-provider-aws internal/service/iam/user.go, access_key.go, user_policy.go,
# internal/service/secretsmanager/secret.go, secret_version.go and internal/service/s3/
# bucket.go, bucket_lifecycle_configuration.go, bucket_public_access_block.go (the README's
# credentials table lists the same, and a test holds them equal both ways).
IAM_ACTIONS = (
    "iam:CreateUser",
    "iam:GetUser",
    "iam:UpdateUser",
    "iam:DeleteUser",
    "iam:TagUser",
    "iam:UntagUser",
    "iam:ListGroupsForUser",
    "iam:CreateAccessKey",
    "iam:ListAccessKeys",
    "iam:UpdateAccessKey",
    "iam:DeleteAccessKey",
    "iam:PutUserPolicy",
    "iam:GetUserPolicy",
    "iam:DeleteUserPolicy",
)
SECRETS_ACTIONS = (
    "secretsmanager:CreateSecret",
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetResourcePolicy",
    "secretsmanager:PutSecretValue",
    "secretsmanager:GetSecretValue",
    "secretsmanager:UpdateSecretVersionStage",
    "secretsmanager:ListSecretVersionIds",
    "secretsmanager:DeleteSecret",
    "secretsmanager:TagResource",
    "secretsmanager:UntagResource",
    "secretsmanager:UpdateSecret",
)
# The README grants `s3:Get*` for the bucket's Read; the simulator takes action names, so
# it is asked for the reads of what the program sets: tags, public access block, lifecycle.
BUCKET_ACTIONS = (
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:ListBucket",
    "s3:GetBucketTagging",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetLifecycleConfiguration",
    "s3:PutBucketTagging",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutLifecycleConfiguration",
)
# Restoring reads the dumps.
BUCKET_OBJECT_ACTIONS = ("s3:GetObject",)


@dataclass(frozen=True)
class Calls:
    """Calls the deployer makes on one ARN, for the resource types in the plan that make
    them: simulated only when the stack's plan has one of those types."""

    types: tuple[str, ...]
    actions: tuple[str, ...]
    # The ARN from the environment, the AWS region and the caller's account.
    arn: Callable[[str, str, str], str]


def _user_arn(env: str, _region: str, account: str) -> str:
    user = naming.secret_reader_user(env, naming.MGMT_CLUSTER)
    return f"arn:aws:iam::{account}:user/platform/{user}"


def _secret_arn(env: str, region: str, account: str) -> str:
    pattern = naming.secret_arn_pattern(region, account, naming.secret_path(env, "x"))
    return pattern.replace("??????", "AbCdEf")


def _bucket_arn(env: str, _region: str, account: str) -> str:
    return f"arn:aws:s3:::{naming.backup_bucket(env, account)}"


_BUCKET_TYPES = (
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
)
CALLS = (
    Calls(
        ("aws:iam/user:User", "aws:iam/accessKey:AccessKey", "aws:iam/userPolicy:UserPolicy"),
        IAM_ACTIONS,
        _user_arn,
    ),
    Calls(
        ("aws:secretsmanager/secret:Secret", "aws:secretsmanager/secretVersion:SecretVersion"),
        SECRETS_ACTIONS,
        _secret_arn,
    ),
    Calls(_BUCKET_TYPES, BUCKET_ACTIONS, _bucket_arn),
    Calls(
        _BUCKET_TYPES,
        BUCKET_OBJECT_ACTIONS,
        lambda env, region, account: f"{_bucket_arn(env, region, account)}/*",
    ),
)
DEPLOYER_ACTIONS = tuple(action for calls in CALLS for action in calls.actions)


def _credentials(ctx: Context) -> AwsCredentials | None:
    key, secret = ctx.environ.get("AWS_ACCESS_KEY_ID"), ctx.environ.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        return None
    return AwsCredentials(key, secret, ctx.environ.get("AWS_SESSION_TOKEN") or None)


def _call(ctx: Context, url: str, service: str, params: dict[str, str]) -> ElementTree.Element:
    credentials = _credentials(ctx)
    assert credentials is not None
    body = urlencode(params).encode()
    headers = signed_headers(
        "POST",
        f"{url}/",
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        body,
        credentials=credentials,
        region=SIGNING_REGION,
        service=service,
        now=datetime.now(UTC),
    )
    return ElementTree.fromstring(post_form(f"{url}/", body, headers))


def _text(root: ElementTree.Element, name: str) -> str:
    """The first element named ``name``, whatever its namespace."""
    found = next((e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == name), None)
    return (found.text or "") if found is not None else ""


def principal(caller_arn: str, known_role: str | None = None) -> str:
    """What SimulatePrincipalPolicy accepts for a caller: an assumed role's session ARN
    becomes its role's. The session ARN drops the role's path, so the role the config
    names (`platform:delivery.awsRoleArn`), when it is this one, is used as it is."""
    assumed = re.match(r"^arn:(aws[a-z-]*):sts::(\d+):assumed-role/([^/]+)/", caller_arn)
    if not assumed:
        return caller_arn
    partition, account, name = assumed.groups()
    if known_role and known_role.split(":")[4] == account and known_role.endswith(f"/{name}"):
        return known_role
    return f"arn:{partition}:iam::{account}:role/{name}"


def check(ctx: Context) -> Iterator[Finding]:
    if _credentials(ctx) is None:
        yield Finding(
            "unchecked",
            CLOUD,
            "caller",
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set where preflight runs",
        )
        return
    try:
        identity = _call(
            ctx, ctx.endpoints.sts, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
        )
        arn, account = _text(identity, "Arn"), _text(identity, "Account")
        yield Finding("ok", CLOUD, "caller", f"{arn} in account {account}")
        env, region = ctx.config.environment, ctx.config.aws_region
        delivery = ctx.config.delivery
        source = principal(arn, getattr(delivery, "aws_role_arn", None))
        planned = {r.type for r in ctx.plan.resources}
        for calls in CALLS:
            if planned & set(calls.types):
                resource = calls.arn(env, region, account)
                yield from _simulate(ctx, source, calls.actions, resource)
    except (ApiError, ElementTree.ParseError) as err:
        yield Finding("unchecked", CLOUD, "caller", f"the API call failed: {err}")


def _simulate(
    ctx: Context, source: str, actions: Sequence[str], resource: str
) -> Iterator[Finding]:
    params = {
        "Action": "SimulatePrincipalPolicy",
        "Version": "2010-05-08",
        "PolicySourceArn": source,
        "ResourceArns.member.1": resource,
        **{f"ActionNames.member.{i}": action for i, action in enumerate(actions, start=1)},
    }
    result = _call(ctx, ctx.endpoints.iam, "iam", params)
    decisions = {
        _text(member, "EvalActionName"): _text(member, "EvalDecision")
        for member in result.iter()
        if member.tag.rsplit("}", 1)[-1] == "member" and _text(member, "EvalActionName")
    }
    refused = [a for a in actions if decisions.get(a) != "allowed"]
    if refused:
        yield Finding(
            "mismatch",
            CLOUD,
            f"deployer policy on {resource}",
            "not allowed: "
            + ", ".join(f"{a} ({decisions.get(a, 'not evaluated')})" for a in refused),
        )
    else:
        yield Finding(
            "ok", CLOUD, f"deployer policy on {resource}", f"all {len(actions)} calls allowed"
        )
