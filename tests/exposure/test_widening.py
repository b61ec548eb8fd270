"""`platform diff` and `platform review` say when an edit widens who reaches an endpoint,
and name every namespace an edit deletes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from platform_cli import main
from platform_cli.diff import diff_runs
from platform_cli.exposure import Endpoint, Matrix
from platform_cli.exposure.command import edit_warnings
from platform_cli.exposure.sources import ADMIN
from platform_cli.exposure.widening import widened
from platform_cli.review import Selection, StackReview, render
from platform_cli.runner import PROJECT_DIR
from tests.plan_cache import planned_stacks  # noqa: F401 (a fixture)
from tests.planview import PlanView


def without_hello_world(config: dict[str, Any]) -> None:
    config["platform:apps"] = [a for a in config["platform:apps"] if a["name"] != "hello-world"]


@pytest.mark.usefixtures("planned_stacks")
def test_removing_the_app_that_fronted_a_cluster_warns_that_it_opens(
    write_config: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """hello-world was the only public app on chicago and newyork: without it they are no
    longer fronted by Cloudflare, and their load balancers open 80 and 443 to everyone.
    `platform diff` says so, and names the namespaces the edit deletes."""
    new = write_config("prod", without_hello_world)
    code = main(
        [
            "diff",
            "--config",
            str(new),
            "--against",
            str(PROJECT_DIR / "Pulumi.prod.yaml"),
            "--markdown",
            str(tmp_path / "diff.md"),
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    opened = [line for line in out if line.startswith("warning: exposure widens: ")]
    assert sorted(w.split(": ")[2] for w in opened) == [
        f"{cluster} load balancer (gateway platform) :{port}"
        for cluster in ("chicago", "newyork")
        for port in (443, 80)
    ]
    assert all("now also reached by everyone (internet)" in w for w in opened)
    assert [line for line in out if "deletes namespace" in line] == [
        f"warning: deletes namespace hello-world on {cluster}: every object in it goes with "
        "it, what Argo CD synced there included"
        for cluster in ("chicago", "frankfurt", "london", "newyork")
    ]
    assert "> [!WARNING]" in (tmp_path / "diff.md").read_text()


def test_an_edit_that_only_narrows_warns_of_nothing(
    prod: PlanView, write_config: Callable[..., Path]
) -> None:
    from platform_cli.plan import plan_stack_file  # noqa: PLC0415

    def drain(config: dict[str, Any]) -> None:
        config["platform:drain"] = ["newyork"]

    path = write_config("prod", drain)
    new_run = plan_stack_file(path, stack="prod")[1]
    changes = diff_runs(prod.run, new_run)
    assert (
        edit_warnings(
            (PROJECT_DIR / "Pulumi.prod.yaml", prod.run), (path, new_run), "prod", changes
        )
        == []
    )


def test_the_review_comment_carries_the_warnings() -> None:
    review = StackReview("prod", "`Pulumi.prod.yaml` changed", warnings=["warning: x widens"])
    body = render([review], Selection(["prod"], {"prod": "changed"}), "base", "head")
    assert "> [!WARNING]\n> - warning: x widens" in body


def _matrix(base: Matrix, *endpoints: Endpoint) -> Matrix:
    return Matrix(base.stack, base.sources, list(endpoints))


HUB_WRITE = "https://prometheus-mgmt.example.com/clusters/london/api/v1/write (origin)"


def test_removing_a_credential_check_warns(matrices: dict[str, Matrix]) -> None:
    """Dropping a route's basic-auth SecurityPolicy opens it to everyone its listener
    admits, though the sources stay the same."""
    prod = matrices["prod"]
    before = prod.row(HUB_WRITE)
    assert before.credential == "london"
    after = replace(before, credential="")
    assert widened(_matrix(prod, before), _matrix(prod, after)) == [
        f"warning: exposure widens: {HUB_WRITE}: no longer asks for a credential (was: held "
        "by london)"
    ]


def test_a_credential_handed_to_more_clusters_warns(matrices: dict[str, Matrix]) -> None:
    prod = matrices["prod"]
    before = prod.row(HUB_WRITE)
    after = replace(before, credential="chicago, london")
    assert widened(_matrix(prod, before), _matrix(prod, after)) == [
        f"warning: exposure widens: {HUB_WRITE}: its credential is now also held by chicago"
    ]


def test_a_new_endpoint_the_internet_reaches_warns(matrices: dict[str, Matrix]) -> None:
    """An endpoint that appears is in the diff as an addition; one the whole internet
    reaches is also named as a widening. One for admins only is not."""
    prod = matrices["prod"]
    opened = Endpoint("https://new.example.com", "global", frozenset(prod.sources.names))
    closed = Endpoint("https://admin-only.example.com", "mgmt", frozenset({ADMIN}))
    assert widened(_matrix(prod), _matrix(prod, opened, closed)) == [
        "warning: exposure widens: https://new.example.com: a new endpoint, reached by "
        "everyone (internet)"
    ]


def test_only_app_namespaces_are_said_to_hold_what_argo_cd_synced(
    prod: PlanView, write_config: Callable[..., Path]
) -> None:
    """Turning observability off deletes the platform's own namespaces, which Argo CD
    never syncs into; removing an app deletes its namespace, which it does."""
    from platform_cli.plan import plan_stack_file  # noqa: PLC0415

    def off(config: dict[str, Any]) -> None:
        config["platform:observability"] = False
        config["platform:cost"] = False
        without_hello_world(config)

    path = write_config("prod", off)
    new_run = plan_stack_file(path, stack="prod")[1]
    lines = edit_warnings(
        (PROJECT_DIR / "Pulumi.prod.yaml", prod.run),
        (path, new_run),
        "prod",
        diff_runs(prod.run, new_run),
    )
    deleted = [
        (line.split(" ")[3], line)
        for line in lines
        if line.startswith("warning: deletes namespace")
    ]
    assert {"monitoring", "hello-world"} <= {name for name, _ in deleted}, lines
    for name, line in deleted:
        assert ("what Argo CD synced there included" in line) is (name == "hello-world"), line
