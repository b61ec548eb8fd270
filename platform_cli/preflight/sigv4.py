"""AWS Signature Version 4 for the two read-only calls preflight makes (STS
GetCallerIdentity, IAM SimulatePrincipalPolicy): a form POST, signed by hand so no AWS
SDK is needed. The steps are AWS's own, in order
(https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html); the
test checks them against AWS's published example."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit


@dataclass(frozen=True)
class AwsCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical_query(query: str) -> str:
    pairs = [part.partition("=") for part in query.split("&") if part]
    encoded = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, _, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def signed_headers(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    *,
    credentials: AwsCredentials,
    region: str,
    service: str,
    now: datetime,
) -> dict[str, str]:
    """``headers`` plus `Host`, `X-Amz-Date`, the session token if any, and
    `Authorization`."""
    parts = urlsplit(url)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    day = stamp[:8]
    all_headers = {**headers, "Host": parts.netloc, "X-Amz-Date": stamp}
    if credentials.session_token:
        all_headers["X-Amz-Security-Token"] = credentials.session_token
    canonical = {k.lower(): " ".join(v.split()) for k, v in all_headers.items()}
    names = ";".join(sorted(canonical))
    request = "\n".join(
        [
            method,
            quote(parts.path or "/", safe="/-_.~"),
            _canonical_query(parts.query),
            "".join(f"{k}:{canonical[k]}\n" for k in sorted(canonical)),
            names,
            _sha256(body),
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, _sha256(request.encode())])
    key = _hmac(f"AWS4{credentials.secret_access_key}".encode(), day)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    all_headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={names}, Signature={signature}"
    )
    return all_headers
