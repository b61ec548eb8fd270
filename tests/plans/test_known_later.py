"""An Output filled in later must not hang the run when the program fails first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from platform_cli.runner import PROJECT_DIR

PROGRAM = """
import pulumi_civo as civo

from infra.outputs import KnownLater

with KnownLater[str]("the label") as label:
    civo.Network("fixture-net", label=label.output, region="LON1")
    raise RuntimeError("a cluster failed to build")
"""


def test_a_failure_before_resolving_ends_the_run_and_names_its_cause(tmp_path: Path) -> None:
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    plan = ["plan", "--stack", "dev", "--program", str(program), "--out", str(tmp_path / "out")]
    done = subprocess.run(
        [sys.executable, "-m", "platform_cli", *plan],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert (
        "the label never became known; the program stopped first: "
        "RuntimeError: a cluster failed to build" in done.stderr
    ), done.stderr[-2000:]
