"""Running a workflow step's shell script the way a Linux runner does (`bash -e`), with
stand-ins for the commands it calls outside (gh, curl, the `platform` command of the
checked-out project), so a check asserts what a script does rather than how it is spelt.

Each stand-in logs its arguments and answers from a table the test gives it. `git` and
`jq` are the real ones: the scripts' logic lives in them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
OUTPUT_LINE = re.compile(r"^([\w-]+)=(.*)$")
HEREDOC_START = re.compile(r"^([\w-]+)<<(\S+)$")
# The runner's shell for a `run:` step without `shell:` on Linux.
SHELL = ["bash", "--noprofile", "--norc", "-e"]


def require(tool: str) -> None:
    """Skip without ``tool`` locally; fail in CI (CI=true), where a skip would pass as
    green."""
    if shutil.which(tool) is None:
        message = f"{tool} is not installed: the workflow scripts need it (apt install {tool})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


STUB = r'''
import json, subprocess, sys
from pathlib import Path

HERE = Path(__file__).parent
NAME, ARGS = sys.argv[1], sys.argv[2:]
ANSWERS = json.loads((HERE / "answers.json").read_text())


def flag(name):
    return ARGS[ARGS.index(name) + 1] if name in ARGS else None


def jq(document, expression):
    done = subprocess.run(["jq", "-r", expression], input=json.dumps(document),
                          capture_output=True, text=True, check=True)
    return done.stdout


def log(**extra):
    with open(HERE / "calls.jsonl", "a") as calls:
        calls.write(json.dumps({"tool": NAME, "args": ARGS, **extra}) + "\n")


def bodies():
    """The files a `gh api -F key=@file` call sends, read now: they may be temporary."""
    found = {}
    for i, arg in enumerate(ARGS):
        if arg in ("-F", "-f", "--field", "--raw-field") and i + 1 < len(ARGS):
            key, _, value = ARGS[i + 1].partition("=")
            if value.startswith("@"):
                value = Path(value[1:]).read_text()
            found[key] = value
    return found


def answer(document):
    expression = flag("--jq") or flag("-q")
    sys.stdout.write(jq(document, expression) if expression else json.dumps(document))


if NAME == "platform":
    log()
    if ARGS[:1] == ["review"]:
        out = flag("--out")
        if out and not ANSWERS.get("review_crash"):
            Path(out).write_text(ANSWERS.get("review_body", "<!-- platform-review -->\n"))
        print(json.dumps(ANSWERS.get("touched", [])))
    elif ARGS[:1] == ["delivery"]:
        invalid = flag("--invalid")
        if invalid:
            Path(invalid).write_text(json.dumps(ANSWERS.get("invalid", [])))
        print(json.dumps(ANSWERS.get("delivery", [])))
    sys.exit(ANSWERS.get("platform_exit", 0))
elif NAME == "gh":
    log(fields=bodies())
    if ARGS[:2] == ["run", "list"]:
        answer(ANSWERS.get("runs", {}).get(flag("--commit") or flag("-c") or "", []))
    elif ARGS[:1] == ["api"] and "--method" not in ARGS:
        path = next(a for a in ARGS[1:] if not a.startswith("-") and a != flag("--jq"))
        answer(ANSWERS.get("api", {}).get(path.split("?")[0], []))
    elif ARGS[:1] == ["api"]:
        print("{}")
elif NAME == "curl":
    log()
    output = flag("--output") or flag("-o")
    if output:
        Path(output).write_text(json.dumps(ANSWERS.get("curl_body", {})))
    if flag("--write-out") or flag("-w"):
        sys.stdout.write(str(ANSWERS.get("curl_status", 200)))
'''


@dataclass
class Ran:
    code: int
    outputs: dict[str, str]
    calls: list[dict[str, Any]]
    stdout: str
    stderr: str
    cwd: Path

    def called(self, tool: str, *args: str) -> list[dict[str, Any]]:
        """The calls of ``tool`` whose arguments start with ``args``."""
        return [c for c in self.calls if c["tool"] == tool and c["args"][: len(args)] == list(args)]


@dataclass
class Sandbox:
    """A working directory with stand-ins on PATH; ``answers`` is what they reply."""

    root: Path
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def cwd(self) -> Path:
        return self.root / "work"

    def __post_init__(self) -> None:
        bin_dir = self.root / "bin"
        bin_dir.mkdir(parents=True, exist_ok=True)
        self.cwd.mkdir(exist_ok=True)
        (bin_dir / "stub.py").write_text(STUB)
        (self.cwd / ".venv" / "bin").mkdir(parents=True, exist_ok=True)
        for name, folder in (("gh", bin_dir), ("curl", bin_dir), ("platform", self.venv)):
            script = folder / name
            script.write_text(
                f'#!/bin/sh\nexec "{sys.executable}" "{bin_dir / "stub.py"}" {name} "$@"\n'
            )
            script.chmod(0o755)

    @property
    def venv(self) -> Path:
        return self.cwd / ".venv" / "bin"

    def git_repo(self, commits: int) -> list[str]:
        """Make the working directory a repository with ``commits`` commits; their SHAs,
        oldest first (the last is HEAD)."""
        require("git")
        env = {**os.environ, **_GIT_IDENTITY}
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=self.cwd, check=True, env=env)
        shas = []
        for i in range(commits):
            subprocess.run(
                ["git", "commit", "-q", "--allow-empty", "-m", f"commit {i}"],
                cwd=self.cwd,
                check=True,
                env=env,
            )
            shas.append(
                subprocess.run(
                    ["git", "rev-parse", "HEAD"],
                    cwd=self.cwd,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.strip()
            )
        return shas

    def run(
        self,
        step: dict[str, Any],
        expressions: dict[str, str] | None = None,
        environ: dict[str, str] | None = None,
    ) -> Ran:
        """Run ``step``'s script; ``expressions`` gives each `${{ … }}` in its `env:` and
        script the value the runner would substitute."""
        require("bash")
        require("jq")
        (self.root / "bin" / "answers.json").write_text(json.dumps(self.answers))
        calls_file = self.root / "bin" / "calls.jsonl"
        calls_file.unlink(missing_ok=True)
        output = self.root / "github_output"
        output.write_text("")
        known = expressions or {}
        step_env = {str(k): substitute(str(v), known) for k, v in (step.get("env") or {}).items()}
        env = {
            "PATH": f"{self.root / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.root),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(self.root / "step_summary"),
            **(environ or {}),
            **step_env,
        }
        script = self.root / "step.sh"
        script.write_text(substitute(str(step.get("run", "")), known))
        done = subprocess.run(
            [*SHELL, str(script)],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        calls = (
            [json.loads(line) for line in calls_file.read_text().splitlines()]
            if calls_file.exists()
            else []
        )
        return Ran(
            done.returncode, outputs(output.read_text()), calls, done.stdout, done.stderr, self.cwd
        )


_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def substitute(text: str, expressions: dict[str, str]) -> str:
    """``text`` with each `${{ expr }}` the runner would fill replaced by its value; an
    expression the test did not give stays as written, so it shows in what the script
    produced."""
    return EXPRESSION.sub(lambda m: expressions.get(m.group(1), m.group(0)), text)


def outputs(text: str) -> dict[str, str]:
    """The step outputs a script wrote to $GITHUB_OUTPUT (`k=v` lines, or `k<<EOF`)."""
    found: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if heredoc := HEREDOC_START.match(line):
            value = []
            for inner in lines:
                if inner == heredoc.group(2):
                    break
                value.append(inner)
            found[heredoc.group(1)] = "\n".join(value)
        elif simple := OUTPUT_LINE.match(line):
            found[simple.group(1)] = simple.group(2)
    return found
