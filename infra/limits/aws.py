"""AWS limits the platform's names and policies must stay within.

IAM: a user name is at most 64 characters (CreateUser ``UserName``), and a user's inline
policies together at most 2,048 characters, whitespace not counted (PutUserPolicy fails
with ``LimitExceeded``). Secrets Manager: at most 50 tags on one secret.
"""

from __future__ import annotations

IAM_QUOTAS_SOURCE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
IAM_USER_NAME_MAX = 64
IAM_USER_INLINE_POLICY_MAX = 2048
SECRET_TAGS_SOURCE = (
    "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_TagResource.html"
)
SECRET_TAGS_MAX = 50


def policy_size(document: str) -> int:
    """The characters IAM counts against a policy size quota: all but whitespace."""
    return sum(1 for c in document if not c.isspace())
