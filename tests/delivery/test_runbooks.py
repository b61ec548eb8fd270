"""Every runbook exists, and every `platform …` command and `platform:` key it names is real."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from infra.config import PlatformConfig
from platform_cli import main
from platform_cli.configschema import _object_keys
from platform_cli.runner import PROJECT_DIR
from tests.fresh_clone import Clone, fresh_clone  # noqa: F401 (a fixture)
from tests.lifecycle.runbook_snippets import apply, sections
from tests.planview import PlanView

RUNBOOKS = PROJECT_DIR / "docs" / "runbooks"
EXPECTED = {
    "bootstrap-environment.md",
    "add-region.md",
    "add-app.md",
    "failover-drill.md",
    "rotate-credentials.md",
    "upgrade-kubernetes.md",
    "destroy-environment.md",
    "restore-database.md",
    "rebuild-management-cluster.md",
    "change-delivery-path.md",
    "upgrade-monitoring-crds.md",
}
COMMAND = re.compile(r"(?:^|`)(platform (?:[a-z-]+)(?: [^`#\n]*)?)", re.MULTILINE)
KEY = re.compile(r"platform:(?!index:)([A-Za-z]+(?:\.[A-Za-z]+)*)")


def pages() -> list[Path]:
    return sorted(RUNBOOKS.glob("*.md"))


def test_every_runbook_exists_with_commands_and_a_roll_back() -> None:
    assert {p.name for p in pages()} >= EXPECTED
    for page in pages():
        text = page.read_text()
        assert "```bash" in text and "## Roll back" in text, page.name


def help_of(subcommand: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as stop:
        main([subcommand, "--help"])
    assert stop.value.code == 0, f"`platform {subcommand}` does not exist"
    return out.getvalue()


def commands() -> list[tuple[str, str]]:
    found = []
    for page in pages():
        for match in COMMAND.finditer(page.read_text()):
            found.append((page.name, match.group(1).strip()))
    return found


def test_every_platform_command_exists_with_its_flags() -> None:
    found = commands()
    assert len(found) >= 5
    for page, command in found:
        words = shlex.split(command)
        usage = help_of(words[1])
        for flag in (w for w in words[2:] if w.startswith("--")):
            assert flag in usage, f"{page}: `{command}`: {flag} is not a flag of {words[1]}"


def _known(path: list[str]) -> bool:
    schema = PlatformConfig.model_json_schema(by_alias=True)
    defs = schema["$defs"]
    node = schema["properties"].get(path[0])
    for key in path[1:]:
        if node is None:
            return False
        resolved = node
        while "items" in resolved or "$ref" in resolved or "anyOf" in resolved:
            if "items" in resolved:
                resolved = resolved["items"]
            elif "$ref" in resolved:
                resolved = defs[resolved["$ref"].rsplit("/", 1)[-1]]
            else:
                resolved = next(o for o in resolved["anyOf"] if o.get("type") != "null")
        additional = resolved.get("additionalProperties")
        if isinstance(additional, dict) and not resolved.get("properties"):
            node = additional  # a map, keyed by names (`rotations.<app>`)
            continue
        if key not in _object_keys(resolved, defs):
            return False
        branches = resolved.get("oneOf") or [resolved]
        node = next(
            (
                props[key]
                for b in branches
                if key
                in (
                    props := (defs[b["$ref"].rsplit("/", 1)[-1]] if "$ref" in b else b).get(
                        "properties", {}
                    )
                )
            ),
            None,
        )
    return node is not None


def test_every_config_key_named_exists() -> None:
    named = {(page.name, m.group(1)) for page in pages() for m in KEY.finditer(page.read_text())}
    assert len(named) >= 5
    unknown = [
        f"{page}: platform:{key}" for page, key in sorted(named) if not _known(key.split("."))
    ]
    assert unknown == []


def test_the_check_catches_a_wrong_key_and_command() -> None:
    assert not _known(["drains"]) and not _known(["database", "protected"])
    assert _known(["database", "retainOnDelete"]) and _known(["clusters", "keyRotation"])
    assert _known(["database", "rotations", "blog"]) and not _known(["database", "size", "x"])
    with pytest.raises(AssertionError):
        help_of("deploy")


ADMIN_PASSWORD = "## The database admin password"
BASH_BLOCK = re.compile(r"```bash\n(.*?)```", re.DOTALL)


def test_a_changed_admin_password_is_read_by_refreshing_the_instance_alone(prod: PlanView) -> None:
    """`pulumi up --refresh` reads every resource with the provider configuration kept in
    the state (only `--run-program`, pulumi/pulumi#19449, would run the program first), so
    the Roles, Databases and Grants would be read with the stale admin password and fail.
    The runbook refreshes the Civo database alone, by the URN it has, then runs `up`
    without a refresh, which hands the new password to the postgresql provider."""
    text = (RUNBOOKS / "rotate-credentials.md").read_text()
    section = text[text.index(ADMIN_PASSWORD) : text.index("## Roll back")]
    commands = [
        line.strip()
        for block in BASH_BLOCK.findall(section)
        for line in block.splitlines()
        if line.strip().startswith("pulumi ")
    ]
    assert [shlex.split(c)[:2] for c in commands] == [["pulumi", "refresh"], ["pulumi", "up"]]
    refresh, up = (shlex.split(c) for c in commands)
    target = refresh[refresh.index("--target") + 1]
    assert target in {r.urn for r in prod.of_type("civo:index/database:Database")}
    assert "--refresh" not in up


# What the bootstrap's offline commands exit with: a diff against dev finds changes.
BOOTSTRAP_EXIT = {"platform diff --config Pulumi.staging.yaml --against Pulumi.dev.yaml": 1}


def test_bootstrap_runs_as_written_in_a_fresh_clone(fresh_clone: Clone) -> None:  # noqa: F811
    """Step 2 in order: the copy, the edits an editor saves, the offline checks; then the
    credentials step keeps the file (nothing in it overwrites the stack config)."""
    page = RUNBOOKS / "bootstrap-environment.md"
    steps = {s.title: s for s in sections(page)}
    env = fresh_clone.env()
    env["PATH"] = f"{fresh_clone.root / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    staging = fresh_clone.root / "Pulumi.staging.yaml"
    printed: dict[str, str] = {}
    for lang, item in steps["2. The stack config"].items:
        if lang != "bash":
            staging.write_text(apply(staging.read_text(), lang, item))
            continue
        done = subprocess.run(
            ["bash", "-c", item],
            cwd=fresh_clone.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == BOOTSTRAP_EXIT.get(item, 0), (item, done.stdout, done.stderr)
        printed[item] = done.stdout
    assert printed["platform plan --all-stacks"].endswith("3 stacks: every rule holds\n")
    assert printed["platform plan --stack staging"].startswith("stack staging: ")
    # Step 3 only sets credentials, with `pulumi config set`: no step copies over the file.
    later = [c for s in list(steps.values())[3:] for lang, c in s.items if lang == "bash"]
    assert not [c for c in later if c.startswith(("cp ", "mv ")) or "> Pulumi." in c]
    config = yaml.safe_load(staging.read_text())["config"]
    assert "platform:delivery" not in config
    assert config["platform:environment"] == "staging"
