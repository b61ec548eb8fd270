"""The README run as a newcomer runs it: in a fresh clone (``tests.fresh_clone``), in one
fresh shell, every command of its `bash` blocks in order, and its `diff` block applied
where it stands, each command's exit code and the outputs the README quotes checked. A
command that cannot run offline is listed below with the reason."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from infra.stackconfig import load, read_stack_file
from platform_cli.runner import PROJECT_DIR
from tests.fresh_clone import Clone, fresh_clone  # noqa: F401 (a fixture)
from tests.lifecycle.runbook_snippets import apply, shown

README = PROJECT_DIR / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.DOTALL | re.MULTILINE)

# Commands that need what a test run does not have, each with the reason.
NOT_RUN = {
    "bash scripts/check.sh": "runs this test suite",
    "platform bench --with-tests": "takes minutes; it also runs the test suite",
    "platform bench --quick": "takes about a minute; scripts/check.sh runs it after the tests",
    'git commit -am "prod: a fourth node in frankfurt" && git push -u origin HEAD': (
        "pushes to a remote; the commit alone is run"
    ),
    "platform preflight --stack prod": (
        "calls the real accounts' APIs with the stack's credentials; tests/preflight runs it "
        "against a local server"
    ),
}
# And every `pulumi …` and `kubectl …` command: they need the Pulumi CLI, a backend and
# credentials, or a live cluster.
NEEDS_A_CLOUD = ("pulumi ", "kubectl ")
# Reference lines with a placeholder, and what stands in for it.
FILLED_IN = {
    "platform plan --stack dev [--out DIR]": "platform plan --stack dev --out build/any",
    "platform plan --config path/to/any.yaml": "platform plan --config Pulumi.dev.yaml",
    "platform diff --config new.yaml --against old.yaml": (
        "cp Pulumi.dev.yaml old.yaml && cp Pulumi.dev.yaml new.yaml"
        " && echo '  platform:drain: [frankfurt]' >> new.yaml"
        " && platform diff --config new.yaml --against old.yaml"
    ),
    'git commit -am "prod: a fourth node in frankfurt" && git push -u origin HEAD': (
        'git commit -am "prod: a fourth node in frankfurt"'
    ),
}
# Exit codes other than 0: a diff that finds changes exits 1.
EXIT_CODES = {
    "platform diff --stack prod --against origin/main": 1,
    "platform diff --config new.yaml --against old.yaml": 1,
    "platform review --base origin/main": 1,
}


@dataclass
class Step:
    """A command as the README shows it, or the README's edit of a stack file."""

    shown: str
    run: str
    expected: list[str]
    edit: str | None = None


def readme_steps() -> list[Step]:
    """The README's commands and edits in order; a `text` block right after a `bash` block
    is what that block's last command prints."""
    steps: list[Step] = []
    previous = ""
    for lang, body in FENCE.findall(README.read_text()):
        if lang == "diff":
            steps.append(Step("(edit Pulumi.prod.yaml)", "", [], edit=body))
        elif lang == "text" and previous == "bash":
            steps[-1].expected = body.splitlines()
        elif lang == "bash":
            for line in body.splitlines():
                command = re.sub(r"\s+#.*$", "", line).strip()
                if command and not command.startswith("#"):
                    steps.append(Step(command, FILLED_IN.get(command, command), []))
        previous = lang
    return steps


def readme_commands() -> list[str]:
    return [s.shown for s in readme_steps() if s.edit is None]


def _runnable(step: Step) -> bool:
    filled = step.shown in FILLED_IN
    return (
        step.edit is not None
        or filled
        or (step.shown not in NOT_RUN and not step.shown.startswith(NEEDS_A_CLOUD))
    )


@dataclass
class Ran:
    step: Step
    code: int
    out: str
    err: str


def run_in_one_shell(clone: Clone, steps: list[Step], scratch: Path) -> list[Ran]:
    """Every step in one `bash` started afresh in the clone, so `source` carries on to the
    commands after it as it does for a person; an edit is the file an editor would save."""
    script = ["set -u"]
    prod = clone.root / "Pulumi.prod.yaml"
    text = prod.read_text()
    for i, step in enumerate(steps):
        if step.edit is not None:
            text = apply(text, "diff", step.edit)
            saved = scratch / f"{i}.yaml"
            saved.write_text(text)
            command = f"cp {shlex.quote(str(saved))} Pulumi.prod.yaml"
        else:
            command = step.run
        where = shlex.quote(str(scratch / str(i)))
        script.append(f"{{ {command} ; }} >{where}.out 2>{where}.err; echo $? >{where}.rc")
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", "\n".join(script)],
        cwd=clone.root,
        env=clone.env(),
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0
    return [
        Ran(
            step,
            int((scratch / f"{i}.rc").read_text()),
            (scratch / f"{i}.out").read_text(),
            (scratch / f"{i}.err").read_text(),
        )
        for i, step in enumerate(steps)
    ]


def test_the_readme_runs_as_written_in_a_fresh_clone(fresh_clone: Clone, tmp_path: Path) -> None:  # noqa: F811
    steps = readme_steps()
    results = run_in_one_shell(fresh_clone, [s for s in steps if _runnable(s)], tmp_path)
    # By command as shown; a command shown twice is found by its last run.
    ran = {r.step.shown: r for r in results}
    skipped = {s.shown for s in steps if not _runnable(s)}
    assert skipped <= {*NOT_RUN, *(s.shown for s in steps if s.shown.startswith(NEEDS_A_CLOUD))}
    for result in results:
        shown_as = result.step.shown
        where = f"{shown_as}\n--- stdout\n{result.out[-3000:]}\n--- stderr\n{result.err[-3000:]}"
        assert result.code == EXIT_CODES.get(shown_as, 0), where
        # What the README quotes a command printing, it prints.
        assert shown(result.step.expected, result.out.splitlines()) == [], where
        assert "Traceback" not in result.err, where

    for filled in FILLED_IN:
        assert filled in ran, f"README no longer shows {filled!r}: update this test"
    # The first screen: the install, then `platform` on the PATH of a fresh shell.
    first = [s.shown for s in steps[:4]]
    assert first == [
        "bash scripts/plan.sh",
        "bash scripts/check.sh",
        "source .venv/bin/activate",
        "platform plan --stack prod",
    ]
    plan_sh = ran["bash scripts/plan.sh"].out
    assert plan_sh.startswith("stack dev: ")
    assert f"wrote {fresh_clone.root / 'build' / 'dev' / 'resources.json'}" in plan_sh
    assert ran["platform plan --stack prod"].out.startswith("stack prod: ")
    # The quick start's diff quotes its output (checked above) and ends a branch's commit.
    assert fresh_clone.git("log", "-1", "--format=%s") == "prod: a fourth node in frankfurt\n"
    # Reference commands.
    assert "stacks: every rule holds" in ran["platform plan --all-stacks"].out
    assert (
        "  blog.example.com: 75 s = interval 60 s + (retries 2 + 1) x timeout 5 s"
        in ran["python -m platform_cli plan --stack prod"].out.splitlines()
    )
    delivered = json.loads(ran["platform delivery --via github-actions"].out)
    assert [e["stack"] for e in delivered] == ["prod"]
    # prod's example config leaves its previews off.
    previews = ran["platform delivery --via github-actions --previews --stacks '[\"prod\"]'"]
    assert json.loads(previews.out) == []
    invalid = ran["platform delivery --via github-actions --invalid invalid.json"]
    assert [e["stack"] for e in json.loads(invalid.out)] == ["prod"]
    assert json.loads((fresh_clone.root / "invalid.json").read_text()) == []
    assert ran["platform exposure --stack prod"].out.startswith(
        "stack prod: who reaches each endpoint"
    )
    assert ran["platform exposure --stack prod --markdown"].out.startswith(
        "| where | endpoint | reached by | note |"
    )
    assert (fresh_clone.root / "docs" / "topology-dev.mmd").is_file()
    assert (fresh_clone.root / "build" / "review.md").is_file()


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
