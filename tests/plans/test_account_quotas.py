"""Quotas are per account, not per stack or app: one stack's plan, and every stack's plans
together, are counted against what the account allows (edge.md A4)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from platform_cli import main
from tests.conftest import stack_document
from tests.plan_cache import planned_stacks  # noqa: F401 (a fixture)

PlanErrors = Callable[..., tuple[int, list[str]]]
LIMITATIONS = "https://developers.cloudflare.com/load-balancing/reference/limitations/"
ACCOUNT = "cloudflare account 0123456789abcdef0123456789abcdef"


def four_more_public_apps(config: dict[str, Any]) -> None:
    """The review's reproduction: four more public apps on every prod cluster."""
    template = next(a for a in config["platform:apps"] if a["name"] == "hello-world")
    for i in range(4):
        config["platform:apps"].append({**template, "name": f"extra-{i}"})


def test_one_stack_over_the_pool_quota_fails_naming_the_pool_that_goes_over(
    plan_errors: PlanErrors,
) -> None:
    code, errors = plan_errors(four_more_public_apps, stack="prod")
    assert code == 2
    assert (
        f"error: rule account-quotas: hello-world-global-chicago: {ACCOUNT}: pools: 25, more than "
        f"the 20 platform:cloudflare.addOns.loadBalancing.pools allows ({LIMITATIONS}); if the "
        "account allows more, state it there; otherwise plan fewer"
    ) in errors, errors
    assert any(f"{ACCOUNT}: endpoints: 25, more than the 20" in e for e in errors), errors


def test_a_stated_civo_quota_is_checked(plan_errors: PlanErrors) -> None:
    def small_quota(config: dict[str, Any]) -> None:
        config["platform:civoAccount"] = {"quota": {"instances": 10}}

    code, errors = plan_errors(small_quota, stack="prod")
    assert code == 2
    # frankfurt, london, mgmt, newyork (by name): 3 nodes each; the eleventh is newyork's.
    assert (
        "error: rule account-quotas: newyork: civo account default: instances: 12, more than "
        "the 10 platform:civoAccount.quota.instances allows "
        "(civo/civogo v0.3.89 quota.go (GET /v2/quota)); if the account allows more, state "
        "it there; otherwise plan fewer"
    ) in errors, errors


def write_stacks(folder: Path, **stacks: dict[str, Any]) -> None:
    for name, document in stacks.items():
        (folder / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document))


def staging_like_prod() -> dict[str, Any]:
    """A third stack: prod's shape in the same accounts, under its own names and zone."""
    staging = copy.deepcopy(stack_document("prod"))
    config = staging["config"]
    config["platform:environment"] = "staging"
    config["platform:domain"] = "staging.example.org"
    config["platform:cloudflare"] = {
        **config["platform:cloudflare"],
        "zoneId": "abcdefabcdefabcdefabcdefabcdef01",
        "zoneName": "staging.example.org",
    }
    return staging


@pytest.mark.usefixtures("planned_stacks")
def test_a_third_stack_pushing_the_account_over_the_pool_quota_fails_naming_the_stacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_stacks(tmp_path, dev=stack_document("dev"), prod=stack_document("prod"))
    assert main(["plan", "--all-stacks", "--repo", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert (
        f"{ACCOUNT}: endpoints 16 of 20, load balancers 8 of 20, monitors 8 of 30, pools 16 of 20"
        in out
    )

    write_stacks(tmp_path, staging=staging_like_prod())
    assert main(["plan", "--all-stacks", "--repo", str(tmp_path)]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert (
        f"error: rule account-quotas-across-stacks: {ACCOUNT}: pools: 25 across stacks "
        "dev (7), prod (9), staging (9), more than the 20 "
        f"platform:cloudflare.addOns.loadBalancing.pools allows ({LIMITATIONS}); state what "
        "the account allows in every stack on it (the smallest counts), or give a stack an "
        "account of its own"
    ) in errors, errors


@pytest.mark.usefixtures("planned_stacks")
def test_stacks_in_one_civo_account_add_up_against_its_quota(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stacks = {name: copy.deepcopy(stack_document(name)) for name in ("dev", "prod")}
    stacks["dev"]["config"]["platform:civoAccount"] = {"quota": {"databases": 1}}
    write_stacks(tmp_path, **stacks)
    assert main(["plan", "--all-stacks", "--repo", str(tmp_path)]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert (
        "error: rule account-quotas-across-stacks: civo account default: databases: 2 across "
        "stacks dev (1), prod (1), more than the 1 platform:civoAccount.quota.databases "
        "allows (civo/civogo v0.3.89 quota.go (GET /v2/quota)); state what the account "
        "allows in every stack on it (the smallest counts), or give a stack an account of its "
        "own"
    ) in errors, errors

    # Stacks in different Civo accounts do not share a quota.
    stacks["prod"]["config"]["platform:civoAccount"] = {"name": "production"}
    write_stacks(tmp_path, **stacks)
    assert main(["plan", "--all-stacks", "--repo", str(tmp_path)]) == 0


@pytest.mark.usefixtures("planned_stacks")
def test_a_zone_under_another_stacks_zone_needs_enterprise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """edge.md D6: dev's example zone was dev.example.com, under prod's example.com."""
    staging = staging_like_prod()
    config = staging["config"]
    config["platform:domain"] = "staging.example.com"
    config["platform:cloudflare"]["zoneName"] = "staging.example.com"
    write_stacks(tmp_path, prod=stack_document("prod"), staging=staging)
    assert main(["plan", "--all-stacks", "--repo", str(tmp_path)]) == 2
    assert (
        "error: rule zone-under-another-stack: stack staging: staging.example.com: is a zone of "
        "its own under stack 'prod''s zone 'example.com': that needs Cloudflare's subdomain "
        "setup, which only Enterprise plans have (platform:cloudflare.plan is 'free'); give the "
        "environment a registrable domain of its own"
    ) in capsys.readouterr().err.splitlines()


OWN_ACCOUNT = "cloudflare account aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"


def dev_alone_with_pools(pools: int) -> Callable[[dict[str, Any]], None]:
    """dev alone in an account whose pool and endpoint quotas are ``pools`` (dev has 7)."""

    def edit(config: dict[str, Any]) -> None:
        config["platform:cloudflare"] = {
            **config["platform:cloudflare"],
            "accountId": "a" * 32,
            "addOns": {"loadBalancing": {"pools": pools, "endpoints": pools}},
        }

    return edit


def weather_moved(pools: int) -> Callable[[dict[str, Any]], None]:
    """The same, with weather moved from london to frankfurt."""

    def edit(config: dict[str, Any]) -> None:
        dev_alone_with_pools(pools)(config)
        weather = next(a for a in config["platform:apps"] if a["name"] == "weather")
        weather["placement"] = {"matchLabels": {"cluster": "frankfurt"}}

    return edit


def test_moving_an_app_at_the_pool_quota_is_refused_for_the_peak_during_up(
    write_config: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """review-23 §1: the end state fits, but `up` creates the new pool before it deletes
    the old one (deletes run last), so for a moment the account holds one pool more."""

    old = write_config("dev", dev_alone_with_pools(7), name="old")
    new = write_config("dev", weather_moved(7))
    assert main(["plan", "--config", str(new), "--out", str(tmp_path / "plan")]) == 0
    capsys.readouterr()
    markdown = tmp_path / "diff.md"
    code = main(["diff", "--config", str(new), "--against", str(old), "--markdown", str(markdown)])
    out, err = capsys.readouterr()
    assert code == 3, out + err
    expected = (
        f"error: platform:cloudflare.addOns.loadBalancing.pools: {OWN_ACCOUNT}: pools: 8 at "
        "once during `up`, more than the 7 it allows "
        f"({LIMITATIONS}): `up` creates weather-global-frankfurt before it deletes "
        "weather-global-london (Pulumi deletes removed and replaced resources after every "
        "create); make room first, in an `up` of its own (docs/runbooks/account-quotas.md)"
    )
    assert expected in err.splitlines(), err
    assert any(
        line.startswith("error: platform:cloudflare.addOns.loadBalancing.endpoints: ")
        for line in err.splitlines()
    ), err
    assert f"`up` goes over a quota: {expected.removeprefix('error: ')}" in out
    assert "`pulumi up` goes over these account quotas" in markdown.read_text()


def test_an_edit_with_room_for_the_peak_passes(
    write_config: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same move with one pool and endpoint to spare: no quota line, exit 1."""

    old = write_config("dev", dev_alone_with_pools(8), name="old")
    new = write_config("dev", weather_moved(8))
    code = main(
        ["diff", "--config", str(new), "--against", str(old), "--markdown", str(tmp_path / "d")]
    )
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert "quota" not in err
