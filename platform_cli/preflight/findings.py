"""What preflight found: one line per thing it compared, and an exit code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TextIO

from infra.config import PlatformConfig
from infra.rules.plan_rules import StackPlan

Status = Literal["ok", "mismatch", "warning", "unchecked"]
LABELS: Mapping[Status, str] = {
    "ok": "ok",
    "mismatch": "MISMATCH",
    "warning": "warning",
    "unchecked": "unchecked",
}


@dataclass(frozen=True)
class Finding:
    status: Status
    cloud: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"  {LABELS[self.status]:<10}{self.cloud} {self.subject}: {self.detail}"


def compare(cloud: str, subject: str, stated: object, found: object) -> Finding:
    """The config's statement against the account's answer."""
    if stated == found:
        return Finding("ok", cloud, subject, f"{found!r}, as the config states")
    return Finding(
        "mismatch", cloud, subject, f"the config states {stated!r}, the account has {found!r}"
    )


@dataclass(frozen=True)
class Endpoints:
    """Where each API lives; tests point them at a local server."""

    cloudflare: str = "https://api.cloudflare.com/client/v4"
    civo: str = "https://api.civo.com"
    sts: str = "https://sts.amazonaws.com"
    iam: str = "https://iam.amazonaws.com"
    runner_address: str = "https://api.ipify.org"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Endpoints:
        """`PLATFORM_PREFLIGHT_<NAME>_URL` overrides one (a proxy, a test server)."""
        defaults = cls()
        return cls(
            **{
                name: environ.get(f"PLATFORM_PREFLIGHT_{name.upper()}_URL", getattr(defaults, name))
                for name in cls.__dataclass_fields__
            }
        )


@dataclass(frozen=True)
class Context:
    """What every check reads: the validated config, this stack's offline plan, where
    the APIs are, and the environment holding the stack's credentials."""

    config: PlatformConfig
    plan: StackPlan
    endpoints: Endpoints
    environ: Mapping[str, str]

    def planned_names(self, type_token: str, key: str = "name") -> set[str]:
        return {
            str(r.revealed_inputs.get(key))
            for r in self.plan.of_type(type_token)
            if r.revealed_inputs.get(key) is not None
        }


def report(stack: str, findings: Iterable[Finding], out: TextIO) -> int:
    """Print every finding; exit 1 on a mismatch, 3 when something could not be checked,
    else 0."""
    found = list(findings)
    print(f"preflight {stack}: read-only calls, nothing changed", file=out)
    for finding in found:
        print(finding, file=out)
    mismatches = [f for f in found if f.status == "mismatch"]
    unchecked = [f for f in found if f.status == "unchecked"]
    print(
        f"{len(mismatches)} mismatches, {len(unchecked)} unchecked, "
        f"{sum(f.status == 'ok' for f in found)} ok",
        file=out,
    )
    if mismatches:
        return 1
    return 3 if unchecked else 0
