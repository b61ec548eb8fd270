"""The README's commands work as shown: every command in its `bash` blocks is either run
here, offline, with its documented output checked, or listed below with the reason it
cannot run here."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from infra.stackconfig import load, read_stack_file
from platform_cli import main
from platform_cli.runner import PROJECT_DIR
from tests.plan_cache import planned_stacks  # noqa: F401 (a fixture)

README = PROJECT_DIR / "README.md"
BLOCK = re.compile(r"```bash\n(.*?)```", re.DOTALL)

# Commands that need what a test run does not have, each with the reason.
NOT_RUN = {
    "bash scripts/check.sh": "runs this test suite",
    "platform bench --with-tests": "takes minutes; it also runs the test suite",
    "platform bench --quick": "takes about a minute; scripts/check.sh runs it after the tests",
    "python3.11 -m venv .venv && .venv/bin/pip install -e .": "installs packages",
    "platform preflight --stack prod": (
        "calls the real accounts' APIs with the stack's credentials; tests/preflight runs it "
        "against a local server"
    ),
}
# And every `pulumi …` and `kubectl …` command: they need the Pulumi CLI, a backend and
# credentials, or a live cluster.
NEEDS_A_CLOUD = ("pulumi ", "kubectl ")


def readme_commands() -> list[str]:
    """Each command line of the README's bash blocks, without its trailing comment."""
    commands = []
    for block in BLOCK.findall(README.read_text()):
        for line in block.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def _call(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    return code, out.getvalue()


def _shell(command: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.Popen(
        shlex.split(command),
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _git_clean(path: str) -> bool | None:
    """Whether a file matches HEAD; None outside a git checkout."""
    if shutil.which("git") is None:
        return None
    done = subprocess.run(
        ["git", "diff", "--quiet", "HEAD", "--", path], cwd=PROJECT_DIR, check=False
    )
    return None if done.returncode > 1 else done.returncode == 0


def _check_delivery_previews() -> None:
    code, out = _call(["delivery", "--via", "github-actions", "--previews", "--stacks", '["prod"]'])
    # prod's example config leaves its previews off.
    assert (code, json.loads(out)) == (0, []), out


def _check_delivery_invalid(tmp_path: Path) -> None:
    invalid = tmp_path / "invalid.json"
    code, out = _call(["delivery", "--via", "github-actions", "--invalid", str(invalid)])
    assert code == 0 and [e["stack"] for e in json.loads(out)] == ["prod"], out
    assert json.loads(invalid.read_text()) == []


@pytest.mark.usefixtures("planned_stacks")
def test_every_readme_command_runs_as_documented(tmp_path: Path) -> None:
    commands = readme_commands()
    # Started first, in their own processes, exactly as typed: they run while the others do.
    shells = {
        c: _shell(c)
        for c in ("bash scripts/plan.sh", "python -m platform_cli plan --stack prod")
        if c in commands
    }
    # The placeholder files, named as dev's so the session's plan of dev serves them.
    dev = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    old, new, any_yaml = (tmp_path / d / "Pulumi.dev.yaml" for d in ("old", "new", "any"))
    for path, text in ((old, dev), (new, dev + "  platform:drain: [frankfurt]\n"), (any_yaml, dev)):
        path.parent.mkdir()
        path.write_text(text)
    prod_clean = _git_clean("Pulumi.prod.yaml")

    def check_plan_dev() -> None:
        code, out = _call(["plan", "--stack", "dev", "--out", str(tmp_path / "dev")])
        assert code == 0 and out.startswith("stack dev: ")
        assert {p.name for p in (tmp_path / "dev").iterdir()} == {
            "resources.json",
            "outputs.json",
        }

    def check_plan_any() -> None:
        code, out = _call(["plan", "--config", str(any_yaml), "--out", str(tmp_path / "any")])
        assert code == 0 and out.startswith("stack dev: ")

    def check_diff_ref() -> None:
        if prod_clean is None:
            pytest.skip("not a git checkout")
        # origin/main is HEAD here: an offline checkout has no remote.
        code, out = _call(
            ["diff", "--stack", "prod", "--against", "HEAD", "--markdown", str(tmp_path / "d.md")]
        )
        # An uncommitted edit of the stack file may or may not change a resource.
        assert code == 0 if prod_clean else code in (0, 1), out

    def check_diff_files() -> None:
        code, out = _call(
            [
                "diff",
                "--config",
                str(new),
                "--against",
                str(old),
                "--markdown",
                str(tmp_path / "f.md"),
            ]
        )
        assert code == 1, out
        assert "0 to add, 3 to update, 0 to replace, 0 to remove" in out

    def check_graph() -> None:
        code, out = _call(["graph", "--stack", "dev", "--out", str(tmp_path / "docs")])
        assert code == 0 and (tmp_path / "docs" / "topology-dev.mmd").is_file(), out

    def check_review() -> None:
        if prod_clean is None:
            pytest.skip("not a git checkout")
        code, _ = _call(["review", "--base", "HEAD", "--out", str(tmp_path / "review.md")])
        # Uncommitted code changes may even be refused (3): the review plans HEAD with
        # HEAD's code, as it would for a pull request.
        assert code in (0, 1, 3) and (tmp_path / "review.md").is_file()

    def check_delivery() -> None:
        code, out = _call(["delivery", "--via", "github-actions"])
        assert code == 0 and [e["stack"] for e in json.loads(out)] == ["prod"], out

    def check_all_stacks() -> None:
        code, out = _call(["plan", "--all-stacks"])
        assert code == 0, out
        assert "stacks: every rule holds" in out

    in_process: dict[str, Callable[[], None]] = {
        "platform exposure --stack prod": check_exposure,
        "platform exposure --stack prod --markdown": check_exposure_markdown,
        "platform plan --all-stacks": check_all_stacks,
        "platform plan --stack dev [--out DIR]": check_plan_dev,
        "platform plan --config path/to/any.yaml": check_plan_any,
        "platform diff --stack prod --against origin/main": check_diff_ref,
        "platform diff --config new.yaml --against old.yaml": check_diff_files,
        "platform graph --stack dev": check_graph,
        "platform review --base origin/main": check_review,
        "platform config-schema --check": lambda: _assert_zero(["config-schema", "--check"]),
        "platform delivery --via github-actions": check_delivery,
        "platform delivery --via github-actions --previews --stacks '[\"prod\"]'": (
            _check_delivery_previews
        ),
        "platform delivery --via github-actions --invalid invalid.json": lambda: (
            _check_delivery_invalid(tmp_path)
        ),
    }
    unknown = [
        c
        for c in commands
        if c not in NOT_RUN
        and c not in in_process
        and c not in shells
        and not c.startswith(NEEDS_A_CLOUD)
    ]
    assert unknown == [], "README commands this test neither runs nor lists in NOT_RUN"
    for command, check in in_process.items():
        assert command in commands, f"README no longer shows {command!r}: update this test"
        check()
    outputs = {c: p.communicate(timeout=600) for c, p in shells.items()}
    for command, (_, err) in outputs.items():
        assert shells[command].returncode == 0, err
    plan_sh = outputs["bash scripts/plan.sh"][0]
    assert plan_sh.startswith("stack dev: ")
    assert f"wrote {PROJECT_DIR / 'build' / 'dev' / 'resources.json'}" in plan_sh
    # The detection-time figure the README quotes, as `platform plan` prints it.
    assert (
        "  blog.example.com: 75 s = interval 60 s + (retries 2 + 1) x timeout 5 s"
        in outputs["python -m platform_cli plan --stack prod"][0].splitlines()
    )


def check_exposure() -> None:
    code, out = _call(["exposure", "--stack", "prod"])
    assert code == 0 and out.startswith("stack prod: who reaches each endpoint"), out


def check_exposure_markdown() -> None:
    code, out = _call(["exposure", "--stack", "prod", "--markdown"])
    assert code == 0 and out.startswith("| where | endpoint | reached by | note |"), out


def _assert_zero(argv: list[str]) -> None:
    code, out = _call(argv)
    assert code == 0, out


def test_the_failover_drill_example_is_accepted_by_prod() -> None:
    (drained,) = re.findall(r"for example `drain: \[(\w+)\]`", README.read_text())
    values = dict(read_stack_file(PROJECT_DIR / "Pulumi.prod.yaml").values)
    values["platform:drain"] = json.dumps([drained])
    assert load(values).config.drain == [drained]


# Providers whose config in a stack file is a credential (aws:region is not).
CREDENTIALED = {"civo", "vultr", "cloudflare", "aws", "pulumiservice"}


def _credential_rows() -> dict[str, dict[str, str]]:
    text = README.read_text()
    section = text.split("### Credentials, each with its exact permissions", 1)[1]
    table = section.split("\n\n### ", 1)[0]
    rows: dict[str, dict[str, str]] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("credential", "---"):
            rows[cells[0]] = dict(zip(("key", "permissions", "source"), cells[1:], strict=True))
    return rows


def test_the_credential_table_names_every_providers_permissions_and_source() -> None:
    """Every credential a stack file names has a row with its permissions and a source;
    the Cloudflare token's row has the load-balancing permissions the program needs."""
    rows = _credential_rows()
    keys = " ".join(row["key"] for row in rows.values())
    for stack in PROJECT_DIR.glob("Pulumi.*.yaml"):
        for key in read_stack_file(stack).values:
            provider = key.split(":", 1)[0]
            if provider in CREDENTIALED and key != "aws:region":
                assert f"`{key}`" in keys, f"{stack.name}: {key} has no credential row"
    for name, row in rows.items():
        assert row["permissions"], name
        assert re.search(r"https://|\.go|\.py", row["source"]) or row["source"] == "as above", name
    cloudflare = rows["Cloudflare user API token"]["permissions"]
    for permission in ("Load Balancers Write", "Load Balancing: Monitors and Pools Write"):
        assert permission in cloudflare
