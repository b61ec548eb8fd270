"""`platform preflight` against a local server answering as the APIs document: an account
that matches dev's config passes, one that does not lists each mismatch, preflight only
reads, and `platform plan` never calls it."""

from __future__ import annotations

import copy
import fnmatch
import io
import re
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


def account_zones(zones: list[dict[str, Any]], pages: int = 1) -> dict[str, Any]:
    """Cloudflare "List Zones" (`GET /zones?account.id=...`): the zones, with the
    `result_info` paging the API documents."""
    return {
        "errors": [],
        "messages": [],
        "success": True,
        "result": zones,
        "result_info": {
            "count": len(zones),
            "page": 1,
            "per_page": 50,
            "total_count": len(zones),
            "total_pages": pages,
        },
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
            f"{CF}/zones": account_zones([zone["result"]]),
            f"{CF}/zones/{ZONE_ID}/load_balancers": listed(
                "cloudflare-load-balancer.json", [f"{app}.example.net" for app in DEV_PUBLIC]
            ),
            # Cores and RAM for dev's six g4s.kube.medium nodes (12 cores, 24576 MB).
            "/v2/quota": {
                **response("civo-quota.json"),
                "cpu_core_limit": 32,
                "ram_mb_limit": 65536,
            },
            "/v2/kubernetes/clusters": {"page": 1, "per_page": 20, "pages": 1, "items": []},
            "/v2/databases": {"page": 1, "per_page": 20, "pages": 1, "items": []},
            "/v2/databases/versions": response("civo-database-versions.json"),
            "/v2/sizes": response("civo-sizes.json"),
            "/": response("ipify.json"),
        }
    )


def mismatching_account() -> Account:
    """The same accounts, but not as the config says: a Pro zone, no subscription at all
    (a warning: see test_add_ons_the_api_cannot_show_are_warnings_not_mismatches), 15
    other pools, a live database of another size, a smaller database
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
    account.json["/v2/quota"] = {**account.json["/v2/quota"], "database_count_limit": 2}
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
    # The add-ons the API cannot show are warnings (see the test below); the rest is ok.
    assert not [
        line for line in lines[1:-1] if not line.startswith("  ok ") and "add-on" not in line
    ], lines
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


def readme_deployer_actions() -> set[str]:
    """The deployer's permissions the README's credentials table lists, each with its
    service prefix (a bare name continues the list of the prefixed one before it)."""
    readme = (PROJECT_DIR / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| AWS |"))
    found, service = set(), ""
    for word in re.findall(r"`([A-Za-z0-9:*]+)`", row.split(" | ")[2]):
        if ":" in word:
            service, _, name = word.partition(":")
        else:
            name = word
        if service and name and service != "sts":
            found.add(f"{service}:{name}")
    return found


def test_readme_lists_the_calls_preflight_simulates_and_no_other() -> None:
    """Both ways: each call preflight simulates is in the README's deployer list, and each
    the README lists is simulated (a wildcard, by a call it covers)."""
    listed = readme_deployer_actions()
    simulated = set(preflight.aws.DEPLOYER_ACTIONS)
    assert not {a for a in simulated if not any(fnmatch.fnmatch(a, w) for w in listed)}
    assert not {w for w in listed if not any(fnmatch.fnmatch(a, w) for a in simulated)}


def test_the_backup_bucket_calls_are_simulated_where_the_plan_has_one(run_preflight: Run) -> None:
    """review-23 §2: prod keeps database backups in S3; a deployer without S3 rights
    must not pass."""
    account = matching_account()
    account.denied_actions = {"s3:CreateBucket", "s3:GetObject"}
    code, lines = run_preflight(account, PROJECT_DIR / "Pulumi.prod.yaml")
    assert code == 1, lines
    mismatches = [line for line in lines if line.startswith("  MISMATCH  aws ")]
    assert mismatches == [
        "  MISMATCH  aws deployer policy on arn:aws:s3:::prod-database-backups-123456789012: "
        "not allowed: s3:CreateBucket (implicitDeny)",
        "  MISMATCH  aws deployer policy on arn:aws:s3:::prod-database-backups-123456789012/*: "
        "not allowed: s3:GetObject (implicitDeny)",
    ], lines
    # dev keeps no backups: no S3 call is asked about.
    _, dev_lines = run_preflight(matching_account())
    assert not [line for line in dev_lines if "arn:aws:s3" in line], dev_lines


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


def test_an_assumed_role_is_simulated_as_the_role_the_config_names() -> None:
    """review-23 observation 4: a session ARN carries neither the role's path nor, outside
    `aws`, the same partition; the config's `delivery.awsRoleArn` has both."""
    session = "arn:aws:sts::123456789012:assumed-role/platform-deploy/pulumi-deployments"
    role = "arn:aws:iam::123456789012:role/ci/platform-deploy"
    assert preflight.aws.principal(session, role) == role
    assert preflight.aws.principal(session, None) == (
        "arn:aws:iam::123456789012:role/platform-deploy"
    )
    other = "arn:aws:iam::123456789012:role/ci/another-role"
    assert preflight.aws.principal(session, other) == (
        "arn:aws:iam::123456789012:role/platform-deploy"
    )
    china = "arn:aws-cn:sts::123456789012:assumed-role/platform-deploy/s"
    assert preflight.aws.principal(china, None) == (
        "arn:aws-cn:iam::123456789012:role/platform-deploy"
    )


def test_a_first_up_the_civo_quota_cannot_hold_is_a_mismatch(run_preflight: Run) -> None:
    """review-23 §4a: none of dev's clusters exists yet, so all 6 nodes are new; with 4
    instances free the first `up` fails, so preflight must not pass it."""
    account = matching_account()
    account.json["/v2/quota"] = {**account.json["/v2/quota"], "instance_count_limit": 10}
    code, lines = run_preflight(account)
    assert code == 1, lines
    assert (
        "  MISMATCH  civo room for instances: this stack plans 6; the account uses 6 of 10: "
        "none of this stack's clusters or its database exists yet, so a first `up` needs "
        "all 6 and only 4 are free"
    ) in lines, lines


def test_the_civo_cores_ram_and_database_quotas_are_checked_from_the_planned_sizes(
    run_preflight: Run,
) -> None:
    """review-23 §4b: dev's 6 g4s.kube.medium nodes need 12 cores and 24576 MB; its
    g3.db.small database 2 database cores."""
    account = matching_account()
    quota = account.json["/v2/quota"]
    account.json["/v2/quota"] = {
        **quota,
        "cpu_core_limit": 10,
        "cpu_core_usage": 3,
        "database_cpu_core_limit": 1,
    }
    code, lines = run_preflight(account)
    assert code == 1, lines
    assert (
        "  MISMATCH  civo room for CPU cores: this stack plans 12; the account uses 3 of 10: "
        "more than the quota"
    ) in lines, lines
    assert (
        "  MISMATCH  civo room for database CPU cores: this stack plans 2; the account uses "
        "0 of 1: more than the quota"
    ) in lines, lines
    assert any(
        line.startswith("  ok        civo room for RAM (MB): this stack plans 24576;")
        for line in lines
    ), lines


def test_a_live_database_on_a_later_page_is_found(run_preflight: Run) -> None:
    """review-23 §7: GET /v2/databases is paginated (civogo PaginatedDatabases: page,
    per_page, pages, items); the stack's database on page 2 is live, not to be created."""
    account = matching_account()
    other = {**response("civo-database.json"), "name": "someone-elses"}
    live = {**response("civo-database.json"), "name": "dev-shared", "software_version": "14"}
    account.json["/v2/databases"] = {"page": 1, "per_page": 1, "pages": 2, "items": [other]}
    account.json["/v2/databases?page=2"] = {"page": 2, "per_page": 1, "pages": 2, "items": [live]}
    _, lines = run_preflight(account)
    assert (
        "  ok        civo database dev-shared: exists, running PostgreSQL 14: its version is not "
        "re-checked"
    ) in lines, lines
    assert not [line for line in lines if "(to be created)" in line], lines


def test_load_balancers_are_counted_across_the_accounts_zones(run_preflight: Run) -> None:
    """review-23 §3: the quota rule counts load balancers per account (prod's zone and
    dev's share one account), so preflight lists every zone's, on every page of zones."""
    account = matching_account()
    dev_zone = account.json[f"{CF}/zones/{ZONE_ID}"]["result"]
    other = {**dev_zone, "id": "ab" * 16, "name": "example.org"}
    account.json[f"{CF}/zones"] = account_zones([dev_zone], pages=2)
    account.json[f"{CF}/zones?page=2"] = {
        **account_zones([other], pages=2),
        "result_info": {**account_zones([other], pages=2)["result_info"], "page": 2},
    }
    account.json[f"{CF}/zones/{'ab' * 16}/load_balancers"] = listed(
        "cloudflare-load-balancer.json", [f"lb-{i}.example.org" for i in range(17)]
    )
    code, lines = run_preflight(account)
    assert code == 1, lines
    assert (
        "  MISMATCH  cloudflare load balancers: 17 in the account besides this stack's, and "
        "this stack's 4: 21 of 20, over platform:cloudflare.addOns.loadBalancing.loadBalancers "
        "(https://developers.cloudflare.com/load-balancing/reference/limitations/)"
    ) in lines, lines


def test_add_ons_the_api_cannot_show_are_warnings_not_mismatches(run_preflight: Run) -> None:
    """review-23 §5: Cloudflare documents no rate plan for Load Balancing or Traffic
    Steering (its List Subscriptions example is a "Business Plan"); an account whose
    answer shows neither is not a mismatch: preflight says it cannot tell, and where to
    look."""
    code, lines = run_preflight(matching_account())
    assert code == 0, lines
    assert [line for line in lines if line.startswith("  warning   cloudflare")] == [
        "  warning   cloudflare Load Balancing add-on (platform:cloudflare.addOns.loadBalancing"
        ".enabled): the config states True; no subscription's rate plan names it (rate plans: "
        "['Business Plan']), and Cloudflare documents none that would: cannot verify, check "
        "the dashboard (Load Balancing)",
        "  warning   cloudflare Traffic Steering add-on (platform:cloudflare.addOns."
        "trafficSteering): the config states False; the subscriptions API documents no field "
        "for it: cannot verify, check the dashboard (Load Balancing, plan options)",
    ], lines
