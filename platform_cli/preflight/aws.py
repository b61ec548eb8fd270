"""The AWS caller and what its policies allow: STS GetCallerIdentity says who the
credentials are, and IAM SimulatePrincipalPolicy whether that principal may make every
call the program's AWS resources make (``DEPLOYER_ACTIONS``) on the names the program
uses. Both are reads; the caller needs `iam:SimulatePrincipalPolicy` on itself.

API: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html,
https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html;
query API, form POSTs signed with SigV4 (``platform_cli.preflight.sigv4``)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
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
# terraform-provider-aws internal/service/iam/user.go, access_key.go, user_policy.go and
# internal/service/secretsmanager/secret.go, secret_version.go (the README's
# credentials table lists the same, and a test holds them equal).
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
DEPLOYER_ACTIONS = IAM_ACTIONS + SECRETS_ACTIONS


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


def principal(caller_arn: str) -> str:
    """What SimulatePrincipalPolicy accepts for a caller: an assumed role's session ARN
    becomes its role's (without the role's path, which the session ARN does not carry)."""
    assumed = re.match(r"^arn:aws:sts::(\d+):assumed-role/([^/]+)/", caller_arn)
    return f"arn:aws:iam::{assumed[1]}:role/{assumed[2]}" if assumed else caller_arn


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
        user = f"arn:aws:iam::{account}:user/platform/{naming.secret_reader_user(env, naming.MGMT_CLUSTER)}"
        secret = naming.secret_arn_pattern(region, account, naming.secret_path(env, "x")).replace(
            "??????", "AbCdEf"
        )
        yield from _simulate(ctx, principal(arn), IAM_ACTIONS, user)
        yield from _simulate(ctx, principal(arn), SECRETS_ACTIONS, secret)
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
