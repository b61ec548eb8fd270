"""The one place preflight talks to the network: GET for JSON, POST for a form, with
the standard library only. Every call is a read; nothing here sends PUT, PATCH or
DELETE."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

TIMEOUT_SECONDS = 20


class ApiError(Exception):
    """An API call that failed: the URL (without its query) and what came back."""


def _open(request: urllib.request.Request) -> bytes:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as err:
        detail = err.read().decode(errors="replace")[:300]
        raise ApiError(f"{request.full_url.split('?')[0]}: HTTP {err.code}: {detail}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise ApiError(f"{request.full_url.split('?')[0]}: {err}") from None


def get_json(url: str, headers: dict[str, str]) -> Any:
    body = _open(urllib.request.Request(url, headers=headers, method="GET"))
    try:
        return json.loads(body)
    except json.JSONDecodeError as err:
        raise ApiError(f"{url.split('?', maxsplit=1)[0]}: not JSON: {err}") from None


def post_form(url: str, body: bytes, headers: dict[str, str]) -> str:
    """A read-only query API call (AWS's are POSTed forms)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    return _open(request).decode()
