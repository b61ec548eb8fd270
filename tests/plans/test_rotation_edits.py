"""`platform diff` and `platform review` refuse database-login edits `up` would get wrong.

A database app has two logins (infra/credentials/database_logins.py). Only a rise of
`platform:database.rotations.<app>` by one leaves the login the app uses alone; and a
database whose app logs in as `<app>_alt` cannot be dropped (tests/postgres/
test_rotation.py shows both on a real server).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.stackconfig import StackFile
from platform_cli import main
from platform_cli.diff import diff_runs, login_errors
from platform_cli.plan import plan_stack_file
from platform_cli.runner import PlanRun
from tests.conftest import stack_document

APP = "blog"
Edit = Callable[[dict[str, Any]], None]


def rotated(count: int | None) -> Edit:
    """The blog's rotation count set to ``count``; None: no entry."""

    def edit(config: dict[str, Any]) -> None:
        database = config["platform:database"]
        if count is None:
            database.pop("rotations", None)
        else:
            database["rotations"] = {APP: count}

    return edit


def without_blog_database(config: dict[str, Any]) -> None:
    next(a for a in config["platform:apps"] if a["name"] == APP)["database"] = False
    config["platform:database"].pop("rotations", None)


def without_blog(config: dict[str, Any]) -> None:
    config["platform:apps"] = [a for a in config["platform:apps"] if a["name"] != APP]
    config["platform:database"].pop("rotations", None)


def write(directory: Path, edit: Edit) -> Path:
    document = stack_document("dev")
    edit(document["config"])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def planned(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[Edit], tuple[StackFile, PlanRun]]:
    """dev edited by an edit, planned once per edit for the whole module."""
    cache: dict[Edit, tuple[StackFile, PlanRun]] = {}

    def plan(edit: Edit) -> tuple[StackFile, PlanRun]:
        if edit not in cache:
            stack_file, run, _ = plan_stack_file(write(tmp_path_factory.mktemp("dev"), edit))
            cache[edit] = (stack_file, run)
        return cache[edit]

    return plan


@pytest.fixture(scope="module")
def errors(
    planned: Callable[[Edit], tuple[StackFile, PlanRun]],
) -> Callable[[Edit, Edit], list[str]]:
    """The `error:` lines `platform diff` prints for dev edited by ``old``, then ``new``."""

    def refused(old: Edit, new: Edit) -> list[str]:
        (old_file, old_run), (new_file, new_run) = planned(old), planned(new)
        changes = diff_runs(old_run, new_run)
        return login_errors(old_file, new_file, old_run, new_run, changes)

    return refused


ROTATED = {count: rotated(count) for count in (None, 0, 1, 2, 3)}


@pytest.mark.parametrize("before", [None, 0, 1, 2])
def test_a_rotation_by_one_is_refused_nothing(
    errors: Callable[[Edit, Edit], list[str]], before: int | None
) -> None:
    assert errors(ROTATED[before], ROTATED[(before or 0) + 1]) == []


@pytest.mark.parametrize(
    ("before", "after", "in_use"),
    [
        (0, 2, APP),  # the owner's password renewed while the app uses it
        (0, 3, APP),
        (1, 3, f"{APP}_alt"),
        (1, 0, f"{APP}_alt"),  # lowering renews the alternate's, in use
        (2, 1, APP),
        (1, None, f"{APP}_alt"),  # removing the entry is lowering it to 0
    ],
)
def test_any_other_rotation_change_is_refused_naming_the_login_in_use(
    errors: Callable[[Edit, Edit], list[str]], before: int, after: int | None, in_use: str
) -> None:
    (error,) = errors(ROTATED[before], ROTATED[after])
    assert error.startswith(f"error: platform:database.rotations.{APP}: ")
    assert f"renews the password of {in_use}, the login {APP} uses now" in error
    assert f"raise it by one per `pulumi up`: set it to {before + 1}" in error


@pytest.mark.parametrize("removal", [without_blog_database, without_blog])
def test_dropping_the_database_of_an_app_on_its_alternate_login_is_refused(
    errors: Callable[[Edit, Edit], list[str]], removal: Edit
) -> None:
    (error,) = errors(ROTATED[3], removal)
    assert error.startswith(f"error: platform:database.rotations.{APP}: ")
    assert f"logs in as {APP}_alt" in error
    assert "set it to 4 alone, run `pulumi up`, wait until the app's workloads restarted" in error


@pytest.mark.parametrize("count", [None, 2])
def test_dropping_the_database_of_an_app_on_its_owner_login_is_refused_nothing(
    errors: Callable[[Edit, Edit], list[str]], count: int | None
) -> None:
    assert errors(ROTATED[count], without_blog_database) == []


@pytest.mark.parametrize(
    "case",
    [
        (ROTATED[0], ROTATED[1], 1, 0),
        (ROTATED[0], ROTATED[2], 2, 1),
        (ROTATED[1], without_blog_database, 2, 1),
    ],
)
def test_platform_diff_prints_the_refusals_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: tuple[Edit, Edit, int, int]
) -> None:
    old, new, code, refused = case
    old_path, new_path = write(tmp_path / "old", old), write(tmp_path / "new", new)
    markdown = tmp_path / "diff.md"
    argv = ["diff", "--config", str(new_path), "--against", str(old_path)]
    assert main([*argv, "--markdown", str(markdown)]) == code
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == refused
    assert all(line.removeprefix("error: ") in markdown.read_text() for line in err)
