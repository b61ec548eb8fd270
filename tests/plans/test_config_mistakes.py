"""Config mistakes that used to pass or to mislead: each exits 2 naming the field (or
warns), in the words of the key the user actually wrote."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from platform_cli import main
from platform_cli.plan import read_valid
from platform_cli.runner import PROJECT_DIR

Edit = Callable[[dict[str, Any]], None]


def _cluster(index: int, **fields: Any) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c["platform:clusters"][index].update(fields)

    return edit


def _set(key: str, value: Any) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c[key] = value

    return edit


def _rename(old: str, new: str) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c[new] = c.pop(old)

    return edit


def _first_app(**fields: Any) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c["platform:apps"][0].update(fields)

    return edit


CASES: list[tuple[str, Edit, list[str]]] = [
    (
        "workload cluster named mgmt",
        _cluster(3, name="mgmt"),
        [
            # prod's alert routes name chicago, which this edit renames.
            "error: platform:alerting.routes[0].clusters[1]: 'chicago' is not a cluster",
            "error: platform:clusters[3](mgmt).name: 'mgmt' is the management cluster's name; "
            "its cloud names, IAM user and DNS records would collide with the management cluster's",
        ],
    ),
    (
        "admin CIDRs that together are the internet",
        _set("platform:adminCidrs", ["0.0.0.0/1", "128.0.0.0/1"]),
        [
            "error: platform:adminCidrs: together these admit 4,294,967,296 IPv4 addresses, "
            "more than a /8; list the addresses you own"
        ],
    ),
    (
        "one admin CIDR that is half the internet",
        _set("platform:adminCidrs", ["0.0.0.0/1"]),
        [
            "error: platform:adminCidrs: together these admit 2,147,483,648 IPv4 addresses, "
            "more than a /8; list the addresses you own"
        ],
    ),
    (
        "provider credential in plain text",
        _set("civo:token", "abc"),
        [
            "error: civo:token: a credential in plain text; remove it and run "
            "`pulumi config set --secret civo:token`, which stores it encrypted"
        ],
    ),
    (
        "misspelt namespace",
        _rename("platform:domain", "platfrom:domain"),
        [
            "error: platform:domain: Field required",
            "error: platfrom:domain: unknown namespace 'platfrom'; did you mean 'platform:domain'?",
        ],
    ),
    (
        "a string where a boolean belongs",
        _first_app(public="yes"),
        ["error: platform:apps[0](hello-world).public: Input should be a valid boolean"],
    ),
    (
        "misspelt key in a named list item",
        _cluster(0, nodeCont=4),
        ["error: platform:clusters[0](london).nodeCont: unknown key; did you mean 'nodeCount'?"],
    ),
    (
        "misspelt cluster name",
        _set("platform:drain", ["londn"]),
        ["error: platform:drain[0]: 'londn' is not an enabled cluster; did you mean 'london'?"],
    ),
    (
        "misspelt top-level key",
        _set("platform:domian", "example.com"),
        ["error: platform:domian: unknown key; did you mean 'domain'?"],
    ),
]


@pytest.mark.parametrize(("case", "edit", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_mistake_exits_2_naming_what_was_written(
    case: str,
    edit: Edit,
    expected: list[str],
    write_config: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "--config", str(write_config("prod", edit))]) == 2, case
    assert capsys.readouterr().err.splitlines() == expected


def test_a_duplicate_yaml_key_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(text + "  platform:domain: other.example.com\n")
    first = 1 + text.splitlines().index(
        next(line for line in text.splitlines() if line.startswith("  platform:domain:"))
    )
    last = len(text.splitlines()) + 1
    assert main(["plan", "--config", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {path}: line {last}: duplicate key 'platform:domain' (first on line {first})"
    ]


def test_a_file_without_the_config_wrapper_names_the_key_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("platform:domain: example.com\nplatform:environment: dev\n")
    assert main(["plan", "--config", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {path}: 'platform:domain' is at the top level; stack settings belong under "
        "a top-level 'config:' mapping"
    ]


def test_an_unprotected_production_database_warns(write_config: Callable[..., Path]) -> None:
    def unprotect(c: dict[str, Any]) -> None:
        c["platform:database"]["protect"] = False

    _, _, notes = read_valid(write_config("prod", unprotect))
    assert [n for n in notes if "database.protect" in n] == [
        "warning: platform:database.protect is false in production stack 'prod': removing "
        "the database or an app's database would delete its data"
    ]


def test_an_unknown_stack_names_its_file_once_and_lists_the_stacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "--stack", "staging"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        f"error: {PROJECT_DIR / 'Pulumi.staging.yaml'}: no such stack file; stacks here: dev, prod"
    )
