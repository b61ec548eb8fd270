"""`platform preflight` against a local server answering as the APIs document: an account
that matches dev's config passes, one that does not lists each mismatch, preflight only
reads, and `platform plan` never calls it."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from platform_cli import main, preflight
from platform_cli.preflight.sigv4 import AwsCredentials, signed_headers
from platform_cli.runner import PROJECT_DIR
from tests.conftest import stack_document
from tests.plan_cache import planned_stacks  # noqa: F401 (a fixture)
from tests.preflight.server import Account, listed, response, serving

ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
ZONE_ID = "fedcba9876543210fedcba9876543210"
CF = "/client/v4"
# What dev plans in Cloudflare: one pool per public app and cluster, one monitor and one
# load balancer per public app.
DEV_PUBLIC = {"hello-world": 2, "blog": 2, "weather": 1, "dashboard": 2}
DEV_POOLS = [
    f"dev-{app}-{cluster}"
    for app, clusters in (
        ("hello-world", ["frankfurt", "london"]),
        ("blog", ["frankfurt", "london"]),
        ("weather", ["london"]),
        ("dashboard", ["frankfurt", "london"]),
    )
    for cluster in clusters
]
CREDENTIALS = {
    "CLOUDFLARE_API_TOKEN": "cf-token",
    "CIVO_TOKEN": "civo-key",
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
}


def matching_account() -> Account:
    """Accounts as dev's config describes them: a Free zone with Load Balancing, room in
    every quota, a database still to be created, a deployer allowed every call, and a
    runner inside adminCidrs."""
    zone = response("cloudflare-zone.json")
    return Account(
        json={
            f"{CF}/zones/{ZONE_ID}": zone,
            f"{CF}/accounts/{ACCOUNT_ID}/subscriptions": response("cloudflare-subscriptions.json"),
            f"{CF}/accounts/{ACCOUNT_ID}/load_balancers/pools": listed(
                "cloudflare-pool.json", [*DEV_POOLS, "other-1", "other-2", "other-3"]
            ),
            f"{CF}/accounts/{ACCOUNT_ID}/load_balancers/monitors": listed(
                "cloudflare-monitor.json",
                [f"dev {app}" for app in DEV_PUBLIC] + ["someone else's"],
                key="description",
            ),
            f"{CF}/zones/{ZONE_ID}/load_balancers": listed(
                "cloudflare-load-balancer.json", [f"{app}.example.net" for app in DEV_PUBLIC]
            ),
            "/v2/quota": response("civo-quota.json"),
            "/v2/databases": {"page": 1, "per_page": 20, "pages": 1, "items": []},
            "/v2/databases/versions": response("civo-database-versions.json"),
            "/v2/sizes": response("civo-sizes.json"),
            "/": response("ipify.json"),
        }
    )


def mismatching_account() -> Account:
    """The same accounts, but not as the config says: a Pro zone, no Load Balancing
    subscription, 15 other pools, a live database of another size, a smaller database
    quota, a deployer without iam:PutUserPolicy, and a runner outside adminCidrs."""
    account = matching_account()
    zone = copy.deepcopy(account.json[f"{CF}/zones/{ZONE_ID}"])
    zone["result"]["plan"].update({"legacy_id": "pro", "name": "Pro Website"})
    account.json[f"{CF}/zones/{ZONE_ID}"] = zone
    account.json[f"{CF}/accounts/{ACCOUNT_ID}/subscriptions"] = {
        **response("cloudflare-subscriptions.json"),
        "result": [],
    }
    account.json[f"{CF}/accounts/{ACCOUNT_ID}/load_balancers/pools"] = listed(
        "cloudflare-pool.json", [*DEV_POOLS, *(f"other-{i}" for i in range(15))]
    )
    live = {
        **response("civo-database.json"),
        "name": "dev-shared",
        "size": "g3.db.medium",
        "software_version": "14",
    }
    account.json["/v2/databases"] = {"page": 1, "per_page": 20, "pages": 1, "items": [live]}
    account.json["/v2/quota"] = {**response("civo-quota.json"), "database_count_limit": 2}
    account.json["/"] = {"ip": "198.51.100.7"}
    account.denied_actions = {"iam:PutUserPolicy"}
    return account


def dev_stating_a_database_quota(tmp_path: Path) -> Path:
    document = copy.deepcopy(stack_document("dev"))
    document["config"]["platform:civoAccount"] = {"quota": {"databases": 4}}
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def endpoints(url: str) -> preflight.Endpoints:
    return preflight.Endpoints(
        cloudflare=f"{url}{CF}", civo=url, sts=url, iam=url, runner_address=url
    )


Run = Callable[..., tuple[int, list[str]]]


@pytest.fixture
def run_preflight(planned_stacks: None) -> Run:  # noqa: F811 (the fixture)
    def run(
        account: Account, path: Path | None = None, environ: dict[str, str] | None = None
    ) -> tuple[int, list[str]]:
        out, err = io.StringIO(), io.StringIO()
        with serving(account) as url:
            code = preflight.command(
                path or PROJECT_DIR / "Pulumi.dev.yaml",
                endpoints(url),
                CREDENTIALS if environ is None else environ,
                out,
                err,
            )
        return code, out.getvalue().splitlines()

    return run


def test_an_account_that_matches_the_config_passes(run_preflight: Run) -> None:
    account = matching_account()
    code, lines = run_preflight(account)
    assert code == 0, "\n".join(lines)
    assert lines[0] == "preflight dev: read-only calls, nothing changed"
    assert not [line for line in lines[1:-1] if not line.startswith("  ok ")], lines
    assert (
        "  ok        cloudflare zone plan (platform:cloudflare.plan): 'free', as the config states"
        in lines
    )
    assert (
        "  ok        cloudflare pools: 3 in the account besides this stack's, and this stack's 7: "
        "10 of 20"
    ) in lines
    assert (
        "  ok        civo database dev-shared version (to be created): '17' asked for; "
        "Civo offers ['17']"
    ) in lines
    assert (
        "  ok        aws caller: arn:aws:iam::123456789012:user/platform-deployer in account 123456789012"
        in lines
    )
    assert "  ok        runner address: 203.0.113.10 is in adminCidrs (203.0.113.0/24)" in lines
    # Read-only: GETs, and the two AWS reads; each cloud's credential went with its calls.
    assert {(method, what) for method, what, _ in account.requests if method == "POST"} == {
        ("POST", "GetCallerIdentity"),
        ("POST", "SimulatePrincipalPolicy"),
    }
    assert {method for method, _, _ in account.requests} == {"GET", "POST"}
    auth = {what: header for _, what, header in account.requests}
    assert auth[f"{CF}/zones/{ZONE_ID}"] == "Bearer cf-token"
    assert auth["/v2/quota"] == "bearer civo-key"
    assert auth["GetCallerIdentity"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")


def test_an_account_that_does_not_match_lists_every_mismatch(
    run_preflight: Run, tmp_path: Path
) -> None:
    code, lines = run_preflight(mismatching_account(), dev_stating_a_database_quota(tmp_path))
    assert code == 1
    mismatches = [line for line in lines if line.startswith("  MISMATCH")]
    assert mismatches == [
        "  MISMATCH  cloudflare zone plan (platform:cloudflare.plan): the config states 'free', "
        "the account has 'pro'",
        "  MISMATCH  cloudflare Load Balancing add-on (platform:cloudflare.addOns.loadBalancing"
        ".enabled): the config states True, the account has False",
        "  MISMATCH  cloudflare pools: 15 in the account besides this stack's, and this stack's 7: "
        "22 of 20, over platform:cloudflare.addOns.loadBalancing.pools "
        "(https://developers.cloudflare.com/load-balancing/reference/limitations/)",
        "  MISMATCH  cloudflare endpoints: 15 in the account besides this stack's, and this "
        "stack's 7: 22 of 20, over platform:cloudflare.addOns.loadBalancing.endpoints "
        "(https://developers.cloudflare.com/load-balancing/reference/limitations/)",
        "  MISMATCH  civo quota: databases (platform:civoAccount.quota.databases): the config "
        "states 4, the account has 2",
        "  MISMATCH  civo database dev-shared size: the config states 'g3.db.small', the account "
        "has 'g3.db.medium'",
        "  MISMATCH  aws deployer policy on arn:aws:iam::123456789012:user/platform/"
        "platform-dev-mgmt-secret-reader: not allowed: iam:PutUserPolicy (implicitDeny)",
        "  MISMATCH  runner address: 198.51.100.7 is in none of platform:adminCidrs "
        "['203.0.113.0/24']: `pulumi up` from here cannot reach the Kubernetes APIs or the "
        "database",
    ]
    # A live database's version is reported, never held against it (data.md §7).
    assert (
        "  ok        civo database dev-shared: exists, running PostgreSQL 14: its version is not "
        "re-checked"
    ) in lines


def test_without_credentials_nothing_is_passed_as_checked(run_preflight: Run) -> None:
    code, lines = run_preflight(matching_account(), environ={})
    assert code == 3
    assert [line for line in lines if line.startswith("  unchecked")] == [
        "  unchecked cloudflare account: CLOUDFLARE_API_TOKEN is not set where preflight runs",
        "  unchecked civo account: CIVO_TOKEN is not set where preflight runs",
        "  unchecked aws caller: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set where "
        "preflight runs",
    ]


def test_the_command_reads_its_endpoints_and_credentials_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    planned_stacks: None,  # noqa: F811 (the fixture)
) -> None:
    with serving(matching_account()) as url:
        for name, value in {
            **CREDENTIALS,
            "PLATFORM_PREFLIGHT_CLOUDFLARE_URL": f"{url}{CF}",
            "PLATFORM_PREFLIGHT_CIVO_URL": url,
            "PLATFORM_PREFLIGHT_STS_URL": url,
            "PLATFORM_PREFLIGHT_IAM_URL": url,
            "PLATFORM_PREFLIGHT_RUNNER_ADDRESS_URL": url,
        }.items():
            monkeypatch.setenv(name, value)
        assert main(["preflight", "--stack", "dev"]) == 0
    assert "0 mismatches, 0 unchecked" in capsys.readouterr().out


def test_sigv4_signs_as_aws_documents() -> None:
    """AWS's worked example (IAM ListUsers, 2015-08-30T12:36:00Z, the documented example
    key): the signature it publishes."""
    headers = signed_headers(
        "GET",
        "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        b"",
        credentials=AwsCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region="us-east-1",
        service="iam",
        now=datetime(2015, 8, 30, 12, 36, tzinfo=UTC),
    )
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    )


def test_platform_plan_never_calls_preflight(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_network(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("platform plan opened a URL")

    monkeypatch.setattr("urllib.request.urlopen", no_network)
    assert main(["plan", "--stack", "dev", "--out", str(tmp_path)]) == 0


def test_readme_lists_the_calls_preflight_simulates() -> None:
    """The deployer's permissions in the README are the calls preflight checks."""
    readme = (PROJECT_DIR / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| AWS |"))
    for action in preflight.aws.DEPLOYER_ACTIONS:
        _, name = action.split(":")
        assert f"`{action}`" in row or f"`{name}`" in row, action


def test_a_call_the_token_may_not_make_leaves_only_its_check_unchecked(
    run_preflight: Run,
) -> None:
    """Listing subscriptions needs Billing Read, which a deploy token may lack."""
    account = matching_account()
    del account.json[f"{CF}/accounts/{ACCOUNT_ID}/subscriptions"]
    code, lines = run_preflight(account)
    assert code == 3
    unchecked = [line for line in lines if line.startswith("  unchecked")]
    assert len(unchecked) == 1 and unchecked[0].startswith("  unchecked cloudflare add-ons: ")
    assert any(line.startswith("  ok        cloudflare pools: ") for line in lines)
